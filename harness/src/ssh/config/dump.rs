//! [`parse_dump`]: the settings `ssh -G` prints, as an [`Endpoint`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tokens::Tokens;
use super::{ConfigError, Endpoint, IdentityAgent, LocalUser, Resolver};

/// The `keyword value` lines of `ssh -G` that matter here.
#[derive(Default)]
struct Raw<'a> {
    hostname: Option<&'a str>,
    port: Option<&'a str>,
    user: Option<&'a str>,
    identity_files: Vec<&'a str>,
    identities_only: Option<&'a str>,
    identity_agent: Option<&'a str>,
    user_known_hosts: Option<&'a str>,
    global_known_hosts: Option<&'a str>,
    host_key_alias: Option<&'a str>,
    proxy_jump: Option<&'a str>,
    proxy_command: Option<&'a str>,
    connect_timeout: Option<&'a str>,
    server_alive_interval: Option<&'a str>,
}

impl<'a> Raw<'a> {
    fn read(text: &'a str) -> Raw<'a> {
        let mut raw = Raw::default();
        for line in text.lines() {
            let line = line.trim();
            let (keyword, value) = line
                .split_once([' ', '\t'])
                .map_or((line, ""), |(k, v)| (k, v.trim()));
            let slot = match keyword.to_ascii_lowercase().as_str() {
                "identityfile" => {
                    raw.identity_files.push(value);
                    continue;
                }
                "hostname" => &mut raw.hostname,
                "port" => &mut raw.port,
                "user" => &mut raw.user,
                "identitiesonly" => &mut raw.identities_only,
                "identityagent" => &mut raw.identity_agent,
                "userknownhostsfile" => &mut raw.user_known_hosts,
                "globalknownhostsfile" => &mut raw.global_known_hosts,
                "hostkeyalias" => &mut raw.host_key_alias,
                "proxyjump" => &mut raw.proxy_jump,
                "proxycommand" => &mut raw.proxy_command,
                "connecttimeout" => &mut raw.connect_timeout,
                "serveraliveinterval" => &mut raw.server_alive_interval,
                _ => continue,
            };
            // As in ssh_config, the first value wins.
            slot.get_or_insert(value);
        }
        raw
    }
}

/// `value` unless it is empty or `none`.
fn unless_none(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty() && *v != "none")
}

/// The [`Endpoint`] in `text`, what `ssh -G` printed for the inventory's
/// `alias`; `resolved_by` says which `ssh` printed it.
///
/// `ssh -G` prints one lower-case `keyword value` line per setting. Values
/// of `none` (and 0 for the timeouts) mean unset. `~` and the `%` tokens
/// of IdentityFile, IdentityAgent and ProxyCommand are expanded here, as
/// not every OpenSSH version expands them before printing. Known_hosts
/// lists are split at spaces, as `ssh -G` prints them.
pub fn parse_dump<'a>(
    text: &'a str,
    alias: &str,
    local: &LocalUser,
    resolved_by: Resolver,
) -> Result<Endpoint, ConfigError> {
    let raw = Raw::read(text);
    let error = |reason: String| ConfigError::Dump {
        host: alias.to_owned(),
        reason,
    };
    let required = |keyword: &str, value: Option<&'a str>| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| error(format!("no `{keyword}` line")))
    };
    let host = required("hostname", raw.hostname)?.to_ascii_lowercase();
    let port = required("port", raw.port)?;
    let port = match port.parse::<u16>() {
        Ok(port) if port != 0 => port,
        _ => return Err(error(format!("port `{port}` is not a port number"))),
    };
    let user = required("user", raw.user)?.to_owned();
    let host_key_alias = unless_none(raw.host_key_alias).map(str::to_owned);
    let proxy_jump = unless_none(raw.proxy_jump).map(str::to_owned);
    let seconds = |keyword: &str, value: Option<&str>| match unless_none(value) {
        None | Some("0") => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(|s| Some(Duration::from_secs(s)))
            .map_err(|_| error(format!("{keyword} `{v}` is not a number of seconds"))),
    };
    let connect_timeout = seconds("connecttimeout", raw.connect_timeout)?;
    let server_alive_interval = seconds("serveraliveinterval", raw.server_alive_interval)?;

    let tokens = Tokens {
        local,
        alias,
        host: &host,
        port,
        user: &user,
        host_key_alias: host_key_alias.as_deref(),
        proxy_jump: proxy_jump.as_deref(),
    };
    let path = |value: &str| local.expand_tilde(Path::new(&tokens.expand(value)));
    let path_list = |value: Option<&str>| -> Vec<PathBuf> {
        unless_none(value)
            .map(|v| {
                v.split_whitespace()
                    .map(|p| local.expand_tilde(Path::new(p)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let identity_agent = match unless_none(raw.identity_agent) {
        None if raw.identity_agent == Some("none") => IdentityAgent::Disabled,
        None | Some("SSH_AUTH_SOCK" | "$SSH_AUTH_SOCK") => IdentityAgent::Default,
        Some(var) if var.starts_with('$') => match std::env::var_os(&var[1..]) {
            Some(socket) if !socket.is_empty() => IdentityAgent::Socket(socket.into()),
            _ => IdentityAgent::Disabled,
        },
        Some(socket) => IdentityAgent::Socket(path(socket)),
    };
    let identities_only = match raw.identities_only {
        None | Some("no" | "false") => false,
        Some("yes" | "true") => true,
        Some(other) => return Err(error(format!("identitiesonly `{other}` is not yes or no"))),
    };
    Ok(Endpoint {
        alias: alias.to_owned(),
        identity_files: raw.identity_files.iter().map(|f| path(f)).collect(),
        identities_only,
        identity_agent,
        user_known_hosts_files: path_list(raw.user_known_hosts),
        global_known_hosts_files: path_list(raw.global_known_hosts),
        proxy_command: unless_none(raw.proxy_command).map(|c| tokens.expand(c)),
        host,
        port,
        user,
        host_key_alias,
        proxy_jump,
        connect_timeout,
        server_alive_interval,
        resolved_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> LocalUser {
        LocalUser {
            name: "me".into(),
            home: "/home/me".into(),
        }
    }

    fn parse(text: &str) -> Result<Endpoint, ConfigError> {
        parse_dump(text, "pi07", &local(), Resolver::Builtin)
    }

    /// Lines as OpenSSH 9.2 prints them for a host without settings.
    const DEFAULTS: &str = "\
user me
hostname pi07
port 22
identitiesonly no
identityfile ~/.ssh/id_rsa
identityfile ~/.ssh/id_ecdsa
identityfile ~/.ssh/id_ed25519
connecttimeout none
serveraliveinterval 0
globalknownhostsfile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2
userknownhostsfile /home/me/.ssh/known_hosts /home/me/.ssh/known_hosts2
";

    #[test]
    fn defaults() {
        let e = parse(DEFAULTS).unwrap();
        assert_eq!(e.alias, "pi07");
        assert_eq!(
            (e.host.as_str(), e.port, e.user.as_str()),
            ("pi07", 22, "me")
        );
        assert_eq!(
            e.identity_files,
            [
                "/home/me/.ssh/id_rsa",
                "/home/me/.ssh/id_ecdsa",
                "/home/me/.ssh/id_ed25519"
            ]
            .map(PathBuf::from)
        );
        assert!(!e.identities_only);
        assert_eq!(e.identity_agent, IdentityAgent::Default);
        assert_eq!(
            e.known_hosts_files(),
            [
                "/home/me/.ssh/known_hosts",
                "/home/me/.ssh/known_hosts2",
                "/etc/ssh/ssh_known_hosts",
                "/etc/ssh/ssh_known_hosts2"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(
            e.accept_new_file(),
            Some(Path::new("/home/me/.ssh/known_hosts"))
        );
        assert_eq!(e.host_key_name(), "pi07");
        assert_eq!(e.connect_timeout, None);
        assert_eq!(e.server_alive_interval, None);
        assert_eq!(e.proxy_jump, None);
        assert_eq!(e.proxy_command, None);
        assert_eq!(e.host_key_alias, None);
    }

    #[test]
    fn settings_tokens_and_nones() {
        let text = "\
User pi
HostName 10.0.0.7
Port 2222
IdentitiesOnly yes
IdentityFile %d/keys/%n-%r
IdentityFile /second
IdentityAgent ~/agent.sock
UserKnownHostsFile ~/lab_known_hosts
GlobalKnownHostsFile none
HostKeyAlias pi07-key
ProxyJump none
ProxyCommand nc -X connect %h %p
ConnectTimeout 7
ServerAliveInterval 15
Hostname ignored
";
        let e = parse(text).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.user.as_str()),
            ("10.0.0.7", 2222, "pi")
        );
        assert!(e.identities_only);
        assert_eq!(
            e.identity_files,
            ["/home/me/keys/pi07-pi", "/second"].map(PathBuf::from)
        );
        assert_eq!(
            e.identity_agent,
            IdentityAgent::Socket("/home/me/agent.sock".into())
        );
        assert_eq!(
            e.known_hosts_files(),
            [PathBuf::from("/home/me/lab_known_hosts")]
        );
        assert_eq!(e.host_key_name(), "pi07-key");
        assert_eq!(e.proxy_jump, None);
        assert_eq!(
            e.proxy_command.as_deref(),
            Some("nc -X connect 10.0.0.7 2222")
        );
        assert_eq!(e.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(e.server_alive_interval, Some(Duration::from_secs(15)));
    }

    #[test]
    fn agents() {
        let agent = |value: &str| {
            parse(&format!("{DEFAULTS}identityagent {value}\n"))
                .unwrap()
                .identity_agent
        };
        assert_eq!(agent("none"), IdentityAgent::Disabled);
        assert_eq!(agent("SSH_AUTH_SOCK"), IdentityAgent::Default);
        assert_eq!(agent("$SSH_AUTH_SOCK"), IdentityAgent::Default);
        assert_eq!(
            agent("$EDGEBENCH_TEST_SURELY_UNSET_VARIABLE"),
            IdentityAgent::Disabled
        );
        assert_eq!(
            agent("/run/agent"),
            IdentityAgent::Socket("/run/agent".into())
        );
    }

    #[test]
    fn unusable_dumps_are_errors() {
        let without = |keyword: &str| {
            DEFAULTS
                .lines()
                .filter(|l| !l.starts_with(keyword))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for keyword in ["hostname", "port", "user"] {
            let err = parse(&without(keyword)).unwrap_err();
            assert!(
                err.to_string().contains(&format!("no `{keyword}` line")),
                "{err}"
            );
        }
        for (line, reason) in [
            ("port 0", "not a port number"),
            ("port 70000", "not a port number"),
            ("connecttimeout soon", "not a number of seconds"),
            ("identitiesonly maybe", "not yes or no"),
        ] {
            let text = format!("{line}\n{DEFAULTS}");
            let err = parse(&text).unwrap_err();
            assert!(err.to_string().contains(reason), "{line}: {err}");
        }
        assert!(parse("").is_err());
        assert!(parse("\0\0garbage\n\n").is_err());
    }
}
