//! Raw matrix → checked [`Matrix`]: models, the context check, the meters,
//! and the order in which the other sections are checked.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use edgebench_kernels::synth::Preset;
use edgebench_schema::job::MeterKind;
use toml::Spanned;

use super::accuracy::check_accuracy;
use super::checked::{Matrix, ModelSource, ModelSpec};
use super::checker::Checker;
use super::devices::check_devices;
use super::diagnostic::{Diagnostic, Diagnostics};
use super::hash::sha256_file;
use super::raw::{RawMatrix, RawModel};
use super::recipes::check_recipes;
use super::runtimes::check_runtimes;
use super::settings::{
    SpannedValues, check_measure, check_regression, check_select, check_workload,
};
use super::shape::ModelShape;

/// Checks everything in `raw` (and the files it names); `None` when any
/// error was recorded.
pub fn validate(raw: &RawMatrix, errors: &mut Diagnostics) -> Option<Matrix> {
    let before = errors.0.len();
    let mut c = Checker {
        source: Arc::clone(&raw.source),
        errors: &mut *errors,
    };
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            c.error(n.span(), "`name` must not be empty");
            String::new()
        }
        Some(n) => n.get_ref().clone(),
        None => raw
            .source
            .path
            .file_stem()
            .map_or_else(|| "matrix".to_owned(), |s| s.to_string_lossy().into_owned()),
    };
    let models = check_models(&mut c, raw);
    let recipes = check_recipes(&mut c, &raw.recipes, raw.recipes_key.clone());
    let runtimes = check_runtimes(&mut c, raw.runtimes.as_ref());
    let (workload, prompt, gen_tokens) = check_workload(&mut c, raw.workload.as_ref());
    check_context(&mut c, &models, &prompt, &gen_tokens);
    let measure = check_measure(&mut c, raw.measure.as_ref());
    let select = check_select(&mut c, raw.select.as_ref());
    let regression = check_regression(&mut c, raw.regression.as_ref());
    let devices = check_devices(raw, errors);
    let mut c = Checker {
        source: Arc::clone(&raw.source),
        errors: &mut *errors,
    };
    let meter_span = raw
        .measure
        .as_ref()
        .and_then(|m| m.meter.as_ref())
        .map(Spanned::span);
    for d in &devices.selected {
        let kind = d.meter.kind.unwrap_or(measure.meter);
        if kind == MeterKind::Ina219 && d.meter.ina219.is_none() {
            c.push(
                Diagnostic::new(format!(
                    "the ina219 meter needs its wiring, and device `{}` does not give it",
                    d.name
                ))
                .at(c.at(meter_span.clone().unwrap_or(0..0)))
                .help("add `meter = { ina219 = { bus = 1, address = 0x40, shunt_ohms = 0.1 } }` to the device"),
            );
        }
    }
    let accuracy = check_accuracy(&mut c, raw.accuracy.as_ref(), &models, &recipes, &devices);
    if errors.0.len() > before {
        return None;
    }
    Some(Matrix {
        name,
        path: raw.source.path.clone(),
        models,
        recipes,
        runtimes,
        workload,
        measure,
        accuracy,
        devices: devices.selected,
        select,
        regression,
    })
}

fn check_models(c: &mut Checker<'_>, raw: &RawMatrix) -> Vec<ModelSpec> {
    if raw.models.is_empty() {
        match &raw.models_key {
            Some((span, 0)) => c.error(span.clone(), "`models` is empty: list at least one model"),
            Some(_) => {}
            None => c.push(
                Diagnostic::new("the matrix has no models")
                    .at(c.at(0..0))
                    .help(
                        "add a [[models]] table with a `name` and a `path` or `synthetic` preset",
                    ),
            ),
        }
    }
    let mut out = Vec::new();
    let mut names: HashMap<String, Range<usize>> = HashMap::new();
    let mut hashes: HashMap<PathBuf, String> = HashMap::new();
    for m in &raw.models {
        let name = m.name.get_ref();
        if name.trim().is_empty() {
            c.error(m.name.span(), "model name must not be empty");
            continue;
        }
        if let Some(first) = names.get(name) {
            c.duplicate("model", name, m.name.span(), first.clone());
            continue;
        }
        names.insert(name.clone(), m.name.span());
        if let Some((source, shape)) = model_source(c, m, &mut hashes) {
            out.push(ModelSpec {
                name: name.clone(),
                source,
                shape,
            });
        }
    }
    out
}

fn model_source(
    c: &mut Checker<'_>,
    m: &RawModel,
    hashes: &mut HashMap<PathBuf, String>,
) -> Option<(ModelSource, ModelShape)> {
    let name = m.name.get_ref();
    match (&m.path, &m.synthetic) {
        (Some(p), Some(_)) => {
            c.error(
                p.span(),
                format!("model `{name}` has both `path` and `synthetic`: keep one"),
            );
            None
        }
        (None, None) => {
            c.push(
                Diagnostic::new(format!("model `{name}` needs `path` or `synthetic`"))
                    .at(c.at(m.name.span()))
                    .help("e.g. `path = \"model.gguf\"` or `synthetic = { preset = \"small\", seed = 1 }`"),
            );
            None
        }
        (None, Some(s)) => {
            let s = s.get_ref();
            let preset_name = s.preset.get_ref();
            let Some(preset) = Preset::from_name(preset_name) else {
                let d = Diagnostic::new(format!("unknown synthetic preset `{preset_name}`"))
                    .at(c.at(s.preset.span()))
                    .suggest(preset_name, Preset::ALL.map(Preset::name));
                let help = format!("valid presets: {}", Preset::names());
                c.push(if d.help.is_some() { d } else { d.help(help) });
                return None;
            };
            let source = ModelSource::Synthetic {
                preset,
                seed: s.seed,
            };
            Some((source, ModelShape::of_preset(preset)))
        }
        (Some(p), None) => {
            let path = c.source.dir().join(p.get_ref());
            if !path.is_file() {
                let what = if path.is_dir() {
                    "is a directory"
                } else {
                    "not found"
                };
                c.push(
                    Diagnostic::new(format!("model file `{}` {what}", p.get_ref()))
                        .at(c.at(p.span()))
                        .help(format!(
                            "looked for `{}`; the path is relative to the matrix file",
                            path.display()
                        )),
                );
                return None;
            }
            let shape = match ModelShape::of_gguf(&path) {
                Ok(s) => s,
                Err(why) => {
                    c.error(p.span(), format!("model file `{}`: {why}", p.get_ref()));
                    return None;
                }
            };
            let sha256 = match hashes.get(&path) {
                Some(h) => h.clone(),
                None => match sha256_file(&path) {
                    Ok(h) => {
                        hashes.insert(path.clone(), h.clone());
                        h
                    }
                    Err(e) => {
                        c.error(
                            p.span(),
                            format!("cannot read model file `{}`: {e}", p.get_ref()),
                        );
                        return None;
                    }
                },
            };
            Some((ModelSource::File { path, sha256 }, shape))
        }
    }
}

/// Every prompt + generated length must fit every model's context.
fn check_context(
    c: &mut Checker<'_>,
    models: &[ModelSpec],
    prompt: &SpannedValues,
    gen_tokens: &SpannedValues,
) {
    let (Some(p), Some(g)) = (
        prompt.iter().max_by_key(|v| v.0),
        gen_tokens.iter().max_by_key(|v| v.0),
    ) else {
        return;
    };
    let total = u64::from(p.0) + u64::from(g.0);
    for m in models {
        let ctx = m.shape.context_length;
        if total > ctx {
            let what = match &m.source {
                ModelSource::Synthetic { preset, .. } => format!("synthetic preset `{preset}`"),
                ModelSource::File { .. } => "its GGUF metadata".to_owned(),
            };
            let span = if p.1.is_empty() {
                g.1.clone()
            } else {
                p.1.clone()
            };
            c.push(
                Diagnostic::new(format!(
                    "prompt_tokens + gen_tokens = {} + {} = {total} exceeds the {ctx}-token context of model `{}` ({what})",
                    p.0, g.0, m.name
                ))
                .at(c.at(span))
                .help(format!("keep prompt_tokens + gen_tokens at most {ctx}")),
            );
        }
    }
}
