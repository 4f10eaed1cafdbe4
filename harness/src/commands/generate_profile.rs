//! `edgebench generate --profile`: where the forward passes spent their
//! time, per class of operation, for the prompt (prefill) and the
//! generated tokens (decode).

use std::fmt::Write as _;

use edgebench_schema::ProfileReport;

/// The two tables of `report` as text.
pub fn render(report: &ProfileReport) -> String {
    let mut s = String::new();
    for (name, p) in [("prefill", &report.prefill), ("decode", &report.decode)] {
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
