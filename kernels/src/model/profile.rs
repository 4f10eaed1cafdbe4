//! [`Profile`]: where a [`Session`](super::Session)'s forward passes spend
//! their time, per class of operation, kept apart for prefill (several
//! tokens at once) and decode (one token). Off by default: a session
//! without profiling reads no clock.

use std::time::Duration;

/// A class of operation of the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// Token embedding rows.
    Embedding,
    /// RMS norms (attention, feed-forward, output).
    Norms,
    /// Quantizing activations for quantized weight products.
    ActivationQuant,
    /// The Q, K and V projections (and their biases).
    MatmulQkv,
    /// The attention output projection.
    MatmulAttnOut,
    /// The feed-forward gate and up projections.
    MatmulGateUp,
    /// The feed-forward down projection.
    MatmulDown,
    /// Rotary position embedding of Q and K.
    Rope,
    /// Writing K and V into the cache.
    KvWrite,
    /// Attention over the cache.
    Attention,
    /// SwiGLU of the feed-forward.
    Swiglu,
    /// Residual additions.
    Residuals,
    /// The output (vocabulary) projection.
    OutputProjection,
    /// The calling thread waiting, at the end of a parallel call, for the
    /// other threads to finish their share: load imbalance and wake-up
    /// latency (taken out of the operation it happened in).
    PoolWait,
}

impl OpClass {
    /// Every class, in the order of a forward pass.
    pub const ALL: [OpClass; 14] = [
        OpClass::Embedding,
        OpClass::Norms,
        OpClass::ActivationQuant,
        OpClass::MatmulQkv,
        OpClass::Rope,
        OpClass::KvWrite,
        OpClass::Attention,
        OpClass::MatmulAttnOut,
        OpClass::Residuals,
        OpClass::MatmulGateUp,
        OpClass::Swiglu,
        OpClass::MatmulDown,
        OpClass::OutputProjection,
        OpClass::PoolWait,
    ];

    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::Embedding => "embedding",
            OpClass::Norms => "norms",
            OpClass::ActivationQuant => "activation quant",
            OpClass::MatmulQkv => "matmul q/k/v",
            OpClass::MatmulAttnOut => "matmul attn out",
            OpClass::MatmulGateUp => "matmul gate/up",
            OpClass::MatmulDown => "matmul down",
            OpClass::Rope => "rope",
            OpClass::KvWrite => "kv write",
            OpClass::Attention => "attention",
            OpClass::Swiglu => "swiglu",
            OpClass::Residuals => "residuals",
            OpClass::OutputProjection => "output projection",
            OpClass::PoolWait => "pool wait",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The totals of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Totals {
    calls: u64,
    time: Duration,
    weight_bytes: u64,
}

/// The time of one phase's forward passes, per class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseProfile {
    totals: [Totals; OpClass::ALL.len()],
    forwards: u64,
    tokens: u64,
    wall: Duration,
}

/// One class of a phase, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct OpRow {
    /// The class.
    pub op: OpClass,
    /// Calls over the phase.
    pub calls: u64,
    /// Milliseconds per token of the phase.
    pub ms_per_token: f64,
    /// Share of the phase's forward time, 0 to 1.
    pub share: f64,
    /// Weight bytes read per second, GB/s, for the products.
    pub weight_gb_per_s: Option<f64>,
}

impl PhaseProfile {
    /// Adds `time` (and `weight_bytes` streamed) to `op`.
    pub fn add(&mut self, op: OpClass, time: Duration, weight_bytes: u64) {
        let t = &mut self.totals[op.index()];
        t.calls += 1;
        t.time += time;
        t.weight_bytes += weight_bytes;
    }

    /// Moves `time` out of `from` into `to` (one call of `to`), e.g. the
    /// pool's wait out of the operation it happened in.
    pub fn reattribute(&mut self, from: OpClass, to: OpClass, time: Duration) {
        let f = &mut self.totals[from.index()];
        f.time = f.time.saturating_sub(time);
        let t = &mut self.totals[to.index()];
        t.calls += 1;
        t.time += time;
    }

    /// Counts one forward pass of `tokens` tokens that took `wall`.
    pub fn forward_done(&mut self, tokens: usize, wall: Duration) {
        self.forwards += 1;
        self.tokens += tokens as u64;
        self.wall += wall;
    }

    /// Forward passes counted.
    pub fn forwards(&self) -> u64 {
        self.forwards
    }

    /// Tokens counted.
    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    /// Wall time of the forward passes.
    pub fn wall(&self) -> Duration {
        self.wall
    }

    /// Wall time of the forward passes not in any class: the pass's own
    /// bookkeeping and what timing could not attribute.
    pub fn unattributed(&self) -> Duration {
        let classed: Duration = self.totals.iter().map(|t| t.time).sum();
        self.wall.saturating_sub(classed)
    }

    /// Calls of `op`.
    pub fn calls(&self, op: OpClass) -> u64 {
        self.totals[op.index()].calls
    }

    /// Time in `op`.
    pub fn time(&self, op: OpClass) -> Duration {
        self.totals[op.index()].time
    }

    /// The classes that ran, in forward order, with their share of the
    /// wall time.
    pub fn rows(&self) -> Vec<OpRow> {
        let tokens = self.tokens.max(1) as f64;
        let wall = self.wall.as_secs_f64();
        OpClass::ALL
            .iter()
            .filter_map(|&op| {
                let t = self.totals[op.index()];
                (t.calls > 0).then(|| {
                    let s = t.time.as_secs_f64();
                    OpRow {
                        op,
                        calls: t.calls,
                        ms_per_token: s * 1e3 / tokens,
                        share: if wall > 0.0 { s / wall } else { 0.0 },
                        weight_gb_per_s: (t.weight_bytes > 0 && s > 0.0)
                            .then(|| t.weight_bytes as f64 / s / 1e9),
                    }
                })
            })
            .collect()
    }
}

/// Prefill and decode profiles of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Forward passes of more than one token.
    pub prefill: PhaseProfile,
    /// Forward passes of one token.
    pub decode: PhaseProfile,
}

impl Profile {
    /// The phase of a forward pass of `tokens` tokens.
    pub fn phase_mut(&mut self, tokens: usize) -> &mut PhaseProfile {
        if tokens > 1 {
            &mut self.prefill
        } else {
            &mut self.decode
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_and_bandwidth() {
        let mut p = PhaseProfile::default();
        p.add(OpClass::MatmulDown, Duration::from_millis(6), 3_000_000);
        p.add(OpClass::Norms, Duration::from_millis(1), 0);
        p.add(OpClass::Norms, Duration::from_millis(1), 0);
        p.forward_done(1, Duration::from_millis(10));
        p.forward_done(1, Duration::from_millis(10));
        let rows = p.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].op, OpClass::Norms);
        assert_eq!(rows[0].calls, 2);
        assert!((rows[0].ms_per_token - 1.0).abs() < 1e-9);
        assert!((rows[0].share - 0.1).abs() < 1e-9);
        assert_eq!(rows[0].weight_gb_per_s, None);
        assert!((rows[1].weight_gb_per_s.unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(p.unattributed(), Duration::from_millis(12));
    }
}
