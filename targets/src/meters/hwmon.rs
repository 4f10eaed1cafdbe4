//! Power rails exposed by hwmon drivers, with mainline kernel file names.
//!
//! - `ina3221` (Jetson boards): three channels, `in[1-3]_label` rail names
//!   (`VDD_IN`, `VDD_CPU_GPU_CV`, `VDD_SOC` on an Orin Nano/NX),
//!   `in[1-3]_input` bus voltage in mV, `curr[1-3]_input` current in mA;
//!   power = V·I.
//! - `ina2xx` family (hwmon `name` is the chip: `ina219`, `ina220`,
//!   `ina226`, `ina230`, `ina231`, `ina260`): `power1_input` in µW.
//!
//! L4T releases with the older downstream `ina3221x` IIO driver
//! (`rail_name_N`, `in_power0_input`) are not read.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::PowerSource;

/// The rail name used when the configuration names none: the board's total
/// input on Jetson modules.
pub const DEFAULT_RAIL: &str = "VDD_IN";

const INA2XX_NAMES: [&str; 6] = ["ina219", "ina220", "ina226", "ina230", "ina231", "ina260"];

/// How a rail's power is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RailReading {
    /// `in{ch}_input` (mV) times `curr{ch}_input` (mA).
    VoltageCurrent {
        /// Channel number, 1-based.
        channel: u8,
    },
    /// `power1_input` (µW).
    Power,
}

/// One power rail found under `/sys/class/hwmon`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HwmonRail {
    /// The hwmon device directory (`.../hwmon/hwmon1`).
    pub dir: PathBuf,
    /// The driver's `name` (`ina3221`, `ina219`, ...).
    pub chip: String,
    /// The rail label (`VDD_IN`), or the device directory name (`hwmon2`)
    /// for chips without labels.
    pub label: String,
    /// How power is read.
    pub reading: RailReading,
}

/// Lists the power rails under `<root>/sys/class/hwmon`.
pub fn list_rails(root: &Path) -> Result<Vec<HwmonRail>, String> {
    let class = root.join("sys/class/hwmon");
    let entries = std::fs::read_dir(&class).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} not present", class.display()),
        _ => format!("{}: {e}", class.display()),
    })?;
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut rails = Vec::new();
    for dir in dirs {
        let Ok(chip) = std::fs::read_to_string(dir.join("name")) else {
            continue;
        };
        let chip = chip.trim().to_owned();
        let dir_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if chip == "ina3221" {
            for channel in 1..=3u8 {
                if !dir.join(format!("curr{channel}_input")).exists() {
                    continue;
                }
                let label = std::fs::read_to_string(dir.join(format!("in{channel}_label")))
                    .map(|l| l.trim().to_owned())
                    .unwrap_or_else(|_| format!("{dir_name}:{channel}"));
                rails.push(HwmonRail {
                    dir: dir.clone(),
                    chip: chip.clone(),
                    label,
                    reading: RailReading::VoltageCurrent { channel },
                });
            }
        } else if INA2XX_NAMES.contains(&chip.as_str()) && dir.join("power1_input").exists() {
            rails.push(HwmonRail {
                dir: dir.clone(),
                chip,
                label: dir_name,
                reading: RailReading::Power,
            });
        }
    }
    Ok(rails)
}

/// Picks the rail named `rail`: an exact label, else a chip or device name
/// (`ina219`, `hwmon2`); the default [`DEFAULT_RAIL`] also accepts a single
/// unlabelled INA2xx. The error lists what exists.
pub fn find_rail(root: &Path, rail: &str) -> Result<HwmonRail, String> {
    let rails = list_rails(root)?;
    if rails.is_empty() {
        return Err(format!(
            "no ina3221 or ina2xx power monitor in {}",
            root.join("sys/class/hwmon").display()
        ));
    }
    if let Some(r) = rails.iter().find(|r| r.label == rail) {
        return Ok(r.clone());
    }
    let by_chip: Vec<&HwmonRail> = rails.iter().filter(|r| r.chip == rail).collect();
    if let [one] = by_chip.as_slice() {
        return Ok((*one).clone());
    }
    let ina2xx: Vec<&HwmonRail> = rails
        .iter()
        .filter(|r| r.reading == RailReading::Power)
        .collect();
    if rail == DEFAULT_RAIL
        && let [one] = ina2xx.as_slice()
    {
        return Ok((*one).clone());
    }
    let names: Vec<String> = rails
        .iter()
        .map(|r| format!("{} ({})", r.label, r.chip))
        .collect();
    Err(format!("no rail {rail:?}; found: {}", names.join(", ")))
}

/// Reads a rail's power by re-reading its open sysfs files from offset 0.
pub struct HwmonSource {
    rail: HwmonRail,
    files: Vec<(PathBuf, File)>,
    buf: [u8; 32],
}

impl HwmonSource {
    /// Opens the rail's files.
    pub fn open(rail: HwmonRail) -> Result<Self, String> {
        let names = match rail.reading {
            RailReading::VoltageCurrent { channel } => {
                vec![format!("in{channel}_input"), format!("curr{channel}_input")]
            }
            RailReading::Power => vec!["power1_input".to_owned()],
        };
        let mut files = Vec::new();
        for name in names {
            let path = rail.dir.join(name);
            let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((path, file));
        }
        let mut source = HwmonSource {
            rail,
            files,
            buf: [0; 32],
        };
        source.read_power_w()?;
        Ok(source)
    }

    /// The rail read.
    pub fn rail(&self) -> &HwmonRail {
        &self.rail
    }

    fn read_int(&mut self, i: usize) -> Result<i64, String> {
        let (path, file) = &self.files[i];
        let n = file
            .read_at(&mut self.buf, 0)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let text = std::str::from_utf8(&self.buf[..n]).unwrap_or("").trim();
        text.parse()
            .map_err(|_| format!("{}: not an integer: {text:?}", path.display()))
    }
}

impl PowerSource for HwmonSource {
    fn read_power_w(&mut self) -> Result<f64, String> {
        match self.rail.reading {
            RailReading::VoltageCurrent { .. } => {
                let mv = self.read_int(0)?;
                let ma = self.read_int(1)?;
                Ok(mv as f64 * ma as f64 * 1e-6)
            }
            RailReading::Power => Ok(self.read_int(0)? as f64 * 1e-6),
        }
    }

    fn describe(&self) -> String {
        format!(
            "hwmon {} {} ({})",
            self.rail.chip,
            self.rail.label,
            self.rail.dir.display()
        )
    }
}
