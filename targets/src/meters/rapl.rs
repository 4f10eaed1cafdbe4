//! RAPL energy counters through the powercap sysfs.
//!
//! Zones live in `<root>/sys/class/powercap/intel-rapl:N` (packages, and
//! `psys` on some laptops) with subzones `intel-rapl:N:M` (`core`, `uncore`,
//! `dram`) both nested inside their parent and listed beside it. Each has
//! `name`, `energy_uj` (cumulative µJ, wrapping at `max_energy_range_uj`).
//! AMD processors use the same names. The total is the packages plus DRAM;
//! core, uncore and psys overlap the packages and are reported only.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{CounterMeter, CounterZone, EnergyCounterSource, MeterError, MeterKind};

/// One RAPL zone found in the powercap sysfs.
#[derive(Clone, Debug, PartialEq)]
pub struct RaplZone {
    /// The sysfs id, e.g. `intel-rapl:0:1`.
    pub id: String,
    /// Report name: the zone's `name`, prefixed by its parent's for
    /// subzones (`package-0/dram`).
    pub name: String,
    /// The zone directory.
    pub dir: PathBuf,
    /// `max_energy_range_uj`.
    pub max_energy_range_uj: u64,
    /// Whether the zone is part of the total.
    pub summed: bool,
}

fn read_trim(path: &Path) -> Result<String, MeterError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| MeterError::io(path, e))
}

fn read_u64(path: &Path) -> Result<u64, MeterError> {
    let s = read_trim(path)?;
    s.parse().map_err(|_| MeterError::Parse {
        path: path.to_owned(),
        detail: format!("expected an unsigned integer, found {s:?}"),
    })
}

/// Parses `intel-rapl:N` or `intel-rapl:N:M` into its numbers.
fn parse_id(id: &str) -> Option<Vec<u32>> {
    let rest = id.strip_prefix("intel-rapl:")?;
    let parts: Option<Vec<u32>> = rest.split(':').map(|p| p.parse().ok()).collect();
    parts.filter(|p| (1..=2).contains(&p.len()))
}

/// Finds the RAPL zones under `root`; the error says why there are none.
pub fn discover(root: &Path) -> Result<Vec<RaplZone>, String> {
    let class = root.join("sys/class/powercap");
    let entries = std::fs::read_dir(&class).map_err(|e| match e.kind() {
        ErrorKind::NotFound => format!("{} not present", class.display()),
        _ => format!("{}: {e}", class.display()),
    })?;
    // id numbers -> directory; subzones are found beside and inside parents.
    let mut dirs: BTreeMap<Vec<u32>, (String, PathBuf)> = BTreeMap::new();
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Some(nums) = parse_id(&id) else { continue };
        let dir = entry.path();
        if nums.len() == 1
            && let Ok(inner) = std::fs::read_dir(&dir)
        {
            for sub in inner.flatten() {
                let sub_id = sub.file_name().to_string_lossy().into_owned();
                if let Some(sn) = parse_id(&sub_id).filter(|n| n.len() == 2) {
                    dirs.entry(sn).or_insert((sub_id, sub.path()));
                }
            }
        }
        dirs.insert(nums, (id, dir));
    }
    if dirs.is_empty() {
        return Err(format!("no intel-rapl zones in {}", class.display()));
    }
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut zones = Vec::new();
    for (nums, (id, dir)) in &dirs {
        let name = read_trim(&dir.join("name")).map_err(|e| e.to_string())?;
        let max = read_u64(&dir.join("max_energy_range_uj")).map_err(|e| e.to_string())?;
        let (label, summed) = if nums.len() == 1 {
            names.insert(nums[0], name.clone());
            let summed = name.starts_with("package") || name == "dram";
            (name, summed)
        } else {
            let parent = names
                .get(&nums[0])
                .cloned()
                .unwrap_or_else(|| format!("intel-rapl:{}", nums[0]));
            (format!("{parent}/{name}"), name == "dram")
        };
        zones.push(RaplZone {
            id: id.clone(),
            name: label,
            dir: dir.clone(),
            max_energy_range_uj: max,
            summed,
        });
    }
    // A machine with only psys: sum it rather than nothing.
    if !zones.iter().any(|z| z.summed)
        && let Some(z) = zones.iter_mut().find(|z| z.name == "psys")
    {
        z.summed = true;
    }
    Ok(zones)
}

/// The powercap counters as an [`EnergyCounterSource`].
pub struct RaplSource {
    root: PathBuf,
    zones: Vec<RaplZone>,
    counter_zones: Vec<CounterZone>,
}

impl RaplSource {
    /// Finds the zones under `root` and checks that every `energy_uj` is
    /// readable; the error says why not (e.g. permission denied, since
    /// Linux 5.10 `energy_uj` is readable by root only).
    pub fn open(root: &Path) -> Result<Self, String> {
        let zones = discover(root)?;
        for z in &zones {
            let path = z.dir.join("energy_uj");
            if let Err(e) = std::fs::read_to_string(&path) {
                return Err(match e.kind() {
                    ErrorKind::PermissionDenied => format!(
                        "{}: permission denied (energy_uj is readable by root only)",
                        path.display()
                    ),
                    _ => format!("{}: {e}", path.display()),
                });
            }
        }
        let counter_zones = zones
            .iter()
            .map(|z| CounterZone {
                name: z.name.clone(),
                joules_per_unit: 1e-6,
                wrap_range: Some(z.max_energy_range_uj),
                summed: z.summed,
            })
            .collect();
        Ok(RaplSource {
            root: root.to_owned(),
            zones,
            counter_zones,
        })
    }

    /// The zones found.
    pub fn rapl_zones(&self) -> &[RaplZone] {
        &self.zones
    }

    /// A counter meter over these zones.
    pub fn into_meter(self) -> CounterMeter {
        CounterMeter::new(MeterKind::Rapl, Box::new(self))
    }
}

impl EnergyCounterSource for RaplSource {
    fn zones(&self) -> &[CounterZone] {
        &self.counter_zones
    }

    fn read_raw(&mut self) -> Result<Vec<u64>, MeterError> {
        self.zones
            .iter()
            .map(|z| read_u64(&z.dir.join("energy_uj")))
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "rapl powercap {}",
            self.root.join("sys/class/powercap").display()
        )
    }
}
