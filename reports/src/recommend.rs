//! The recommended recipe per model × device × workload: the recipes that
//! meet the selection's constraints, the best of them by the objective, and
//! the recipes another one beats on latency, accuracy drop and size at once.

use std::borrow::Cow;

use edgebench_schema::Status;
use serde::Serialize;

use crate::metric::Metric;
use crate::model::{CellRow, Group, Objective, ReportInput, Selection, WorkloadKey};

/// The choice for one model on one device under one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The device's name.
    pub device: String,
    /// The model's name.
    pub model: String,
    /// The workload.
    pub workload: WorkloadKey,
    /// The recipe to choose, when any meets the constraints.
    pub chosen: Option<String>,
    /// Why this recipe, or why none.
    pub why: String,
    /// Recipes dominated on latency, accuracy drop and size, with the recipe
    /// that dominates each.
    pub dominated: Vec<(String, String)>,
    /// Recipes left out by the constraints (or not measured), with the
    /// reason.
    pub rejected: Vec<(String, String)>,
}

/// Text of a recommendation with no recipe meeting the constraints.
pub const NONE_MEETS: &str = "no recipe meets the constraints";

/// One recommendation per model × device × workload, in the order met.
pub fn recommend(input: &ReportInput, selection: &Selection) -> Vec<Recommendation> {
    input
        .groups()
        .iter()
        .map(|g| recommend_group(g, selection))
        .collect()
}

/// A recipe that passed the constraints, with the figures the choice uses.
struct Candidate<'a> {
    recipe: Cow<'a, str>,
    latency: f64,
    energy: Result<f64, String>,
    size: Result<f64, String>,
}

/// The recommendation of one group.
pub fn recommend_group(group: &Group<'_>, selection: &Selection) -> Recommendation {
    let mut rejected = Vec::new();
    let mut passed = Vec::new();
    for cell in &group.cells {
        match check(cell, group.reference, selection) {
            Ok(c) => passed.push(c),
            Err(reason) => rejected.push((cell.column().into_owned(), reason)),
        }
    }
    let (chosen, why) = choose(&passed, selection, constraints_text(selection));
    Recommendation {
        device: group.device.to_owned(),
        model: group.model.to_owned(),
        workload: group.workload,
        chosen,
        why,
        dominated: dominated(group),
        rejected,
    }
}

/// Checks a cell against the constraints.
fn check<'a>(
    cell: &'a CellRow,
    reference: Option<&str>,
    selection: &Selection,
) -> Result<Candidate<'a>, String> {
    let r = &cell.result;
    if r.status != Status::Ok {
        let error = r.error.as_deref().unwrap_or("no error given");
        return Err(format!("status {}: {error}", r.status.name()));
    }
    let latency = Metric::Latency.read(cell, reference)?.value;
    if let Some(max) = selection.max_accuracy_drop_pct {
        let drop = Metric::AccuracyDrop.read(cell, reference)?.value;
        if drop > max {
            return Err(format!("accuracy drop {drop:.2} % > {max} %"));
        }
    }
    if let Some(max) = selection.max_peak_rss_mib {
        let rss = Metric::PeakRam.read(cell, reference)?.value;
        if rss > max {
            return Err(format!("peak RSS {rss:.1} MiB > {max} MiB"));
        }
    }
    Ok(Candidate {
        recipe: cell.column(),
        latency,
        energy: Metric::Energy.read(cell, reference).map(|m| m.value),
        size: Metric::SizeOnDisk.read(cell, reference).map(|m| m.value),
    })
}

/// The constraints as text, e.g. `accuracy drop ≤ 2 %, peak RSS ≤ 512 MiB`.
pub(crate) fn constraints_text(selection: &Selection) -> String {
    let mut parts = Vec::new();
    if let Some(max) = selection.max_accuracy_drop_pct {
        parts.push(format!("accuracy drop ≤ {max} %"));
    }
    if let Some(max) = selection.max_peak_rss_mib {
        parts.push(format!("peak RSS ≤ {max} MiB"));
    }
    if parts.is_empty() {
        "no constraints".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Picks the best candidate by the objective, falling back to latency when
/// a candidate lacks the objective's figure. Ties go to the lower latency,
/// then to the recipe met first.
fn choose(
    passed: &[Candidate<'_>],
    selection: &Selection,
    constraints: String,
) -> (Option<String>, String) {
    if passed.is_empty() {
        return (None, format!("{NONE_MEETS} ({constraints})"));
    }
    let key = |c: &Candidate<'_>| match selection.objective {
        Objective::Latency => Ok(c.latency),
        Objective::Energy => c.energy.clone(),
        Objective::Size => c.size.clone(),
    };
    let missing = passed
        .iter()
        .find_map(|c| key(c).err().map(|e| (&c.recipe, e)));
    let (objective, note) = match missing {
        None => (selection.objective, String::new()),
        Some((recipe, reason)) => (
            Objective::Latency,
            format!(
                "; {} not known for {recipe} ({reason}), so chosen by latency",
                selection.objective.name()
            ),
        ),
    };
    let value = |c: &Candidate<'_>| match objective {
        Objective::Latency => c.latency,
        Objective::Energy => c.energy.clone().unwrap_or(f64::INFINITY),
        Objective::Size => c.size.clone().unwrap_or(f64::INFINITY),
    };
    let mut best = &passed[0];
    for c in &passed[1..] {
        if (value(c), c.latency) < (value(best), best.latency) {
            best = c;
        }
    }
    let figure = match objective {
        Objective::Latency => format!("median latency {:.3} s", best.latency),
        Objective::Energy => format!("energy per inference {:.3} J", value(best)),
        Objective::Size => format!("size on disk {:.1} MiB", value(best)),
    };
    let why = format!(
        "lowest {figure} of {} recipe{} meeting the constraints ({constraints}){note}",
        passed.len(),
        if passed.len() == 1 { "" } else { "s" }
    );
    (Some(best.recipe.to_string()), why)
}

/// Recipes another recipe is no worse than on latency, accuracy drop and
/// size and better on at least one, with the first such recipe. Recipes
/// missing any of the three are left out of the comparison.
fn dominated(group: &Group<'_>) -> Vec<(String, String)> {
    let axes = [Metric::Latency, Metric::AccuracyDrop, Metric::SizeOnDisk];
    let points: Vec<(Cow<'_, str>, [f64; 3])> = group
        .cells
        .iter()
        .filter_map(|c| {
            let mut p = [0.0; 3];
            for (v, m) in p.iter_mut().zip(axes) {
                *v = m.read(c, group.reference).ok()?.value;
            }
            Some((c.column(), p))
        })
        .collect();
    let dominates = |a: &[f64; 3], b: &[f64; 3]| {
        a.iter().zip(b).all(|(x, y)| x <= y) && a.iter().zip(b).any(|(x, y)| x < y)
    };
    points
        .iter()
        .filter_map(|(name, p)| {
            points
                .iter()
                .find(|(_, q)| dominates(q, p))
                .map(|(by, _)| (name.to_string(), by.to_string()))
        })
        .collect()
}
