//! SHA-256 of a stream, as the store and the job name files.

use std::io::Read;

use sha2::{Digest, Sha256};

/// The lower-case hex SHA-256 of everything `reader` yields, and its length.
///
/// # Errors
/// The first read error.
pub fn sha256_hex(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let len = std::io::copy(&mut reader, &mut hasher)?;
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_inputs() {
        let (hex, len) = sha256_hex(&b"abc"[..]).unwrap();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(len, 3);
        // Many read chunks must add up to one digest.
        let big = vec![b'a'; (1 << 20) + 17];
        let (hex, len) = sha256_hex(&big[..]).unwrap();
        let mut h = Sha256::new();
        h.update(&big);
        let direct: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((hex, len), (direct, big.len() as u64));
    }
}
