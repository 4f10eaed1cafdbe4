//! `edgebench generate --profile`: where the forward passes spent their
//! time, per class of operation, for the prompt (prefill) and the
//! generated tokens (decode).

use std::fmt::Write as _;

use edgebench_kernels::model::{PhaseProfile, Profile};
use serde::Serialize;

/// One class of operation of a phase.
#[derive(Debug, Clone, Serialize)]
pub struct OpLine {
    /// The class, e.g. `matmul gate/up`.
    pub op: &'static str,
    /// Calls over the phase.
    pub calls: u64,
    /// Milliseconds per token.
    pub ms_per_token: f64,
    /// Share of the phase's forward time, percent.
    pub share_pct: f64,
    /// Weight bytes read per second (products only), GB/s.
    pub weight_gb_per_s: Option<f64>,
}

/// One phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// Forward passes.
    pub forwards: u64,
    /// Tokens through them.
    pub tokens: u64,
    /// Milliseconds per token of the whole forward passes.
    pub ms_per_token: f64,
    /// The classes, in forward order.
    pub ops: Vec<OpLine>,
    /// Milliseconds per token outside every class (the pass's own
    /// bookkeeping).
    pub unattributed_ms_per_token: f64,
}

/// Both phases.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    /// The prompt's forward pass.
    pub prefill: PhaseReport,
    /// One forward pass per generated token after the first.
    pub decode: PhaseReport,
}

impl ProfileReport {
    /// The report of `profile`.
    pub fn of(profile: &Profile) -> Self {
        ProfileReport {
            prefill: phase(&profile.prefill),
            decode: phase(&profile.decode),
        }
    }

    /// The two tables as text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (name, p) in [("prefill", &self.prefill), ("decode", &self.decode)] {
            let _ = writeln!(
                s,
                "{name}: {} forward pass{}, {} token{}, {:.3} ms/token",
                p.forwards,
                if p.forwards == 1 { "" } else { "es" },
                p.tokens,
                if p.tokens == 1 { "" } else { "s" },
                p.ms_per_token
            );
            if p.ops.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "  {:<18} {:>7} {:>10} {:>7} {:>8}",
                "op", "calls", "ms/token", "share", "GB/s"
            );
            for o in &p.ops {
                let _ = writeln!(
                    s,
                    "  {:<18} {:>7} {:>10.4} {:>6.1}% {:>8}",
                    o.op,
                    o.calls,
                    o.ms_per_token,
                    o.share_pct,
                    o.weight_gb_per_s
                        .map_or_else(String::new, |g| format!("{g:.2}"))
                );
            }
            let _ = writeln!(
                s,
                "  {:<18} {:>7} {:>10.4}",
                "(unattributed)", "", p.unattributed_ms_per_token
            );
        }
        s
    }
}

fn phase(p: &PhaseProfile) -> PhaseReport {
    let tokens = p.tokens().max(1) as f64;
    PhaseReport {
        forwards: p.forwards(),
        tokens: p.tokens(),
        ms_per_token: p.wall().as_secs_f64() * 1e3 / tokens,
        ops: p
            .rows()
            .into_iter()
            .map(|r| OpLine {
                op: r.op.name(),
                calls: r.calls,
                ms_per_token: r.ms_per_token,
                share_pct: r.share * 100.0,
                weight_gb_per_s: r.weight_gb_per_s,
            })
            .collect(),
        unattributed_ms_per_token: p.unattributed().as_secs_f64() * 1e3 / tokens,
    }
}
