//! Reading a matrix or inventory file into its raw structs. Each section and
//! each array entry is deserialized on its own, so one bad entry does not
//! hide the errors of the others.

use std::ops::Range;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::{Diagnostic, Diagnostics};
use super::raw::{RawDevice, RawInventory, RawMatrix, RawRecipe};
use super::source::{Location, Source};

/// The top-level keys of a matrix.
pub const MATRIX_KEYS: [&str; 12] = [
    "name",
    "models",
    "recipes",
    "runtimes",
    "workload",
    "measure",
    "accuracy",
    "devices",
    "device",
    "inventory",
    "select",
    "regression",
];

/// Reads a matrix; `None` (with the errors) when the file is not TOML.
pub fn read_matrix(source: &Arc<Source>, errors: &mut Diagnostics) -> Option<RawMatrix> {
    let root = parse(source, errors)?;
    let mut m = RawMatrix {
        source: Arc::clone(source),
        name: None,
        models: Vec::new(),
        models_key: None,
        recipes: Vec::new(),
        recipes_key: None,
        runtimes: None,
        workload: None,
        measure: None,
        accuracy: None,
        devices: None,
        device: Vec::new(),
        inventory: None,
        select: None,
        regression: None,
    };
    let mut r = Reader { source, errors };
    for (key, value) in root.into_inner() {
        let key_span = key.span();
        match key.get_ref().as_ref() {
            "name" => m.name = r.de(value, "`name`"),
            "models" => {
                m.models_key = Some((key_span, len(&value)));
                m.models = r.entries(value, "models", "[[models]]");
            }
            "recipes" => {
                m.recipes_key = Some((key_span, len(&value)));
                m.recipes = r.recipes(value);
            }
            "runtimes" => m.runtimes = r.de(value, "`runtimes`"),
            "workload" => m.workload = r.de(value, "[workload]"),
            "measure" => m.measure = r.de(value, "[measure]"),
            "accuracy" => m.accuracy = r.de(value, "[accuracy]"),
            "devices" => m.devices = r.de(value, "`devices`"),
            "device" => m.device = r.entries(value, "device", "[[device]]"),
            "inventory" => m.inventory = r.de(value, "`inventory`"),
            "select" => m.select = r.de(value, "[select]"),
            "regression" => m.regression = r.de(value, "[regression]"),
            other => r.unknown_key(other, key_span, "the matrix", &MATRIX_KEYS),
        }
    }
    Some(m)
}

/// Reads an inventory; `None` (with the errors) when the file is not TOML.
pub fn read_inventory(source: &Arc<Source>, errors: &mut Diagnostics) -> Option<RawInventory> {
    let root = parse(source, errors)?;
    let mut r = Reader { source, errors };
    let mut device: Vec<RawDevice> = Vec::new();
    for (key, value) in root.into_inner() {
        match key.get_ref().as_ref() {
            "device" => device = r.entries(value, "device", "[[device]]"),
            other => r.unknown_key(other, key.span(), "an inventory", &["device"]),
        }
    }
    Some(RawInventory {
        source: Arc::clone(source),
        device,
    })
}

/// Entries of an array (1 for any other value, which is an error anyway).
fn len(value: &Spanned<DeValue<'_>>) -> usize {
    value.get_ref().as_array().map_or(1, |a| a.len())
}

fn parse<'a>(source: &'a Arc<Source>, errors: &mut Diagnostics) -> Option<Spanned<DeTable<'a>>> {
    match DeTable::parse(&source.text) {
        Ok(t) => Some(t),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = format!("invalid TOML: {}", e.message().trim_end());
            errors.push(Diagnostic::new(message).at(Location::new(source, span)));
            None
        }
    }
}

struct Reader<'s, 'e> {
    source: &'s Arc<Source>,
    errors: &'e mut Diagnostics,
}

impl Reader<'_, '_> {
    /// Deserializes one value; on error records it and returns `None`.
    fn de<T: DeserializeOwned>(&mut self, value: Spanned<DeValue<'_>>, what: &str) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            Err(e) => {
                let span = e.span().unwrap_or(span);
                let what = match key_before(&self.source.text, span.start) {
                    Some(key) => format!("`{key}` of {what}"),
                    None => what.to_owned(),
                };
                let at = Location::new(self.source, span);
                self.errors.push(explain(e.message(), &what).at(at));
                None
            }
        }
    }

    /// An array of tables, each entry deserialized on its own.
    fn entries<T: DeserializeOwned>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        key: &str,
        what: &str,
    ) -> Vec<T> {
        let span = value.span();
        match value.into_inner() {
            DeValue::Array(items) => items
                .into_iter()
                .filter_map(|item| self.de(item, what))
                .collect(),
            other => {
                let found = other.type_str();
                self.errors.push(
                    Diagnostic::new(format!(
                        "`{key}` must be an array of tables ({what}), found {found}"
                    ))
                    .at(Location::new(self.source, span)),
                );
                Vec::new()
            }
        }
    }

    /// `recipes`: tables and plain strings, mixed.
    fn recipes(&mut self, value: Spanned<DeValue<'_>>) -> Vec<RawRecipe> {
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            self.errors.push(
                Diagnostic::new("`recipes` must be an array of recipe names or [[recipes]] tables")
                    .at(Location::new(self.source, span)),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let item_span = item.span();
            if let DeValue::String(s) = item.get_ref() {
                let text = Spanned::new(item_span.clone(), s.to_string());
                out.push(RawRecipe {
                    recipe: Some(text),
                    span: item_span,
                    ..RawRecipe::default()
                });
            } else if let Some(mut r) = self.de::<RawRecipe>(item, "[[recipes]]") {
                r.span = item_span;
                out.push(r);
            }
        }
        out
    }

    fn unknown_key(&mut self, key: &str, span: Range<usize>, what: &str, valid: &[&str]) {
        let d = Diagnostic::new(format!("unknown key `{key}` in {what}"))
            .at(Location::new(self.source, span));
        self.errors.push(with_key_help(d, key, valid));
    }
}

/// The key of a `key = value` whose value starts at `offset`, if the text
/// before it on its line ends with one.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let rest = line.trim_end().strip_suffix('=')?.trim_end();
    let start = rest
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + 1);
    let key = &rest[start..];
    (!key.is_empty()).then_some(key)
}

/// A "did you mean" for an unknown key, or the list of valid keys.
fn with_key_help(d: Diagnostic, key: &str, valid: &[&str]) -> Diagnostic {
    if key == "password" {
        return d.help(
            "passwords never live in files: set `password_env` to the name of an \
             environment variable that holds it",
        );
    }
    let d = d.suggest(key, valid.iter().copied());
    if d.help.is_some() {
        d
    } else {
        let list: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
        d.help(format!("valid keys: {}", list.join(", ")))
    }
}

/// Rewrites a serde/toml message into edgebench's words, adding a
/// suggestion for unknown keys and values.
fn explain(message: &str, what: &str) -> Diagnostic {
    // serde's wording: "unknown field `x`, expected one of `a`, `b`" and
    // "unknown variant `x`, expected one of `a`, `b`".
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    if let Some((found, valid)) = quoted.split_first() {
        if message.starts_with("unknown field") {
            let d = Diagnostic::new(format!("unknown key `{found}` in {what}"));
            if what.starts_with('[') && MATRIX_KEYS.contains(found) {
                return d.help(format!(
                    "`{found}` is a top-level key: TOML puts every key after a table \
                     header into that table, so move it above the first [table]"
                ));
            }
            return with_key_help(d, found, valid);
        }
        if message.starts_with("unknown variant") {
            let list: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
            let d = Diagnostic::new(format!(
                "unknown value `{found}` in {what}, expected one of {}",
                list.join(", ")
            ));
            return d.suggest(found, valid.iter().copied());
        }
        if message.starts_with("missing field") {
            return Diagnostic::new(format!("missing key `{found}` in {what}"));
        }
    }
    let message = message
        .replace("expected u16", "expected an integer from 0 to 65535")
        .replace("expected u32", "expected a non-negative integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number");
    Diagnostic::new(format!("{message} in {what}"))
}
