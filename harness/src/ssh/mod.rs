//! SSH to the device lab: host-key trust, OpenSSH configuration, the link
//! under a session (TCP or a jump host), the session itself, remote
//! commands and uploads.

pub mod link;
pub mod quote;
pub mod auth;
pub mod error;
pub mod exec;
pub mod session;
pub mod upload;
