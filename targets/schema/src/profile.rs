//! Where a run's forward passes spent their time, per class of operation
//! (embedding, norms, activation quantization, each group of matrix
//! products with its weight bandwidth, attention, SwiGLU, the thread pool's
//! waits…), for the prompt (prefill) and the generated tokens (decode).

use serde::{Deserialize, Serialize};

/// One class of operation of a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpLine {
    /// The class, e.g. `matmul gate/up`.
    pub op: String,
    /// Calls over the phase.
    pub calls: u64,
    /// Milliseconds per token.
    pub ms_per_token: f64,
    /// Share of the phase's forward time, percent.
    pub share_pct: f64,
    /// Weight bytes read per second (products only), GB/s.
    pub weight_gb_per_s: Option<f64>,
}

/// One phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// Forward passes.
    pub forwards: u64,
    /// Tokens through them.
    pub tokens: u64,
    /// Milliseconds per token of the whole forward passes.
    pub ms_per_token: f64,
    /// The classes, in forward order.
    pub ops: Vec<OpLine>,
    /// Milliseconds per token outside every class (the pass's own
    /// bookkeeping).
    pub unattributed_ms_per_token: f64,
}

/// Both phases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileReport {
    /// The prompt's forward pass.
    pub prefill: PhaseReport,
    /// One forward pass per generated token after the first.
    pub decode: PhaseReport,
}
