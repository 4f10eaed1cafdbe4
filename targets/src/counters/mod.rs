//! Hardware counters of this process: instructions, cycles, cache misses.
//!
//! [`Counters::open`] opens one perf event per [`Counter`] for this process,
//! counting user space only (what `perf_event_paranoid` 2 still allows) and
//! inherited by threads created afterwards: open the counters **before** the
//! inference thread pool starts. Read a [`CounterSnapshot`] at every rep or
//! phase boundary and subtract two of them with [`CounterSnapshot::delta`].
//!
//! A counter that cannot be opened is `None` with a reason that tells
//! "not supported" (no PMU, ENOENT/EOPNOTSUPP, as in most VMs) from "not
//! permitted" (EACCES/EPERM, see `/proc/sys/kernel/perf_event_paranoid`).

pub(crate) mod sys;

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A hardware event counted for the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Counter {
    /// Retired instructions.
    Instructions,
    /// CPU cycles.
    Cycles,
    /// Last-level cache misses.
    CacheMisses,
}

impl Counter {
    /// Every counter, in report order.
    pub const ALL: [Counter; 3] = [Counter::Instructions, Counter::Cycles, Counter::CacheMisses];

    fn config(self) -> u64 {
        match self {
            Counter::Instructions => sys::HW_INSTRUCTIONS,
            Counter::Cycles => sys::HW_CPU_CYCLES,
            Counter::CacheMisses => sys::HW_CACHE_MISSES,
        }
    }
}

/// Why a counter has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnavailableKind {
    /// The CPU, kernel or hypervisor has no such event (ENOENT, EOPNOTSUPP,
    /// ENODEV, ENOSYS, EINVAL).
    NotSupported,
    /// The event exists but this user may not count it (EACCES, EPERM).
    NotPermitted,
    /// Any other failure (EMFILE, EBUSY, a failed read, ...).
    Failed,
}

/// A counter without a value, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterUnavailable {
    /// The counter.
    pub counter: Counter,
    /// The class of reason.
    pub kind: UnavailableKind,
    /// The errno, when the reason is one.
    pub errno: Option<i32>,
    /// A sentence for the report.
    pub detail: String,
}

/// Classifies a `perf_event_open` errno; `paranoid` is the value of
/// `perf_event_paranoid`, quoted in the "not permitted" detail.
pub fn classify_errno(errno: i32, paranoid: Option<i32>) -> (UnavailableKind, String) {
    let name = std::io::Error::from_raw_os_error(errno);
    match errno {
        libc::ENOENT | libc::EOPNOTSUPP | libc::ENODEV | libc::ENOSYS | libc::EINVAL => (
            UnavailableKind::NotSupported,
            format!("not supported by this CPU, kernel or hypervisor ({name})"),
        ),
        libc::EACCES | libc::EPERM => {
            let level = paranoid.map_or("unknown".to_owned(), |p| p.to_string());
            (
                UnavailableKind::NotPermitted,
                format!(
                    "not permitted ({name}); perf_event_paranoid is {level}, \
                     counting needs 2 or lower for user space, or CAP_PERFMON"
                ),
            )
        }
        _ => (
            UnavailableKind::Failed,
            format!("perf_event_open failed ({name})"),
        ),
    }
}

/// Reads `<proc_root>/sys/kernel/perf_event_paranoid`.
pub fn perf_event_paranoid(proc_root: &Path) -> Option<i32> {
    let path = proc_root.join("sys/kernel/perf_event_paranoid");
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The hardware counters of this process.
#[derive(Debug)]
pub struct Counters {
    slots: Vec<(Counter, Result<sys::PerfFd, CounterUnavailable>)>,
}

impl Counters {
    /// Opens every [`Counter`] for this process (counting from now on);
    /// `proc_root` (normally `/proc`) is read for the paranoid level.
    pub fn open(proc_root: &Path) -> Self {
        let paranoid = perf_event_paranoid(proc_root);
        let slots = Counter::ALL
            .iter()
            .map(|&counter| {
                let spec = sys::EventSpec {
                    type_: sys::TYPE_HARDWARE,
                    config: counter.config(),
                    pid: 0,
                    cpu: -1,
                    inherit: true,
                    user_only: true,
                    disabled: false,
                };
                let fd = sys::open(&spec).map_err(|errno| {
                    let (kind, detail) = classify_errno(errno, paranoid);
                    CounterUnavailable {
                        counter,
                        kind,
                        errno: Some(errno),
                        detail,
                    }
                });
                (counter, fd)
            })
            .collect();
        Counters { slots }
    }

    /// Whether at least one counter is open.
    pub fn any_open(&self) -> bool {
        self.slots.iter().any(|(_, s)| s.is_ok())
    }

    /// Reads every counter now.
    pub fn read(&self) -> CounterSnapshot {
        let values = self
            .slots
            .iter()
            .map(|(counter, slot)| {
                let fd = slot.as_ref().map_err(Clone::clone)?;
                fd.read().map_err(|errno| CounterUnavailable {
                    counter: *counter,
                    kind: UnavailableKind::Failed,
                    errno: Some(errno),
                    detail: format!("read failed ({})", std::io::Error::from_raw_os_error(errno)),
                })
            })
            .collect();
        CounterSnapshot { values }
    }

    /// Pauses (`false`) or resumes (`true`) counting on every open counter.
    pub fn set_enabled(&self, enabled: bool) {
        for fd in self.slots.iter().filter_map(|(_, s)| s.as_ref().ok()) {
            // A failing ioctl shows up as an unchanged count; nothing to do.
            let _ = if enabled { fd.enable() } else { fd.disable() };
        }
    }
}

/// Counter readings at one boundary.
#[derive(Clone, Debug)]
pub struct CounterSnapshot {
    values: Vec<Result<sys::Reading, CounterUnavailable>>,
}

/// Counts over a window between two snapshots, for the result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HwCounters {
    /// Retired instructions, `None` when unavailable.
    pub instructions: Option<u64>,
    /// CPU cycles, `None` when unavailable.
    pub cycles: Option<u64>,
    /// Cache misses, `None` when unavailable.
    pub cache_misses: Option<u64>,
    /// Whether a counter shared the PMU with others and was scaled from the
    /// fraction of time it ran.
    pub multiplexed: bool,
    /// Why each missing counter is missing.
    pub unavailable: Vec<CounterUnavailable>,
}

impl HwCounters {
    /// Instructions per cycle, when both are known.
    pub fn ipc(&self) -> Option<f64> {
        match (self.instructions, self.cycles) {
            (Some(i), Some(c)) if c > 0 => Some(i as f64 / c as f64),
            _ => None,
        }
    }
}

fn scaled(r: &sys::Reading) -> u64 {
    if r.time_running_ns == 0 || r.time_running_ns >= r.time_enabled_ns {
        return r.value;
    }
    let v = u128::from(r.value) * u128::from(r.time_enabled_ns) / u128::from(r.time_running_ns);
    u64::try_from(v).unwrap_or(u64::MAX)
}

impl CounterSnapshot {
    /// The counts from `self` to `later`.
    pub fn delta(&self, later: &CounterSnapshot) -> HwCounters {
        let mut out = HwCounters::default();
        for (counter, (a, b)) in Counter::ALL
            .iter()
            .zip(self.values.iter().zip(&later.values))
        {
            let value = match (a, b) {
                (Ok(a), Ok(b)) => {
                    out.multiplexed |= b.time_running_ns < b.time_enabled_ns;
                    Some(scaled(b).saturating_sub(scaled(a)))
                }
                (Err(e), _) | (_, Err(e)) => {
                    out.unavailable.push(e.clone());
                    None
                }
            };
            match counter {
                Counter::Instructions => out.instructions = value,
                Counter::Cycles => out.cycles = value,
                Counter::CacheMisses => out.cache_misses = value,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_classes() {
        for e in [libc::ENOENT, libc::EOPNOTSUPP, libc::ENODEV, libc::ENOSYS] {
            assert_eq!(classify_errno(e, Some(2)).0, UnavailableKind::NotSupported);
        }
        for e in [libc::EACCES, libc::EPERM] {
            let (kind, detail) = classify_errno(e, Some(3));
            assert_eq!(kind, UnavailableKind::NotPermitted);
            assert!(detail.contains("perf_event_paranoid is 3"), "{detail}");
        }
        assert_eq!(
            classify_errno(libc::EMFILE, None).0,
            UnavailableKind::Failed
        );
    }

    #[test]
    fn multiplexed_counts_are_scaled() {
        let r = sys::Reading {
            value: 100,
            time_enabled_ns: 1000,
            time_running_ns: 250,
        };
        assert_eq!(scaled(&r), 400);
    }
}
