//! The recipe files of a run: one per (model, recipe) that a cell or an
//! accuracy job still to run needs, found in the cache or made before
//! anything is measured. A (model, recipe) that cannot be made fails its
//! cells with the reason; the run goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use edgebench_kernels::recipe::Recipe;

use super::models::ModelFiles;
use crate::matrix::{Matrix, ModelSpec};
use crate::plan::{Cell, Plan, mib};
use crate::recipe_files::{Bar, Outcome, RecipeCache, RecipeFile};

/// (model name, canonical recipe).
pub type FileKey = (String, String);

/// The recipe file of every (model, recipe) a run needs, or why there is
/// none.
#[derive(Debug, Default)]
pub struct RunFiles {
    files: BTreeMap<FileKey, Result<RecipeFile, String>>,
}

impl RunFiles {
    /// The file of `model` under the canonical `recipe`.
    pub fn get(&self, model: &str, recipe: &str) -> Result<&RecipeFile, String> {
        match self.files.get(&(model.to_owned(), recipe.to_owned())) {
            Some(Ok(f)) => Ok(f),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!(
                "no recipe file of model '{model}' under recipe {recipe} was prepared"
            )),
        }
    }
}

/// Whether `cell` will be handed to an agent: planned (the estimate fits)
/// on a device of the matrix.
pub fn will_run(matrix: &Matrix, cell: &Cell) -> bool {
    cell.is_planned() && matrix.devices.iter().any(|d| d.name == cell.device)
}

/// Every (model, recipe) that the `cells` that will run and, when any
/// will, the plan's accuracy jobs need, in matrix order.
fn needed<'m>(matrix: &'m Matrix, plan: &Plan, cells: &[&Cell]) -> Vec<(&'m ModelSpec, Recipe)> {
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for c in cells.iter().filter(|c| will_run(matrix, c)) {
        wanted.insert((c.model.clone(), c.recipe_canonical.clone()));
    }
    if !wanted.is_empty() {
        for a in &plan.accuracy {
            wanted.insert((a.model.clone(), a.reference_canonical.clone()));
            wanted.insert((a.model.clone(), a.recipe_canonical.clone()));
        }
    }
    let mut recipes: Vec<&Recipe> = matrix.recipes.iter().map(|r| &r.recipe).collect();
    if let Some(a) = &matrix.accuracy {
        recipes.push(&a.reference.recipe);
    }
    let mut out: Vec<(&ModelSpec, Recipe)> = Vec::new();
    for model in &matrix.models {
        for &recipe in &recipes {
            let canonical = recipe.to_string();
            let known = out
                .iter()
                .any(|(m, r)| m.name == model.name && r.to_string() == canonical);
            if !known && wanted.contains(&(model.name.clone(), canonical)) {
                out.push((model, recipe.clone()));
            }
        }
    }
    out
}

/// Finds or makes the recipe files `cells` (and the plan's accuracy jobs)
/// need, printing one line per file made and a total. Once `stop` is set
/// no further file is made (a second Ctrl-C quits at once).
pub fn prepare(
    matrix: &Matrix,
    plan: &Plan,
    cells: &[&Cell],
    sources: &mut ModelFiles,
    cache: &RecipeCache,
    stop: &AtomicBool,
) -> RunFiles {
    let mut files = BTreeMap::new();
    let (mut made, mut cached) = (0, 0);
    for (model, recipe) in needed(matrix, plan, cells) {
        let key = (model.name.clone(), recipe.to_string());
        if stop.load(Ordering::SeqCst) {
            files.insert(
                key,
                Err("interrupted before its recipe file was made".into()),
            );
            continue;
        }
        let source = match sources.get(model) {
            Ok(s) => s,
            Err(e) => {
                files.insert(key, Err(format!("{e:#}")));
                continue;
            }
        };
        let label = format!("{} {recipe}", model.name);
        let bar = Bar::new(&label);
        let start = Instant::now();
        let found = cache.get_or_make(&source.path, &source.sha256, &recipe, &bar);
        bar.finish();
        let entry = match found {
            Ok((file, outcome)) => {
                let took = start.elapsed().as_secs_f64();
                let what = match &outcome {
                    Outcome::Hit => None,
                    Outcome::Made => Some(format!("made in {took:.1} s")),
                    Outcome::Remade { reason } => {
                        Some(format!("made again in {took:.1} s ({reason})"))
                    }
                };
                match what {
                    None => cached += 1,
                    Some(what) => {
                        made += 1;
                        eprintln!(
                            "recipe file {label}: {what}: {}, sha256 {}",
                            mib(file.bytes),
                            &file.sha256[..12]
                        );
                    }
                }
                Ok(file)
            }
            Err(e) => {
                let text = format!("{:#}", anyhow::Error::from(e));
                eprintln!("recipe file {label}: {text}");
                Err(text)
            }
        };
        files.insert(key, entry);
    }
    if made + cached > 0 {
        eprintln!(
            "recipe files: {made} made, {cached} from the cache in {}",
            cache.dir().display()
        );
    }
    RunFiles { files }
}
