//! Turning a [`Measurement`] into the result's per-rep samples and
//! summaries: latency, energy (with idle power subtracted) and counters.

use edgebench_schema::{CounterReport, LatencyReport, RepSample, Summary};

use super::energy::{RepEnergy, SampleAccounting, energy_report, rep_energy};
use super::{MeasuredRep, Measurement};
use crate::counters::{Counter, CounterUnavailable, HwCounters, UnavailableKind};

/// What the summaries need besides the measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct AssembleOptions {
    /// Prompt tokens per prefill (for prefill tokens/s).
    pub prompt_tokens: u32,
    /// Seed of every bootstrap interval (recorded in each summary).
    pub bootstrap_seed: u64,
    /// Samples per second of a sampling meter, for the report.
    pub sample_hz: Option<f64>,
    /// Why counters are missing when they were not read at all.
    pub counters_off_reason: String,
}

/// The result sections built from one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// One sample per measured repetition.
    pub reps: Vec<RepSample>,
    /// Latency summaries; `None` without repetitions.
    pub latency: Option<LatencyReport>,
    /// Energy summaries, or `None`s with the reason.
    pub energy: edgebench_schema::EnergyReport,
    /// Counter summaries, or `None`s with the reason.
    pub counters: CounterReport,
    /// Power samples over the repetitions, for validity.
    pub samples: SampleAccounting,
}

/// Builds every section of the result from `m`.
pub fn assemble(m: &Measurement, opts: &AssembleOptions) -> Assembled {
    let idle_w = m.idle.as_ref().and_then(|w| w.avg_power_w);
    let energies: Vec<RepEnergy> = m.reps.iter().map(|r| rep_energy(r, idle_w)).collect();
    let reps: Vec<RepSample> = m
        .reps
        .iter()
        .zip(&energies)
        .map(|(r, e)| rep_sample(r, e, opts.prompt_tokens))
        .collect();
    let samples = m
        .span
        .as_ref()
        .map(SampleAccounting::of)
        .unwrap_or_default();
    let seed = opts.bootstrap_seed;
    let summary =
        |f: &dyn Fn(&RepSample) -> f64| Summary::of(&reps.iter().map(f).collect::<Vec<_>>(), seed);
    let tokens: Vec<f64> = reps
        .iter()
        .flat_map(|r| r.token_ms.iter().copied())
        .collect();
    let latency = (|| {
        Some(LatencyReport {
            ttft_s: summary(&|r| r.ttft_s)?,
            prefill_tps: summary(&|r| r.prefill_tps)?,
            decode_tps: summary(&|r| r.decode_tps)?,
            e2e_s: summary(&|r| r.e2e_s)?,
            token_ms: Summary::of(&tokens, seed)?,
        })
    })();
    Assembled {
        energy: energy_report(m, idle_w, &energies, &samples, opts.sample_hz, seed),
        counters: counter_report(&m.reps, &opts.counters_off_reason, seed),
        samples,
        latency,
        reps,
    }
}

fn rep_sample(r: &MeasuredRep, e: &RepEnergy, prompt_tokens: u32) -> RepSample {
    let t = &r.timing;
    // A zero interval would give an infinite rate; the clock never gives
    // one for real work, so the floor only guards the arithmetic.
    let ttft = t.ttft().as_secs_f64().max(1e-9);
    let steps = t.token_latencies.len();
    let decode_tps = if steps == 0 {
        0.0
    } else {
        steps as f64 / t.decode_time().as_secs_f64().max(1e-9)
    };
    let c = r.counters.clone().unwrap_or_default();
    RepSample {
        ttft_s: t.ttft().as_secs_f64(),
        prefill_tps: f64::from(prompt_tokens) / ttft,
        decode_tps,
        e2e_s: t.e2e().as_secs_f64(),
        token_ms: t
            .token_latencies
            .iter()
            .map(|d| d.as_secs_f64() * 1e3)
            .collect(),
        energy_j: e.total_j,
        prefill_energy_j: e.prefill_j,
        decode_energy_j: e.decode_j,
        instructions: c.instructions,
        cycles: c.cycles,
        cache_misses: c.cache_misses,
    }
}

fn counter_name(c: Counter) -> &'static str {
    match c {
        Counter::Instructions => "instructions",
        Counter::Cycles => "cycles",
        Counter::CacheMisses => "cache-misses",
    }
}

fn kind_name(k: UnavailableKind) -> &'static str {
    match k {
        UnavailableKind::NotSupported => "not supported",
        UnavailableKind::NotPermitted => "not permitted",
        UnavailableKind::Failed => "failed",
    }
}

/// One sentence per class of reason: `not supported: instructions, cycles
/// (detail)`.
pub fn unavailable_reason(list: &[CounterUnavailable]) -> Option<String> {
    let mut parts = Vec::new();
    for kind in [
        UnavailableKind::NotSupported,
        UnavailableKind::NotPermitted,
        UnavailableKind::Failed,
    ] {
        let of_kind: Vec<&CounterUnavailable> = list.iter().filter(|u| u.kind == kind).collect();
        let Some(first) = of_kind.first() else {
            continue;
        };
        let mut names: Vec<&str> = Vec::new();
        for u in &of_kind {
            let n = counter_name(u.counter);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        parts.push(format!(
            "{}: {} ({})",
            kind_name(kind),
            names.join(", "),
            first.detail
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn counter_report(reps: &[MeasuredRep], off_reason: &str, seed: u64) -> CounterReport {
    let counts: Vec<&HwCounters> = reps.iter().filter_map(|r| r.counters.as_ref()).collect();
    if counts.is_empty() {
        return CounterReport {
            reason: Some(off_reason.to_owned()),
            ..CounterReport::default()
        };
    }
    let of = |f: &dyn Fn(&HwCounters) -> Option<u64>| {
        let v: Vec<f64> = counts
            .iter()
            .filter_map(|c| f(c))
            .map(|x| x as f64)
            .collect();
        Summary::of(&v, seed)
    };
    let unavailable: Vec<CounterUnavailable> = counts
        .iter()
        .flat_map(|c| c.unavailable.iter().cloned())
        .collect();
    let mut reason = unavailable_reason(&unavailable);
    if counts.iter().any(|c| c.multiplexed) {
        let note = "counts scaled: the PMU was shared (multiplexed)".to_owned();
        reason = Some(reason.map_or(note.clone(), |r| format!("{r}; {note}")));
    }
    CounterReport {
        reason,
        instructions: of(&|c| c.instructions),
        cycles: of(&|c| c.cycles),
        cache_misses: of(&|c| c.cache_misses),
    }
}
