//! Fixtures for the results-store tests: fully populated results with
//! seeded values, cell names, and a run under a temporary directory.

#![allow(dead_code)]

use std::path::Path;

use edgebench::store::{CellMeta, NewRun, RunRow, RunStatus, RunStore, Store, StoredResult};
use edgebench_schema::result::Workload;
use edgebench_schema::{
    AccuracyReport, AgentInfo, CounterReport, EnergyReport, JobResult, LatencyReport, MemoryReport,
    ModelReport, RepSample, SCHEMA_VERSION, Status, Summary, Validity,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The matrix text stored with test runs.
pub const MATRIX: &str = "# test matrix\nname = \"store-test\"\n\n[[models]]\nname = \"tiny\"\n";

/// The id of test cell `i`.
pub fn cell_id(i: usize) -> String {
    format!("cell{i:03}")
}

/// The names of test cell `i`.
pub fn meta(i: usize) -> CellMeta {
    CellMeta {
        device: if i.is_multiple_of(2) { "local" } else { "pi5" }.to_owned(),
        model: "tiny".to_owned(),
        recipe: ["f32", "q8_0", "q4_0+heads25"][i % 3].to_owned(),
        runtime: if i % 5 == 4 {
            edgebench_schema::Runtime::LlamaCpp
        } else {
            edgebench_schema::Runtime::Edgebench
        },
        threads: 1 + (i % 2) as u32,
        prompt_tokens: 16,
        gen_tokens: 8,
    }
}

fn summary(rng: &mut StdRng, center: f64, seed: u64) -> Summary {
    let samples: Vec<f64> = (0..5)
        .map(|_| center * (1.0 + rng.random_range(-0.1..0.1)))
        .collect();
    Summary::of(&samples, seed).expect("finite samples")
}

/// A measured result of cell `i` with every section filled, values drawn
/// from a generator seeded with `seed` (awkward decimals on purpose).
pub fn result(i: usize, seed: u64) -> JobResult {
    let mut rng = StdRng::seed_from_u64(seed ^ (i as u64) << 8);
    let m = meta(i);
    let reps: Vec<RepSample> = (0..3)
        .map(|_| RepSample {
            ttft_s: rng.random_range(0.01..0.1),
            prefill_tps: rng.random_range(100.0..900.0),
            decode_tps: rng.random_range(10.0..90.0),
            e2e_s: rng.random_range(0.1..1.0),
            token_ms: (0..4).map(|_| rng.random_range(5.0..50.0)).collect(),
            energy_j: Some(rng.random_range(0.1..2.0)),
            prefill_energy_j: Some(rng.random_range(0.01..0.5)),
            decode_energy_j: Some(rng.random_range(0.1..1.5)),
            instructions: Some(rng.random_range(1_000_000..9_000_000)),
            cycles: Some(rng.random_range(1_000_000..9_000_000)),
            cache_misses: Some(rng.random_range(1_000..9_000)),
        })
        .collect();
    JobResult {
        schema_version: SCHEMA_VERSION,
        cell_id: cell_id(i),
        status: Status::Ok,
        error: None,
        agent: AgentInfo {
            version: "0.1.0".into(),
            git_revision: "abc1234".into(),
            target: "x86_64-unknown-linux-gnu".into(),
            isa: "avx2".into(),
            binary_sha256: None,
        },
        device: serde_json::json!({"cpu": "test cpu", "cores": 2}),
        model: Some(ModelReport {
            path: "/tmp/tiny.gguf".into(),
            sha256: "ab".repeat(32),
            file_bytes: 1_234_567,
            recipe: m.recipe.clone(),
            parameters: 987_654,
            recipe_bytes: rng.random_range(100_000..1_000_000),
            load_seconds: rng.random_range(0.01..0.2),
            source_sha256: Some("ef".repeat(32)),
            applied_at_load: false,
        }),
        workload: Some(Workload {
            threads: m.threads,
            prompt_tokens: m.prompt_tokens,
            gen_tokens: m.gen_tokens,
        }),
        latency: Some(LatencyReport {
            ttft_s: summary(&mut rng, 0.05, seed),
            prefill_tps: summary(&mut rng, 512.3, seed),
            decode_tps: summary(&mut rng, 41.7, seed),
            e2e_s: summary(&mut rng, 0.31, seed),
            token_ms: summary(&mut rng, 23.9, seed),
        }),
        memory: Some(MemoryReport {
            peak_rss_kib: rng.random_range(10_000..90_000),
            rss_anon_kib: Some(5_000),
            rss_file_kib: None,
        }),
        energy: Some(EnergyReport {
            meter: "rapl".into(),
            description: Some("package-0 + dram".into()),
            reason: None,
            sample_hz: None,
            idle_power_w: Some(rng.random_range(1.0..5.0)),
            energy_j: Some(summary(&mut rng, 0.7, seed)),
            energy_above_idle_j: Some(summary(&mut rng, 0.4, seed)),
            decode_mj_per_token: Some(summary(&mut rng, 12.5, seed)),
            prefill_energy_j: Some(summary(&mut rng, 0.1, seed)),
            avg_power_w: Some(summary(&mut rng, 9.1, seed)),
            samples: 120,
            error_samples: 0,
            dropped_samples: 0,
        }),
        counters: Some(CounterReport {
            reason: None,
            instructions: Some(summary(&mut rng, 4.0e6, seed)),
            cycles: Some(summary(&mut rng, 3.0e6, seed)),
            cache_misses: Some(summary(&mut rng, 4.1e3, seed)),
        }),
        accuracy: Some(accuracy(&mut rng)),
        validity: Validity {
            valid: i % 4 != 3,
            reasons: if i % 4 == 3 {
                vec!["throttled".into(), "too few reps, \"3\"".into()]
            } else {
                Vec::new()
            },
        },
        warmup_reps: 1,
        reps,
        timing: None,
        profile: None,
        runtime: None,
    }
}

/// An accuracy report with seeded values.
pub fn accuracy(rng: &mut StdRng) -> AccuracyReport {
    let ppl: f64 = rng.random_range(5.0..9.0);
    let ppl_reference = 5.0;
    AccuracyReport {
        reference: "f32".into(),
        text_sha256: "cd".repeat(32),
        ctx: 64,
        windows: 4,
        scored_tokens: 128,
        ppl,
        ppl_stderr: 0.1,
        ppl_reference,
        ppl_ratio: ppl / ppl_reference,
        ppl_delta_pct: (ppl / ppl_reference - 1.0) * 100.0,
        kld_mean: rng.random_range(0.0..0.1),
        kld_p99: rng.random_range(0.1..0.5),
        top1_agreement_pct: rng.random_range(80.0..100.0),
        file_sha256: Some("12".repeat(32)),
        reference_sha256: Some("34".repeat(32)),
        runtime: Default::default(),
    }
}

/// Starts a run of [`MATRIX`] under `root`, database `root/edgebench.sqlite`.
pub fn new_run(root: &Path) -> RunStore {
    new_run_of(root, "store-test")
}

/// Starts a run of [`MATRIX`] under the name `matrix_name`.
pub fn new_run_of(root: &Path, matrix_name: &str) -> RunStore {
    let store = Store::open(&Store::default_path(root)).expect("open the database");
    RunStore::create(
        root,
        store,
        NewRun {
            matrix_name: matrix_name.into(),
            matrix_text: MATRIX.into(),
            command_line: vec!["edgebench".into(), "run".into(), "m.toml".into()],
            host: edgebench::store::host_facts(),
        },
    )
    .expect("create the run")
}

/// Resumes run `id` under `root`.
pub fn resume(root: &Path, id: &str) -> RunStore {
    let store = Store::open(&Store::default_path(root)).expect("open the database");
    RunStore::open(
        root,
        store,
        id,
        vec!["edgebench".into(), "run".into(), "--resume".into()],
    )
    .expect("resume the run")
}

/// A run of the matrix named `matrix_name` under `root` with results for
/// cells `0..cells`, ended with `status` (left running for
/// [`RunStatus::Running`]); its id.
pub fn stored_run(root: &Path, matrix_name: &str, cells: usize, status: RunStatus) -> String {
    let mut run = new_run_of(root, matrix_name);
    for i in 0..cells {
        run.record(&result(i, 1), &meta(i))
            .expect("record a result");
    }
    if status != RunStatus::Running {
        run.finish(status).expect("finish the run");
    }
    run.id().to_string()
}

/// Stores the row of a run with a chosen id (no files, no results), started
/// at the time the id encodes.
pub fn run_row(store: &Store, id: &str, matrix_name: &str, status: RunStatus) {
    let p = |r: std::ops::Range<usize>| &id[r];
    let started = format!(
        "{}-{}-{}T{}:{}:{}Z",
        p(0..4),
        p(4..6),
        p(6..8),
        p(9..11),
        p(11..13),
        p(13..19)
    );
    store
        .upsert_run(&RunRow {
            id: id.to_owned(),
            matrix_name: matrix_name.to_owned(),
            started,
            finished: None,
            status,
            matrix_text: MATRIX.to_owned(),
        })
        .expect("store the run row");
}

/// The id of run `k` of [`decode_tps_history`]: started `k` minutes after
/// 2026-01-01 00:00 UTC.
pub fn history_run_id(k: usize) -> String {
    assert!(k < 24 * 60, "one day of minutes");
    format!(
        "20260101T{:02}{:02}00.000Z-{:06x}",
        k / 60,
        k % 60,
        0xa0_0000 + k
    )
}

/// Stores one finished run of the matrix `matrix_name` per value (run `k`
/// is [`history_run_id`]`(k)`, in the database under `root`), each with a
/// result of cell `cell_id` named `meta` whose median decode tokens/s is
/// the value; the run ids. Runs already stored get the result added, so
/// several cells can share the runs.
pub fn decode_tps_history(
    root: &Path,
    matrix_name: &str,
    cell_id: &str,
    meta: &CellMeta,
    values: &[f64],
) -> Vec<String> {
    let mut store = Store::open(&Store::default_path(root)).expect("open the database");
    values
        .iter()
        .enumerate()
        .map(|(k, &value)| {
            let id = history_run_id(k);
            run_row(&store, &id, matrix_name, RunStatus::Finished);
            let mut r = result(0, k as u64);
            r.cell_id = cell_id.to_owned();
            r.latency
                .as_mut()
                .expect("a measured result")
                .decode_tps
                .median = value;
            let stored = StoredResult {
                meta: meta.clone(),
                result: r,
            };
            store.insert_result(&id, &stored).expect("store the result");
            id
        })
        .collect()
}
