//! Matching, verdicts, messages and accept-new, on fixture lines and on
//! files that OpenSSH's own `ssh-keygen` made and reads back.

mod accept;
mod files;
mod openssh;
mod verdicts;

use std::path::Path;

use super::*;

pub(super) fn parse(text: &str) -> KnownHosts {
    KnownHosts::parse(Path::new("kh"), text.as_bytes())
}

pub(super) fn trusted(line: usize) -> HostKeyCheck {
    HostKeyCheck::Trusted {
        file: "kh".into(),
        line,
    }
}

pub(super) fn unknown(other_types: &[&str]) -> HostKeyCheck {
    HostKeyCheck::Unknown {
        other_types: other_types.iter().map(|t| t.to_string()).collect(),
    }
}

/// An ed25519 key whose 32 key bytes are all `byte`.
pub(super) fn fake_ed25519(byte: u8) -> HostKey {
    let mut blob = Vec::new();
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend_from_slice(&[byte; 32]);
    HostKey::from_blob(blob).unwrap()
}
