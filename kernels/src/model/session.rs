//! [`Session`]: one sequence being run through a [`Model`]: its KV cache,
//! position, matrix driver and working buffers.

use std::sync::Arc;
use std::time::Instant;

use super::attention::{AttnScratch, AttnShape, attention};
use super::kv_cache::{KvCache, KvType};
use super::norm::{add_bias_rows, add_into, rms_norm_rows, swiglu};
use super::profile::{OpClass, PhaseProfile, Profile};
use super::rope::Rope;
use super::weights::Matrix;
use super::{Model, ModelError};
use crate::ops::{Matmul, Product, WeightMatrix};

/// Which logits [`Session::forward`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    /// Only those of the last token (`n_vocab` values); the output
    /// projection runs once.
    Last,
    /// Those of every token (`n_tokens × n_vocab` values, row per token).
    All,
}

/// How a [`Session`] is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionOptions {
    /// Positions the KV cache holds (at most the model's context length).
    pub context: usize,
    /// Element type of the KV cache.
    pub kv_type: KvType,
    /// Threads for matrix products and attention, the caller included.
    pub threads: usize,
    /// Whether forward passes are timed per class of operation (see
    /// [`Session::profile`]).
    pub profile: bool,
}

impl SessionOptions {
    /// A context of `context` positions, an f32 cache, one thread.
    pub fn new(context: usize) -> Self {
        SessionOptions {
            context,
            kv_type: KvType::F32,
            threads: 1,
            profile: false,
        }
    }

    /// Times forward passes per class of operation.
    pub fn profile(mut self, on: bool) -> Self {
        self.profile = on;
        self
    }

    /// Sets the KV cache element type.
    pub fn kv_type(mut self, kv_type: KvType) -> Self {
        self.kv_type = kv_type;
        self
    }

    /// Sets the thread count (0 counts as 1).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}

/// Working buffers, grown to the largest batch seen and then reused.
#[derive(Debug, Default)]
struct Buffers {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    logits: Vec<f32>,
}

/// The first `len` values of `buf`, growing it if needed.
fn take(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// The state of one sequence: tokens are appended with
/// [`forward`](Self::forward) until the context is full or
/// [`reset`](Self::reset) starts over.
#[derive(Debug)]
pub struct Session {
    model: Arc<Model>,
    matmul: Matmul,
    rope: Rope,
    cache: KvCache,
    attn: AttnScratch,
    buf: Buffers,
    position: usize,
    profile: Option<Profile>,
}

impl Session {
    /// A session over `model` with an empty cache.
    ///
    /// # Errors
    /// [`ModelError::BadSessionOption`] for a context of 0 or beyond the
    /// model's, [`ModelError::Ops`] when threads cannot be started.
    pub fn new(model: Arc<Model>, options: &SessionOptions) -> Result<Self, ModelError> {
        let c = model.config();
        if options.context == 0 || options.context > c.context_length {
            return Err(ModelError::BadSessionOption {
                name: "context",
                reason: format!(
                    "{} is not between 1 and the model's context length {}",
                    options.context, c.context_length
                ),
            });
        }
        let rope = Rope::new(c, model.rope_freqs.as_deref());
        let cache = KvCache::new(options.kv_type, c.n_layer, options.context, c.kv_dim());
        let mut matmul = Matmul::new(options.threads).map_err(ModelError::from)?;
        matmul.time_activation_quant(options.profile);
        let attn = AttnScratch::new(matmul.threads(), c.gqa_group(), options.context);
        Ok(Session {
            model,
            matmul,
            rope,
            cache,
            attn,
            buf: Buffers::default(),
            position: 0,
            profile: options.profile.then(Profile::default),
        })
    }

    /// Where the forward passes so far spent their time, when the session
    /// was set up with [`SessionOptions::profile`].
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// Starts the profile over (when profiling).
    pub fn reset_profile(&mut self) {
        if let Some(p) = &mut self.profile {
            *p = Profile::default();
        }
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Tokens in the cache, i.e. the position of the next token.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Positions the cache holds.
    pub fn context(&self) -> usize {
        self.cache.context()
    }

    /// The KV cache element type.
    pub fn kv_type(&self) -> KvType {
        self.cache.kind()
    }

    /// Bytes of the KV cache.
    pub fn kv_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// Threads used per call, the caller included.
    pub fn threads(&self) -> usize {
        self.matmul.threads()
    }

    /// Empties the cache: the next token is at position 0.
    pub fn reset(&mut self) {
        self.position = 0;
    }

    /// Keeps only the first `len` tokens of the sequence (no change when it
    /// holds fewer): the next token goes at position `len`.
    pub fn truncate(&mut self, len: usize) {
        self.position = self.position.min(len);
    }

    /// Appends `tokens` to the sequence and returns their logits: those of
    /// the last token or of every token (row per token).
    ///
    /// Several tokens (prefill) go through the matrix-matrix kernels, a
    /// single one (decode) through the matrix-vector kernels. Once the
    /// buffers have grown to a batch size, calls of that size or smaller do
    /// not allocate.
    ///
    /// # Errors
    /// [`ModelError::EmptyInput`], [`ModelError::ContextExceeded`] and
    /// [`ModelError::TokenOutOfRange`] before anything runs (the session is
    /// unchanged); [`ModelError::Ops`] or [`ModelError::Convert`] should a
    /// kernel fail, after which the tokens are not in the sequence.
    pub fn forward(&mut self, tokens: &[u32], logits: Logits) -> Result<&[f32], ModelError> {
        let model = &*self.model;
        let c = model.config();
        let n = tokens.len();
        if n == 0 {
            return Err(ModelError::EmptyInput);
        }
        let pos0 = self.position;
        if n > self.cache.context() - pos0 {
            return Err(ModelError::ContextExceeded {
                used: pos0,
                requested: n,
                context: self.cache.context(),
            });
        }
        if let Some((position, &id)) = tokens
            .iter()
            .enumerate()
            .find(|&(_, &id)| id as usize >= c.n_vocab)
        {
            return Err(ModelError::TokenOutOfRange {
                id,
                position,
                n_vocab: c.n_vocab,
            });
        }

        let (e, qd, kvd, ff) = (c.n_embd, c.q_dim(), c.kv_dim(), c.n_ff);
        let b = &mut self.buf;
        let x = take(&mut b.x, n * e);
        let xn = take(&mut b.xn, n * e);
        let q = take(&mut b.q, n * qd);
        let k = take(&mut b.k, n * kvd);
        let v = take(&mut b.v, n * kvd);
        let att = take(&mut b.att, n * qd);
        let proj = take(&mut b.proj, n * e);
        let gate = take(&mut b.gate, n * ff);
        let up = take(&mut b.up, n * ff);
        let pairs = self.rope.pairs();
        let cos = take(&mut b.cos, n * pairs);
        let sin = take(&mut b.sin, n * pairs);
        let mm = &mut self.matmul;
        let started = self.profile.is_some().then(Instant::now);
        let mut prof: Option<&mut PhaseProfile> = self.profile.as_mut().map(|p| p.phase_mut(n));
        let prof = &mut prof;

        timed(prof, OpClass::Embedding, 0, || {
            for (&id, row) in tokens.iter().zip(x.chunks_exact_mut(e)) {
                model.token_embd.row_into(id as usize, row)?;
            }
            Ok::<(), ModelError>(())
        })?;
        timed(prof, OpClass::Rope, 0, || {
            self.rope.angles(pos0, n, cos, sin)
        });
        let shape = AttnShape {
            n_head: c.n_head,
            group: c.gqa_group(),
            head_dim: c.head_dim,
        };

        for (l, layer) in model.layers.iter().enumerate() {
            timed(prof, OpClass::Norms, 0, || {
                rms_norm_rows(x, &layer.attn_norm, c.rms_eps, xn);
            });
            let qkv = [
                (&layer.wq, &mut *q),
                (&layer.wk, &mut *k),
                (&layer.wv, &mut *v),
            ];
            project_timed(prof, OpClass::MatmulQkv, mm, qkv, xn, n)?;
            if layer.bq.is_some() || layer.bk.is_some() || layer.bv.is_some() {
                timed(prof, OpClass::MatmulQkv, 0, || {
                    for (bias, out) in [
                        (&layer.bq, &mut *q),
                        (&layer.bk, &mut *k),
                        (&layer.bv, &mut *v),
                    ] {
                        if let Some(bias) = bias {
                            add_bias_rows(out, bias);
                        }
                    }
                });
            }
            timed(prof, OpClass::Rope, 0, || {
                self.rope.apply(q, c.n_head, cos, sin);
                self.rope.apply(k, c.n_head_kv, cos, sin);
            });
            timed(prof, OpClass::KvWrite, 0, || {
                self.cache.write(l, pos0, k, v)
            });
            let (keys, values) = self.cache.layer(l, pos0 + n);
            let kernels = *mm.kernels();
            timed(prof, OpClass::Attention, 0, || {
                attention(
                    mm.pool_mut(),
                    &kernels,
                    shape,
                    q,
                    keys,
                    values,
                    pos0,
                    n,
                    &self.attn,
                    att,
                );
            });
            project_timed(
                prof,
                OpClass::MatmulAttnOut,
                mm,
                [(&layer.wo, &mut *proj)],
                att,
                n,
            )?;
            timed(prof, OpClass::Residuals, 0, || add_into(x, proj));

            timed(prof, OpClass::Norms, 0, || {
                rms_norm_rows(x, &layer.ffn_norm, c.rms_eps, xn);
            });
            let gate_up = [(&layer.gate, &mut *gate), (&layer.up, &mut *up)];
            project_timed(prof, OpClass::MatmulGateUp, mm, gate_up, xn, n)?;
            timed(prof, OpClass::Swiglu, 0, || {
                swiglu(mm.pool_mut(), kernels.swiglu, gate, up)
            });
            pool_wait_of(prof, OpClass::Swiglu, mm);
            project_timed(
                prof,
                OpClass::MatmulDown,
                mm,
                [(&layer.down, &mut *proj)],
                gate,
                n,
            )?;
            timed(prof, OpClass::Residuals, 0, || add_into(x, proj));
        }

        let rows = match logits {
            Logits::Last => 1,
            Logits::All => n,
        };
        let last = &x[(n - rows) * e..];
        let xn = &mut xn[..rows * e];
        timed(prof, OpClass::Norms, 0, || {
            rms_norm_rows(last, &model.output_norm, c.rms_eps, xn);
        });
        let out = take(&mut b.logits, rows * c.n_vocab);
        let output = model.output_matrix();
        project_timed(
            prof,
            OpClass::OutputProjection,
            mm,
            [(output, out)],
            xn,
            rows,
        )?;
        if let (Some(p), Some(started)) = (prof.as_mut(), started) {
            p.forward_done(n, started.elapsed());
        }
        self.position = pos0 + n;
        Ok(out)
    }
}

/// Runs `f`, adding its time to `op` of `profile` when profiling.
fn timed<T>(
    profile: &mut Option<&mut PhaseProfile>,
    op: OpClass,
    weight_bytes: u64,
    f: impl FnOnce() -> T,
) -> T {
    let Some(p) = profile else { return f() };
    let start = Instant::now();
    let out = f();
    p.add(op, start.elapsed(), weight_bytes);
    out
}

/// [`project`], its time split between `op` (with the weight bytes it
/// read) and the quantization of its activations when profiling.
fn project_timed<const N: usize>(
    profile: &mut Option<&mut PhaseProfile>,
    op: OpClass,
    mm: &mut Matmul,
    products: [(&Matrix, &mut [f32]); N],
    x: &[f32],
    n: usize,
) -> Result<(), ModelError> {
    let Some(p) = profile else {
        return project(mm, products, x, n);
    };
    let mut bytes = 0;
    for (w, _) in &products {
        bytes += w.view()?.data().len() as u64;
    }
    let start = Instant::now();
    project(mm, products, x, n)?;
    let total = start.elapsed();
    let quant = mm.take_activation_quant_time().unwrap_or_default();
    let wait = mm.pool_mut().take_wait().unwrap_or_default();
    p.add(op, total.saturating_sub(quant + wait), bytes);
    if !quant.is_zero() {
        p.add(OpClass::ActivationQuant, quant, 0);
    }
    if !wait.is_zero() {
        p.add(OpClass::PoolWait, wait, 0);
    }
    Ok(())
}

/// Moves the pool's waits during the last `op` (a parallel call outside
/// the products) from `op` to [`OpClass::PoolWait`], when profiling.
fn pool_wait_of(profile: &mut Option<&mut PhaseProfile>, op: OpClass, mm: &mut Matmul) {
    if let Some(p) = profile {
        let wait = mm.pool_mut().take_wait().unwrap_or_default();
        if !wait.is_zero() {
            p.reattribute(op, OpClass::PoolWait, wait);
        }
    }
}

/// `yⱼ = Wⱼ·x` for `n` rows and each `(Wⱼ, yⱼ)` of `products`, the input
/// quantized once for all of them.
fn project<const N: usize>(
    mm: &mut Matmul,
    products: [(&Matrix, &mut [f32]); N],
    x: &[f32],
    n: usize,
) -> Result<(), ModelError> {
    let views: [WeightMatrix<'_>; N] = {
        let mut views = [None; N];
        for (view, (w, _)) in views.iter_mut().zip(&products) {
            *view = Some(w.view()?);
        }
        views.map(|v| v.expect("every view was set"))
    };
    let mut products = {
        let mut ys = products.map(|(_, y)| Some(y));
        std::array::from_fn::<_, N, _>(|j| {
            Product::new(&views[j], ys[j].take().expect("each output once"))
        })
    };
    mm.matmul_each(x, n, &mut products)?;
    Ok(())
}
