//! One SSH session to a device: the link (direct or through a jump host),
//! the handshake with the host-key algorithms known_hosts holds for it, our
//! own host-key check (with `accept-new` when asked), and login over every
//! SSH agent identity, key files and an optional password.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ssh2::{HostKeyType, MethodType, Session};

use super::auth;
use super::config::Endpoint;
use super::error::SshError;
use super::known_hosts::{self, Accepted, HostKey, HostKeyCheck, KnownHosts};
use super::link::{self, Cutter, Link, LinkTimeouts, ProxyChild};

/// How to connect, beyond where.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The device's name, for messages.
    pub device: String,
    /// TCP connect, `TCP_USER_TIMEOUT` and keepalive probes.
    pub link: LinkTimeouts,
    /// The SSH handshake and login, and each later blocking SSH call
    /// (SFTP writes, opening channels).
    pub io_timeout: Duration,
    /// SSH keepalive interval; a link silent for three of them is lost.
    pub keepalive: Duration,
    /// Add an unknown host key to known_hosts (a changed one is refused).
    pub accept_new_host_keys: bool,
    /// Password for password login, from the environment variable the
    /// inventory names.
    pub password: Option<String>,
    /// Passphrase of the identity files, likewise.
    pub passphrase: Option<String>,
    /// The `ssh_config` file the endpoint came from (`-F`), for `ssh -W`.
    pub ssh_config: Option<PathBuf>,
}

/// An authenticated session, used by one thread at a time.
pub struct SshSession {
    session: Session,
    cutter: Cutter,
    proxy: Option<ProxyChild>,
    addr: String,
    keepalive: Duration,
    io_timeout: Duration,
}

impl std::fmt::Debug for SshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSession")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SshSession {
    /// Connects to `endpoint`, checks its host key and logs in.
    ///
    /// # Errors
    /// [`SshError`]: transient ones (connect, protocol) are worth a retry,
    /// host-key and login failures are not.
    pub fn connect(endpoint: &Endpoint, options: &ConnectOptions) -> Result<SshSession, SshError> {
        let addr = format!("{}:{}", endpoint.host, endpoint.port);
        let (link, proxy) = open_link(endpoint, options, &addr)?;
        let cutter = link.cutter().map_err(|source| SshError::Connect {
            addr: addr.clone(),
            source,
        })?;
        let mut session =
            Session::new().map_err(|source| protocol("starting a session", &addr, source))?;
        session.set_tcp_stream(link);
        // A device that accepts TCP but never speaks (a hung sshd) fails
        // within the connect timeout, not the longer I/O one.
        // A device that accepts TCP but never speaks (a hung sshd) fails
        // within the connect timeout, not the longer I/O one.
        session.set_timeout(millis(options.link.connect));
        let known_name = endpoint.host_key_name().to_owned();
        let known = KnownHosts::load(&endpoint.known_hosts_files())?;
        let types = known.key_types(&known_name, endpoint.port);
        if !types.is_empty() {
            let prefs = known_hosts::host_key_algorithms(&types);
            // A whitelist: the device is asked for a key type we can check.
            let _ = session.method_pref(MethodType::HostKey, &prefs);
        }
        let mut this = SshSession {
            session,
            cutter,
            proxy,
            addr: addr.clone(),
            keepalive: options.keepalive,
            io_timeout: options.io_timeout,
        };
        if let Err(source) = this.session.handshake() {
            return Err(this.link_error("SSH handshake", source));
        }
        this.check_host_key(&known, &known_name, endpoint, options)?;
        auth::login(&this.session, endpoint, options, &addr)?;
        this.session.set_timeout(millis(options.io_timeout));
        Ok(this)
    }

    /// The handshake's failure, or the jump host's when there is one (its
    /// `ssh` says why it could not reach the device).
    fn link_error(&self, what: &str, source: ssh2::Error) -> SshError {
        if let Some(proxy) = &self.proxy {
            let said = proxy.stderr();
            if !said.is_empty() {
                return SshError::Jump {
                    jump: what.to_owned(),
                    detail: said,
                };
            }
        }
        protocol(what, &self.addr, source)
    }

    fn check_host_key(
        &self,
        known: &KnownHosts,
        name: &str,
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<(), SshError> {
        let Some((blob, kind)) = self.session.host_key() else {
            return Err(SshError::Lost {
                addr: self.addr.clone(),
                detail: "the device sent no host key".to_owned(),
            });
        };
        let key = HostKey::from_blob(blob.to_vec()).unwrap_or_else(|_| HostKey {
            key_type: key_type_name(kind, blob),
            blob: blob.to_vec(),
        });
        let port = endpoint.port;
        let add_to = endpoint
            .accept_new_file()
            .map_or_else(default_known_hosts, Path::to_path_buf);
        match known.check(name, port, &key) {
            HostKeyCheck::Trusted { .. } => Ok(()),
            HostKeyCheck::Unknown { .. } if options.accept_new_host_keys => {
                if known_hosts::accept_new(&add_to, name, port, &key)? == Accepted::Added {
                    eprintln!(
                        "{}: added its {} host key {} for {} to {}",
                        options.device,
                        key.key_type,
                        key.fingerprint(),
                        known_hosts::entry_name(name, port),
                        add_to.display()
                    );
                }
                Ok(())
            }
            _ => known
                .verify(&options.device, name, port, &key, &add_to)
                .map_err(SshError::HostKey),
        }
    }

    /// The libssh2 session.
    pub fn raw(&self) -> &Session {
        &self.session
    }

    /// `host:port`, for messages.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The SSH keepalive interval.
    pub fn keepalive(&self) -> Duration {
        self.keepalive
    }

    /// The timeout of each blocking SSH call.
    pub fn io_timeout(&self) -> Duration {
        self.io_timeout
    }

    /// Shuts the link: every call blocked on it returns.
    pub fn cutter(&self) -> &Cutter {
        &self.cutter
    }

    /// A protocol error on this session.
    pub fn error(&self, what: &str, source: ssh2::Error) -> SshError {
        if is_link_failure(&source) {
            return SshError::Lost {
                addr: self.addr.clone(),
                detail: format!("{what}: {source}"),
            };
        }
        protocol(what, &self.addr, source)
    }
}

impl Drop for SshSession {
    fn drop(&mut self) {
        // A clean goodbye when the link is alive, bounded when it is not
        // (dropping a session on a dead peer must not block).
        self.session.set_timeout(1000);
        let _ = self.session.disconnect(None, "done", None);
        self.cutter.cut();
    }
}

fn open_link(
    endpoint: &Endpoint,
    options: &ConnectOptions,
    addr: &str,
) -> Result<(Link, Option<ProxyChild>), SshError> {
    if let Some(command) = &endpoint.proxy_command {
        let expanded = expand_proxy_command(command, endpoint);
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c").arg(expanded);
        return link::spawn_proxy(cmd)
            .map(|(l, c)| (l, Some(c)))
            .map_err(|e| SshError::Jump {
                jump: command.clone(),
                detail: format!("cannot run the ProxyCommand: {e}"),
            });
    }
    if let Some(jump) = &endpoint.proxy_jump {
        return link::connect_proxy_jump(
            jump,
            &endpoint.host,
            endpoint.port,
            options.ssh_config.as_deref(),
            &options.link,
        )
        .map(|(l, c)| (l, Some(c)))
        .map_err(|e| SshError::Jump {
            jump: jump.clone(),
            detail: format!("cannot run `ssh -W` (is the OpenSSH client installed?): {e}"),
        });
    }
    link::connect_tcp(&endpoint.host, endpoint.port, &options.link)
        .map(|l| (l, None))
        .map_err(|source| SshError::Connect {
            addr: addr.to_owned(),
            source,
        })
}

/// `ProxyCommand` tokens: `%h` host, `%p` port, `%r` user, `%%` a percent.
fn expand_proxy_command(command: &str, endpoint: &Endpoint) -> String {
    let mut out = String::new();
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&endpoint.host),
            Some('p') => out.push_str(&endpoint.port.to_string()),
            Some('r') => out.push_str(&endpoint.user),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The SSH name of a host key: from its blob (whose first field is the
/// name), else from libssh2's type.
fn key_type_name(kind: HostKeyType, blob: &[u8]) -> String {
    if blob.len() >= 4 {
        let n = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
        if let Some(name) = blob.get(4..4 + n).and_then(|b| std::str::from_utf8(b).ok()) {
            return name.to_owned();
        }
    }
    match kind {
        HostKeyType::Rsa => "ssh-rsa",
        HostKeyType::Dss => "ssh-dss",
        HostKeyType::Ecdsa256 => "ecdsa-sha2-nistp256",
        HostKeyType::Ecdsa384 => "ecdsa-sha2-nistp384",
        HostKeyType::Ecdsa521 => "ecdsa-sha2-nistp521",
        HostKeyType::Ed25519 => "ssh-ed25519",
        HostKeyType::Unknown => "unknown",
    }
    .to_owned()
}

/// `~/.ssh/known_hosts`, where OpenSSH adds keys by default.
fn default_known_hosts() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    home.join(".ssh/known_hosts")
}

fn protocol(what: &str, addr: &str, source: ssh2::Error) -> SshError {
    if is_link_failure(&source) {
        return SshError::Lost {
            addr: addr.to_owned(),
            detail: format!("{what}: {source}"),
        };
    }
    SshError::Protocol {
        what: what.to_owned(),
        addr: addr.to_owned(),
        source,
    }
}

/// Errors that mean the link itself failed (timeout, socket errors, the
/// peer closing).
fn is_link_failure(e: &ssh2::Error) -> bool {
    use ssh2::ErrorCode::Session as S;
    // libssh2: -9 timeout, -7 socket send, -43 socket recv, -13 socket
    // disconnect, -8 banner recv.
    matches!(e.code(), S(-9) | S(-7) | S(-43) | S(-13) | S(-8))
}

fn millis(d: Duration) -> u32 {
    d.as_millis().clamp(1, u32::MAX as u128) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_type_comes_from_the_blob() {
        let mut blob = 11u32.to_be_bytes().to_vec();
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&[0, 0, 0, 1, 7]);
        assert_eq!(key_type_name(HostKeyType::Unknown, &blob), "ssh-ed25519");
        assert_eq!(
            key_type_name(HostKeyType::Ecdsa256, &[1, 2]),
            "ecdsa-sha2-nistp256"
        );
    }
}
