//! The terminal summary at the end of a run: one table per model × device,
//! one row per recipe (on its runtime, when not the kernel) and workload.

use std::collections::BTreeMap;
use std::fmt::Write;

use edgebench_schema::{JobResult, Status};

use crate::plan::Cell;

/// One row of the summary.
struct Row {
    recipe: String,
    workload: String,
    status: String,
    size_mib: String,
    rss_mib: String,
    load_ms: String,
    ttft_ms: String,
    prefill: String,
    decode: String,
    energy: String,
    drop: String,
}

const HEADER: [&str; 11] = [
    "recipe",
    "workload",
    "status",
    "size MiB",
    "peak RSS MiB",
    "load ms",
    "TTFT ms",
    "prefill tok/s",
    "decode tok/s",
    "J/inference",
    "PPL Δ %",
];

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn row(cell: &Cell, r: Option<&JobResult>, reference: Option<&str>) -> Row {
    let recipe = edgebench_reports::CellRow::column_of(&cell.recipe, cell.runtime);
    let workload = format!(
        "{}t p{} g{}",
        cell.threads, cell.prompt_tokens, cell.gen_tokens
    );
    let Some(r) = r else {
        return Row {
            recipe,
            workload,
            status: "not run".into(),
            size_mib: String::new(),
            rss_mib: String::new(),
            load_ms: String::new(),
            ttft_ms: String::new(),
            prefill: String::new(),
            decode: String::new(),
            energy: String::new(),
            drop: String::new(),
        };
    };
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let lat = r.latency.as_ref();
    let status = match (r.status, r.validity.valid) {
        (Status::Ok, true) => "ok".to_owned(),
        (Status::Ok, false) => "ok (invalid)".to_owned(),
        (s, _) => s.name().to_owned(),
    };
    Row {
        recipe,
        workload,
        status,
        size_mib: num(r.model.as_ref().map(|m| mib(m.size_on_disk())), 1),
        rss_mib: num(r.memory.as_ref().map(|m| m.peak_rss_kib as f64 / 1024.0), 1),
        load_ms: num(r.model.as_ref().map(|m| m.load_seconds * 1e3), 1),
        ttft_ms: num(lat.map(|l| l.ttft_s.median * 1e3), 1),
        prefill: num(lat.map(|l| l.prefill_tps.median), 0),
        decode: num(lat.map(|l| l.decode_tps.median), 1),
        energy: num(
            r.energy
                .as_ref()
                .and_then(|e| e.energy_j.as_ref())
                .map(|s| s.median),
            3,
        ),
        drop: if cell.runtime.is_default() && reference == Some(cell.recipe_canonical.as_str()) {
            "ref".to_owned()
        } else {
            num(r.accuracy.as_ref().map(|a| a.ppl_delta_pct), 2)
        },
    }
}

/// Renders the tables for `cells` with their results (by cell id);
/// `reference` is the canonical reference recipe of the accuracy figures.
pub fn render(
    cells: &[Cell],
    results: &BTreeMap<String, JobResult>,
    reference: Option<&str>,
) -> String {
    let mut groups: Vec<((String, String), Vec<Row>)> = Vec::new();
    for cell in cells {
        let key = (cell.model.clone(), cell.device.clone());
        let row = row(cell, results.get(&cell.id), reference);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((key, vec![row])),
        }
    }
    let mut out = String::new();
    for ((model, device), rows) in groups {
        let _ = writeln!(out, "\nmodel {model} on {device}");
        let cols: Vec<[&str; 11]> = rows
            .iter()
            .map(|r| {
                [
                    &r.recipe,
                    &r.workload,
                    &r.status,
                    &r.size_mib,
                    &r.rss_mib,
                    &r.load_ms,
                    &r.ttft_ms,
                    &r.prefill,
                    &r.decode,
                    &r.energy,
                    &r.drop,
                ]
                .map(String::as_str)
            })
            .collect();
        let widths: Vec<usize> = (0..HEADER.len())
            .map(|i| {
                cols.iter()
                    .map(|c| c[i].chars().count())
                    .chain([HEADER[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in std::iter::once(HEADER).chain(cols) {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (v, &w))| {
                    if i < 3 {
                        format!("{v:<w$}")
                    } else {
                        format!("{v:>w$}")
                    }
                })
                .collect();
            let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
        }
    }
    out
}

/// "controller overhead per cell: median … ms" over the cells measured in
/// this invocation: the wall time the controller saw minus the agent's own
/// (starting the agent, sending the job, the link, reading the result).
pub fn overhead(seconds: &[f64]) -> Option<String> {
    if seconds.is_empty() {
        return None;
    }
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(format!(
        "controller overhead per cell: median {:.1} ms, max {:.1} ms over {n} cells",
        median * 1e3,
        sorted[n - 1] * 1e3
    ))
}
