//! The `[workload]`, `[measure]`, `[select]` and `[regression]` sections.

use std::collections::BTreeMap;
use std::ops::Range;

use edgebench_schema::job::{MeasureSettings, MeterKind};
use toml::Spanned;

use crate::regression::orientation::Gate;
use crate::store::Metric;

use super::checked::{Measure, Regression, Select, Workload};
use super::checker::Checker;
use super::raw::{RawMeasure, RawRegression, RawSelect, RawWorkload};
use super::sweep::Sweep;

/// Default `timeout_seconds` of a cell.
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 600.0;
/// Default `threshold_pct` of `[regression]`.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// A swept key's values with their spans (the key's own span for a scalar).
pub type SpannedValues = Vec<(u32, Range<usize>)>;

/// Checks `[workload]`; returns the workload and the spans of the
/// `prompt_tokens` values (for the context check).
pub fn check_workload(
    c: &mut Checker<'_>,
    raw: Option<&RawWorkload>,
) -> (Workload, SpannedValues, SpannedValues) {
    let default = RawWorkload::default();
    let raw = raw.unwrap_or(&default);
    let threads = sweep(c, "threads", raw.threads.as_ref(), 1, 1, 1024);
    let prompt = sweep(
        c,
        "prompt_tokens",
        raw.prompt_tokens.as_ref(),
        128,
        1,
        1 << 20,
    );
    let gen_tokens = sweep(c, "gen_tokens", raw.gen_tokens.as_ref(), 64, 0, 1 << 20);
    let workload = Workload {
        threads: threads.iter().map(|v| v.0).collect(),
        prompt_tokens: prompt.iter().map(|v| v.0).collect(),
        gen_tokens: gen_tokens.iter().map(|v| v.0).collect(),
        kv: raw.kv.unwrap_or_default(),
        seed: raw.seed.unwrap_or(0),
    };
    (workload, prompt, gen_tokens)
}

/// The checked values of one swept key; out-of-range values are reported
/// and left out.
fn sweep(
    c: &mut Checker<'_>,
    key: &str,
    value: Option<&Spanned<Sweep>>,
    default: u32,
    min: i64,
    max: i64,
) -> SpannedValues {
    let Some(value) = value else {
        return vec![(default, 0..0)];
    };
    let items: Vec<(i64, Range<usize>)> = match value.get_ref() {
        Sweep::One(v) => vec![(*v, value.span())],
        Sweep::Many(list) => list.iter().map(|v| (*v.get_ref(), v.span())).collect(),
    };
    if items.is_empty() {
        c.error(
            value.span(),
            format!("`{key}` is empty: list at least one value"),
        );
    }
    let mut out: SpannedValues = Vec::new();
    for (v, span) in items {
        if v < min {
            let why = match (min, v < 0) {
                (0, _) => "must not be negative".to_owned(),
                (_, true) => format!("must be at least {min}, and cannot be negative"),
                _ => format!("must be at least {min}"),
            };
            c.error(span, format!("`{key}` {why}, found {v}"));
        } else if v > max {
            c.error(span, format!("`{key}` must be at most {max}, found {v}"));
        } else if out.iter().any(|&(o, _)| i64::from(o) == v) {
            c.error(span, format!("duplicate value {v} in `{key}`"));
        } else {
            // In range [min, max] ⊂ u32 by the checks above.
            out.push((v as u32, span));
        }
    }
    out
}

/// Checks `[measure]`.
pub fn check_measure(c: &mut Checker<'_>, raw: Option<&RawMeasure>) -> Measure {
    let default = RawMeasure::default();
    let raw = raw.unwrap_or(&default);
    let d = MeasureSettings::default();
    let mut settings = MeasureSettings {
        warmup_reps: raw.warmup_reps.unwrap_or(d.warmup_reps),
        min_reps: raw.min_reps.as_ref().map_or(d.min_reps, |v| *v.get_ref()),
        min_seconds: number(
            c,
            "min_seconds",
            raw.min_seconds.as_ref(),
            d.min_seconds,
            0.0,
            86_400.0,
        ),
        max_reps: raw.max_reps.as_ref().map_or(d.max_reps, |v| *v.get_ref()),
        idle_seconds: number(
            c,
            "idle_seconds",
            raw.idle_seconds.as_ref(),
            d.idle_seconds,
            0.0,
            3600.0,
        ),
    };
    if let Some(v) = &raw.min_reps
        && *v.get_ref() == 0
    {
        c.error(v.span(), "`min_reps` must be at least 1, found 0");
        settings.min_reps = 1;
    }
    if settings.max_reps < settings.min_reps {
        let span = raw
            .max_reps
            .as_ref()
            .or(raw.min_reps.as_ref())
            .map_or(0..0, Spanned::span);
        c.error(
            span,
            format!(
                "`max_reps` ({}) must be at least `min_reps` ({})",
                settings.max_reps, settings.min_reps
            ),
        );
    }
    let sample_hz = number(
        c,
        "sample_hz",
        raw.sample_hz.as_ref(),
        100.0,
        f64::MIN_POSITIVE,
        1000.0,
    );
    let thermal_gate = raw.thermal_gate.as_ref().map(|g| {
        let v = g.get_ref();
        if !(v.max_delta_c > 0.0 && v.window_seconds > 0.0 && v.timeout_seconds >= 0.0) {
            c.error(
                g.span(),
                "`thermal_gate` needs a positive `max_delta_c` and `window_seconds` \
                 and a non-negative `timeout_seconds`",
            );
        }
        v.clone()
    });
    let timeout_seconds = number(
        c,
        "timeout_seconds",
        raw.timeout_seconds.as_ref(),
        DEFAULT_TIMEOUT_SECONDS,
        1.0,
        7.0 * 86_400.0,
    );
    Measure {
        settings,
        meter: raw.meter.as_ref().map_or(MeterKind::Auto, |m| *m.get_ref()),
        sample_hz,
        counters: raw.counters.unwrap_or(true),
        thermal_gate,
        timeout_seconds,
        profile: raw.profile.unwrap_or(false),
    }
}

/// A number in `[min, max]`, or the default (with an error) when outside.
pub fn number(
    c: &mut Checker<'_>,
    key: &str,
    value: Option<&Spanned<f64>>,
    default: f64,
    min: f64,
    max: f64,
) -> f64 {
    let Some(value) = value else { return default };
    let v = *value.get_ref();
    if v.is_finite() && v >= min && v <= max {
        return v;
    }
    let range = if min == f64::MIN_POSITIVE {
        format!("above 0 and at most {max}")
    } else {
        format!("from {min} to {max}")
    };
    c.error(value.span(), format!("`{key}` must be {range}, found {v}"));
    default
}

/// Checks `[select]`.
pub fn check_select(c: &mut Checker<'_>, raw: Option<&RawSelect>) -> Select {
    let Some(raw) = raw else {
        return Select::default();
    };
    let mut positive = |key: &str, v: Option<&Spanned<f64>>| {
        v.map(|v| number(c, key, Some(v), 0.0, 0.0, f64::MAX))
    };
    Select {
        max_accuracy_drop_pct: positive(
            "max_accuracy_drop_pct",
            raw.max_accuracy_drop_pct.as_ref(),
        ),
        max_peak_rss_mib: positive("max_peak_rss_mib", raw.max_peak_rss_mib.as_ref()),
        objective: raw.objective.unwrap_or_default(),
    }
}

/// Checks `[regression]`.
pub fn check_regression(c: &mut Checker<'_>, raw: Option<&RawRegression>) -> Regression {
    let default = RawRegression::default();
    let raw = raw.unwrap_or(&default);
    let threshold_pct = number(
        c,
        "threshold_pct",
        raw.threshold_pct.as_ref(),
        DEFAULT_THRESHOLD_PCT,
        0.0,
        1000.0,
    );
    let mut integer = |key: &str, v: Option<&Spanned<i64>>, default: u32, min: i64, max: i64| {
        let Some(v) = v else { return default };
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            return n as u32;
        }
        c.error(
            v.span(),
            format!("`{key}` must be from {min} to {max}, found {n}"),
        );
        default
    };
    let blocks = integer(
        "blocks",
        raw.blocks.as_ref(),
        DEFAULT_BLOCKS,
        MIN_BLOCKS.into(),
        200,
    );
    let reps = integer("reps", raw.reps.as_ref(), DEFAULT_REPS, 1, 100);
    let canaries = integer("canaries", raw.canaries.as_ref(), 0, 0, 1000);
    let thresholds = metric_table(c, "thresholds", raw.thresholds.as_ref(), Gate::Sampled);
    let tolerances = metric_table(c, "tolerances", raw.tolerances.as_ref(), Gate::Exact);
    Regression {
        threshold_pct,
        thresholds,
        tolerances,
        blocks,
        reps,
        canaries,
    }
}

/// Default `blocks` of `[regression]`.
pub const DEFAULT_BLOCKS: u32 = 15;
/// The fewest `blocks`: 7, the smallest count whose best one-sided
/// signed-rank p-value (2^−7) is below the stage-1 level.
pub const MIN_BLOCKS: u32 = 7;
/// Default `reps` of `[regression]`.
pub const DEFAULT_REPS: u32 = 3;

/// `[regression.thresholds]` or `[regression.tolerances]`: metric names
/// (as in the store: `decode_tps_median`, `recipe_bytes`...) of the
/// right kind, each with a finite value ≥ 0.
fn metric_table(
    c: &mut Checker<'_>,
    table: &str,
    raw: Option<&BTreeMap<Spanned<String>, Spanned<f64>>>,
    kind: Gate,
) -> Vec<(Metric, f64)> {
    let Some(raw) = raw else { return Vec::new() };
    let names: Vec<&str> = Metric::ALL
        .iter()
        .filter(|m| m.gate() == kind)
        .map(|m| m.column())
        .collect();
    let mut out = Vec::new();
    for (key, value) in raw {
        let Some(metric) = Metric::from_column(key.get_ref()).filter(|m| m.gate() == kind) else {
            c.error(
                key.span(),
                format!(
                    "`regression.{table}` has no metric `{}`; it takes {}",
                    key.get_ref(),
                    names.join(", ")
                ),
            );
            continue;
        };
        let max = if kind == Gate::Sampled { 1000.0 } else { 1e15 };
        let v = number(c, key.get_ref(), Some(value), 0.0, 0.0, max);
        out.push((metric, v));
    }
    out
}
