//! The per-op profiles of the cells that asked for one (`[measure]
//! profile = true`): for each, where a decode step and the prompt spent
//! their time, as text only.

use crate::model::CellRow;
use edgebench_schema::PhaseReport;

/// One profiled cell.
pub(super) struct ProfileView {
    /// `device · model · recipe · workload`.
    pub title: String,
    /// Decode and prefill milliseconds per token, as text.
    pub totals: String,
    pub rows: Vec<ProfileRowView>,
}

/// One class of operation, in forward order.
pub(super) struct ProfileRowView {
    pub op: String,
    pub decode_ms: String,
    pub decode_share: String,
    pub decode_gbps: String,
    pub prefill_ms: String,
    pub prefill_share: String,
}

impl ProfileView {
    /// The view of `cell`'s profile, if it has one.
    pub fn new(cell: &CellRow) -> Option<Self> {
        let p = cell.result.profile.as_ref()?;
        let mut ops: Vec<&str> = p.decode.ops.iter().map(|o| o.op.as_str()).collect();
        for o in &p.prefill.ops {
            if !ops.contains(&o.op.as_str()) {
                ops.push(&o.op);
            }
        }
        let line = |phase: &PhaseReport, op: &str| phase.ops.iter().find(|o| o.op == op).cloned();
        let rows = ops
            .into_iter()
            .map(|op| {
                let (d, pf) = (line(&p.decode, op), line(&p.prefill, op));
                ProfileRowView {
                    op: op.to_owned(),
                    decode_ms: d
                        .as_ref()
                        .map_or_else(dash, |o| format!("{:.4}", o.ms_per_token)),
                    decode_share: d
                        .as_ref()
                        .map_or_else(dash, |o| format!("{:.1} %", o.share_pct)),
                    decode_gbps: d
                        .as_ref()
                        .and_then(|o| o.weight_gb_per_s)
                        .map_or_else(dash, |g| format!("{g:.1}")),
                    prefill_ms: pf
                        .as_ref()
                        .map_or_else(dash, |o| format!("{:.4}", o.ms_per_token)),
                    prefill_share: pf
                        .as_ref()
                        .map_or_else(dash, |o| format!("{:.1} %", o.share_pct)),
                }
            })
            .collect();
        Some(ProfileView {
            title: format!(
                "{} · {} · {} · {}",
                cell.device,
                cell.model,
                cell.column(),
                cell.workload()
            ),
            totals: format!(
                "decode {:.3} ms/token ({} steps), prefill {:.3} ms/token ({} tokens)",
                p.decode.ms_per_token, p.decode.tokens, p.prefill.ms_per_token, p.prefill.tokens
            ),
            rows,
        })
    }
}

fn dash() -> String {
    "–".to_owned()
}
