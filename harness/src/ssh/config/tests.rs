//! Resolution for real, by the installed `ssh -G` on a config file made
//! here, and by the builtin fallback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// The installed `ssh`, or `None` (the test then checks nothing more).
fn ssh() -> Option<PathBuf> {
    let found = find_ssh();
    if found.is_none() {
        eprintln!("ssh is not installed; skipped");
    }
    found
}

/// A config file with an alias, patterns, `Match`, an `Include`, and a
/// known_hosts file of its own, in `dir`.
fn lab_config(dir: &Path) -> PathBuf {
    let d = dir.display();
    std::fs::create_dir(dir.join("lab.d")).unwrap();
    std::fs::write(
        dir.join("lab.d/inc.conf"),
        "Host inc-host\n    HostName Included.Example\n    Port 2222\n    User inc\n",
    )
    .unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "Include {d}/lab.d/*.conf

Host lab-a
    HostName 10.203.0.11
    IdentityFile ~/keys/lab_a
    IdentitiesOnly yes
    ProxyJump bastion

Host dev-* !dev-skip
    User pi
    Port 2201

Match host 10.203.0.11
    ServerAliveInterval 15
    HostKeyAlias lab-a-key

Host *
    ConnectTimeout 7
    UserKnownHostsFile {d}/known_hosts
"
        ),
    )
    .unwrap();
    config
}

fn request(host: &str, config: &Path) -> Request {
    Request {
        config_file: Some(config.to_owned()),
        ..Request::new(host)
    }
}

#[test]
fn an_alias_with_match_and_jump() {
    let Some(program) = ssh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = lab_config(dir.path());
    let local = LocalUser::current().unwrap();
    let e = resolve_with_ssh(&request("lab-a", &config), &program).unwrap();
    assert_eq!(e.alias, "lab-a");
    assert_eq!((e.host.as_str(), e.port), ("10.203.0.11", 22));
    assert_eq!(e.user, local.name);
    assert_eq!(e.identity_files, [local.home.join("keys/lab_a")]);
    assert!(e.identities_only);
    assert_eq!(e.proxy_jump.as_deref(), Some("bastion"));
    assert_eq!(e.proxy_command, None);
    assert_eq!(e.server_alive_interval, Some(Duration::from_secs(15)));
    assert_eq!(e.host_key_name(), "lab-a-key");
    assert_eq!(e.connect_timeout, Some(Duration::from_secs(7)));
    assert_eq!(e.user_known_hosts_files, [dir.path().join("known_hosts")]);
    assert_eq!(
        e.accept_new_file(),
        Some(dir.path().join("known_hosts").as_path())
    );
    assert_eq!(e.resolved_by, Resolver::Ssh { program });
}

#[test]
fn host_patterns_negations_and_includes() {
    let Some(program) = ssh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = lab_config(dir.path());
    let local = LocalUser::current().unwrap();

    let e = resolve_with_ssh(&request("dev-7", &config), &program).unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.user.as_str()),
        ("dev-7", 2201, "pi")
    );
    assert!(
        e.identity_files
            .contains(&local.home.join(".ssh/id_ed25519"))
    );
    assert!(!e.identities_only);
    assert_eq!(e.server_alive_interval, None);
    assert_eq!(e.host_key_alias, None);

    let e = resolve_with_ssh(&request("dev-skip", &config), &program).unwrap();
    assert_eq!((e.port, e.user.as_str()), (22, local.name.as_str()));

    let e = resolve_with_ssh(&request("inc-host", &config), &program).unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.user.as_str()),
        ("included.example", 2222, "inc")
    );
}

#[test]
fn inventory_fields_win_over_the_config() {
    let Some(program) = ssh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = lab_config(dir.path());
    let key = dir.path().join("id_inventory");
    std::fs::write(&key, "").unwrap();
    let e = resolve_with_ssh(
        &Request {
            port: Some(2300),
            user: Some("bob".into()),
            identity_file: Some(key.clone()),
            proxy_jump: Some("other-jump".into()),
            ..request("dev-7", &config)
        },
        &program,
    )
    .unwrap();
    assert_eq!((e.port, e.user.as_str()), (2300, "bob"));
    assert_eq!(e.identity_files.first(), Some(&key));
    assert_eq!(e.proxy_jump.as_deref(), Some("other-jump"));

    let e = resolve_with_ssh(
        &Request {
            port: Some(2400),
            ..request("lab-a", &config)
        },
        &program,
    )
    .unwrap();
    assert_eq!(e.port, 2400);
    assert_eq!(e.proxy_jump.as_deref(), Some("bastion"));
}

#[test]
fn ssh_failures_carry_its_stderr() {
    let Some(program) = ssh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-config");
    let err = resolve_with_ssh(&request("pi07", &missing), &program).unwrap_err();
    let ConfigError::Failed {
        stderr, command, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert!(stderr.contains(&missing.display().to_string()), "{err}");
    assert!(command.contains(" -G -F "), "{command}");

    let bad = dir.path().join("bad");
    std::fs::write(&bad, "Host *\n    Port many\n").unwrap();
    let err = resolve_with_ssh(&request("pi07", &bad), &program).unwrap_err();
    assert!(err.to_string().contains("many"), "{err}");
}

#[test]
fn inventory_paths_expand_the_home_directory() {
    let local = LocalUser::current().unwrap();
    let request = Request {
        identity_file: Some("~/edgebench-surely-missing-key".into()),
        ..Request::new("pi07")
    };
    let err = resolve(&request).unwrap_err();
    let ConfigError::IdentityFile { path, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*path, local.home.join("edgebench-surely-missing-key"));

    let request = Request {
        config_file: Some("~/edgebench-surely-missing-config".into()),
        ..Request::new("pi07")
    };
    let err = resolve(&request).unwrap_err();
    let expanded = local.home.join("edgebench-surely-missing-config");
    assert!(
        err.to_string().contains(&expanded.display().to_string()),
        "{err}"
    );
}

#[test]
fn resolve_prefers_ssh() {
    let dir = tempfile::tempdir().unwrap();
    let config = lab_config(dir.path());
    let e = resolve(&request("inc-host", &config));
    match ssh() {
        Some(program) => assert_eq!(e.unwrap().resolved_by, Resolver::Ssh { program }),
        None => assert!(matches!(e, Err(ConfigError::NeedsSsh { .. }))),
    }
}

#[test]
fn builtin_uses_the_inventory_and_openssh_defaults() {
    let local = LocalUser::current().unwrap();
    let e = resolve_builtin(&Request::new("Pi07.Lab")).unwrap();
    assert_eq!(e.alias, "Pi07.Lab");
    assert_eq!((e.host.as_str(), e.port), ("pi07.lab", 22));
    assert_eq!(e.user, local.name);
    assert_eq!(
        e.identity_files,
        ["id_ed25519", "id_ecdsa", "id_rsa"].map(|f| local.home.join(".ssh").join(f))
    );
    assert_eq!(
        e.known_hosts_files(),
        [
            local.home.join(".ssh/known_hosts"),
            local.home.join(".ssh/known_hosts2"),
            "/etc/ssh/ssh_known_hosts".into(),
            "/etc/ssh/ssh_known_hosts2".into(),
        ]
    );
    assert_eq!(e.identity_agent, IdentityAgent::Default);
    assert_eq!(e.resolved_by, Resolver::Builtin);

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id");
    std::fs::write(&key, "").unwrap();
    let e = resolve_builtin(&Request {
        port: Some(2222),
        user: Some("pi".into()),
        identity_file: Some(key.clone()),
        proxy_jump: Some("bastion".into()),
        ..Request::new("10.0.0.7")
    })
    .unwrap();
    assert_eq!((e.port, e.user.as_str()), (2222, "pi"));
    assert_eq!(e.identity_files, [key]);
    assert_eq!(e.proxy_jump.as_deref(), Some("bastion"));

    let err = resolve_builtin(&request("pi07", Path::new("/etc/lab_config"))).unwrap_err();
    assert!(matches!(err, ConfigError::NeedsSsh { .. }), "{err}");
}

#[test]
fn bad_requests_are_refused_before_running_anything() {
    for request in [
        Request::new(""),
        Request::new("pi 07"),
        Request::new("pi07\n"),
        Request {
            port: Some(0),
            ..Request::new("pi07")
        },
        Request {
            user: Some("a b".into()),
            ..Request::new("pi07")
        },
    ] {
        let err = resolve_builtin(&request).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidRequest { .. }), "{err}");
        let err = resolve_with_ssh(&request, Path::new("/nonexistent/ssh")).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidRequest { .. }), "{err}");
    }
}
