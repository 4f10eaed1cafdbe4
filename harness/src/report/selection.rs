//! The recommendation's constraints, read from the `[select]` table of the
//! matrix as run (the copy in the run directory) with the matrix's own
//! reader and checks.

use std::path::Path;

use anyhow::anyhow;
use edgebench_reports::Selection;

use crate::matrix;

/// The selection of the matrix `matrix_text`, read from `path` (defaults
/// without `[select]`).
///
/// # Errors
/// When the text is not TOML or `[select]` is malformed or out of range,
/// every error with its file, line and column.
pub fn selection_of(path: &Path, matrix_text: &str) -> anyhow::Result<Selection> {
    matrix::load_select(path, matrix_text).map_err(|d| anyhow!("{}", d.render().trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_reports::Objective;

    fn select(text: &str) -> anyhow::Result<Selection> {
        selection_of(Path::new("runs/x/matrix.toml"), text)
    }

    #[test]
    fn reads_select_and_defaults() {
        let s = select(
            "name = \"x\"\n[select]\nmax_accuracy_drop_pct = 2\nmax_peak_rss_mib = 512.5\nobjective = \"energy\"\n",
        )
        .expect("parses");
        assert_eq!(s.max_accuracy_drop_pct, Some(2.0));
        assert_eq!(s.max_peak_rss_mib, Some(512.5));
        assert_eq!(s.objective, Objective::Energy);
        assert_eq!(
            select("name = \"x\"").expect("parses"),
            Selection::default()
        );
    }

    #[test]
    fn bad_select_is_an_error() {
        let e = select("[select]\nobjective = \"speed\"\n").expect_err("unknown objective");
        assert!(format!("{e:#}").contains("speed"), "{e:#}");
        let e = select("[select]\nmax_peak_rss_mib = -1\n").expect_err("negative");
        let e = format!("{e:#}");
        assert!(
            e.contains("runs/x/matrix.toml:2:") && e.contains("max_peak_rss_mib"),
            "{e}"
        );
    }
}
