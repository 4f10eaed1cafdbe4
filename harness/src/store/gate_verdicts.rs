//! The regression gate's verdicts of each gated run, in the
//! `gate_verdicts` table: what the reports mark on trend charts, and the
//! A/A canaries' false alarms night after night.

use rusqlite::{params, params_from_iter};
use serde::Serialize;

use super::db::Store;
use super::{StoreError, sql_err};

/// One cell-metric's verdict in a gated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateVerdict {
    /// The cell (for a canary, the cell it copies).
    pub cell_id: String,
    /// Whether this is an A/A canary.
    pub canary: bool,
    /// The metric's store name, `*` for a cell not compared at all.
    pub metric: String,
    /// `REGRESSED`, `SUSPECT`, `IMPROVED`, `UNCHANGED`, `INCONCLUSIVE`,
    /// `NOT COMPARABLE`.
    pub verdict: String,
    /// The change as the metric reads, percent.
    pub change_pct: Option<f64>,
    /// Its confidence interval, percent.
    pub ci_low_pct: Option<f64>,
    /// Its confidence interval, percent.
    pub ci_high_pct: Option<f64>,
    /// Stage-1 one-sided p-value.
    pub p: Option<f64>,
    /// Stage-2 Holm-adjusted p-value.
    pub p_confirm: Option<f64>,
    /// Valid stage-1 blocks.
    pub blocks: usize,
    /// Blocks redone because an arm was not valid.
    pub invalid_blocks: usize,
    /// Why, for inconclusive and not comparable.
    pub reason: Option<String>,
}

/// A verdict with the run it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunVerdict {
    /// The gated run.
    pub run_id: String,
    /// When it started, RFC 3339 UTC.
    pub started: String,
    /// Its baseline.
    pub baseline_run: String,
    /// The verdict.
    pub verdict: GateVerdict,
}

const COLUMNS: &str = "v.run_id, u.started, v.baseline_run, v.cell_id, v.canary, v.metric, \
     v.verdict, v.change_pct, v.ci_low_pct, v.ci_high_pct, v.p, v.p_confirm, v.blocks, \
     v.invalid_blocks, v.reason";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunVerdict> {
    Ok(RunVerdict {
        run_id: r.get(0)?,
        started: r.get(1)?,
        baseline_run: r.get(2)?,
        verdict: GateVerdict {
            cell_id: r.get(3)?,
            canary: r.get(4)?,
            metric: r.get(5)?,
            verdict: r.get(6)?,
            change_pct: r.get(7)?,
            ci_low_pct: r.get(8)?,
            ci_high_pct: r.get(9)?,
            p: r.get(10)?,
            p_confirm: r.get(11)?,
            blocks: r.get::<_, i64>(12)?.max(0) as usize,
            invalid_blocks: r.get::<_, i64>(13)?.max(0) as usize,
            reason: r.get(14)?,
        },
    })
}

impl Store {
    /// Records the gate's verdicts of run `run_id` against
    /// `baseline_run`, replacing any it had, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::RunNotInStore`] for a run the database does not
    /// hold, [`StoreError::Sqlite`].
    pub fn record_gate(
        &mut self,
        run_id: &str,
        baseline_run: &str,
        verdicts: &[GateVerdict],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = self.run_transaction(run_id)?;
        tx.execute("DELETE FROM gate_verdicts WHERE run_id = ?1", [run_id])
            .map_err(&err)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO gate_verdicts (run_id, baseline_run, cell_id, canary,
                         metric, verdict, change_pct, ci_low_pct, ci_high_pct, p, p_confirm,
                         blocks, invalid_blocks, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(&err)?;
            for v in verdicts {
                insert
                    .execute(params![
                        run_id,
                        baseline_run,
                        v.cell_id,
                        v.canary,
                        v.metric,
                        v.verdict,
                        v.change_pct,
                        v.ci_low_pct,
                        v.ci_high_pct,
                        v.p,
                        v.p_confirm,
                        v.blocks as i64,
                        v.invalid_blocks as i64,
                        v.reason,
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// The verdicts of run `run_id`, in cell and metric order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn gate_verdicts(&self, run_id: &str) -> Result<Vec<RunVerdict>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gate_verdicts v JOIN runs u ON u.id = v.run_id
             WHERE v.run_id = ?1 ORDER BY v.cell_id, v.canary, v.metric"
        );
        let mut q = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = q.query_map([run_id], row).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// The confirmed changes (`REGRESSED`, `IMPROVED`) of the cells
    /// `cell_ids` in every gated run, canaries left out, oldest run first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn confirmed_changes(&self, cell_ids: &[&str]) -> Result<Vec<RunVerdict>, StoreError> {
        let mut out = Vec::new();
        for chunk in cell_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT {COLUMNS} FROM gate_verdicts v JOIN runs u ON u.id = v.run_id
                 WHERE v.cell_id IN ({marks}) AND v.canary = 0
                   AND v.verdict IN ('REGRESSED', 'IMPROVED')
                 ORDER BY u.started, u.id"
            );
            let mut q = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let rows = q
                .query_map(params_from_iter(chunk.iter()), row)
                .map_err(|e| self.sql(e))?;
            for r in rows {
                out.push(r.map_err(|e| self.sql(e))?);
            }
        }
        Ok(out)
    }

    /// The A/A canary verdicts of every gated run of matrix
    /// `matrix_name` that started no later than `until` (RFC 3339),
    /// oldest run first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn canary_verdicts(
        &self,
        matrix_name: &str,
        until: &str,
    ) -> Result<Vec<RunVerdict>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gate_verdicts v JOIN runs u ON u.id = v.run_id
             WHERE u.matrix_name = ?1 AND u.started <= ?2 AND v.canary = 1
             ORDER BY u.started, u.id, v.cell_id, v.metric"
        );
        let mut q = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = q
            .query_map(params![matrix_name, until], row)
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
