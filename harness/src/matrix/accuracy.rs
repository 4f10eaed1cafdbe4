//! The `[accuracy]` section: the evaluation text, windows, the reference
//! recipe and the device that computes it.

use std::fs;

use edgebench_kernels::recipe::{Recipe, Scheme, nearest};

use super::builtin_text::BUILTIN_TEXT;
use super::checked::{AccuracySpec, EvalText, ModelSpec, RecipeSpec};
use super::checker::Checker;
use super::devices::{Devices, LOCAL, unknown_device};
use super::diagnostic::Diagnostic;
use super::hash::sha256_hex;
use super::raw::RawAccuracy;

/// Default window length.
pub const DEFAULT_CTX: u32 = 256;
/// The `text` value that selects the built-in text.
pub const BUILTIN: &str = "builtin";

/// Checks `[accuracy]`; `None` when accuracy is disabled.
pub fn check_accuracy(
    c: &mut Checker<'_>,
    raw: Option<&RawAccuracy>,
    models: &[ModelSpec],
    recipes: &[RecipeSpec],
    devices: &Devices,
) -> Option<AccuracySpec> {
    let default = RawAccuracy::default();
    let raw = raw.unwrap_or(&default);
    if raw.enabled == Some(false) {
        return None;
    }
    let text = match &raw.text {
        None => Some(builtin()),
        Some(t) if t.get_ref() == BUILTIN => Some(builtin()),
        Some(t) => {
            let path = c.source.dir().join(t.get_ref());
            match fs::read(&path) {
                Ok(bytes) if std::str::from_utf8(&bytes).is_err() => {
                    c.error(
                        t.span(),
                        format!("evaluation text `{}` is not UTF-8", t.get_ref()),
                    );
                    None
                }
                Ok(bytes) => Some(EvalText {
                    path: Some(path),
                    sha256: sha256_hex(&bytes),
                }),
                Err(e) => {
                    c.push(
                        Diagnostic::new(format!("cannot read evaluation text `{}`: {e}", t.get_ref()))
                            .at(c.at(t.span()))
                            .help(format!(
                                "looked for `{}`; the path is relative to the matrix file, or use `text = \"builtin\"`",
                                path.display()
                            )),
                    );
                    None
                }
            }
        }
    };
    let mut ctx = DEFAULT_CTX;
    if let Some(v) = &raw.ctx {
        let n = *v.get_ref();
        if !(8..=1 << 16).contains(&n) {
            c.error(
                v.span(),
                format!("`ctx` must be from 8 to 65536, found {n}"),
            );
        } else {
            // In range by the check above.
            ctx = n as u32;
            for m in models
                .iter()
                .filter(|m| u64::from(ctx) > m.shape.context_length)
            {
                c.error(
                    v.span(),
                    format!(
                        "`ctx` {ctx} exceeds the {}-token context of model `{}`",
                        m.shape.context_length, m.name
                    ),
                );
            }
        }
    }
    let mut windows = 0;
    if let Some(v) = &raw.windows {
        match u32::try_from(*v.get_ref()) {
            Ok(n) => windows = n,
            Err(_) => c.error(
                v.span(),
                format!("`windows` must be 0 (all) or more, found {}", v.get_ref()),
            ),
        }
    }
    let reference = match &raw.reference {
        None => Some(match recipes.iter().find(|s| s.name == "f32") {
            Some(s) => s.clone(),
            None => spec(recipes, Recipe::new(Scheme::F32)),
        }),
        Some(r) => {
            let known = recipes.iter().find(|s| &s.name == r.get_ref()).cloned();
            match known.or_else(|| {
                r.get_ref()
                    .parse::<Recipe>()
                    .ok()
                    .map(|recipe| spec(recipes, recipe))
            }) {
                Some(s) => Some(s),
                None => {
                    let names: Vec<&str> = recipes.iter().map(|s| s.name.as_str()).collect();
                    let d = Diagnostic::new(format!(
                        "unknown reference recipe `{}`: not a recipe of the matrix nor a valid recipe",
                        r.get_ref()
                    ))
                    .at(c.at(r.span()));
                    c.push(match nearest(r.get_ref(), names.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!("recipes of the matrix: {}", names.join(", "))),
                    });
                    None
                }
            }
        }
    };
    let device = match &raw.device {
        None => LOCAL.to_owned(),
        Some(d) => {
            if devices.get(d.get_ref()).is_none() {
                c.push(unknown_device(
                    c.at(d.span()),
                    d.get_ref(),
                    &devices.names(),
                ));
            }
            d.get_ref().clone()
        }
    };
    Some(AccuracySpec {
        text: text?,
        ctx,
        windows,
        reference: reference?,
        device,
    })
}

fn builtin() -> EvalText {
    EvalText {
        path: None,
        sha256: sha256_hex(BUILTIN_TEXT.as_bytes()),
    }
}

/// A recipe, named as the matrix names the same recipe if it does.
fn spec(recipes: &[RecipeSpec], recipe: Recipe) -> RecipeSpec {
    match recipes.iter().find(|s| s.recipe == recipe) {
        Some(s) => s.clone(),
        None => RecipeSpec {
            name: recipe.to_string(),
            recipe,
        },
    }
}
