//! Keys and files made by `ssh-keygen`, and files it reads back.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// Runs `ssh-keygen` with `args`: its stdout, or `None` when it is not
/// installed (the test then checks nothing more).
fn ssh_keygen(args: &[&str]) -> Option<String> {
    match Command::new("ssh-keygen").args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "ssh-keygen {args:?}: {out:?}");
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("ssh-keygen is not installed; skipped");
            None
        }
        Err(e) => panic!("ssh-keygen: {e}"),
    }
}

/// A new key pair of `key_type` in `dir`: the public key and its
/// fingerprint as `ssh-keygen -lf` prints it.
fn new_key(dir: &Path, name: &str, key_type: &str) -> Option<(HostKey, String)> {
    let path = dir.join(name);
    let path = path.to_str().unwrap();
    ssh_keygen(&["-q", "-t", key_type, "-N", "", "-C", "", "-f", path])?;
    let public = std::fs::read_to_string(format!("{path}.pub")).unwrap();
    let mut fields = public.split_whitespace();
    let key = HostKey::from_base64(fields.next().unwrap(), fields.next().unwrap()).unwrap();
    let listed = ssh_keygen(&["-l", "-f", &format!("{path}.pub")])?;
    let fingerprint = listed.split_whitespace().nth(1).unwrap().to_owned();
    Some((key, fingerprint))
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn real_keys_fingerprints_and_hashed_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some((ed, ed_fp)) = new_key(dir.path(), "ed", "ed25519") else {
        return;
    };
    let Some((ec, ec_fp)) = new_key(dir.path(), "ec", "ecdsa") else {
        return;
    };
    let Some((rsa, rsa_fp)) = new_key(dir.path(), "rsa", "rsa") else {
        return;
    };
    assert_eq!(ed.fingerprint(), ed_fp);
    assert_eq!(ec.fingerprint(), ec_fp);
    assert_eq!(rsa.fingerprint(), rsa_fp);
    assert_eq!(ec.key_type, "ecdsa-sha2-nistp256");

    let path = dir.path().join("known_hosts");
    write_lines(
        &path,
        &[
            entry_line("pi-07.lab", 22, &ed),
            entry_line("10.0.0.7", 2222, &ec),
            entry_line("10.0.0.7", 2222, &rsa),
        ],
    );
    ssh_keygen(&["-H", "-f", path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("pi-07") && !text.contains("10.0.0.7"),
        "{text}"
    );
    let known = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
    assert!(known.warnings().is_empty(), "{:?}", known.warnings());
    assert!(matches!(
        known.check("pi-07.lab", 22, &ed),
        HostKeyCheck::Trusted { line: 1, .. }
    ));
    assert!(matches!(
        known.check("10.0.0.7", 2222, &rsa),
        HostKeyCheck::Trusted { line: 3, .. }
    ));
    assert_eq!(
        known.check("10.0.0.7", 2222, &ed),
        HostKeyCheck::Unknown {
            other_types: vec!["ecdsa-sha2-nistp256".into(), "ssh-rsa".into()]
        }
    );
    assert_eq!(
        host_key_algorithms(&known.key_types("10.0.0.7", 2222)),
        "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256"
    );
}

#[test]
fn ssh_keygen_finds_what_accept_new_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let Some((key, _)) = new_key(dir.path(), "ed", "ed25519") else {
        return;
    };
    let path: PathBuf = dir.path().join("known_hosts");
    accept_new(&path, "10.0.0.9", 2201, &key).unwrap();
    let found = ssh_keygen(&["-F", "[10.0.0.9]:2201", "-f", path.to_str().unwrap()]).unwrap();
    assert!(found.contains(&key.to_base64()), "{found}");
}
