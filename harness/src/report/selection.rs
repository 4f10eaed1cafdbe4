//! The recommendation's constraints, read from the `[select]` table of the
//! matrix as run (the copy in the run directory).

use anyhow::Context;
use edgebench_reports::{Objective, Selection};
use serde::Deserialize;

/// Only the `[select]` table of a matrix; everything else is ignored.
#[derive(Deserialize)]
struct MatrixSelect {
    #[serde(default)]
    select: Option<SelectTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectTable {
    max_accuracy_drop_pct: Option<f64>,
    max_peak_rss_mib: Option<f64>,
    objective: Option<Objective>,
}

/// The selection of the matrix `matrix_text` (defaults without `[select]`).
///
/// # Errors
/// When the text is not TOML or `[select]` is malformed.
pub fn selection_of(matrix_text: &str) -> anyhow::Result<Selection> {
    let m: MatrixSelect =
        toml::from_str(matrix_text).context("cannot read the matrix's [select] table")?;
    Ok(m.select.map_or_else(Selection::default, |s| Selection {
        max_accuracy_drop_pct: s.max_accuracy_drop_pct,
        max_peak_rss_mib: s.max_peak_rss_mib,
        objective: s.objective.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_select_and_defaults() {
        let s = selection_of(
            "name = \"x\"\n[select]\nmax_accuracy_drop_pct = 2\nmax_peak_rss_mib = 512.5\nobjective = \"energy\"\n",
        )
        .expect("parses");
        assert_eq!(s.max_accuracy_drop_pct, Some(2.0));
        assert_eq!(s.max_peak_rss_mib, Some(512.5));
        assert_eq!(s.objective, Objective::Energy);
        assert_eq!(
            selection_of("name = \"x\"").expect("parses"),
            Selection::default()
        );
    }

    #[test]
    fn bad_select_is_an_error() {
        let e = selection_of("[select]\nobjective = \"speed\"\n").expect_err("unknown objective");
        assert!(format!("{e:#}").contains("speed"), "{e:#}");
    }
}
