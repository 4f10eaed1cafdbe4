//! Device facts around a run, the thermal gate, and what they say about the
//! validity of the measurement.

use std::path::Path;
use std::time::Duration;

use edgebench_schema::{ThermalGateSettings, Validity};
use serde::Serialize;

use crate::facts::{
    DeviceFacts, FactsSource, GateOutcome, SystemClock, ThermalGate, Throttling, max_temp_c,
};
use crate::meters::Rejection;

/// Device facts before and after the repetitions, for the result's
/// `device` object.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// Facts before the repetitions (after the model was loaded).
    pub before: DeviceFacts,
    /// Facts after the repetitions.
    pub after: Option<DeviceFacts>,
    /// The hottest zone before, °C.
    pub temp_before_c: Option<f64>,
    /// The hottest zone after, °C.
    pub temp_after_c: Option<f64>,
    /// What the thermal gate did, when the job has one.
    pub thermal_gate: Option<GateOutcome>,
    /// The meter used and its description.
    pub meter: String,
    /// Meters tried before it and why they were not used.
    pub meters_rejected: Vec<Rejection>,
}

/// The hottest zone of `facts`, °C.
pub fn hottest(facts: &DeviceFacts) -> Option<f64> {
    facts
        .thermal
        .iter()
        .filter_map(|z| z.temp_c)
        .fold(None, |m, t| Some(m.map_or(t, |m: f64| m.max(t))))
}

/// Waits as the job's thermal gate says, reading the hottest zone under
/// `root`. Without any temperature reading the gate is skipped at once.
pub fn run_gate(settings: &ThermalGateSettings, root: &Path) -> GateOutcome {
    if max_temp_c(root).is_none() {
        return GateOutcome {
            settled: true,
            waited_s: 0.0,
            start_temp_c: None,
            end_temp_c: None,
            spread_c: None,
            reason: "skipped: no temperature sensor".to_owned(),
        };
    }
    let window = seconds(settings.window_seconds).max(Duration::from_millis(1));
    let gate = ThermalGate {
        max_change_c: settings.max_delta_c,
        window,
        limit: seconds(settings.timeout_seconds),
        poll: (window / 10).clamp(Duration::from_millis(100), Duration::from_secs(1)),
    };
    gate.wait(&mut SystemClock::default(), &mut || max_temp_c(root))
}

/// `s` seconds as a duration: 0 for a negative or NaN value, a day at most.
pub fn seconds(s: f64) -> Duration {
    if s.is_nan() {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(s.min(86_400.0)).unwrap_or(Duration::ZERO)
}

/// Throttling that appeared between `before` and `after`: a "now" bit set
/// after, or an "occurred" bit that became set.
pub fn throttling_change(before: &Throttling, after: &Throttling) -> Vec<String> {
    let mut reasons = Vec::new();
    let became = |b: bool, a: bool| a && !b;
    if after.under_voltage_now
        || became(before.under_voltage_occurred, after.under_voltage_occurred)
    {
        reasons.push("under-voltage");
    }
    if after.throttled_now || became(before.throttled_occurred, after.throttled_occurred) {
        reasons.push("throttling");
    }
    if after.freq_capped_now || became(before.freq_capped_occurred, after.freq_capped_occurred) {
        reasons.push("frequency capping");
    }
    if after.soft_temp_limit_now
        || became(
            before.soft_temp_limit_occurred,
            after.soft_temp_limit_occurred,
        )
    {
        reasons.push("soft temperature limit");
    }
    reasons
        .into_iter()
        .map(|what| {
            format!(
                "{what} during the repetitions (get_throttled {:#x} before, {:#x} after)",
                before.raw, after.raw
            )
        })
        .collect()
}

/// Why the CPU clock is capped right now, one reason per CPU cooling
/// device that is cooling: a measurement started in that state is not
/// the device's normal speed, so it does not count.
pub fn frequency_capped(facts: &DeviceFacts) -> Vec<String> {
    facts
        .cooling
        .iter()
        .filter(|d| d.capping())
        .map(|d| {
            format!(
                "CPU clock capped by {} before the repetitions",
                d.describe()
            )
        })
        .collect()
}

/// Frequency caps that appeared or deepened between `before` and
/// `after`: a CPU cooling device at a higher state, more x86 thermal
/// throttle events, or a cpufreq policy whose highest allowed frequency
/// fell.
pub fn frequency_change(before: &DeviceFacts, after: &DeviceFacts) -> Vec<String> {
    let mut reasons = Vec::new();
    for a in after.cooling.iter().filter(|d| d.caps_cpu()) {
        let was = before
            .cooling
            .iter()
            .find(|b| b.device == a.device)
            .and_then(|b| b.cur_state)
            .unwrap_or(0);
        if a.cur_state.is_some_and(|s| s > was) {
            reasons.push(format!(
                "CPU clock capped by {} during the repetitions (state {was} before)",
                a.describe()
            ));
        }
    }
    if let (Some(b), Some(a)) = (before.throttle_events, after.throttle_events)
        && a > b
    {
        reasons.push(format!(
            "{} thermal throttle events during the repetitions (thermal_throttle counts {b} before, {a} after)",
            a - b
        ));
    }
    for a in &after.cpufreq {
        let Some(b) = before.cpufreq.iter().find(|b| b.policy == a.policy) else {
            continue;
        };
        if let (Some(bm), Some(am)) = (b.max_freq_mhz, a.max_freq_mhz)
            && am < bm
        {
            reasons.push(format!(
                "{}'s highest allowed frequency fell from {bm} MHz to {am} MHz during the repetitions",
                a.policy
            ));
        }
    }
    reasons
}

/// Marks `validity` for what changed on the device during the run.
pub fn check_device(before: &DeviceFacts, after: &DeviceFacts, validity: &mut Validity) {
    for reason in frequency_change(before, after) {
        validity.invalidate(reason);
    }
    if let (Some(b), Some(a)) = (&before.throttling, &after.throttling) {
        for reason in throttling_change(b, a) {
            validity.invalidate(reason);
        }
    }
    let swap = |f: &DeviceFacts| f.memory.as_ref().and_then(|m| m.swap_used_kib);
    if let (Some(b), Some(a)) = (swap(before), swap(after))
        && a > b
    {
        validity.invalidate(format!(
            "swap in use grew from {b} KiB to {a} KiB during the repetitions"
        ));
    }
}

/// Facts of the device under `/`.
pub fn collect() -> DeviceFacts {
    DeviceFacts::collect(&FactsSource::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{MemoryFacts, parse_throttled};

    fn throttled(raw: &str) -> Throttling {
        parse_throttled(&format!("throttled={raw}")).unwrap()
    }

    #[test]
    fn only_new_or_current_throttling_counts() {
        // Under-voltage occurred before the run and is not current: fine.
        assert!(throttling_change(&throttled("0x10000"), &throttled("0x10000")).is_empty());
        let r = throttling_change(&throttled("0x0"), &throttled("0x40000"));
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("throttling during"), "{r:?}");
        assert!(r[0].contains("0x0 before, 0x40000 after"), "{r:?}");
        let r = throttling_change(&throttled("0x50000"), &throttled("0x50005"));
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].starts_with("under-voltage"));
    }

    #[test]
    fn swap_growth_and_throttling_invalidate() {
        let with = |swap: u64, thr: &str| DeviceFacts {
            memory: Some(MemoryFacts {
                swap_used_kib: Some(swap),
                ..MemoryFacts::default()
            }),
            throttling: Some(throttled(thr)),
            ..DeviceFacts::default()
        };
        let mut v = Validity::default();
        check_device(&with(100, "0x0"), &with(100, "0x0"), &mut v);
        assert!(v.valid);
        check_device(&with(100, "0x0"), &with(4196, "0x4"), &mut v);
        assert!(!v.valid);
        assert_eq!(v.reasons.len(), 2, "{v:?}");
        assert!(v.reasons[1].contains("from 100 KiB to 4196 KiB"));
    }

    fn cooling(kind: &str, state: u64) -> crate::facts::CoolingDevice {
        crate::facts::CoolingDevice {
            device: "cooling_device0".to_owned(),
            kind: Some(kind.to_owned()),
            cur_state: Some(state),
            max_state: Some(4),
        }
    }

    fn policy(max: f64) -> crate::facts::CpufreqPolicy {
        crate::facts::CpufreqPolicy {
            policy: "policy0".to_owned(),
            cpus: Some("0 1 2 3".to_owned()),
            governor: Some("performance".to_owned()),
            cur_freq_mhz: Some(max),
            min_freq_mhz: Some(1500.0),
            max_freq_mhz: Some(max),
        }
    }

    #[test]
    fn a_capped_clock_invalidates_before_and_during() {
        let facts = |kind: &str, state: u64, events: Option<u64>, max: f64| DeviceFacts {
            cooling: vec![cooling(kind, state)],
            throttle_events: events,
            cpufreq: vec![policy(max)],
            ..DeviceFacts::default()
        };
        // A spinning fan is not a frequency cap.
        let fan = facts("pwm-fan", 3, None, 2400.0);
        assert!(frequency_capped(&fan).is_empty());
        assert!(frequency_change(&fan, &facts("pwm-fan", 4, None, 2400.0)).is_empty());
        let capped = facts("cpufreq-cpu0", 2, None, 2400.0);
        let r = frequency_capped(&capped);
        assert_eq!(
            r,
            [
                "CPU clock capped by cooling_device0 (cpufreq-cpu0) at state 2 of 4 before the repetitions"
            ]
        );
        let calm = facts("cpufreq-cpu0", 0, Some(7), 2400.0);
        let hot = facts("cpufreq-cpu0", 1, Some(9), 1800.0);
        let r = frequency_change(&calm, &hot);
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(
            r[0].contains("during the repetitions (state 0 before)"),
            "{r:?}"
        );
        assert!(r[1].starts_with("2 thermal throttle events"), "{r:?}");
        assert!(r[2].contains("fell from 2400 MHz to 1800 MHz"), "{r:?}");
        let mut v = Validity::default();
        check_device(&calm, &calm, &mut v);
        assert!(v.valid);
        check_device(&calm, &hot, &mut v);
        assert!(!v.valid && v.reasons.len() == 3, "{v:?}");
        // A legacy-named ACPI or cpufreq device counts too; a cap that eased does not.
        assert!(cooling("thermal-cpufreq-0", 1).capping());
        assert!(cooling("Processor", 1).capping());
        assert!(frequency_change(&hot, &calm).is_empty());
    }

    #[test]
    fn seconds_never_panic() {
        assert_eq!(seconds(1.5), Duration::from_millis(1500));
        assert_eq!(seconds(-1.0), Duration::ZERO);
        assert_eq!(seconds(f64::NAN), Duration::ZERO);
        assert_eq!(seconds(f64::INFINITY), Duration::from_secs(86_400));
    }

    #[test]
    fn the_gate_is_skipped_without_a_sensor() {
        let dir = std::env::temp_dir().join(format!("edgebench-no-sensor-{}", std::process::id()));
        let settings = ThermalGateSettings {
            max_delta_c: 2.0,
            window_seconds: 60.0,
            timeout_seconds: 600.0,
        };
        let g = run_gate(&settings, &dir);
        assert!(g.settled && g.waited_s == 0.0);
        assert!(g.reason.contains("no temperature sensor"));
    }
}
