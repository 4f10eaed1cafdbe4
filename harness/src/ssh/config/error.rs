//! [`ConfigError`]: why a device's SSH settings could not be worked out.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that keeps a device's SSH settings from being resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The inventory's fields cannot be handed to `ssh`.
    #[error("invalid SSH settings for host `{host}`: {reason}")]
    InvalidRequest {
        /// The inventory's host.
        host: String,
        /// What is wrong.
        reason: String,
    },
    /// The local user's name or home directory is unknown.
    #[error("cannot tell the local user's {what}; set ${var}")]
    LocalUser {
        /// `name` or `home directory`.
        what: &'static str,
        /// The environment variable that would tell it.
        var: &'static str,
    },
    /// The inventory names an identity file that is not there (`ssh` would
    /// silently skip it and try other keys).
    #[error("identity file {} for host `{host}` does not exist", path.display())]
    IdentityFile {
        /// The inventory's host.
        host: String,
        /// The file.
        path: PathBuf,
    },
    /// An ssh config file is named but `ssh`, which alone reads it
    /// faithfully, is not installed.
    #[error(
        "ssh config file {} for host `{host}` can only be read by OpenSSH's `ssh`, which is not \
         on PATH; install openssh-client or drop the config file",
        config_file.display()
    )]
    NeedsSsh {
        /// The inventory's host.
        host: String,
        /// The config file.
        config_file: PathBuf,
    },
    /// `ssh` cannot be started.
    #[error("cannot run {}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `ssh -G` did not finish in time (a `Match exec` command may hang).
    #[error("`{command}` did not finish within {} s", timeout.as_secs_f64())]
    Timeout {
        /// The command line.
        command: String,
        /// The limit.
        timeout: Duration,
    },
    /// `ssh -G` failed, e.g. on a missing or malformed config file.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// `ssh -G` printed something unusable.
    #[error("cannot use what `ssh -G` printed for host `{host}`: {reason}")]
    Dump {
        /// The inventory's host.
        host: String,
        /// What is wrong.
        reason: String,
    },
}
