//! SSH to the device lab: which host keys are trusted ([`known_hosts`]),
//! what OpenSSH would use to reach a host ([`config`]), the byte stream
//! under a session ([`link`]: TCP or a jump host), the session itself
//! ([`session`], [`auth`]), remote commands ([`exec`], built with
//! [`quote`]) and uploads ([`upload`]).

pub mod auth;
pub mod config;
pub mod error;
pub mod exec;
pub mod known_hosts;
pub mod link;
pub mod quote;
pub mod session;
pub mod upload;
