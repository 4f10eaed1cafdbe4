//! [`HostKey`]: a server's public host key as SSH carries it, and the names,
//! lines and fingerprints made from it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

/// The longest key type name accepted in a blob (OpenSSH's longest is 40).
const MAX_TYPE_NAME: usize = 64;

/// A public host key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostKey {
    /// The SSH name of its type: `ssh-ed25519`, `ecdsa-sha2-nistp256`,
    /// `ecdsa-sha2-nistp384`, `ecdsa-sha2-nistp521`, `ssh-rsa`, ...
    pub key_type: String,
    /// The key in SSH wire format, whose first field is `key_type` again:
    /// what libssh2's `Session::host_key()` returns, and what the base64 of
    /// a known_hosts line decodes to.
    pub blob: Vec<u8>,
}

/// Why bytes are not a public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The text is not base64.
    #[error("the key is not valid base64")]
    Base64,
    /// The blob is too short to hold its type name.
    #[error("the key is too short to hold its type name")]
    Truncated,
    /// The type name is empty, too long or not printable ASCII.
    #[error("the key's type name is not a printable name of at most {MAX_TYPE_NAME} bytes")]
    TypeName,
    /// The type named beside the key differs from the key's own.
    #[error("the line names type `{named}` but the key is of type `{actual}`")]
    TypeMismatch {
        /// The type named on the line.
        named: String,
        /// The type inside the blob.
        actual: String,
    },
}

impl HostKey {
    /// The key whose wire-format bytes are `blob`, its type read from them.
    pub fn from_blob(blob: Vec<u8>) -> Result<HostKey, BlobError> {
        let key_type = blob_type(&blob)?.to_owned();
        Ok(HostKey { key_type, blob })
    }

    /// The key written as `base64` beside the type name `named` (the two
    /// fields of a known_hosts or `.pub` line); the names must agree.
    pub fn from_base64(named: &str, base64: &str) -> Result<HostKey, BlobError> {
        let blob = STANDARD.decode(base64).map_err(|_| BlobError::Base64)?;
        let key = HostKey::from_blob(blob)?;
        if key.key_type != named {
            return Err(BlobError::TypeMismatch {
                named: named.to_owned(),
                actual: key.key_type,
            });
        }
        Ok(key)
    }

    /// The blob in base64, as a known_hosts line holds it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.blob)
    }

    /// Its SHA-256 fingerprint; see [`fingerprint`].
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.blob)
    }
}

/// The type name at the start of a wire-format key blob.
fn blob_type(blob: &[u8]) -> Result<&str, BlobError> {
    let (len, rest) = blob.split_first_chunk::<4>().ok_or(BlobError::Truncated)?;
    let len = u32::from_be_bytes(*len) as usize;
    if len == 0 || len > MAX_TYPE_NAME {
        return Err(BlobError::TypeName);
    }
    let name = rest.get(..len).ok_or(BlobError::Truncated)?;
    if !name.iter().all(|b| b.is_ascii_graphic()) {
        return Err(BlobError::TypeName);
    }
    std::str::from_utf8(name).map_err(|_| BlobError::TypeName)
}

/// The SHA-256 fingerprint of a wire-format key blob, written as
/// `ssh-keygen -lf` and OpenSSH's messages write it:
/// `SHA256:<base64 of the digest, unpadded>`.
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The name under which known_hosts records `host` on `port`, as OpenSSH
/// writes it: `host` on port 22, `[host]:port` on any other, in lower case.
pub fn entry_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    // OpenSSH's put_host_port(): port 0 also means the default.
    if port == 22 || port == 0 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// The known_hosts line that trusts `key` for `host` on `port`, without a
/// newline: `[host]:port type base64` (`host type base64` on port 22).
pub fn entry_line(host: &str, port: u16, key: &HostKey) -> String {
    format!(
        "{} {} {}",
        entry_name(host, port),
        key.key_type,
        key.to_base64()
    )
}

/// The comma list to hand libssh2 as its host-key method preference
/// (`Session::method_pref(MethodType::HostKey, ..)`) before the handshake,
/// for the key types known_hosts records for a host
/// ([`KnownHosts::key_types`](super::KnownHosts::key_types)), so that the
/// device is asked for a key that can be checked.
///
/// A key type names a signature algorithm of the same name, except
/// `ssh-rsa`: an RSA key is asked for as `rsa-sha2-512,rsa-sha2-256`, the
/// algorithms that sign with it, because the SHA-1 `ssh-rsa` signature is
/// not built into libssh2. Duplicates are dropped, order is kept. libssh2
/// drops names it does not support and fails when none is left; an empty
/// list (no entry for the host) means "leave libssh2's default".
pub fn host_key_algorithms<S: AsRef<str>>(key_types: &[S]) -> String {
    let mut algorithms: Vec<&str> = Vec::new();
    for key_type in key_types {
        let names: &[&str] = match key_type.as_ref() {
            "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256"],
            other => &[other],
        };
        for name in names {
            if !algorithms.contains(name) {
                algorithms.push(name);
            }
        }
    }
    algorithms.join(",")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::ED25519_B;
    use super::super::fixtures::{ECDSA, ECDSA_FP, ED25519_A, ED25519_A_FP, ED25519_B_FP, ed25519};
    use super::*;

    #[test]
    fn blob_type_is_read_from_the_key() {
        let key = ed25519(ED25519_A);
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(key.blob.len(), 51);
        assert_eq!(key.to_base64(), ED25519_A);
        assert_eq!(
            HostKey::from_base64("ssh-rsa", ED25519_A),
            Err(BlobError::TypeMismatch {
                named: "ssh-rsa".into(),
                actual: "ssh-ed25519".into()
            })
        );
        let ecdsa = HostKey::from_base64("ecdsa-sha2-nistp256", ECDSA).unwrap();
        assert_eq!(HostKey::from_blob(ecdsa.blob.clone()), Ok(ecdsa));
    }

    #[test]
    fn bad_blobs_are_errors() {
        assert_eq!(HostKey::from_base64("x", "%%%"), Err(BlobError::Base64));
        assert_eq!(HostKey::from_blob(vec![0, 0]), Err(BlobError::Truncated));
        assert_eq!(
            HostKey::from_blob(vec![0, 0, 0, 9, b'a']),
            Err(BlobError::Truncated)
        );
        assert_eq!(
            HostKey::from_blob(vec![0, 0, 0, 0]),
            Err(BlobError::TypeName)
        );
        assert_eq!(
            HostKey::from_blob(vec![0xff, 0xff, 0xff, 0xff]),
            Err(BlobError::TypeName)
        );
        assert_eq!(
            HostKey::from_blob(vec![0, 0, 0, 2, b'a', b' ']),
            Err(BlobError::TypeName)
        );
    }

    #[test]
    fn fingerprints_match_ssh_keygen() {
        assert_eq!(ed25519(ED25519_A).fingerprint(), ED25519_A_FP);
        assert_eq!(ed25519(ED25519_B).fingerprint(), ED25519_B_FP);
        let ecdsa = HostKey::from_base64("ecdsa-sha2-nistp256", ECDSA).unwrap();
        assert_eq!(fingerprint(&ecdsa.blob), ECDSA_FP);
    }

    #[test]
    fn entry_names_follow_openssh() {
        assert_eq!(entry_name("Pi-07.Lab", 22), "pi-07.lab");
        assert_eq!(entry_name("10.0.0.7", 2222), "[10.0.0.7]:2222");
        assert_eq!(entry_name("::1", 22), "::1");
        assert_eq!(
            entry_line("h", 2200, &ed25519(ED25519_A)),
            format!("[h]:2200 ssh-ed25519 {ED25519_A}")
        );
        assert_eq!(
            entry_line("h", 22, &ed25519(ED25519_A)),
            format!("h ssh-ed25519 {ED25519_A}")
        );
    }

    #[test]
    fn rsa_entries_ask_for_sha2_signatures() {
        assert_eq!(
            host_key_algorithms(&["ecdsa-sha2-nistp256", "ssh-rsa", "ssh-ed25519", "ssh-rsa"]),
            "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-ed25519"
        );
        assert_eq!(host_key_algorithms::<&str>(&[]), "");
    }
}
