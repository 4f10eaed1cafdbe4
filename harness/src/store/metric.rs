//! [`Metric`]: the result figures the database keeps in indexed columns,
//! for trend lines and baselines without parsing every stored result.

use edgebench_schema::JobResult;

/// A figure of a result with its own column in the `results` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Metric {
    /// Median time to first token, seconds.
    TtftMedian,
    /// Median prompt tokens per second.
    PrefillTpsMedian,
    /// Median generated tokens per second.
    DecodeTpsMedian,
    /// Median end-to-end seconds per inference.
    E2eMedian,
    /// Peak resident memory, KiB.
    PeakRssKib,
    /// Median joules per inference.
    EnergyJMedian,
    /// Median millijoules per generated token.
    DecodeMjPerTokenMedian,
    /// Bytes of the model in the recipe's formats.
    RecipeBytes,
    /// Perplexity change against the reference recipe, percent.
    PplDeltaPct,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 9] = [
        Metric::TtftMedian,
        Metric::PrefillTpsMedian,
        Metric::DecodeTpsMedian,
        Metric::E2eMedian,
        Metric::PeakRssKib,
        Metric::EnergyJMedian,
        Metric::DecodeMjPerTokenMedian,
        Metric::RecipeBytes,
        Metric::PplDeltaPct,
    ];

    /// The column in the `results` table (also the CSV column of the same
    /// figure where there is one).
    pub fn column(self) -> &'static str {
        match self {
            Metric::TtftMedian => "ttft_median_s",
            Metric::PrefillTpsMedian => "prefill_tps_median",
            Metric::DecodeTpsMedian => "decode_tps_median",
            Metric::E2eMedian => "e2e_median_s",
            Metric::PeakRssKib => "peak_rss_kib",
            Metric::EnergyJMedian => "energy_j_median",
            Metric::DecodeMjPerTokenMedian => "decode_mj_per_token_median",
            Metric::RecipeBytes => "recipe_bytes",
            Metric::PplDeltaPct => "ppl_delta_pct",
        }
    }

    /// The metric whose column is `name`.
    pub fn from_column(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.column() == name)
    }

    /// The figure in `r`, when it has one.
    pub fn of(self, r: &JobResult) -> Option<f64> {
        let lat = r.latency.as_ref();
        let energy = r.energy.as_ref();
        match self {
            Metric::TtftMedian => lat.map(|l| l.ttft_s.median),
            Metric::PrefillTpsMedian => lat.map(|l| l.prefill_tps.median),
            Metric::DecodeTpsMedian => lat.map(|l| l.decode_tps.median),
            Metric::E2eMedian => lat.map(|l| l.e2e_s.median),
            Metric::PeakRssKib => r.memory.as_ref().map(|m| m.peak_rss_kib as f64),
            Metric::EnergyJMedian => energy.and_then(|e| e.energy_j.as_ref()).map(|s| s.median),
            Metric::DecodeMjPerTokenMedian => energy
                .and_then(|e| e.decode_mj_per_token.as_ref())
                .map(|s| s.median),
            Metric::RecipeBytes => r.model.as_ref().map(|m| m.recipe_bytes as f64),
            Metric::PplDeltaPct => r.accuracy.as_ref().map(|a| a.ppl_delta_pct),
        }
    }
}
