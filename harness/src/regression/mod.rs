//! The nightly regression gate.
//!
//! For one cell and one metric, the gate has `n` paired blocks: in each
//! block the baseline arm and the candidate arm ran on the same device in
//! a random order, and each arm's block summary is the median of its
//! reps. Metrics are oriented so that larger is worse
//! ([`Metric::larger_is_worse`](crate::store::Metric::larger_is_worse)),
//! and each block gives the log-ratio `d = ln(candidate) − ln(baseline)`.
//!
//! The statistics, pure arithmetic over block summaries:
//! - [`wilcoxon`]: the exact one-sided signed-rank test on the `d`, over
//!   the null distribution of [`signed_rank_null`];
//! - [`hodges_lehmann`]: the shift estimate and its exact confidence
//!   interval, as a ratio;
//! - [`holm`]: Holm's step-down adjustment over a family of p-values;
//! - [`comparison`] screens one cell-metric (stage 1), [`confirm`] applies
//!   Holm over the suspects' fresh blocks (stage 2), [`verdict`] names the
//!   outcome, [`exact`] compares deterministic metrics.
//!
//! Measuring: [`baseline`] matches cells to a stored run and names its
//! artifacts, [`blocks`] runs one cell's paired blocks on a device,
//! [`paired_device`] a device's share, [`gate`] the whole run in two
//! stages, and [`gate_report`] writes the verdicts for people and CI.
//!
//! Inspecting: [`unpaired`] compares two stored runs of different
//! sessions, without a verdict.
//! History: [`change_points`] finds changes of level in a metric's series
//! over stored runs (E-divisive means, [`energy`], with [`welch`]'s
//! t-test), for `edgebench history`.

pub mod arm_value;
pub mod baseline;
pub mod blocks;
pub mod canaries;
pub mod change_points;
pub mod comparison;
pub mod config;
pub mod confirm;
pub mod energy;
pub mod error;
pub mod exact;
pub mod gate;
pub mod gate_report;
pub mod hodges_lehmann;
pub mod holm;
pub mod orientation;
pub mod paired_device;
pub mod signed_rank_null;
pub mod stage;
pub mod unpaired;
pub mod verdict;
pub mod welch;
pub mod wilcoxon;
