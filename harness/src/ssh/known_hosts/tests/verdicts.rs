//! Which entries match a host, and the verdict on a key.

use std::path::Path;

use super::super::fixtures::{ECDSA, ED25519_A, ED25519_B, HASHED, ecdsa, ed25519};
use super::*;

#[test]
fn plain_names_match_on_port_22_only() {
    let known = parse(&format!("pi-07.lab ssh-ed25519 {ED25519_A}\n"));
    let a = ed25519(ED25519_A);
    assert_eq!(known.check("pi-07.lab", 22, &a), trusted(1));
    assert_eq!(known.check("PI-07.Lab", 22, &a), trusted(1));
    assert_eq!(known.check("pi-07.lab", 2222, &a), unknown(&[]));
    assert_eq!(known.check("pi-08.lab", 22, &a), unknown(&[]));
}

#[test]
fn bracketed_names_match_their_port_only() {
    let known = parse(&format!("[10.0.0.7]:2222 ssh-ed25519 {ED25519_A}\n"));
    let a = ed25519(ED25519_A);
    assert_eq!(known.check("10.0.0.7", 2222, &a), trusted(1));
    // No fallback from `[host]:port` to `host`, nor back.
    assert_eq!(known.check("10.0.0.7", 22, &a), unknown(&[]));
    assert_eq!(known.check("10.0.0.7", 2223, &a), unknown(&[]));
    let known = parse(&format!("10.0.0.7 ssh-ed25519 {ED25519_A}\n"));
    assert_eq!(known.check("10.0.0.7", 2222, &a), unknown(&[]));
}

#[test]
fn hashed_names_match() {
    let known = parse(HASHED);
    assert_eq!(
        known.check("pi-07.lab", 22, &ed25519(ED25519_A)),
        trusted(1)
    );
    assert_eq!(known.check("10.0.0.7", 2222, &ecdsa()), trusted(2));
    assert_eq!(known.key_types("10.0.0.7", 2222), ["ecdsa-sha2-nistp256"]);
    assert_eq!(known.key_types("10.0.0.7", 22), Vec::<String>::new());
}

#[test]
fn wildcards_and_negations() {
    let known = parse(&format!(
        "pi-*.lab,!pi-13.lab ssh-ed25519 {ED25519_A}\n[10.0.0.?]:2222 ssh-ed25519 {ED25519_A}\n"
    ));
    let a = ed25519(ED25519_A);
    assert_eq!(known.check("pi-07.lab", 22, &a), trusted(1));
    assert_eq!(known.check("pi-13.lab", 22, &a), unknown(&[]));
    assert_eq!(known.check("10.0.0.5", 2222, &a), trusted(2));
    assert_eq!(known.check("10.0.0.15", 2222, &a), unknown(&[]));
}

#[test]
fn revoked_keys_lose_even_to_a_trusting_entry() {
    let known = parse(&format!(
        "pi-07 ssh-ed25519 {ED25519_A}\n@revoked pi-0? ssh-ed25519 {ED25519_A}\n\
         pi-07,pi-20 ecdsa-sha2-nistp256 {ECDSA}\npi-20 ssh-ed25519 {ED25519_A}\n"
    ));
    let a = ed25519(ED25519_A);
    let revoked = HostKeyCheck::Revoked {
        file: "kh".into(),
        line: 2,
    };
    assert_eq!(known.check("pi-07", 22, &a), revoked);
    assert_eq!(known.key_types("pi-07", 22), ["ecdsa-sha2-nistp256"]);
    // Revoked for the hosts of the `@revoked` line only.
    assert_eq!(known.check("pi-20", 22, &a), trusted(4));
    assert_eq!(
        known.key_types("pi-20", 22),
        ["ecdsa-sha2-nistp256", "ssh-ed25519"]
    );
}

#[test]
fn cert_authorities_are_not_host_keys() {
    let known = parse(&format!("@cert-authority *.lab ssh-ed25519 {ED25519_A}\n"));
    assert_eq!(known.len(), 1);
    assert_eq!(known.check("pi.lab", 22, &ed25519(ED25519_A)), unknown(&[]));
    assert!(known.key_types("pi.lab", 22).is_empty());
}

#[test]
fn another_key_type_is_unknown_not_changed() {
    let known = parse(&format!("pi-07 ecdsa-sha2-nistp256 {ECDSA}\n"));
    assert_eq!(
        known.check("pi-07", 22, &ed25519(ED25519_A)),
        unknown(&["ecdsa-sha2-nistp256"])
    );
}

#[test]
fn same_type_other_key_is_changed() {
    let known = parse(&format!(
        "# lab\npi-07 ecdsa-sha2-nistp256 {ECDSA}\npi-07 ssh-ed25519 {ED25519_B}\n\
         pi-07 ssh-ed25519 {ED25519_B}\n"
    ));
    assert_eq!(
        known.check("pi-07", 22, &ed25519(ED25519_A)),
        HostKeyCheck::Changed {
            file: "kh".into(),
            line: 3,
            known: ed25519(ED25519_B),
        }
    );
    // A later entry holding the offered key wins, as in OpenSSH.
    let known = parse(&format!(
        "pi-07 ssh-ed25519 {ED25519_B}\npi-07 ssh-ed25519 {ED25519_A}\n"
    ));
    assert_eq!(known.check("pi-07", 22, &ed25519(ED25519_A)), trusted(2));
}

#[test]
fn key_types_are_deduplicated_in_file_order() {
    let known = parse(&format!(
        "pi-07 ssh-ed25519 {ED25519_B}\n* ecdsa-sha2-nistp256 {ECDSA}\n\
         pi-07 ssh-ed25519 {ED25519_A}\n"
    ));
    let types = known.key_types("pi-07", 22);
    assert_eq!(types, ["ssh-ed25519", "ecdsa-sha2-nistp256"]);
    assert_eq!(
        host_key_algorithms(&types),
        "ssh-ed25519,ecdsa-sha2-nistp256"
    );
}

#[test]
fn malformed_lines_are_warnings() {
    let mut text = format!(
        "pi-07\n@bogus pi-07 ssh-ed25519 {ED25519_A}\npi-07 ssh-ed25519 ***\n\
         |1|abc|def ssh-ed25519 {ED25519_A}\n\0\0\0\npi-07 ssh-ed25519 {ED25519_A}\n"
    )
    .into_bytes();
    text.extend_from_slice(b"pi-08 ssh-ed25519 \xff\xfe\n");
    let known = KnownHosts::parse(Path::new("kh"), &text);
    let lines: Vec<usize> = known.warnings().iter().map(|w| w.line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5, 7]);
    assert!(
        known.warnings()[1]
            .to_string()
            .starts_with("kh:2: unknown marker")
    );
    assert_eq!(known.check("pi-07", 22, &ed25519(ED25519_A)), trusted(6));
}
