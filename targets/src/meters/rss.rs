//! Peak and current resident memory of a process from `/proc/<pid>/status`.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::MeterError;

/// Memory of a process, in KiB (`/proc` writes `kB` and means KiB).
///
/// Fields the kernel does not report (older kernels lack the `Rss*` split)
/// are `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessMemory {
    /// Peak resident set size (`VmHWM`).
    pub peak_rss_kib: Option<u64>,
    /// Current resident set size (`VmRSS`).
    pub rss_kib: Option<u64>,
    /// Resident anonymous memory (`RssAnon`).
    pub rss_anon_kib: Option<u64>,
    /// Resident file-backed memory, e.g. an mmapped model (`RssFile`).
    pub rss_file_kib: Option<u64>,
    /// Resident shared memory (`RssShmem`).
    pub rss_shmem_kib: Option<u64>,
}

impl ProcessMemory {
    /// Parses the text of a `/proc/<pid>/status` file.
    pub fn parse(status: &str) -> Self {
        let mut m = ProcessMemory::default();
        for line in status.lines() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let slot = match key {
                "VmHWM" => &mut m.peak_rss_kib,
                "VmRSS" => &mut m.rss_kib,
                "RssAnon" => &mut m.rss_anon_kib,
                "RssFile" => &mut m.rss_file_kib,
                "RssShmem" => &mut m.rss_shmem_kib,
                _ => continue,
            };
            *slot = parse_kib(rest);
        }
        m
    }
}

/// Parses `   1234 kB` into 1234; other units are converted.
fn parse_kib(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        None | Some("kB") | Some("KiB") => Some(n),
        Some("B") => Some(n / 1024),
        Some("mB") | Some("MB") => n.checked_mul(1024),
        Some(_) => None,
    }
}

/// Reads `<proc_root>/<pid>/status`, with `pid` a number or `self`.
///
/// `proc_root` is `/proc` on a live system and a fixture directory in tests.
pub fn read_process_memory(proc_root: &Path, pid: &str) -> Result<ProcessMemory, MeterError> {
    let path = proc_root.join(pid).join("status");
    let text = std::fs::read_to_string(&path).map_err(|e| MeterError::io(&path, e))?;
    let m = ProcessMemory::parse(&text);
    if m.peak_rss_kib.is_none() && m.rss_kib.is_none() {
        return Err(MeterError::Parse {
            path,
            detail: "no VmHWM or VmRSS line".into(),
        });
    }
    Ok(m)
}
