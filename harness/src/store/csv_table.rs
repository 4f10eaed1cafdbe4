//! `results.csv`: one flat row per cell. The column names are part of the
//! output format: new columns are only ever appended, none is renamed.
//!
//! | column | meaning |
//! |---|---|
//! | `run_id`, `cell_id` | the run and the cell's stable id |
//! | `device`, `model`, `recipe` | names from the matrix (recipe canonical) |
//! | `threads`, `prompt_tokens`, `gen_tokens` | the workload |
//! | `status`, `error` | how the cell ended (`ok`, `failed`, `oom`, ...) |
//! | `recipe_bytes`, `file_bytes`, `parameters` | model size as run, GGUF file size, parameter count |
//! | `peak_rss_kib` | peak resident memory of the agent, KiB |
//! | `ttft_median_s`, `ttft_p90_s` | time to first token, seconds |
//! | `prefill_tps_median` | prompt tokens per second |
//! | `decode_tps_median`, `decode_tps_ci_low`, `decode_tps_ci_high` | generated tokens per second, with the 95 % CI of the median |
//! | `e2e_median_s` | one whole inference, seconds |
//! | `token_ms_p50`, `token_ms_p99` | per-token decode latency, ms |
//! | `energy_j_median` | joules per inference |
//! | `decode_mj_per_token_median` | millijoules per generated token |
//! | `avg_power_w_median`, `idle_power_w` | watts during the reps and at idle |
//! | `meter` | the power meter (`rapl`, `ina219`, `none`, ...) |
//! | `instructions_median`, `cycles_median`, `cache_misses_median` | hardware counters per inference |
//! | `ppl`, `ppl_delta_pct`, `kld_mean`, `kld_p99`, `top1_agreement_pct` | accuracy against the reference recipe |
//! | `valid`, `validity_reasons` | `true`/`false`, reasons joined with `; ` |
//! | `runtime`, `runtime_version`, `runtime_cpu` | the runtime that ran the recipe file (`edgebench`, `llama.cpp`), its version (and commit) and the CPU code it ran |
//!
//! Missing values are empty cells. Numbers are written in Rust's shortest
//! form that parses back to the same `f64`.

use std::path::Path;

use edgebench_schema::{JobResult, Summary};

use super::StoreError;
use super::cell::StoredResult;
use super::env::write_atomically;

/// The header of `results.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "run_id",
    "cell_id",
    "device",
    "model",
    "recipe",
    "threads",
    "prompt_tokens",
    "gen_tokens",
    "status",
    "error",
    "recipe_bytes",
    "file_bytes",
    "parameters",
    "peak_rss_kib",
    "ttft_median_s",
    "ttft_p90_s",
    "prefill_tps_median",
    "decode_tps_median",
    "decode_tps_ci_low",
    "decode_tps_ci_high",
    "e2e_median_s",
    "token_ms_p50",
    "token_ms_p99",
    "energy_j_median",
    "decode_mj_per_token_median",
    "avg_power_w_median",
    "idle_power_w",
    "meter",
    "instructions_median",
    "cycles_median",
    "cache_misses_median",
    "ppl",
    "ppl_delta_pct",
    "kld_mean",
    "kld_p99",
    "top1_agreement_pct",
    "valid",
    "validity_reasons",
    "runtime",
    "runtime_version",
    "runtime_cpu",
];

fn num(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn int(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The row of one result, aligned with [`CSV_COLUMNS`].
pub fn csv_row(run_id: &str, stored: &StoredResult) -> Vec<String> {
    let (m, r): (_, &JobResult) = (&stored.meta, &stored.result);
    let model = r.model.as_ref();
    let lat = r.latency.as_ref();
    let energy = r.energy.as_ref();
    let counters = r.counters.as_ref();
    let acc = r.accuracy.as_ref();
    let median = |s: Option<&Summary>| s.map(|s| s.median);
    let e_median = |f: fn(&edgebench_schema::EnergyReport) -> &Option<Summary>| {
        num(energy.and_then(|e| f(e).as_ref()).map(|s| s.median))
    };
    let c_median = |f: fn(&edgebench_schema::CounterReport) -> &Option<Summary>| {
        num(counters.and_then(|c| f(c).as_ref()).map(|s| s.median))
    };
    let row = vec![
        run_id.to_owned(),
        r.cell_id.clone(),
        m.device.clone(),
        m.model.clone(),
        m.recipe.clone(),
        m.threads.to_string(),
        m.prompt_tokens.to_string(),
        m.gen_tokens.to_string(),
        r.status.name().to_owned(),
        r.error.clone().unwrap_or_default(),
        int(model.map(|x| x.recipe_bytes)),
        int(model.map(|x| x.file_bytes)),
        int(model.map(|x| x.parameters)),
        int(r.memory.as_ref().map(|x| x.peak_rss_kib)),
        num(median(lat.map(|l| &l.ttft_s))),
        num(lat.map(|l| l.ttft_s.p90)),
        num(median(lat.map(|l| &l.prefill_tps))),
        num(median(lat.map(|l| &l.decode_tps))),
        num(lat.map(|l| l.decode_tps.median_ci_low)),
        num(lat.map(|l| l.decode_tps.median_ci_high)),
        num(median(lat.map(|l| &l.e2e_s))),
        num(median(lat.map(|l| &l.token_ms))),
        num(lat.map(|l| l.token_ms.p99)),
        e_median(|e| &e.energy_j),
        e_median(|e| &e.decode_mj_per_token),
        e_median(|e| &e.avg_power_w),
        num(energy.and_then(|e| e.idle_power_w)),
        energy.map(|e| e.meter.clone()).unwrap_or_default(),
        c_median(|c| &c.instructions),
        c_median(|c| &c.cycles),
        c_median(|c| &c.cache_misses),
        num(acc.map(|a| a.ppl)),
        num(acc.map(|a| a.ppl_delta_pct)),
        num(acc.map(|a| a.kld_mean)),
        num(acc.map(|a| a.kld_p99)),
        num(acc.map(|a| a.top1_agreement_pct)),
        r.validity.valid.to_string(),
        r.validity.reasons.join("; "),
        m.runtime.name().to_owned(),
        r.runtime
            .as_ref()
            .map(|i| match &i.commit {
                Some(c) => format!("{} (commit {c})", i.version),
                None => i.version.clone(),
            })
            .unwrap_or_default(),
        r.runtime
            .as_ref()
            .map(|i| i.cpu_backend.clone())
            .unwrap_or_default(),
    ];
    debug_assert_eq!(row.len(), CSV_COLUMNS.len());
    row
}

/// The text of `results.csv` for `results`: a header and one row each.
///
/// # Errors
/// A [`csv::Error`] when a row cannot be written.
pub fn csv_bytes(run_id: &str, results: &[StoredResult]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for r in results {
        w.write_record(csv_row(run_id, r))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Writes `results.csv` at `path` for `results`, replacing the file whole.
///
/// # Errors
/// [`StoreError::Csv`] or [`StoreError::Io`] naming the file.
pub fn write_csv(path: &Path, run_id: &str, results: &[StoredResult]) -> Result<(), StoreError> {
    let bytes = csv_bytes(run_id, results).map_err(|source| StoreError::Csv {
        path: path.to_owned(),
        source,
    })?;
    write_atomically(path, &bytes)
}
