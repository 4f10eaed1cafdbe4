//! Reading files, and the messages that name them.

use std::path::Path;

use super::super::fixtures::{ECDSA, ECDSA_FP, ED25519_A, ED25519_A_FP, ED25519_B, ED25519_B_FP};
use super::super::fixtures::{ecdsa, ed25519};
use super::*;

#[test]
fn load_reads_files_in_order_and_skips_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("known_hosts");
    let global = dir.path().join("ssh_known_hosts");
    std::fs::write(&user, format!("pi-07 ecdsa-sha2-nistp256 {ECDSA}\n")).unwrap();
    std::fs::write(&global, format!("\npi-07 ssh-ed25519 {ED25519_A}\n")).unwrap();
    let files = [user.clone(), dir.path().join("missing"), global.clone()];
    let known = KnownHosts::load(&files).unwrap();
    assert_eq!(known.files(), files);
    assert_eq!(
        known.check("pi-07", 22, &ed25519(ED25519_A)),
        HostKeyCheck::Trusted {
            file: global,
            line: 2
        }
    );
    assert_eq!(
        known.key_types("pi-07", 22),
        ["ecdsa-sha2-nistp256", "ssh-ed25519"]
    );
}

#[test]
fn unreadable_and_huge_files_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let err = KnownHosts::load(&[dir.path().to_owned()]).unwrap_err();
    assert!(matches!(err, KnownHostsError::Io { ref path, .. } if path == dir.path()));
    assert!(err.to_string().contains(&dir.path().display().to_string()));

    let huge = dir.path().join("huge");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    let err = KnownHosts::load(std::slice::from_ref(&huge)).unwrap_err();
    assert!(matches!(err, KnownHostsError::TooLarge { ref path, .. } if *path == huge));
}

#[test]
fn unknown_key_message_gives_the_line_to_add() {
    let known = parse(&format!("[pi-07]:2222 ecdsa-sha2-nistp256 {ECDSA}\n"));
    let err = known
        .verify(
            "pi07",
            "pi-07",
            2222,
            &ed25519(ED25519_A),
            Path::new("/home/u/.ssh/known_hosts"),
        )
        .unwrap_err();
    assert!(matches!(*err, HostKeyError::Unknown { .. }));
    let text = err.to_string();
    for part in [
        "the host key of device `pi07` (pi-07:2222) is not known",
        &format!("ssh-ed25519 key {ED25519_A_FP}"),
        "checked kh",
        "holds ecdsa-sha2-nistp256 for `[pi-07]:2222`",
        "add this line to /home/u/.ssh/known_hosts:",
        &format!("\n    [pi-07]:2222 ssh-ed25519 {ED25519_A}\n"),
        "or run again with --accept-new-host-keys",
    ] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }
    let text = parse("")
        .verify("pi07", "pi-07", 22, &ecdsa(), Path::new("kh"))
        .unwrap_err()
        .to_string();
    assert!(text.contains(&format!("\n    pi-07 ecdsa-sha2-nistp256 {ECDSA}\n")));
    assert!(text.contains("ssh_host_ecdsa_key.pub"));
    assert!(!text.contains("known_hosts holds"), "{text}");
}

#[test]
fn changed_key_message_names_the_old_entry() {
    let known = parse(&format!("[10.0.0.7]:2222 ssh-ed25519 {ED25519_B}\n"));
    let err = known
        .verify(
            "pi07",
            "10.0.0.7",
            2222,
            &ed25519(ED25519_A),
            Path::new("kh"),
        )
        .unwrap_err();
    let text = err.to_string();
    for part in [
        "the host key of device `pi07` (10.0.0.7:2222) has CHANGED",
        &format!("offered an ssh-ed25519 key {ED25519_A_FP}"),
        &format!("known_hosts kh:1 holds a different ssh-ed25519 key {ED25519_B_FP}"),
        "this could be an attack",
        "`ssh-keygen -R '[10.0.0.7]:2222' -f kh`",
        "a changed key is never accepted, not even with --accept-new-host-keys",
    ] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }
}

#[test]
fn revoked_key_message_names_the_line() {
    let known = parse(&format!("\n@revoked pi-07 ecdsa-sha2-nistp256 {ECDSA}\n"));
    let text = known
        .verify("pi07", "pi-07", 22, &ecdsa(), Path::new("kh"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("(pi-07:22) is REVOKED"), "{text}");
    assert!(text.contains(&format!(
        "key {ECDSA_FP}, which known_hosts kh:2 marks @revoked"
    )));
    assert!(
        known
            .verify("pi07", "pi-08", 22, &ecdsa(), Path::new("kh"))
            .is_err()
    );
}
