//! What can go wrong talking to a device over SSH, and whether trying
//! again can help.

use std::io;

use thiserror::Error;

use super::known_hosts::{HostKeyError, KnownHostsError};

/// An SSH failure, naming the device's address.
#[derive(Debug, Error)]
pub enum SshError {
    /// No TCP connection (refused, unreachable, timed out, unresolvable).
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// The jump host's `ssh -W` could not be started or reach the device.
    #[error("through jump host {jump}: {detail}")]
    Jump {
        /// The `ProxyJump` value.
        jump: String,
        /// What `ssh` said, or why it could not run.
        detail: String,
    },
    /// The device's host key is not trusted.
    #[error(transparent)]
    HostKey(Box<HostKeyError>),
    /// A known_hosts file could not be read or written.
    #[error(transparent)]
    KnownHosts(#[from] KnownHostsError),
    /// Every authentication method failed.
    #[error("cannot log in as `{user}` on {addr}: {tried}")]
    Auth {
        /// The user.
        user: String,
        /// `host:port`.
        addr: String,
        /// What was tried, and what each said.
        tried: String,
    },
    /// A protocol step failed (handshake, channel, SFTP, ...).
    #[error("{what} on {addr} failed: {source}")]
    Protocol {
        /// The step.
        what: String,
        /// `host:port`.
        addr: String,
        /// libssh2's error.
        source: ssh2::Error,
    },
    /// The link went silent for too long or broke.
    #[error("connection to {addr} lost: {detail}")]
    Lost {
        /// `host:port`.
        addr: String,
        /// How it was noticed.
        detail: String,
    },
    /// An argument could not be quoted.
    #[error(transparent)]
    Quote(#[from] super::quote::NulInArgument),
    /// A local file could not be read.
    #[error("{path}: {source}")]
    Local {
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
}

impl SshError {
    /// Whether trying again later may succeed: network and protocol
    /// failures may; an untrusted host key, a refused login or a bad
    /// argument will not change by retrying.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SshError::Connect { .. }
                | SshError::Jump { .. }
                | SshError::Protocol { .. }
                | SshError::Lost { .. }
        )
    }
}
