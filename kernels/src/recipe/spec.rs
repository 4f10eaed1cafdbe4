//! [`Recipe`] and [`Scheme`]: what a compression recipe asks for, and its
//! canonical text form.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::RecipeError;
use super::suggest::nearest;
use crate::model::TensorRole;
use crate::quant::GgmlType;

/// The storage format a recipe gives weight matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// IEEE-754 binary32.
    F32,
    /// IEEE-754 binary16.
    F16,
    /// bfloat16.
    Bf16,
    /// 8-bit blocks of 32 with an f16 scale.
    Q8_0,
    /// 4-bit blocks of 32 with an f16 scale.
    Q4_0,
    /// 4-bit blocks of 32 with an f16 scale and minimum.
    Q4_1,
}

impl Scheme {
    /// Every scheme, in the order error messages list them.
    pub const ALL: [Scheme; 6] = [
        Scheme::F32,
        Scheme::F16,
        Scheme::Bf16,
        Scheme::Q8_0,
        Scheme::Q4_0,
        Scheme::Q4_1,
    ];
    /// The valid scheme names, for error messages.
    pub const VALID: &'static str = "f32, f16, bf16, q8_0, q4_0, q4_1";

    /// The canonical name (`q4_0`).
    pub fn name(self) -> &'static str {
        self.dtype().name()
    }

    /// The scheme called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The tensor format.
    pub fn dtype(self) -> GgmlType {
        match self {
            Scheme::F32 => GgmlType::F32,
            Scheme::F16 => GgmlType::F16,
            Scheme::Bf16 => GgmlType::BF16,
            Scheme::Q8_0 => GgmlType::Q8_0,
            Scheme::Q4_0 => GgmlType::Q4_0,
            Scheme::Q4_1 => GgmlType::Q4_1,
        }
    }

    /// The `general.file_type` llama.cpp records for a model mostly in this
    /// format (its `LLAMA_FTYPE_*` numbering).
    pub fn file_type(self) -> u32 {
        match self {
            Scheme::F32 => 0,
            Scheme::F16 => 1,
            Scheme::Q4_0 => 2,
            Scheme::Q4_1 => 3,
            Scheme::Q8_0 => 7,
            Scheme::Bf16 => 32,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The tensor classes an override can name, in canonical order.
pub const OVERRIDE_CLASSES: [TensorRole; 9] = [
    TensorRole::TokenEmbd,
    TensorRole::Output,
    TensorRole::AttnQ,
    TensorRole::AttnK,
    TensorRole::AttnV,
    TensorRole::AttnOutput,
    TensorRole::FfnGate,
    TensorRole::FfnUp,
    TensorRole::FfnDown,
];
const VALID_CLASSES: &str =
    "token_embd, output, attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down";
const VALID_MODIFIERS: &str = "headsN, ffnN, sparseN (N a percentage, 0 to 99), CLASS=SCHEME";
const PRUNINGS: [&str; 3] = ["heads", "ffn", "sparse"];

/// A compression recipe: a format for the weight matrices, per-class format
/// overrides and optional pruning. Percentages are whole numbers from 0 to
/// 99 (ratio = percent / 100). Its [`Display`](fmt::Display) form is its
/// canonical name and parses back with [`FromStr`].
///
/// Grammar (case-insensitive; the canonical form is lower case):
///
/// ```text
/// recipe   = scheme *( "+" modifier )
/// scheme   = "f32" | "f16" | "bf16" | "q8_0" | "q4_0" | "q4_1"
/// modifier = "heads" PCT        ; attention-head pruning
///          | "ffn" PCT          ; feed-forward channel pruning
///          | "sparse" PCT       ; unstructured magnitude pruning
///          | CLASS "=" scheme   ; format of one tensor class
/// PCT      = 1*DIGIT            ; a whole percentage, 0 to 99
/// CLASS    = "token_embd" | "output" | "attn_q" | "attn_k" | "attn_v"
///          | "attn_output" | "ffn_gate" | "ffn_up" | "ffn_down"
/// ```
///
/// The canonical form lists the scheme, then `heads`, `ffn`, `sparse`, then
/// the overrides in the class order above. Modifiers that change nothing
/// (`sparse0`, an override equal to the scheme) are left out of it.
///
/// What the pruning modifiers do is described in [`apply`](super::apply):
/// `heads` and `ffn` remove whole rows and columns (the model gets smaller),
/// `sparse` zeroes weights of the block matrices (`attn_*`, `ffn_*`) and
/// leaves `token_embd` and `output` alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recipe {
    scheme: Scheme,
    heads: u8,
    ffn: u8,
    sparse: u8,
    overrides: BTreeMap<TensorRole, Scheme>,
}

fn percent(what: &'static str, percent: u32) -> Result<u8, RecipeError> {
    u8::try_from(percent)
        .ok()
        .filter(|&p| p < 100)
        .ok_or(RecipeError::RatioOutOfRange { what, percent })
}

impl Recipe {
    /// All weight matrices in `scheme`, no pruning.
    pub fn new(scheme: Scheme) -> Self {
        Recipe {
            scheme,
            heads: 0,
            ffn: 0,
            sparse: 0,
            overrides: BTreeMap::new(),
        }
    }

    /// Removes `percent` % of the query heads of every key/value group.
    ///
    /// # Errors
    /// [`RecipeError::RatioOutOfRange`] unless `percent` is below 100.
    pub fn with_head_pruning(mut self, percent_: u32) -> Result<Self, RecipeError> {
        self.heads = percent("heads", percent_)?;
        Ok(self)
    }

    /// Removes `percent` % of the feed-forward channels of every block.
    ///
    /// # Errors
    /// [`RecipeError::RatioOutOfRange`] unless `percent` is below 100.
    pub fn with_ffn_pruning(mut self, percent_: u32) -> Result<Self, RecipeError> {
        self.ffn = percent("ffn", percent_)?;
        Ok(self)
    }

    /// Zeroes the `percent` % smallest-magnitude weights of every block matrix.
    ///
    /// # Errors
    /// [`RecipeError::RatioOutOfRange`] unless `percent` is below 100.
    pub fn with_sparsity(mut self, percent_: u32) -> Result<Self, RecipeError> {
        self.sparse = percent("sparse", percent_)?;
        Ok(self)
    }

    /// Stores the matrices of `class` in `scheme` instead of the recipe's.
    ///
    /// # Errors
    /// [`RecipeError::UnknownClass`] when `class` is not one of
    /// [`OVERRIDE_CLASSES`] (norms, biases and RoPE factors stay f32).
    pub fn with_override(mut self, class: TensorRole, scheme: Scheme) -> Result<Self, RecipeError> {
        if !OVERRIDE_CLASSES.contains(&class) {
            return Err(RecipeError::UnknownClass {
                recipe: self.to_string(),
                found: format!("{}.{}", class.stem(), class.suffix()),
                suggestion: None,
                valid: VALID_CLASSES,
            });
        }
        if scheme == self.scheme {
            self.overrides.remove(&class);
        } else {
            self.overrides.insert(class, scheme);
        }
        Ok(self)
    }

    /// The format of the weight matrices without an override.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Percentage of query heads removed per key/value group.
    pub fn head_pruning(&self) -> u8 {
        self.heads
    }

    /// Percentage of feed-forward channels removed.
    pub fn ffn_pruning(&self) -> u8 {
        self.ffn
    }

    /// Percentage of block-matrix weights zeroed.
    pub fn sparsity(&self) -> u8 {
        self.sparse
    }

    /// The overrides, in canonical order.
    pub fn overrides(&self) -> impl Iterator<Item = (TensorRole, Scheme)> + '_ {
        self.overrides.iter().map(|(&r, &s)| (r, s))
    }

    /// The format for matrices of `class` (its override, or the scheme).
    pub fn scheme_for(&self, class: TensorRole) -> Scheme {
        self.overrides.get(&class).copied().unwrap_or(self.scheme)
    }

    /// Whether the recipe prunes anything.
    pub fn prunes(&self) -> bool {
        self.heads > 0 || self.ffn > 0 || self.sparse > 0
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.name())?;
        for (name, pct) in PRUNINGS
            .into_iter()
            .zip([self.heads, self.ffn, self.sparse])
        {
            if pct > 0 {
                write!(f, "+{name}{pct}")?;
            }
        }
        for (class, scheme) in self.overrides() {
            write!(f, "+{}={scheme}", class.stem())?;
        }
        Ok(())
    }
}

impl FromStr for Recipe {
    type Err = RecipeError;

    fn from_str(text: &str) -> Result<Self, RecipeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RecipeError::Empty {
                valid: Scheme::VALID,
            });
        }
        let parts: Vec<&str> = text.split('+').collect();
        // The whole recipe with part `i` replaced, for suggestions.
        let with_part = |i: usize, new: Option<String>| -> String {
            let mut fixed: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
            match new {
                Some(p) => fixed[i] = p,
                None => {
                    fixed.remove(i);
                }
            }
            fixed.join("+")
        };
        let scheme_names = || Scheme::ALL.into_iter().map(Scheme::name);
        let unknown_scheme = |i: usize, found: &str, prefix: &str| RecipeError::UnknownScheme {
            recipe: text.to_owned(),
            found: found.to_owned(),
            suggestion: nearest(found, scheme_names())
                .map(|s| with_part(i, Some(format!("{prefix}{s}")))),
            valid: Scheme::VALID,
        };
        let scheme = Scheme::from_name(parts[0]).ok_or_else(|| unknown_scheme(0, parts[0], ""))?;
        let mut recipe = Recipe::new(scheme);
        let mut seen: Vec<String> = Vec::new();
        let mut first_time = |modifier: String| {
            if seen.contains(&modifier) {
                return Err(RecipeError::Duplicate {
                    recipe: text.to_owned(),
                    modifier,
                });
            }
            seen.push(modifier);
            Ok(())
        };
        for (i, &part) in parts.iter().enumerate().skip(1) {
            if let Some((class, value)) = part.split_once('=') {
                let role = OVERRIDE_CLASSES
                    .into_iter()
                    .find(|r| r.stem().eq_ignore_ascii_case(class))
                    .ok_or_else(|| RecipeError::UnknownClass {
                        recipe: text.to_owned(),
                        found: class.to_owned(),
                        suggestion: nearest(class, OVERRIDE_CLASSES.map(TensorRole::stem))
                            .map(|c| with_part(i, Some(format!("{c}={value}")))),
                        valid: VALID_CLASSES,
                    })?;
                let prefix = format!("{}=", role.stem());
                let s =
                    Scheme::from_name(value).ok_or_else(|| unknown_scheme(i, value, &prefix))?;
                first_time(role.stem().to_owned())?;
                recipe = recipe.with_override(role, s)?;
                continue;
            }
            let split = part
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(part.len());
            let (word, number) = part.split_at(split);
            let Some(&what) = PRUNINGS.iter().find(|p| p.eq_ignore_ascii_case(word)) else {
                let suggestion = if part.is_empty() {
                    Some(with_part(i, None))
                } else {
                    nearest(word, PRUNINGS).map(|p| with_part(i, Some(format!("{p}{number}"))))
                };
                return Err(RecipeError::UnknownModifier {
                    recipe: text.to_owned(),
                    found: part.to_owned(),
                    suggestion,
                    valid: VALID_MODIFIERS,
                });
            };
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RecipeError::BadPercent {
                    recipe: text.to_owned(),
                    found: part.to_owned(),
                    modifier: what,
                });
            }
            // Too many digits to fit is simply out of range.
            let pct = number.parse::<u32>().unwrap_or(u32::MAX);
            first_time(what.to_owned())?;
            recipe = match what {
                "heads" => recipe.with_head_pruning(pct)?,
                "ffn" => recipe.with_ffn_pruning(pct)?,
                _ => recipe.with_sparsity(pct)?,
            };
        }
        Ok(recipe)
    }
}
