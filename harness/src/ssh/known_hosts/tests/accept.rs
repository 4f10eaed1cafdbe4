//! Adding keys with [`accept_new`], alone and from many threads.

use std::path::Path;

use super::super::fixtures::{ECDSA, ED25519_A, ED25519_B, ed25519};
use super::*;

#[test]
fn accept_new_creates_a_private_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/known_hosts");
    let a = ed25519(ED25519_A);
    assert_eq!(
        accept_new(&path, "pi-07", 2222, &a).unwrap(),
        Accepted::Added
    );
    assert_eq!(
        accept_new(&path, "PI-07", 2222, &a).unwrap(),
        Accepted::AlreadyKnown
    );
    assert_eq!(accept_new(&path, "pi-07", 22, &a).unwrap(), Accepted::Added);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("[pi-07]:2222 ssh-ed25519 {ED25519_A}\npi-07 ssh-ed25519 {ED25519_A}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
    }
}

#[test]
fn accept_new_ends_the_last_line_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    std::fs::write(&path, format!("pi-07 ecdsa-sha2-nistp256 {ECDSA}")).unwrap();
    assert_eq!(
        accept_new(&path, "pi-07", 22, &ed25519(ED25519_A)).unwrap(),
        Accepted::Added
    );
    let known = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
    assert!(known.warnings().is_empty());
    assert_eq!(known.len(), 2);
}

#[test]
fn accept_new_never_takes_a_changed_or_revoked_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let before = format!("pi-07 ssh-ed25519 {ED25519_B}\n@revoked pi-08 ssh-ed25519 {ED25519_A}\n");
    std::fs::write(&path, &before).unwrap();
    let err = accept_new(&path, "pi-07", 22, &ed25519(ED25519_A)).unwrap_err();
    assert!(
        matches!(err, KnownHostsError::Changed { line: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("never accepted"));
    let err = accept_new(&path, "pi-08", 22, &ed25519(ED25519_A)).unwrap_err();
    assert!(
        matches!(err, KnownHostsError::Revoked { line: 2, .. }),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn accept_new_from_many_threads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ssh/known_hosts");
    let barrier = std::sync::Barrier::new(32);
    std::thread::scope(|s| {
        for i in 0..16u8 {
            let (path, barrier) = (&path, &barrier);
            // Sixteen devices, and a second thread for each racing to add
            // the same key.
            for _ in 0..2 {
                s.spawn(move || {
                    barrier.wait();
                    accept_new(path, &format!("10.0.0.{i}"), 2222, &fake_ed25519(i)).unwrap()
                });
            }
        }
    });
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 16, "{text}");
    let known = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
    assert!(known.warnings().is_empty());
    for i in 0..16u8 {
        let check = known.check(&format!("10.0.0.{i}"), 2222, &fake_ed25519(i));
        assert!(
            matches!(check, HostKeyCheck::Trusted { .. }),
            "{i}: {check:?}"
        );
    }
}
