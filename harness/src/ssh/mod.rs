//! What the SSH transport needs to know before and after it dials a
//! device, worked out without touching the network: which host keys are
//! trusted ([`known_hosts`]) and what OpenSSH would use to reach a host
//! ([`config`]).

pub mod config;
pub mod known_hosts;
mod quote;
