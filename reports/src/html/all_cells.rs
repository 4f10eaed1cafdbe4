//! The table of every cell, one row each with its raw figures: the page's
//! sortable, filterable view of the whole result set.

use edgebench_schema::Summary;

use crate::model::CellRow;

/// The columns of the all-cells table.
pub const ALL_CELLS_COLUMNS: [&str; 20] = [
    "Device",
    "Model",
    "Recipe",
    "Threads",
    "Prompt",
    "Generated",
    "Status",
    "Size (MiB)",
    "Peak RSS (MiB)",
    "TTFT (ms)",
    "Prefill (tok/s)",
    "Decode (tok/s)",
    "Token p90 (ms)",
    "Latency (s)",
    "Energy (J)",
    "Energy/token (mJ)",
    "Avg power (W)",
    "PPL Δ (%)",
    "KLD",
    "Top-1 (%)",
];

/// One value of the table: its text and, for numbers, the key it sorts by.
pub(super) struct Value {
    pub text: String,
    pub sort: Option<String>,
}

fn text(s: &str) -> Value {
    Value {
        text: s.to_owned(),
        sort: None,
    }
}

fn number(v: Option<f64>, decimals: usize) -> Value {
    match v.filter(|v| v.is_finite()) {
        Some(v) => Value {
            text: format!("{v:.decimals$}"),
            sort: Some(format!("{v}")),
        },
        None => Value {
            text: "n/a".to_owned(),
            sort: None,
        },
    }
}

fn median(s: Option<&Summary>) -> Option<f64> {
    s.map(|s| s.median)
}

/// The row of `cell`, in [`ALL_CELLS_COLUMNS`] order.
pub(super) fn row(cell: &CellRow) -> Vec<Value> {
    let r = &cell.result;
    let lat = r.latency.as_ref();
    let energy = r.energy.as_ref();
    let acc = r.accuracy.as_ref();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    vec![
        text(&cell.device),
        text(&cell.model),
        text(&cell.column()),
        number(Some(cell.threads.into()), 0),
        number(Some(cell.prompt_tokens.into()), 0),
        number(Some(cell.gen_tokens.into()), 0),
        text(r.status.name()),
        number(r.model.as_ref().map(|m| mib(m.size_on_disk())), 1),
        number(r.memory.as_ref().map(|m| m.peak_rss_kib as f64 / 1024.0), 1),
        number(lat.map(|l| l.ttft_s.median * 1000.0), 1),
        number(median(lat.map(|l| &l.prefill_tps)), 1),
        number(median(lat.map(|l| &l.decode_tps)), 1),
        number(lat.map(|l| l.token_ms.p90), 2),
        number(median(lat.map(|l| &l.e2e_s)), 3),
        number(median(energy.and_then(|e| e.energy_j.as_ref())), 3),
        number(
            median(energy.and_then(|e| e.decode_mj_per_token.as_ref())),
            2,
        ),
        number(median(energy.and_then(|e| e.avg_power_w.as_ref())), 2),
        number(acc.map(|a| a.ppl_delta_pct), 2),
        number(acc.map(|a| a.kld_mean), 4),
        number(acc.map(|a| a.top1_agreement_pct), 1),
    ]
}
