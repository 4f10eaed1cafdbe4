//! The device lock: one agent measures a device at a time, whichever
//! controller (or user) started it. Every agent on the device names the
//! same file; an exclusive `flock` on it is held until the process exits,
//! so a crash or a kill releases it too.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a held lock is tried again.
const POLL: Duration = Duration::from_millis(100);

/// Why the device lock was not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// The lock file can be neither created nor opened.
    #[error("cannot open the device lock '{path}': {source}")]
    Open {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Locking failed for another reason than a holder.
    #[error("cannot lock '{path}': {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Another process held the lock for the whole wait.
    #[error(
        "device busy: another edgebench agent{} holds {}; waited {} s",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        path.display(),
        waited.as_secs_f64()
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid, as it wrote it, when that process exists.
        holder: Option<u32>,
        /// How long this agent waited.
        waited: Duration,
    },
}

/// The exclusive lock on a device, released when dropped (or when the
/// process ends).
#[derive(Debug)]
pub struct DeviceLock {
    /// The open file description holding the lock.
    _file: File,
    path: PathBuf,
}

impl DeviceLock {
    /// Takes an exclusive lock on `path`, created with mode 0644 when
    /// missing, or opened read-only when this user may not write it
    /// (`flock` works on any descriptor, so agents of different users share
    /// one lock). Tries every 100 ms for `wait`; `progress` hears once that
    /// it waits. Holding it, writes this process's pid into the file when
    /// writable, for the message of the next agent that has to wait.
    ///
    /// # Errors
    /// [`LockError::Busy`] when another holder kept it for the whole wait,
    /// [`LockError::Open`] or [`LockError::Lock`] when it cannot be tried.
    pub fn acquire(
        path: &Path,
        wait: Duration,
        progress: &mut dyn FnMut(&str),
    ) -> Result<DeviceLock, LockError> {
        let (file, writable) = open(path)?;
        let start = Instant::now();
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    if writable {
                        // Only the message of a waiting agent needs it.
                        let _ = record_pid(&file);
                    }
                    return Ok(DeviceLock {
                        _file: file,
                        path: path.to_owned(),
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(TryLockError::Error(source)) => {
                    return Err(LockError::Lock {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
            let waited = start.elapsed();
            if waited >= wait {
                return Err(LockError::Busy {
                    path: path.to_owned(),
                    holder: holder(&file),
                    waited: wait,
                });
            }
            if !announced {
                announced = true;
                let by = holder(&file).map_or(String::new(), |pid| format!(" by pid {pid}"));
                progress(&format!(
                    "the device lock {} is held{by}; waiting up to {} s",
                    path.display(),
                    wait.as_secs_f64()
                ));
            }
            std::thread::sleep(POLL.min(wait - waited));
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens the lock file for writing (creating it) or else for reading;
/// says whether it is writable.
fn open(path: &Path) -> Result<(File, bool), LockError> {
    let writable = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path);
    match writable {
        Ok(file) => Ok((file, true)),
        Err(first) => File::open(path)
            .map(|file| (file, false))
            .map_err(|e| LockError::Open {
                path: path.to_owned(),
                // Missing and not creatable: the first error says why.
                source: if e.kind() == io::ErrorKind::NotFound {
                    first
                } else {
                    e
                },
            }),
    }
}

/// Replaces the file's content with this process's pid.
fn record_pid(file: &File) -> io::Result<()> {
    file.set_len(0)?;
    file.write_all_at(format!("{}\n", std::process::id()).as_bytes(), 0)
}

/// The pid the holder wrote, when that process still exists (a holder
/// that could not write leaves an older agent's pid behind).
fn holder(file: &File) -> Option<u32> {
    let mut buf = [0u8; 32];
    let n = file.read_at(&mut buf, 0).ok()?;
    let pid: u32 = std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()?;
    Path::new("/proc")
        .join(pid.to_string())
        .exists()
        .then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> impl FnMut(&str) {
        |_: &str| {}
    }

    #[test]
    fn a_second_holder_waits_then_reports_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.lock");
        let first = DeviceLock::acquire(&path, Duration::ZERO, &mut quiet()).unwrap();
        assert_eq!(first.path(), path);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().trim(),
            std::process::id().to_string()
        );
        // Another open file description: flock conflicts within a process.
        let mut heard = Vec::new();
        let e = DeviceLock::acquire(&path, Duration::from_millis(250), &mut |l: &str| {
            heard.push(l.to_owned())
        })
        .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, LockError::Busy { .. }), "{text}");
        let me = std::process::id();
        assert!(
            text.starts_with(&format!(
                "device busy: another edgebench agent (pid {me}) holds "
            )),
            "{text}"
        );
        assert!(text.ends_with("device.lock; waited 0.25 s"), "{text}");
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert!(heard[0].contains("waiting up to 0.25 s"), "{heard:?}");

        drop(first);
        let second = DeviceLock::acquire(&path, Duration::ZERO, &mut quiet());
        assert!(second.is_ok());
    }

    #[test]
    fn a_read_only_lock_file_still_locks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.lock");
        std::fs::write(&path, b"not a pid\n").unwrap();
        let (file, _) = open(&path).unwrap();
        file.try_lock().unwrap();
        assert_eq!(holder(&file), None);
        let ro = File::open(&path).unwrap();
        assert!(matches!(ro.try_lock(), Err(TryLockError::WouldBlock)));
        drop(file);
        ro.try_lock().unwrap();
    }

    #[test]
    fn an_unopenable_lock_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("device.lock");
        let e = DeviceLock::acquire(&path, Duration::ZERO, &mut quiet()).unwrap_err();
        assert!(matches!(e, LockError::Open { .. }), "{e}");
        assert!(e.to_string().contains("missing-dir"), "{e}");
    }
}
