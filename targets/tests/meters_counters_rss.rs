//! Hardware counters of this process and its peak RSS.

#[path = "fixtures/support.rs"]
mod support;

use edgebench_targets::counters::{Counters, UnavailableKind};
use edgebench_targets::meters::{ProcessMemory, read_process_memory};
use std::path::Path;
use support::fixture;

#[test]
fn counters_give_values_or_reasons() {
    let counters = Counters::open(Path::new("/proc"));
    let a = counters.read();
    let mut x = 0u64;
    for i in 0..100_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);
    let b = counters.read();
    let d = a.delta(&b);
    println!("{d:?}");
    let values = [d.instructions, d.cycles, d.cache_misses];
    for (value, counter) in values.iter().zip(edgebench_targets::counters::Counter::ALL) {
        match value {
            Some(_) => assert!(!d.unavailable.iter().any(|u| u.counter == counter)),
            None => {
                let u = d.unavailable.iter().find(|u| u.counter == counter).unwrap();
                assert!(matches!(
                    u.kind,
                    UnavailableKind::NotSupported
                        | UnavailableKind::NotPermitted
                        | UnavailableKind::Failed
                ));
                assert!(!u.detail.is_empty());
            }
        }
    }
    if let Some(i) = d.instructions {
        assert!(i > 100_000, "{i}");
    }
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"instructions\""));
}

#[test]
fn process_memory_from_a_fixture() {
    let m = read_process_memory(&fixture("rss/proc"), "self").unwrap();
    assert_eq!(
        m,
        ProcessMemory {
            peak_rss_kib: Some(1_048_576),
            rss_kib: Some(917_504),
            rss_anon_kib: Some(131_072),
            rss_file_kib: Some(786_000),
            rss_shmem_kib: Some(432),
        }
    );
    assert!(read_process_memory(&fixture("rss/proc"), "4242").is_err());
}

#[test]
fn process_memory_of_this_process() {
    let before = read_process_memory(Path::new("/proc"), "self").unwrap();
    let big = vec![1u8; 32 << 20];
    std::hint::black_box(&big);
    let after = read_process_memory(Path::new("/proc"), "self").unwrap();
    let (b, a) = (before.peak_rss_kib.unwrap(), after.peak_rss_kib.unwrap());
    assert!(a >= b + 30 * 1024, "{b} -> {a}");
    assert!(after.rss_anon_kib.is_some());
}

#[test]
fn old_kernels_without_the_rss_split() {
    let m = ProcessMemory::parse("VmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n");
    assert_eq!(
        (m.peak_rss_kib, m.rss_kib, m.rss_anon_kib),
        (Some(2048), Some(1024), None)
    );
}
