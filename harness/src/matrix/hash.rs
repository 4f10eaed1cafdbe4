//! SHA-256 of files (streamed) and bytes, as lower-case hex.

use std::fs::File;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file's contents, in hex, reading it in 1 MiB chunks.
///
/// # Errors
/// The I/O error opening or reading the file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    // The agent's hash, so controller and device agree by construction.
    edgebench_targets::agent::sha256_hex(File::open(path)?).map(|(hex, _)| hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
