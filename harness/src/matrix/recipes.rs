//! Recipes: canonical text or structured keys, checked and compiled to
//! [`Recipe`]s with unique names.

use std::collections::HashMap;
use std::ops::Range;

use edgebench_kernels::recipe::{OVERRIDE_CLASSES, Recipe, RecipeError, Scheme};
use toml::Spanned;

use super::checked::RecipeSpec;
use super::checker::Checker;
use super::diagnostic::Diagnostic;
use super::raw::RawRecipe;

/// Checks every recipe entry; entries with errors are left out.
pub fn check_recipes(
    c: &mut Checker<'_>,
    raw: &[RawRecipe],
    key: Option<(Range<usize>, usize)>,
) -> Vec<RecipeSpec> {
    if raw.is_empty() {
        match key {
            Some((_, n)) if n > 0 => {}
            Some((span, _)) => c.error(span, "`recipes` is empty: list at least one recipe"),
            None => c.push(
                Diagnostic::new("the matrix has no recipes")
                    .at(c.at(0..0))
                    .help("add `recipes = [\"f32\", \"q8_0\"]` or [[recipes]] tables"),
            ),
        }
        return Vec::new();
    }
    let mut out: Vec<RecipeSpec> = Vec::new();
    let mut names: HashMap<String, Range<usize>> = HashMap::new();
    let mut canon: HashMap<String, String> = HashMap::new();
    for entry in raw {
        let Some(recipe) = compile(c, entry) else {
            continue;
        };
        let (name, span) = match &entry.name {
            Some(n) => (n.get_ref().trim().to_owned(), n.span()),
            None => (recipe.to_string(), entry.span.clone()),
        };
        if name.is_empty() {
            c.error(span, "recipe name must not be empty");
            continue;
        }
        if let Some(first) = names.get(&name) {
            c.duplicate("recipe", &name, span, first.clone());
            continue;
        }
        names.insert(name.clone(), span.clone());
        let text = recipe.to_string();
        if let Some(other) = canon.get(&text) {
            c.push(
                Diagnostic::new(format!(
                    "recipes `{other}` and `{name}` are the same recipe (`{text}`)"
                ))
                .at(c.at(span))
                .help("remove one of them: their cells would be identical"),
            );
            continue;
        }
        canon.insert(text, name.clone());
        out.push(RecipeSpec { name, recipe });
    }
    out
}

/// Parses canonical recipe text, turning the parser's suggestion into a
/// help line.
pub fn parse_recipe(c: &mut Checker<'_>, text: &Spanned<String>) -> Option<Recipe> {
    match text.get_ref().parse::<Recipe>() {
        Ok(r) => Some(r),
        Err(e) => {
            c.push(recipe_error(&e).at(c.at(text.span())));
            None
        }
    }
}

fn recipe_error(e: &RecipeError) -> Diagnostic {
    let message = e.to_string();
    match e.suggestion() {
        Some(s) => {
            let message = message.replace(&format!(" (did you mean '{s}'?)"), "");
            Diagnostic::new(message).help(format!("did you mean `{s}`?"))
        }
        None => Diagnostic::new(message),
    }
}

fn compile(c: &mut Checker<'_>, e: &RawRecipe) -> Option<Recipe> {
    let structured = e.quant.is_some()
        || e.prune_heads.is_some()
        || e.prune_ffn.is_some()
        || e.sparsity.is_some()
        || e.overrides.is_some();
    if let Some(text) = &e.recipe {
        if structured {
            c.error(
                text.span(),
                "a recipe takes either `recipe` or the structured keys \
                 (`quant`, `prune_heads`, `prune_ffn`, `sparsity`, `overrides`), not both",
            );
            return None;
        }
        return parse_recipe(c, text);
    }
    let Some(quant) = &e.quant else {
        c.push(
            Diagnostic::new("a recipe needs `recipe = \"...\"` or `quant = \"...\"`")
                .at(c.at(e.span.clone()))
                .help("e.g. `recipe = \"q4_0+heads25\"` or `quant = \"q4_0\"`"),
        );
        return None;
    };
    let Some(scheme) = Scheme::from_name(quant.get_ref()) else {
        let d = Diagnostic::new(format!(
            "unknown quantization `{}`; valid: {}",
            quant.get_ref(),
            Scheme::VALID
        ))
        .at(c.at(quant.span()))
        .suggest(quant.get_ref(), Scheme::ALL.map(Scheme::name));
        c.push(d);
        return None;
    };
    let mut recipe = Recipe::new(scheme);
    let mut ok = true;
    for (key, value) in [
        ("prune_heads", &e.prune_heads),
        ("prune_ffn", &e.prune_ffn),
        ("sparsity", &e.sparsity),
    ] {
        let Some(value) = value else { continue };
        let Some(pct) = percent(c, key, value) else {
            ok = false;
            continue;
        };
        let r = recipe.clone();
        let applied = match key {
            "prune_heads" => r.with_head_pruning(pct),
            "prune_ffn" => r.with_ffn_pruning(pct),
            _ => r.with_sparsity(pct),
        };
        match applied {
            Ok(r) => recipe = r,
            Err(err) => {
                c.push(recipe_error(&err).at(c.at(value.span())));
                ok = false;
            }
        }
    }
    for (class, value) in e.overrides.iter().flatten() {
        let Some(role) = OVERRIDE_CLASSES
            .into_iter()
            .find(|r| r.stem().eq_ignore_ascii_case(class.get_ref()))
        else {
            let d = Diagnostic::new(format!(
                "unknown tensor class `{}` in `overrides`",
                class.get_ref()
            ))
            .at(c.at(class.span()))
            .suggest(class.get_ref(), OVERRIDE_CLASSES.map(|r| r.stem()));
            c.push(d);
            ok = false;
            continue;
        };
        let Some(s) = Scheme::from_name(value.get_ref()) else {
            let d = Diagnostic::new(format!(
                "unknown quantization `{}`; valid: {}",
                value.get_ref(),
                Scheme::VALID
            ))
            .at(c.at(value.span()))
            .suggest(value.get_ref(), Scheme::ALL.map(Scheme::name));
            c.push(d);
            ok = false;
            continue;
        };
        match recipe.clone().with_override(role, s) {
            Ok(r) => recipe = r,
            Err(err) => {
                c.push(recipe_error(&err).at(c.at(class.span())));
                ok = false;
            }
        }
    }
    ok.then_some(recipe)
}

/// A fraction written as `0.25`, as a whole percentage.
fn percent(c: &mut Checker<'_>, key: &str, value: &Spanned<f64>) -> Option<u32> {
    let v = *value.get_ref();
    let pct = (v * 100.0).round();
    if !(0.0..1.0).contains(&v) {
        c.error(
            value.span(),
            format!("`{key}` must be a fraction from 0 up to (not including) 1, found {v}"),
        );
        return None;
    }
    if (v * 100.0 - pct).abs() > 1e-6 {
        c.push(
            Diagnostic::new(format!("`{key}` must be a whole percentage, found {v}"))
                .at(c.at(value.span()))
                .help(format!("use {:.2}", pct / 100.0)),
        );
        return None;
    }
    // In range [0, 99] by the checks above.
    Some(pct as u32)
}
