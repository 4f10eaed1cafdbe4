//! RAPL energy through the perf `power` PMU.
//!
//! `<root>/sys/bus/event_source/devices/power/` has `type` (the dynamic PMU
//! type), `cpumask` (one CPU per package to open the events on),
//! `format/event` (`config:0-7`) and per event `events/energy-pkg`
//! (`event=0x02`), `events/energy-pkg.scale` (joules per count, e.g.
//! `2.3283064365386962890625e-10`) and `events/energy-pkg.unit` (`Joules`).
//! The counts are 64-bit and kept by the kernel, so they do not wrap.
//! Opening them system-wide needs `perf_event_paranoid` ≤ 0 or CAP_PERFMON.

use std::path::{Path, PathBuf};

use super::{CounterMeter, CounterZone, EnergyCounterSource, MeterError, MeterKind};
use crate::counters::{classify_errno, perf_event_paranoid, sys};

/// Events read, and whether each is part of the total.
const EVENTS: [(&str, bool); 5] = [
    ("energy-pkg", true),
    ("energy-ram", true),
    ("energy-cores", false),
    ("energy-gpu", false),
    ("energy-psys", false),
];

/// One power PMU event as sysfs describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerEvent {
    /// Event name, e.g. `energy-pkg`.
    pub name: String,
    /// `perf_event_attr.config`.
    pub config: u64,
    /// Joules per count.
    pub scale_j: f64,
    /// Whether the event is part of the total.
    pub summed: bool,
}

/// The power PMU found in sysfs.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerPmu {
    /// The PMU type for `perf_event_attr.type`.
    pub pmu_type: u32,
    /// CPUs to open each event on (one per package).
    pub cpus: Vec<i32>,
    /// The events present.
    pub events: Vec<PowerEvent>,
}

fn read_trim(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a `format/<term>` file such as `config:0-7` into the shift of
/// the term in `config`.
pub fn parse_format(format: &str) -> Option<u32> {
    let bits = format.trim().strip_prefix("config:")?;
    let low = bits.split(['-', ',']).next()?;
    low.parse().ok()
}

/// Parses an event file such as `event=0x02` into a `config` value, given
/// the shift of each term.
pub fn parse_event(spec: &str, shift_of: impl Fn(&str) -> Option<u32>) -> Option<u64> {
    let mut config = 0u64;
    for term in spec.trim().split(',') {
        let (key, value) = term.split_once('=').unwrap_or((term, "1"));
        let value = match value.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok()?,
            None => value.parse().ok()?,
        };
        config |= value.checked_shl(shift_of(key)?)?;
    }
    Some(config)
}

/// Parses a cpumask list such as `0,18` or `0-1`.
pub fn parse_cpulist(list: &str) -> Vec<i32> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<i32>().ok()),
        }
    }
    cpus
}

/// Reads the power PMU description under `root`; the error says why there
/// is none.
pub fn discover(root: &Path) -> Result<PowerPmu, String> {
    let dir = root.join("sys/bus/event_source/devices/power");
    if !dir.exists() {
        return Err(format!("{} not present", dir.display()));
    }
    let pmu_type = read_trim(&dir.join("type"))?
        .parse()
        .map_err(|_| format!("{}: not a number", dir.join("type").display()))?;
    let cpus = read_trim(&dir.join("cpumask")).map_or_else(|_| vec![0], |s| parse_cpulist(&s));
    let shift_of = |term: &str| {
        std::fs::read_to_string(dir.join("format").join(term))
            .ok()
            .and_then(|f| parse_format(&f))
    };
    let mut events = Vec::new();
    for (name, summed) in EVENTS {
        let path = dir.join("events").join(name);
        let Ok(spec) = std::fs::read_to_string(&path) else {
            continue;
        };
        let config = parse_event(&spec, shift_of)
            .ok_or_else(|| format!("{}: cannot parse {:?}", path.display(), spec.trim()))?;
        let scale_path = dir.join("events").join(format!("{name}.scale"));
        let scale_j: f64 = read_trim(&scale_path)?
            .parse()
            .map_err(|_| format!("{}: not a number", scale_path.display()))?;
        let unit = read_trim(&dir.join("events").join(format!("{name}.unit"))).unwrap_or_default();
        if !unit.is_empty() && unit != "Joules" {
            return Err(format!("{name}: unit is {unit:?}, expected Joules"));
        }
        events.push(PowerEvent {
            name: name.to_owned(),
            config,
            scale_j,
            summed,
        });
    }
    if events.is_empty() {
        return Err(format!(
            "no energy events in {}",
            dir.join("events").display()
        ));
    }
    Ok(PowerPmu {
        pmu_type,
        cpus,
        events,
    })
}

/// The power PMU events as an [`EnergyCounterSource`].
pub struct PerfPowerSource {
    dir: PathBuf,
    fds: Vec<sys::PerfFd>,
    zones: Vec<CounterZone>,
}

impl PerfPowerSource {
    /// Discovers and opens the events on each package's CPU; the error says
    /// why not (e.g. "not permitted ... perf_event_paranoid is 2").
    pub fn open(root: &Path) -> Result<Self, String> {
        let pmu = discover(root)?;
        let paranoid = perf_event_paranoid(&root.join("proc"));
        let (mut fds, mut zones) = (Vec::new(), Vec::new());
        for event in &pmu.events {
            for &cpu in &pmu.cpus {
                let spec = sys::EventSpec {
                    type_: pmu.pmu_type,
                    config: event.config,
                    pid: -1,
                    cpu,
                    inherit: false,
                    user_only: false,
                    disabled: false,
                };
                let fd = sys::open(&spec).map_err(|errno| {
                    let (_, detail) = classify_errno(errno, paranoid);
                    format!("{} on cpu {cpu}: {detail}", event.name)
                })?;
                fds.push(fd);
                zones.push(CounterZone {
                    name: format!("{}@cpu{cpu}", event.name),
                    joules_per_unit: event.scale_j,
                    wrap_range: None,
                    summed: event.summed,
                });
            }
        }
        Ok(PerfPowerSource {
            dir: root.join("sys/bus/event_source/devices/power"),
            fds,
            zones,
        })
    }

    /// A counter meter over these events.
    pub fn into_meter(self) -> CounterMeter {
        CounterMeter::new(MeterKind::PerfPower, Box::new(self))
    }
}

impl EnergyCounterSource for PerfPowerSource {
    fn zones(&self) -> &[CounterZone] {
        &self.zones
    }

    fn read_raw(&mut self) -> Result<Vec<u64>, MeterError> {
        self.fds
            .iter()
            .map(|fd| {
                fd.read().map(|r| r.value).map_err(|errno| {
                    MeterError::io(&self.dir, std::io::Error::from_raw_os_error(errno))
                })
            })
            .collect()
    }

    fn describe(&self) -> String {
        format!("perf power PMU {}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_and_format_parsing() {
        assert_eq!(parse_format("config:0-7\n"), Some(0));
        assert_eq!(parse_format("config:8-15"), Some(8));
        let shift = |t: &str| (t == "event").then_some(0).or((t == "umask").then_some(8));
        assert_eq!(parse_event("event=0x02\n", shift), Some(2));
        assert_eq!(parse_event("event=0x3c,umask=0x01", shift), Some(0x13c));
        assert_eq!(parse_event("bogus=1", shift), None);
        assert_eq!(parse_cpulist("0,18\n"), vec![0, 18]);
        assert_eq!(parse_cpulist("0-2"), vec![0, 1, 2]);
    }
}
