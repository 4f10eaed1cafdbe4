//! A content-addressed object directory on the device. The controller
//! uploads the agent binary and model files into `DIR/.tmp/`; [`commit`]
//! moves each to `DIR/<sha256>` once its bytes hash to that name, so a file
//! in the store is always the file its name says.
//!
//! A store directory holds:
//! - `<sha256>`: an object, named by the lower-case hex SHA-256 of its
//!   bytes;
//! - `<sha256>.ok`: its marker, the object's size, mtime and inode when it
//!   was last hashed: an unchanged object is trusted without hashing it
//!   again (a model is gigabytes). The marker's own mtime is the object's
//!   last use;
//! - `.tmp/`: uploads in progress.
//!
//! Every name is checked to be a SHA-256 before it becomes a path, so no
//! argument reaches outside the directory, and a directory anyone may
//! write to without the sticky bit is refused.

mod clean;
mod commit;
mod digest;
mod directory;
mod error;
mod fs_util;
mod list;
mod marker;
mod object_id;
#[cfg(test)]
mod tests;
mod verify;

pub use clean::{CleanOptions, CleanReport, Removed, clean};
pub use commit::{Committed, commit};
pub use digest::sha256_hex;
pub use directory::{ObjectStore, trusted_size};
pub use error::StoreError;
pub use list::{Listing, ObjectEntry, PartialEntry, list};
pub use object_id::ObjectId;
pub use verify::{VerifyReport, verify};

/// Partial uploads older than this are removed by [`clean`], seconds.
pub const PARTIAL_MAX_AGE_SECONDS: u64 = 3600;
