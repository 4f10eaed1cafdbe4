//! What OpenSSH would use to reach a device: its host name, port, user,
//! keys, agent, known_hosts files, jump host and timeouts.
//!
//! Only OpenSSH gets `Match`, `Include`, tokens and the precedence rules
//! of `ssh_config` exactly right, so when `ssh` is installed a device is
//! resolved by running `ssh -G` and reading what it prints
//! ([`parse_dump`]); the inventory's own fields are passed as command-line
//! options, which win over the config files just as they would for `ssh`.
//! Without `ssh`, a [builtin](resolve_builtin) fallback uses only the
//! inventory's fields and OpenSSH's defaults.

mod builtin;
mod command;
mod dump;
mod error;
mod local;
#[cfg(test)]
mod tests;
mod tokens;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use builtin::resolve_builtin;
pub use command::{SSH_G_TIMEOUT, find_ssh, resolve_with_ssh};
pub use dump::parse_dump;
pub use error::ConfigError;
pub use local::LocalUser;

/// What the inventory says about reaching a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// A host name, an address or a `~/.ssh/config` alias.
    pub host: String,
    /// The port, when the inventory gives one.
    pub port: Option<u16>,
    /// The remote user, when the inventory gives one.
    pub user: Option<String>,
    /// A private key file, when the inventory gives one (`~/` allowed).
    pub identity_file: Option<PathBuf>,
    /// Jump hosts (`[user@]host[:port]`, comma-separated), when given.
    pub proxy_jump: Option<String>,
    /// An ssh config file to read instead of `~/.ssh/config` and
    /// `/etc/ssh/ssh_config` (`ssh -F`; `~/` allowed).
    pub config_file: Option<PathBuf>,
}

impl Request {
    /// A request for `host` with nothing else given.
    pub fn new(host: impl Into<String>) -> Request {
        Request {
            host: host.into(),
            ..Request::default()
        }
    }

    /// Checks the fields and expands a leading `~/` in paths against the
    /// local home directory.
    fn checked(&self, local: &LocalUser) -> Result<Request, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidRequest {
            host: self.host.clone(),
            reason: reason.to_owned(),
        };
        let bad_word =
            |s: &str| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad_word(&self.host) {
            return Err(invalid(
                "the host must be one word without control characters",
            ));
        }
        if self.port == Some(0) {
            return Err(invalid("port 0 cannot be connected to"));
        }
        if self.user.as_deref().is_some_and(bad_word) {
            return Err(invalid(
                "the user must be one word without control characters",
            ));
        }
        if self.proxy_jump.as_deref().is_some_and(bad_word) {
            return Err(invalid(
                "ProxyJump must be one word without control characters",
            ));
        }
        let identity_file = self.identity_file.as_deref().map(|p| local.expand_tilde(p));
        if let Some(path) = &identity_file
            && !path.exists()
        {
            return Err(ConfigError::IdentityFile {
                host: self.host.clone(),
                path: path.clone(),
            });
        }
        Ok(Request {
            identity_file,
            config_file: self.config_file.as_deref().map(|p| local.expand_tilde(p)),
            ..self.clone()
        })
    }
}

/// Which SSH agent to ask for keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityAgent {
    /// The one in `$SSH_AUTH_SOCK`, if any (OpenSSH's default).
    Default,
    /// None: `IdentityAgent none`, or a named environment variable unset.
    Disabled,
    /// The agent listening on this socket.
    Socket(PathBuf),
}

/// How an [`Endpoint`] was worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolver {
    /// By `ssh -G`, with this program.
    Ssh {
        /// The `ssh` that was run.
        program: PathBuf,
    },
    /// Without `ssh`: the inventory's fields and OpenSSH's defaults only.
    Builtin,
}

/// What OpenSSH would use to connect to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host as the inventory names it (OpenSSH's `%n`).
    pub alias: String,
    /// The host name or address to connect to (`HostName`), lower case.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The remote user.
    pub user: String,
    /// Private key files to try, in order (`IdentityFile`; some may not
    /// exist, as OpenSSH's defaults usually do not).
    pub identity_files: Vec<PathBuf>,
    /// Whether only `identity_files` may be offered, not every agent key.
    pub identities_only: bool,
    /// The agent to ask for keys.
    pub identity_agent: IdentityAgent,
    /// The user's known_hosts files (`UserKnownHostsFile`); a new key is
    /// added to the first.
    pub user_known_hosts_files: Vec<PathBuf>,
    /// The system's known_hosts files (`GlobalKnownHostsFile`).
    pub global_known_hosts_files: Vec<PathBuf>,
    /// The name to look the host key up under instead of `host`.
    pub host_key_alias: Option<String>,
    /// Jump hosts to reach the device through, comma-separated.
    pub proxy_jump: Option<String>,
    /// A command whose stdin and stdout reach the device's SSH port, its
    /// `%h`, `%p`, `%r`, `%n` tokens expanded, for `sh -c`.
    pub proxy_command: Option<String>,
    /// The TCP connect timeout, when set (`ConnectTimeout`).
    pub connect_timeout: Option<Duration>,
    /// How long the connection may be silent before a keepalive is sent,
    /// when set (`ServerAliveInterval`).
    pub server_alive_interval: Option<Duration>,
    /// How this was worked out.
    pub resolved_by: Resolver,
}

impl Endpoint {
    /// The known_hosts files to check, the user's then the system's.
    pub fn known_hosts_files(&self) -> Vec<PathBuf> {
        let mut files = self.user_known_hosts_files.clone();
        files.extend(self.global_known_hosts_files.iter().cloned());
        files
    }

    /// The file a newly accepted host key goes to: the first of the user's.
    pub fn accept_new_file(&self) -> Option<&Path> {
        self.user_known_hosts_files.first().map(PathBuf::as_path)
    }

    /// The name the host key is looked up under: `HostKeyAlias`, else the
    /// host name connected to (with [`port`](Self::port)).
    pub fn host_key_name(&self) -> &str {
        self.host_key_alias.as_deref().unwrap_or(&self.host)
    }
}

/// What OpenSSH would use to reach the device of `request`: `ssh -G` when
/// `ssh` is on PATH ([`resolve_with_ssh`]), else the builtin fallback
/// ([`resolve_builtin`]).
pub fn resolve(request: &Request) -> Result<Endpoint, ConfigError> {
    match find_ssh() {
        Some(program) => resolve_with_ssh(request, &program),
        None => resolve_builtin(request),
    }
}
