//! Uploading a file over SFTP: in large writes (libssh2 sends SFTP data in
//! 30 000-byte packets, and small writes are slow), with progress, synced
//! on the device before it is trusted.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use ssh2::{OpenFlags, OpenType, Sftp};

use super::error::SshError;
use super::session::SshSession;

/// Bytes per write: a multiple of libssh2's SFTP packet payload.
const CHUNK: usize = 8 * 30_000;

/// An SFTP channel of a session.
pub struct Uploader<'s> {
    session: &'s SshSession,
    sftp: Sftp,
}

impl std::fmt::Debug for Uploader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader").finish_non_exhaustive()
    }
}

impl<'s> Uploader<'s> {
    /// Opens SFTP on `session`.
    ///
    /// # Errors
    /// When the device offers no SFTP subsystem, or the link fails.
    pub fn open(session: &'s SshSession) -> Result<Self, SshError> {
        session.raw().set_blocking(true);
        let sftp = session
            .raw()
            .sftp()
            .map_err(|e| session.error("opening SFTP (is the sftp subsystem enabled?)", e))?;
        Ok(Uploader { session, sftp })
    }

    /// Copies `local` to `remote` (mode 0600), calling `progress` with the
    /// bytes sent after each write, and syncs it. Returns the bytes sent.
    ///
    /// # Errors
    /// A local read error or an SFTP failure.
    pub fn put(
        &self,
        local: &Path,
        remote: &str,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, SshError> {
        let local_err = |source| SshError::Local {
            path: local.display().to_string(),
            source,
        };
        let mut input = File::open(local).map_err(local_err)?;
        let mut file = self
            .sftp
            .open_mode(
                Path::new(remote),
                OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE,
                0o600,
                OpenType::File,
            )
            .map_err(|e| self.session.error(&format!("creating {remote}"), e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut sent = 0u64;
        loop {
            let n = read_full(&mut input, &mut buf).map_err(local_err)?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).map_err(|e| SshError::Lost {
                addr: self.session.addr().to_owned(),
                detail: format!("writing {remote}: {e}"),
            })?;
            sent += n as u64;
            progress(sent);
        }
        // Servers without the fsync extension still have the bytes.
        let _ = file.fsync();
        file.close()
            .map_err(|e| self.session.error(&format!("closing {remote}"), e))?;
        Ok(sent)
    }
}

fn read_full(input: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
