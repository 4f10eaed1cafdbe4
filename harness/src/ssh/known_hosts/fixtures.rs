//! Keys made once with `ssh-keygen`, and what `ssh-keygen` says of them, so
//! that parsing, matching and fingerprints are tested without it.

/// `ssh-keygen -t ed25519`: the base64 of its `.pub` line.
pub(super) const ED25519_A: &str =
    "AAAAC3NzaC1lZDI1NTE5AAAAICDWxOxqrBl1sOyu2ya4bLUk00t3bycg654OdUIVHZpv";
/// `ssh-keygen -lf` of [`ED25519_A`].
pub(super) const ED25519_A_FP: &str = "SHA256:ISFNZQMbfPkxtJ71w/5PrK+rEs/3mPQn7mmVKdSGwRI";
/// A second ed25519 key.
pub(super) const ED25519_B: &str =
    "AAAAC3NzaC1lZDI1NTE5AAAAIJmpd/lpFaWm9b8wgWMF58DAlUfcZ7y6RgfopNIkr8P5";
/// `ssh-keygen -lf` of [`ED25519_B`].
pub(super) const ED25519_B_FP: &str = "SHA256:9zPkFf94prmDxCjufptO+wLTaMH16E+Jo//lU26w7XA";
/// `ssh-keygen -t ecdsa` (nistp256).
pub(super) const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBD8hQeu24Rg8Y2XJEmTildE3m4sxUT5JN2WYm/iJbC1LFGTVzEI34d36+FUMeI1hsXbkzDeav716EVRDTA5mDQ=";
/// `ssh-keygen -lf` of [`ECDSA`].
pub(super) const ECDSA_FP: &str = "SHA256:U/DZKuH6olXGv3iyoTBGDvNc/ngEhx7bbJjS4MFdUUw";
/// `ssh-keygen -H` of `pi-07.lab` with [`ED25519_A`] and
/// `[10.0.0.7]:2222` with [`ECDSA`].
pub(super) const HASHED: &str = "\
|1|4x934GS+9zN6WdR0v47EbWG/0+0=|K4M9v+wm6s6Vlir+OwYclsIr4IM= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICDWxOxqrBl1sOyu2ya4bLUk00t3bycg654OdUIVHZpv
|1|Lc+2hSOQBOl2f3c7VSdgKB5ouZA=|CYSpxpuQdx9rwljo+BFozKciQ8I= ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBD8hQeu24Rg8Y2XJEmTildE3m4sxUT5JN2WYm/iJbC1LFGTVzEI34d36+FUMeI1hsXbkzDeav716EVRDTA5mDQ=
";

use super::HostKey;

/// The ed25519 key `base64`.
pub(super) fn ed25519(base64: &str) -> HostKey {
    HostKey::from_base64("ssh-ed25519", base64).expect("fixture key")
}

/// The ECDSA key [`ECDSA`].
pub(super) fn ecdsa() -> HostKey {
    HostKey::from_base64("ecdsa-sha2-nistp256", ECDSA).expect("fixture key")
}
