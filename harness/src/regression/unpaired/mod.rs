//! An unpaired comparison of two stored runs, for inspection: per matched
//! cell and metric, each run's value, the change of the second against
//! the first as the metric reads, and whether the two runs' reps overlap.
//!
//! The two runs were measured in different sessions, so every difference
//! includes the session-to-session shift (thermal state, background load,
//! clocks) that only pairing in one session cancels; no verdict is given.
//! The regression gate (`edgebench run MATRIX --baseline RUN`) measures
//! both sets of artifacts in paired blocks of one session for that.
//!
//! Cells are matched by [`CellKey`] (device, model name, recipe,
//! workload), as the gate matches a baseline; [`mann_whitney`] gives the
//! rank test over per-rep samples, and [`report`] writes the comparison as
//! text, Markdown, CSV and JSON.

pub mod mann_whitney;
pub mod report;

use std::collections::BTreeMap;

use edgebench_schema::{JobResult, Status};
use serde::{Serialize, Serializer};

use super::baseline::CellKey;
use super::orientation::{SAMPLED_METRICS, oriented_log_ratio, pct_as_read};
use crate::store::{CellMeta, Metric, RunRow, StoredResult};

/// What every output of an unpaired comparison says first.
pub const BANNER: &str = "UNPAIRED comparison of two sessions: differences include \
     session-to-session noise; use `edgebench run MATRIX --baseline RUN` for a verdict";

/// One of the two runs compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSide {
    /// The run id.
    pub id: String,
    /// The name of its matrix.
    pub matrix: String,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// `running`, `finished`, `interrupted` or `failed`.
    pub status: String,
}

impl RunSide {
    /// The side of a stored run.
    pub fn of(row: &RunRow) -> Self {
        RunSide {
            id: row.id.clone(),
            matrix: row.matrix_name.clone(),
            started: row.started.clone(),
            status: row.status.name().to_owned(),
        }
    }
}

/// The names of a cell, as both runs know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellLabel {
    /// Device name.
    pub device: String,
    /// Model name.
    pub model: String,
    /// Canonical recipe.
    pub recipe: String,
    /// Workload label (`t2-p64-g32`).
    pub workload: String,
}

impl CellLabel {
    /// The label of a cell.
    pub fn of(meta: &CellMeta) -> Self {
        CellLabel {
            device: meta.device.clone(),
            model: meta.model.clone(),
            recipe: meta.recipe.clone(),
            workload: meta.workload(),
        }
    }
}

/// Whether the two results ran the same files: the agent binary and the
/// recipe file, by SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// Both hashes recorded and equal.
    Same,
    /// The agent binary differs (the recipe file does not, or is not
    /// recorded).
    AgentChanged,
    /// The recipe file differs (the agent does not, or is not recorded).
    RecipeFileChanged,
    /// Both differ.
    BothChanged,
    /// Nothing known to differ, but a hash is missing from a result (a
    /// run older than the artifact store, or a failed cell).
    NotRecorded,
}

impl Files {
    /// How the files of `a` and `b` compare.
    pub fn of(a: &JobResult, b: &JobResult) -> Self {
        let same = |x: Option<&String>, y: Option<&String>| match (x, y) {
            (Some(x), Some(y)) => Some(x == y),
            _ => None,
        };
        let agent = same(
            a.agent.binary_sha256.as_ref(),
            b.agent.binary_sha256.as_ref(),
        );
        let recipe = same(
            a.model.as_ref().map(|m| &m.sha256),
            b.model.as_ref().map(|m| &m.sha256),
        );
        match (agent, recipe) {
            (Some(false), Some(false)) => Files::BothChanged,
            (Some(false), _) => Files::AgentChanged,
            (_, Some(false)) => Files::RecipeFileChanged,
            (Some(true), Some(true)) => Files::Same,
            _ => Files::NotRecorded,
        }
    }

    /// `same files`, `agent changed`, `recipe file changed`, `agent and
    /// recipe file changed` or `not recorded`.
    pub fn label(self) -> &'static str {
        match self {
            Files::Same => "same files",
            Files::AgentChanged => "agent changed",
            Files::RecipeFileChanged => "recipe file changed",
            Files::BothChanged => "agent and recipe file changed",
            Files::NotRecorded => "not recorded",
        }
    }
}

impl Serialize for Files {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// How the two runs' per-rep samples of a metric compare.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Samples {
    /// Reps of run A.
    pub n_a: usize,
    /// Reps of run B.
    pub n_b: usize,
    /// Whether the ranges of the two samples intersect.
    pub overlap: bool,
    /// Mann–Whitney U of run A's reps.
    pub u: f64,
    /// Two-sided Mann–Whitney p-value, treating the two runs' reps as
    /// independent: it ignores the session-to-session shift and so
    /// overstates significance (see [`mann_whitney`]).
    pub p_unpaired: f64,
}

/// One metric of a matched cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    /// The metric's column name (`decode_tps_median`, ...).
    pub metric: &'static str,
    /// Run A's value.
    pub a: Option<f64>,
    /// Run B's value.
    pub b: Option<f64>,
    /// B against A in percent, as the metric reads (a drop of tokens/s is
    /// negative); `None` unless both values are positive, and for
    /// `ppl_delta_pct`, itself a percent, whose change is `difference`.
    pub change_pct: Option<f64>,
    /// `b − a`, in the metric's unit (points for `ppl_delta_pct`).
    pub difference: Option<f64>,
    /// The per-rep samples, for metrics with a value per rep.
    pub samples: Option<Samples>,
}

/// A cell both runs measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellComparison {
    /// Its names.
    #[serde(flatten)]
    pub cell: CellLabel,
    /// Its id in run A.
    pub cell_id_a: String,
    /// Its id in run B (differs from A's when the model file changed).
    pub cell_id_b: String,
    /// Run A's result status (`ok`, `failed`, ...).
    pub status_a: &'static str,
    /// Run B's result status.
    pub status_b: &'static str,
    /// Whether the two results ran the same files.
    pub files: Files,
    /// The metrics compared, in the order asked.
    pub metrics: Vec<MetricChange>,
}

/// A cell only one run measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoneCell {
    /// Its names.
    #[serde(flatten)]
    pub cell: CellLabel,
    /// Its id.
    pub cell_id: String,
    /// Its result status.
    pub status: &'static str,
}

/// An unpaired comparison of run B against run A.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnpairedComparison {
    /// Always `false`: the runs were measured in different sessions.
    pub paired: bool,
    /// [`BANNER`].
    pub note: &'static str,
    /// The first run, the reference of the changes.
    pub run_a: RunSide,
    /// The second run.
    pub run_b: RunSide,
    /// Cells both runs measured, by device, model, recipe and workload.
    pub cells: Vec<CellComparison>,
    /// Cells only run A measured.
    pub only_in_a: Vec<LoneCell>,
    /// Cells only run B measured.
    pub only_in_b: Vec<LoneCell>,
}

/// Compares the results `b` of run B against the results `a` of run A.
///
/// With `metrics` `None`, each matched cell shows every metric of
/// [`Metric::ALL`] that both its results have; otherwise the metrics
/// given, in that order, with a missing value as `None`. Within a run, a
/// second result of the same [`CellKey`] is ignored.
pub fn compare(
    run_a: RunSide,
    a: &[StoredResult],
    run_b: RunSide,
    b: &[StoredResult],
    metrics: Option<&[Metric]>,
) -> UnpairedComparison {
    let (a, b) = (by_key(a), by_key(b));
    let lone = |s: &StoredResult| LoneCell {
        cell: CellLabel::of(&s.meta),
        cell_id: s.result.cell_id.clone(),
        status: s.result.status.name(),
    };
    let cells = a
        .iter()
        .filter_map(|(key, ra)| b.get(key).map(|rb| compare_cell(ra, rb, metrics)))
        .collect();
    let only = |x: &BTreeMap<CellKey, &StoredResult>, y: &BTreeMap<CellKey, &StoredResult>| {
        x.iter()
            .filter(|(k, _)| !y.contains_key(*k))
            .map(|(_, s)| lone(s))
            .collect()
    };
    UnpairedComparison {
        paired: false,
        note: BANNER,
        only_in_a: only(&a, &b),
        only_in_b: only(&b, &a),
        run_a,
        run_b,
        cells,
    }
}

/// The results by cell key, the first of each key.
fn by_key(results: &[StoredResult]) -> BTreeMap<CellKey, &StoredResult> {
    let mut map = BTreeMap::new();
    for r in results {
        map.entry(CellKey::of(&r.meta)).or_insert(r);
    }
    map
}

fn compare_cell(a: &StoredResult, b: &StoredResult, metrics: Option<&[Metric]>) -> CellComparison {
    let (ra, rb) = (&a.result, &b.result);
    let changes = match metrics {
        Some(chosen) => chosen.iter().map(|&m| metric_change(m, ra, rb)).collect(),
        None => Metric::ALL
            .into_iter()
            .filter(|m| m.of(ra).is_some() && m.of(rb).is_some())
            .map(|m| metric_change(m, ra, rb))
            .collect(),
    };
    CellComparison {
        cell: CellLabel::of(&a.meta),
        cell_id_a: ra.cell_id.clone(),
        cell_id_b: rb.cell_id.clone(),
        status_a: ra.status.name(),
        status_b: rb.status.name(),
        files: Files::of(ra, rb),
        metrics: changes,
    }
}

fn metric_change(metric: Metric, a: &JobResult, b: &JobResult) -> MetricChange {
    let (va, vb) = (metric.of(a), metric.of(b));
    let both = va.zip(vb);
    MetricChange {
        metric: metric.column(),
        a: va,
        b: vb,
        change_pct: both
            .filter(|_| metric != Metric::PplDeltaPct)
            .and_then(|(x, y)| oriented_log_ratio(metric, x, y))
            .map(|d| pct_as_read(metric, d)),
        difference: both.map(|(x, y)| y - x),
        samples: samples(metric, a, b),
    }
}

/// The per-rep values of `metric` in `r` (finite ones), for the sampled
/// metrics that have a value per rep.
pub fn rep_values(metric: Metric, r: &JobResult) -> Option<Vec<f64>> {
    if !SAMPLED_METRICS.contains(&metric) {
        return None;
    }
    let per_rep: fn(&edgebench_schema::RepSample) -> Option<f64> = match metric {
        Metric::DecodeTpsMedian => |s| Some(s.decode_tps),
        Metric::PrefillTpsMedian => |s| Some(s.prefill_tps),
        Metric::TtftMedian => |s| Some(s.ttft_s),
        Metric::E2eMedian => |s| Some(s.e2e_s),
        Metric::EnergyJMedian => |s| s.energy_j,
        _ => return None,
    };
    if r.status != Status::Ok {
        return None;
    }
    Some(
        r.reps
            .iter()
            .filter_map(per_rep)
            .filter(|v| v.is_finite())
            .collect(),
    )
}

fn samples(metric: Metric, a: &JobResult, b: &JobResult) -> Option<Samples> {
    let (xa, xb) = (rep_values(metric, a)?, rep_values(metric, b)?);
    let test = mann_whitney::mann_whitney(&xa, &xb).ok()?;
    let range = |x: &[f64]| {
        x.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    };
    let ((lo_a, hi_a), (lo_b, hi_b)) = (range(&xa), range(&xb));
    Some(Samples {
        n_a: test.n_a,
        n_b: test.n_b,
        overlap: lo_a.max(lo_b) <= hi_a.min(hi_b),
        u: test.u,
        p_unpaired: test.p_two_sided,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_name_what_changed() {
        let base = |agent: Option<&str>, model: &str| {
            let mut r: JobResult = serde_json::from_value(serde_json::json!({
                "schema_version": edgebench_schema::SCHEMA_VERSION,
                "cell_id": "c",
                "status": "ok",
                "agent": {"version": "0", "git_revision": "0", "target": "t", "isa": "i"},
                "device": {},
                "validity": {"valid": true, "reasons": []},
                "warmup_reps": 0,
                "reps": [],
            }))
            .unwrap();
            r.agent.binary_sha256 = agent.map(str::to_owned);
            r.model = Some(edgebench_schema::ModelReport {
                path: "m.gguf".into(),
                sha256: model.into(),
                file_bytes: 1,
                recipe: "f32".into(),
                parameters: 1,
                recipe_bytes: 1,
                load_seconds: 0.0,
                source_sha256: None,
                applied_at_load: false,
            });
            r
        };
        let of = |a, b| Files::of(&a, &b).label();
        assert_eq!(of(base(Some("x"), "m"), base(Some("x"), "m")), "same files");
        assert_eq!(
            of(base(Some("x"), "m"), base(Some("y"), "m")),
            "agent changed"
        );
        assert_eq!(
            of(base(None, "m"), base(Some("y"), "n")),
            "recipe file changed"
        );
        assert_eq!(
            of(base(Some("x"), "m"), base(Some("y"), "n")),
            "agent and recipe file changed"
        );
        assert_eq!(of(base(None, "m"), base(Some("y"), "m")), "not recorded");
    }
}
