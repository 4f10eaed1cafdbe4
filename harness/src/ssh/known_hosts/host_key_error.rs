//! [`HostKeyError`]: a device's host key is not trusted, told the way
//! cargo tells it: what was offered, what is known and where, and the fix.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::{HostKey, HostKeyCheck, entry_line, entry_name};
use crate::ssh::quote::shell_word;

/// Why a device's host key is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostKeyError {
    /// No entry for the host holds a key of the offered type.
    #[error("{}", unknown(device, host, *port, offered, other_types, files, add_to))]
    Unknown {
        /// The device's name in the inventory.
        device: String,
        /// The host as known_hosts names it (without the port).
        host: String,
        /// The port.
        port: u16,
        /// The key the device offered.
        offered: HostKey,
        /// Key types that entries for the host hold.
        other_types: Vec<String>,
        /// The known_hosts files checked.
        files: Vec<PathBuf>,
        /// The file the fix adds the key to.
        add_to: PathBuf,
    },
    /// An entry for the host holds a different key of the offered type.
    #[error("{}", changed(device, host, *port, offered, known, file, *line))]
    Changed {
        /// The device's name in the inventory.
        device: String,
        /// The host as known_hosts names it (without the port).
        host: String,
        /// The port.
        port: u16,
        /// The key the device offered.
        offered: HostKey,
        /// The key recorded.
        known: HostKey,
        /// The file that records it.
        file: PathBuf,
        /// Its line, from 1.
        line: usize,
    },
    /// The offered key is revoked for the host.
    #[error("{}", revoked(device, host, *port, offered, file, *line))]
    Revoked {
        /// The device's name in the inventory.
        device: String,
        /// The host as known_hosts names it (without the port).
        host: String,
        /// The port.
        port: u16,
        /// The key the device offered.
        offered: HostKey,
        /// The file of the `@revoked` line.
        file: PathBuf,
        /// Its line, from 1.
        line: usize,
    },
}

impl HostKeyError {
    /// The error for `check`'s verdict on the key `offered` by `device`, or
    /// `None` when it is trusted.
    pub(super) fn from_check(
        device: &str,
        host: &str,
        port: u16,
        offered: &HostKey,
        check: HostKeyCheck,
        files: &[PathBuf],
        add_to: &Path,
    ) -> Option<HostKeyError> {
        let (device, host, offered) = (device.to_owned(), host.to_owned(), offered.clone());
        Some(match check {
            HostKeyCheck::Trusted { .. } => return None,
            HostKeyCheck::Unknown { other_types } => HostKeyError::Unknown {
                device,
                host,
                port,
                offered,
                other_types,
                files: files.to_vec(),
                add_to: add_to.to_owned(),
            },
            HostKeyCheck::Changed { file, line, known } => HostKeyError::Changed {
                device,
                host,
                port,
                offered,
                known,
                file,
                line,
            },
            HostKeyCheck::Revoked { file, line } => HostKeyError::Revoked {
                device,
                host,
                port,
                offered,
                file,
                line,
            },
        })
    }
}

/// `host:port`, with an IPv6 address in brackets.
fn address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The first sentence of each message.
fn subject(device: &str, host: &str, port: u16) -> String {
    format!(
        "the host key of device `{device}` ({})",
        address(host, port)
    )
}

/// `ed25519`, `ecdsa`, `rsa`: the file-name part of a host key of `key_type`
/// (`/etc/ssh/ssh_host_<part>_key.pub`).
fn key_file_part(key_type: &str) -> &str {
    match key_type {
        "ssh-ed25519" => "ed25519",
        "ssh-rsa" => "rsa",
        t if t.starts_with("ecdsa-") => "ecdsa",
        _ => "<type>",
    }
}

fn unknown(
    device: &str,
    host: &str,
    port: u16,
    offered: &HostKey,
    other_types: &[String],
    files: &[PathBuf],
    add_to: &Path,
) -> String {
    let name = entry_name(host, port);
    let files = match files {
        [] => "no known_hosts file is configured".to_owned(),
        files => {
            let list: Vec<_> = files.iter().map(|f| f.display().to_string()).collect();
            format!("checked {}", list.join(", "))
        }
    };
    let mut m = format!(
        "{} is not known\n\
         \x20 the device offered an {} key {}; no entry for `{name}` holds a key of that type \
         ({files})\n",
        subject(device, host, port),
        offered.key_type,
        offered.fingerprint(),
    );
    if !other_types.is_empty() {
        let _ = writeln!(
            m,
            "  known_hosts holds {} for `{name}`, but the device offered another type; if its \
             keys were regenerated, remove the old entries with `ssh-keygen -R {}`",
            other_types.join(" and "),
            shell_word(&name),
        );
    }
    let _ = write!(
        m,
        "to trust the device, check the fingerprint with its administrator (on the device: \
         `ssh-keygen -lf /etc/ssh/ssh_host_{}_key.pub`), then add this line to {}:\n\
         \x20   {}\n\
         or run again with --accept-new-host-keys",
        key_file_part(&offered.key_type),
        add_to.display(),
        entry_line(host, port, offered),
    );
    m
}

fn changed(
    device: &str,
    host: &str,
    port: u16,
    offered: &HostKey,
    known: &HostKey,
    file: &Path,
    line: usize,
) -> String {
    let name = entry_name(host, port);
    format!(
        "{} has CHANGED\n\
         \x20 the device offered an {} key {}, but known_hosts {}:{line} holds a different {} \
         key {} for `{name}`\n\
         this could be an attack; if the device was reinstalled, remove the old entry with \
         `ssh-keygen -R {} -f {}` and connect again\n\
         a changed key is never accepted, not even with --accept-new-host-keys",
        subject(device, host, port),
        offered.key_type,
        offered.fingerprint(),
        file.display(),
        known.key_type,
        known.fingerprint(),
        shell_word(&name),
        shell_word(&file.display().to_string()),
    )
}

fn revoked(
    device: &str,
    host: &str,
    port: u16,
    offered: &HostKey,
    file: &Path,
    line: usize,
) -> String {
    format!(
        "{} is REVOKED\n\
         \x20 the device offered an {} key {}, which known_hosts {}:{line} marks @revoked for \
         `{}`\n\
         a revoked key is never accepted; the device needs a new host key",
        subject(device, host, port),
        offered.key_type,
        offered.fingerprint(),
        file.display(),
        entry_name(host, port),
    )
}
