//! RAPL and perf power PMU against fixture sysfs trees.

#[path = "fixtures/support.rs"]
mod support;

use edgebench_targets::meters::{
    self, Meter, MeterChoice, MeterConfig, MeterKind, perf_power, rapl,
};
use support::{TempTree, fixture};

const PKG: &str = "sys/class/powercap/intel-rapl:0/energy_uj";
const DRAM: &str = "sys/class/powercap/intel-rapl:0/intel-rapl:0:2/energy_uj";
const CORE: &str = "sys/class/powercap/intel-rapl:0/intel-rapl:0:0/energy_uj";
const PKG_RANGE: u64 = 262_143_328_850;

#[test]
fn discovers_packages_subzones_and_what_to_sum() {
    let zones = rapl::discover(&fixture("intel-rapl")).unwrap();
    let summary: Vec<(&str, bool)> = zones.iter().map(|z| (z.name.as_str(), z.summed)).collect();
    assert_eq!(
        summary,
        vec![
            ("package-0", true),
            ("package-0/core", false),
            ("package-0/uncore", false),
            ("package-0/dram", true),
            ("psys", false),
        ]
    );
    assert_eq!(zones[0].max_energy_range_uj, PKG_RANGE);
}

#[test]
fn counter_wraps_during_a_run() {
    let tree = TempTree::copy_of("intel-rapl");
    let mut meter = rapl::RaplSource::open(tree.path()).unwrap().into_meter();
    tree.write(PKG, &(PKG_RANGE - 3_000_000).to_string());
    tree.write(DRAM, "1000000");
    tree.write(CORE, "5000000");
    meter.start().unwrap();
    let a = meter.mark().unwrap();
    // 2 J before the wrap ...
    tree.write(PKG, &(PKG_RANGE - 1_000_000).to_string());
    tree.write(DRAM, "1500000");
    let mid = meter.mark().unwrap();
    // ... then the counter passes max_energy_range_uj and restarts: 1 J + 4 J.
    tree.write(PKG, "4000000");
    tree.write(DRAM, "2250000");
    tree.write(CORE, "6000000");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let b = meter.mark().unwrap();
    let w = meter.window(&a, &b);
    assert_eq!(w.meter, MeterKind::Rapl);
    let energy = w.energy_j.unwrap();
    // package 7 J + dram 1.25 J; core (1 J) and psys (0) are reported, not summed.
    assert!((energy - 8.25).abs() < 1e-9, "{energy}");
    let core = w.zones.iter().find(|z| z.zone == "package-0/core").unwrap();
    assert!((core.energy_j - 1.0).abs() < 1e-9 && !core.summed);
    assert!(w.avg_power_w.unwrap() > 0.0);
    assert_eq!(meter.wraps()[0], 1);
    let first = meter.window(&a, &mid).energy_j.unwrap();
    assert!((first - 2.5).abs() < 1e-9, "{first}");
    meter.stop().unwrap();
}

#[test]
fn missing_powercap_says_so() {
    let empty = TempTree::empty("no-rapl");
    let err = rapl::RaplSource::open(empty.path()).err().unwrap();
    assert!(err.ends_with("sys/class/powercap not present"), "{err}");
}

#[test]
fn perf_power_pmu_is_described_from_sysfs() {
    let pmu = perf_power::discover(&fixture("intel-rapl")).unwrap();
    assert_eq!(pmu.pmu_type, 23);
    assert_eq!(pmu.cpus, vec![0]);
    let pkg = pmu.events.iter().find(|e| e.name == "energy-pkg").unwrap();
    assert_eq!(pkg.config, 2);
    assert_eq!(pkg.scale_j, 2f64.powi(-32)); // 2.3283064365386962890625e-10
    assert!(pkg.summed);
    let ram = pmu.events.iter().find(|e| e.name == "energy-ram").unwrap();
    assert_eq!((ram.config, ram.summed), (3, true));
    assert!(
        !pmu.events
            .iter()
            .find(|e| e.name == "energy-cores")
            .unwrap()
            .summed
    );
}

#[test]
fn perf_power_open_on_a_fixture_gives_a_reason_not_a_panic() {
    // PMU type 23 does not exist on the test machine (or is not RAPL).
    if let Err(reason) = perf_power::PerfPowerSource::open(&fixture("intel-rapl")) {
        assert!(reason.starts_with("energy-"), "{reason}");
    }
}

#[test]
fn auto_picks_rapl_on_an_intel_tree() {
    let cfg = MeterConfig {
        root: fixture("intel-rapl"),
        ..MeterConfig::default()
    };
    let sel = meters::select(&cfg);
    assert_eq!(sel.meter.kind(), MeterKind::Rapl);
    assert!(sel.rejected.is_empty());
    assert!(sel.meter.description().contains("package-0/dram"));
}

#[test]
fn nothing_available_gives_none_with_every_reason() {
    let empty = TempTree::empty("no-meters");
    let cfg = MeterConfig {
        root: empty.path().to_owned(),
        ..MeterConfig::default()
    };
    let mut sel = meters::select(&cfg);
    assert_eq!(sel.meter.kind(), MeterKind::None);
    let kinds: Vec<MeterKind> = sel.rejected.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![MeterKind::Rapl, MeterKind::PerfPower, MeterKind::Hwmon]
    );
    assert!(sel.rejected[0].to_string().starts_with("rapl: "));
    assert!(sel.rejected[0].reason.contains("powercap not present"));
    sel.meter.start().unwrap();
    let a = sel.meter.mark().unwrap();
    let b = sel.meter.mark().unwrap();
    let w = sel.meter.window(&a, &b);
    assert_eq!(w.energy_j, None);
    assert_eq!(w.avg_power_w, None);
    assert!(w.reason.unwrap().contains("rapl:"));

    let explicit = meters::select(&MeterConfig {
        kind: MeterChoice::Ina219,
        ..cfg
    });
    assert_eq!(explicit.rejected.len(), 1);
    assert!(explicit.rejected[0].reason.contains("no ina219 section"));
}
