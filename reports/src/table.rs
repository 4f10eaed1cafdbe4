//! The article-style comparison table of one model × device × workload:
//! one row per metric, one column per recipe, the best value per row marked
//! and every missing value with its reason. Renderers share this structure.

use serde::Serialize;

use crate::metric::{Measured, Metric};
use crate::model::{Group, ReportInput, WorkloadKey};

/// One value of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableCell {
    /// The value in the row's unit, when measured.
    pub value: Option<f64>,
    /// The value as shown: a number, `ref`, or `n/a`.
    pub text: String,
    /// The 95 % interval of the median as shown, e.g. `[1.080, 1.320]`.
    pub ci: Option<String>,
    /// Whether this is the best value of its row.
    pub is_best: bool,
    /// Why the value is missing.
    pub note: Option<String>,
}

/// One metric across the recipes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    /// The metric.
    pub metric: Metric,
    /// Its label, with the unit.
    pub label: String,
    /// One cell per recipe, in the table's recipe order.
    pub cells: Vec<TableCell>,
}

/// The comparison table of one model on one device under one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The model's name.
    pub model: String,
    /// The device's name.
    pub device: String,
    /// The workload.
    pub workload: WorkloadKey,
    /// The reference recipe of the accuracy row, when known.
    pub reference: Option<String>,
    /// The recipes (columns), in the order met.
    pub recipes: Vec<String>,
    /// One row per metric, in [`Metric::ALL`] order.
    pub rows: Vec<TableRow>,
}

/// The tables of a run, one per model × device × workload in the order met.
pub fn build_tables(input: &ReportInput) -> Vec<Table> {
    input.groups().iter().map(build_table).collect()
}

/// The table of one group.
pub fn build_table(group: &Group<'_>) -> Table {
    let rows = Metric::ALL
        .iter()
        .map(|&metric| {
            let read: Vec<Result<Measured, String>> = group
                .cells
                .iter()
                .map(|c| metric.read(c, group.reference))
                .collect();
            let best = best_value(metric, &read);
            let cells = read
                .into_iter()
                .zip(&group.cells)
                .map(|(r, c)| match r {
                    Ok(m) => TableCell {
                        value: Some(m.value),
                        text: if metric == Metric::AccuracyDrop && c.is_reference(group.reference) {
                            "ref".to_owned()
                        } else {
                            metric.format_value(m)
                        },
                        ci: metric.format_ci(m),
                        is_best: best == Some(m.value),
                        note: None,
                    },
                    Err(reason) => TableCell {
                        value: None,
                        text: "n/a".to_owned(),
                        ci: None,
                        is_best: false,
                        note: Some(reason),
                    },
                })
                .collect();
            TableRow {
                metric,
                label: metric.label(group.workload),
                cells,
            }
        })
        .collect();
    Table {
        model: group.model.to_owned(),
        device: group.device.to_owned(),
        workload: group.workload,
        reference: group.reference.map(str::to_owned),
        recipes: group
            .cells
            .iter()
            .map(|c| c.column().into_owned())
            .collect(),
        rows,
    }
}

/// The best value of a row, when at least two recipes have one (a single
/// value is not a comparison). Ties are all best.
fn best_value(metric: Metric, read: &[Result<Measured, String>]) -> Option<f64> {
    let values: Vec<f64> = read.iter().flatten().map(|m| m.value).collect();
    if values.len() < 2 {
        return None;
    }
    let pick = if metric.higher_is_better() {
        f64::max
    } else {
        f64::min
    };
    values.into_iter().reduce(pick)
}
