//! Temperatures from `/sys/class/thermal/thermal_zone*`.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::read_trimmed;

/// One thermal zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThermalZone {
    /// Zone directory name, e.g. `thermal_zone0`.
    pub zone: String,
    /// The zone `type`, e.g. `cpu-thermal`, `x86_pkg_temp`, `CPU-therm`.
    pub kind: Option<String>,
    /// Temperature in °C (`temp` is in millidegrees).
    pub temp_c: Option<f64>,
}

/// Reads every `<root>/sys/class/thermal/thermal_zone*`.
pub fn read_thermal(root: &Path) -> Vec<ThermalZone> {
    let base = root.join("sys/class/thermal");
    let Ok(entries) = std::fs::read_dir(&base) else {
        return Vec::new();
    };
    let mut zones: Vec<(u32, ThermalZone)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: u32 = name.strip_prefix("thermal_zone")?.parse().ok()?;
            let dir = e.path();
            let temp_c = read_trimmed(&dir.join("temp"))
                .and_then(|t| t.parse::<f64>().ok())
                .map(|m| m / 1000.0);
            Some((
                n,
                ThermalZone {
                    zone: name,
                    kind: read_trimmed(&dir.join("type")),
                    temp_c,
                },
            ))
        })
        .collect();
    zones.sort_by_key(|(n, _)| *n);
    zones.into_iter().map(|(_, z)| z).collect()
}

/// The hottest zone's temperature in °C.
pub fn max_temp_c(root: &Path) -> Option<f64> {
    read_thermal(root)
        .iter()
        .filter_map(|z| z.temp_c)
        .fold(None, |m, t| Some(m.map_or(t, |m: f64| m.max(t))))
}
