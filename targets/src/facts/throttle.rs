//! Raspberry Pi throttling from `vcgencmd get_throttled`.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// The decoded `get_throttled` bit field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttling {
    /// The raw value, e.g. `0x50005`.
    pub raw: u32,
    /// Bit 0: under-voltage now.
    pub under_voltage_now: bool,
    /// Bit 1: ARM frequency capped now.
    pub freq_capped_now: bool,
    /// Bit 2: throttled now.
    pub throttled_now: bool,
    /// Bit 3: soft temperature limit active now.
    pub soft_temp_limit_now: bool,
    /// Bit 16: under-voltage has occurred since boot.
    pub under_voltage_occurred: bool,
    /// Bit 17: frequency capping has occurred.
    pub freq_capped_occurred: bool,
    /// Bit 18: throttling has occurred.
    pub throttled_occurred: bool,
    /// Bit 19: the soft temperature limit has occurred.
    pub soft_temp_limit_occurred: bool,
}

/// Parses `throttled=0x50005`.
pub fn parse_throttled(output: &str) -> Option<Throttling> {
    let value = output.trim().strip_prefix("throttled=")?;
    let raw = u32::from_str_radix(value.trim_start_matches("0x"), 16).ok()?;
    let bit = |n: u32| raw & (1 << n) != 0;
    Some(Throttling {
        raw,
        under_voltage_now: bit(0),
        freq_capped_now: bit(1),
        throttled_now: bit(2),
        soft_temp_limit_now: bit(3),
        under_voltage_occurred: bit(16),
        freq_capped_occurred: bit(17),
        throttled_occurred: bit(18),
        soft_temp_limit_occurred: bit(19),
    })
}

/// Runs `<vcgencmd> get_throttled` and parses its output.
pub fn read_throttled(vcgencmd: &Path) -> Result<Throttling, String> {
    let out = Command::new(vcgencmd)
        .arg("get_throttled")
        .output()
        .map_err(|e| format!("{}: {e}", vcgencmd.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} get_throttled: {}",
            vcgencmd.display(),
            out.status
        ));
    }
    parse_throttled(&text).ok_or_else(|| format!("unexpected output {:?}", text.trim()))
}
