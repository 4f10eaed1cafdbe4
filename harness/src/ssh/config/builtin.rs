//! [`resolve_builtin`]: a device's settings without `ssh`, from the
//! inventory and OpenSSH's defaults only.

use std::path::PathBuf;

use super::{ConfigError, Endpoint, IdentityAgent, LocalUser, Request, Resolver};

/// The key files OpenSSH tries when none is configured, of the types
/// libssh2 can use, in OpenSSH's order of preference.
const DEFAULT_IDENTITIES: [&str; 3] = ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"];
/// OpenSSH's default `UserKnownHostsFile`.
const USER_KNOWN_HOSTS: [&str; 2] = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"];
/// OpenSSH's default `GlobalKnownHostsFile`.
const GLOBAL_KNOWN_HOSTS: [&str; 2] = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"];

/// What OpenSSH would use for `request` if no ssh config file said
/// anything: the inventory's host, port (else 22), user (else the local
/// user's name) and identity file (else `~/.ssh/id_ed25519`, `id_ecdsa`,
/// `id_rsa`), the default known_hosts files, the agent of
/// `$SSH_AUTH_SOCK`, no timeouts. A `~/.ssh/config` alias is not
/// resolved, and a request naming a config file is refused.
pub fn resolve_builtin(request: &Request) -> Result<Endpoint, ConfigError> {
    let local = LocalUser::current()?;
    let request = request.checked(&local)?;
    if let Some(config_file) = request.config_file {
        return Err(ConfigError::NeedsSsh {
            host: request.host,
            config_file,
        });
    }
    let paths = |list: &[&str]| -> Vec<PathBuf> {
        list.iter()
            .map(|p| local.expand_tilde(p.as_ref()))
            .collect()
    };
    let identity_files = match request.identity_file {
        Some(file) => vec![file],
        None => paths(&DEFAULT_IDENTITIES),
    };
    Ok(Endpoint {
        host: request.host.to_ascii_lowercase(),
        alias: request.host,
        port: request.port.unwrap_or(22),
        user: request.user.unwrap_or_else(|| local.name.clone()),
        identity_files,
        identities_only: false,
        identity_agent: IdentityAgent::Default,
        user_known_hosts_files: paths(&USER_KNOWN_HOSTS),
        global_known_hosts_files: paths(&GLOBAL_KNOWN_HOSTS),
        host_key_alias: None,
        proxy_jump: request.proxy_jump,
        proxy_command: None,
        connect_timeout: None,
        server_alive_interval: None,
        resolved_by: Resolver::Builtin,
    })
}
