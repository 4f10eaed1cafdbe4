//! Memory and swap from `/proc/meminfo`.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Memory totals in KiB.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryFacts {
    /// `MemTotal`.
    pub total_kib: Option<u64>,
    /// `MemAvailable`.
    pub available_kib: Option<u64>,
    /// `SwapTotal`.
    pub swap_total_kib: Option<u64>,
    /// `SwapTotal - SwapFree`.
    pub swap_used_kib: Option<u64>,
}

/// Parses `/proc/meminfo` text.
pub fn parse_meminfo(text: &str) -> MemoryFacts {
    let mut m = MemoryFacts::default();
    let mut swap_free = None;
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let value = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok());
        match key {
            "MemTotal" => m.total_kib = value,
            "MemAvailable" => m.available_kib = value,
            "SwapTotal" => m.swap_total_kib = value,
            "SwapFree" => swap_free = value,
            _ => {}
        }
    }
    m.swap_used_kib = match (m.swap_total_kib, swap_free) {
        (Some(t), Some(f)) => Some(t.saturating_sub(f)),
        _ => None,
    };
    m
}

/// Reads `<root>/proc/meminfo`.
pub fn read_memory(root: &Path) -> Option<MemoryFacts> {
    let text = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
    Some(parse_meminfo(&text))
}
