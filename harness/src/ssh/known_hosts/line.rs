//! One line of a known_hosts file: `[@marker] hosts type base64 [comment]`.

use super::HostKey;
use super::pattern::Hosts;

/// What a line's leading `@` marker says about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    /// No marker: the key is a host key of the hosts.
    None,
    /// `@revoked`: the key must not be accepted for the hosts.
    Revoked,
    /// `@cert-authority`: the key signs host certificates; not a host key.
    CertAuthority,
}

/// A usable known_hosts line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// Its marker.
    pub marker: Marker,
    /// The hosts it is for.
    pub hosts: Hosts,
    /// The key.
    pub key: HostKey,
}

/// Reads one line (without its newline): `Ok(None)` for a blank line or a
/// comment, else the entry or why it is unusable.
pub(super) fn parse_line(text: &str) -> Result<Option<Line>, String> {
    let text = text.trim_matches([' ', '\t', '\r']);
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let mut fields = text.split([' ', '\t']).filter(|f| !f.is_empty());
    let mut next = |what: &str| {
        fields
            .next()
            .ok_or_else(|| format!("the line ends before its {what}"))
    };
    let mut hosts = next("host names")?;
    let marker = match hosts {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        other if other.starts_with('@') => return Err(format!("unknown marker `{other}`")),
        _ => Marker::None,
    };
    if marker != Marker::None {
        hosts = next("host names")?;
    }
    let hosts = Hosts::parse(hosts)?;
    let key_type = next("key type")?;
    if key_type.bytes().all(|b| b.is_ascii_digit()) {
        return Err("SSH-1 RSA keys (`bits exponent modulus`) are not supported".into());
    }
    let key = HostKey::from_base64(key_type, next("key")?).map_err(|e| e.to_string())?;
    Ok(Some(Line { marker, hosts, key }))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ECDSA, ED25519_A, ed25519};
    use super::*;

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        for text in [
            "",
            "   ",
            "\t\r",
            "# pi-07 ssh-ed25519 AAAA",
            "  # indented",
        ] {
            assert_eq!(parse_line(text), Ok(None), "{text:?}");
        }
    }

    #[test]
    fn entries_with_markers_and_comments() {
        let line = parse_line(&format!(
            "pi-07,10.0.0.7 ssh-ed25519 {ED25519_A} root@pi-07"
        ))
        .unwrap()
        .unwrap();
        assert_eq!(line.marker, Marker::None);
        assert_eq!(line.hosts, Hosts::Patterns("pi-07,10.0.0.7".into()));
        assert_eq!(line.key, ed25519(ED25519_A));

        let line = parse_line(&format!("\t@revoked  *.lab\tssh-ed25519 {ED25519_A}\r"))
            .unwrap()
            .unwrap();
        assert_eq!(line.marker, Marker::Revoked);
        assert_eq!(line.hosts, Hosts::Patterns("*.lab".into()));

        let line = parse_line(&format!(
            "@cert-authority *.lab ecdsa-sha2-nistp256 {ECDSA}"
        ))
        .unwrap()
        .unwrap();
        assert_eq!(line.marker, Marker::CertAuthority);
    }

    #[test]
    fn malformed_lines_say_why() {
        let cases = [
            ("pi-07", "ends before its key type"),
            ("pi-07 ssh-ed25519", "ends before its key"),
            ("@revoked", "ends before its host names"),
            (
                "@trusted pi-07 ssh-ed25519 AAAA",
                "unknown marker `@trusted`",
            ),
            ("pi-07 2048 35 1234", "SSH-1"),
            ("pi-07 ssh-ed25519 !!!!", "not valid base64"),
            (
                &format!("pi-07 ssh-rsa {ED25519_A}"),
                "key is of type `ssh-ed25519`",
            ),
            ("|1|x|y ssh-ed25519 AAAA", "hashed host name"),
        ];
        for (text, reason) in cases {
            let err = parse_line(text).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
