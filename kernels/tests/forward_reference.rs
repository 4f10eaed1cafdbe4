//! The forward pass against a plain reference written here: naive loops in
//! f32 with f64 sums over weights dequantized with `quant::dequantize`,
//! reading the same GGUF file but sharing no kernel or model code.
//!
//! Tolerances (largest logit error over the largest |logit|):
//! * F32, F16, BF16 weights: the kernels multiply exactly the dequantized
//!   weights with f32 activations; only summation order differs, ~1e-6 of
//!   the values, checked at 1e-4.
//! * Q8_0, Q4_0, Q4_1 weights: the kernels quantize each activation row to
//!   8 bits per 32-value block (scale amax/127, f16), i.e. an error of up to
//!   half a step, amax/254, per activation. Against a reference that runs
//!   the same weights on f32 activations this gives about 0.3-1 % of the
//!   logit range through two blocks (checked at 3 %); against a reference
//!   that rounds its matrix inputs the same way (Q8_0 blocks; for Q4_1 the
//!   Q8_1 blocks whose f16 block sum `s` meets the weights' minimum) the
//!   only differences are summation order and the occasional rounding flip
//!   (checked at 0.1 %).

mod forward_support;

use std::collections::HashMap;
use std::sync::Arc;

use bytemuck::Zeroable;
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{Logits, Model, Session, SessionOptions};
use edgebench_kernels::quant::{self, BlockQ4_1, BlockQ8_1, GgmlType};
use forward_support::{Spec, build, max_rel_error, tokens};

const FORMATS: [GgmlType; 6] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
];

/// The reference model: every tensor as f32, hyperparameters from the spec.
struct Reference {
    spec: Spec,
    t: HashMap<String, Vec<f32>>,
    /// Per-block minimums of the Q4_1 matrices.
    q4_1_mins: HashMap<String, Vec<f32>>,
    /// Round matrix inputs to 8-bit blocks as the quantized kernels do.
    quantize_inputs: bool,
}

impl Reference {
    fn new(file: &GgufFile, spec: &Spec, quantize_inputs: bool) -> Self {
        let t = file
            .tensors()
            .iter()
            .map(|info| {
                let mut out = vec![0.0f32; info.n_elements() as usize];
                quant::dequantize(info.dtype, file.tensor_data(info), &mut out).unwrap();
                (info.name.clone(), out)
            })
            .collect();
        let q4_1_mins = file
            .tensors()
            .iter()
            .filter(|info| info.dtype == GgmlType::Q4_1)
            .map(|info| {
                let blocks: &[BlockQ4_1] = bytemuck::cast_slice(file.tensor_data(info));
                let mins = blocks.iter().map(|b| b.m.to_f32()).collect();
                (info.name.clone(), mins)
            })
            .collect();
        Reference {
            spec: spec.clone(),
            t,
            q4_1_mins,
            quantize_inputs,
        }
    }

    fn get(&self, name: &str) -> &[f32] {
        &self.t[name]
    }

    /// `W · x` for a matrix of rows of `x.len()` values.
    fn matvec(&self, name: &str, x: &[f32]) -> Vec<f32> {
        let w = self.get(name);
        // Per 32-value block of `x`: `s - Σ x̃` (Q8_1's stored block sum
        // minus the sum of the rounded values), which meets each weight
        // block's minimum `m` in the Q4_1 kernel.
        let mut sum_fix = vec![0.0f64; x.len() / 32];
        let x = if self.quantize_inputs {
            let mut blocks = vec![BlockQ8_1::zeroed(); x.len() / 32];
            quant::quantize_q8_1(x, &mut blocks);
            let mut back = vec![0.0f32; x.len()];
            for (b, blk) in blocks.iter().enumerate() {
                let d = blk.d.to_f32();
                let mut rounded = 0.0f64;
                for j in 0..32 {
                    back[b * 32 + j] = d * blk.qs[j] as f32;
                    rounded += back[b * 32 + j] as f64;
                }
                sum_fix[b] = blk.s.to_f32() as f64 - rounded;
            }
            back
        } else {
            x.to_vec()
        };
        let mins = self.q4_1_mins.get(name);
        let nb = x.len() / 32;
        w.chunks(x.len())
            .enumerate()
            .map(|(r, row)| {
                let mut s = 0.0f64;
                for i in 0..x.len() {
                    s += row[i] as f64 * x[i] as f64;
                }
                if let Some(m) = mins {
                    for b in 0..nb {
                        s += m[r * nb + b] as f64 * sum_fix[b];
                    }
                }
                s as f32
            })
            .collect()
    }

    fn rms_norm(&self, name: &str, x: &[f32]) -> Vec<f32> {
        let w = self.get(name);
        let mut ss = 0.0f64;
        for &v in x {
            ss += v as f64 * v as f64;
        }
        let scale = 1.0 / (ss / x.len() as f64 + 1e-5).sqrt();
        (0..x.len())
            .map(|i| (x[i] as f64 * scale * w[i] as f64) as f32)
            .collect()
    }

    /// Rotates the first `rope_dim` values of every head of `x`.
    fn rope(&self, x: &mut [f32], pos: usize) {
        let s = &self.spec;
        let hd = s.head_dim();
        let rd = s.rope_dim.unwrap_or(hd);
        let p = pos as f64 / s.linear_scaling.unwrap_or(1.0) as f64;
        for head in 0..x.len() / hd {
            let base = head * hd;
            for i in 0..rd / 2 {
                let mut theta = p * 10_000f64.powf(-2.0 * i as f64 / rd as f64);
                if s.rope_freqs {
                    theta /= self.get("rope_freqs.weight")[i] as f64;
                }
                let (a, b) = if s.arch == "llama" {
                    (base + 2 * i, base + 2 * i + 1)
                } else {
                    (base + i, base + i + rd / 2)
                };
                let (x0, x1) = (x[a] as f64, x[b] as f64);
                x[a] = (x0 * theta.cos() - x1 * theta.sin()) as f32;
                x[b] = (x0 * theta.sin() + x1 * theta.cos()) as f32;
            }
        }
    }

    /// Logits of every token, `n × n_vocab`.
    fn logits(&self, tokens: &[u32]) -> Vec<f32> {
        let s = &self.spec;
        let (e, hd) = (s.n_embd, s.head_dim());
        let group = s.n_head / s.n_head_kv;
        let embd = self.get("token_embd.weight");
        let mut x: Vec<Vec<f32>> = tokens
            .iter()
            .map(|&t| embd[t as usize * e..(t as usize + 1) * e].to_vec())
            .collect();
        for l in 0..s.n_layer {
            let n = |stem: &str| format!("blk.{l}.{stem}.weight");
            let mut qs = Vec::new();
            let mut ks = Vec::new();
            let mut vs = Vec::new();
            for (pos, xt) in x.iter().enumerate() {
                let xn = self.rms_norm(&n("attn_norm"), xt);
                let mut q = self.matvec(&n("attn_q"), &xn);
                let mut k = self.matvec(&n("attn_k"), &xn);
                let mut v = self.matvec(&n("attn_v"), &xn);
                if s.arch == "qwen2" {
                    for (out, b) in [(&mut q, "attn_q"), (&mut k, "attn_k"), (&mut v, "attn_v")] {
                        let bias = self.get(&format!("blk.{l}.{b}.bias"));
                        for i in 0..out.len() {
                            out[i] += bias[i];
                        }
                    }
                }
                self.rope(&mut q, pos);
                self.rope(&mut k, pos);
                qs.push(q);
                ks.push(k);
                vs.push(v);
            }
            for t in 0..x.len() {
                let mut att = vec![0.0f32; s.n_head * hd];
                for h in 0..s.n_head {
                    let kvh = h / group;
                    let q = &qs[t][h * hd..(h + 1) * hd];
                    let mut scores = Vec::new();
                    for k in &ks[..=t] {
                        let mut d = 0.0f64;
                        for i in 0..hd {
                            d += q[i] as f64 * k[kvh * hd + i] as f64;
                        }
                        scores.push(d / (hd as f64).sqrt());
                    }
                    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let w: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                    let sum: f64 = w.iter().sum();
                    for i in 0..hd {
                        let mut o = 0.0f64;
                        for (p, v) in vs[..=t].iter().enumerate() {
                            o += w[p] / sum * v[kvh * hd + i] as f64;
                        }
                        att[h * hd + i] = o as f32;
                    }
                }
                let o = self.matvec(&n("attn_output"), &att);
                for i in 0..e {
                    x[t][i] += o[i];
                }
                let xn = self.rms_norm(&n("ffn_norm"), &x[t]);
                let g = self.matvec(&n("ffn_gate"), &xn);
                let u = self.matvec(&n("ffn_up"), &xn);
                let hidden: Vec<f32> = (0..g.len())
                    .map(|i| (g[i] as f64 / (1.0 + (-g[i] as f64).exp()) * u[i] as f64) as f32)
                    .collect();
                let d = self.matvec(&n("ffn_down"), &hidden);
                for i in 0..e {
                    x[t][i] += d[i];
                }
            }
        }
        let out = if s.tied {
            "token_embd.weight"
        } else {
            "output.weight"
        };
        x.iter()
            .flat_map(|xt| self.matvec(out, &self.rms_norm("output_norm.weight", xt)))
            .collect()
    }
}

/// Prefill logits of the model under test for `tokens`.
fn model_logits(file: &Arc<GgufFile>, tokens: &[u32], threads: usize) -> Vec<f32> {
    let model = Arc::new(Model::load(Arc::clone(file)).unwrap());
    let mut s = Session::new(model, &SessionOptions::new(64).threads(threads)).unwrap();
    s.forward(tokens, Logits::All).unwrap().to_vec()
}

/// Compares the model with the reference on `n_tokens` tokens; returns the
/// error against the reference that rounds its matrix inputs (the same as
/// the plain one for float formats).
fn check(spec: &Spec, n_tokens: usize) -> f32 {
    let file = build(spec).file();
    let toks = tokens(n_tokens, spec.n_vocab, spec.seed + 1);
    let got = model_logits(&file, &toks, 2);
    assert_eq!(got.len(), n_tokens * spec.n_vocab);
    let plain = max_rel_error(&got, &Reference::new(&file, spec, false).logits(&toks));
    let quantized = spec.dtype.block_size() > 1;
    let rounded = if quantized {
        max_rel_error(&got, &Reference::new(&file, spec, true).logits(&toks))
    } else {
        plain
    };
    let what = format!(
        "{} {} tied={} rope_dim={:?} freqs={} linear={:?}",
        spec.arch, spec.dtype, spec.tied, spec.rope_dim, spec.rope_freqs, spec.linear_scaling
    );
    println!("{what}: error {plain:.2e}, against rounded inputs {rounded:.2e}");
    let tol = if quantized { 3e-2 } else { 1e-4 };
    assert!(plain <= tol, "{what}: error {plain} > {tol}");
    assert!(
        rounded <= tol,
        "{what}: error {rounded} (rounded inputs) > {tol}"
    );
    rounded
}

#[test]
fn prefill_logits_match_the_reference_in_every_format() {
    let mut flips = Vec::new();
    for arch in ["llama", "qwen2"] {
        for tied in [false, true] {
            for dtype in FORMATS {
                let spec = Spec::small(arch, dtype, tied);
                let rounded = check(&spec, 7);
                if rounded > 1e-5 {
                    flips.push(format!("{arch} {dtype} tied={tied}: {rounded:.2e}"));
                }
            }
        }
    }
    // Against the reference with rounded inputs the quantized formats agree
    // to f32 precision (~1e-7) unless an activation sits within float error
    // of a rounding boundary and rounds the other way (a full step instead
    // of none, carried through the later layers). That is rare: allow one
    // such configuration of the twelve (seen once, qwen2 q4_1 tied, ~1e-2).
    assert!(flips.len() <= 1, "beyond f32 precision: {flips:?}");
}

#[test]
fn partial_rope_frequency_factors_and_linear_scaling_match_the_reference() {
    for arch in ["llama", "qwen2"] {
        let mut spec = Spec::small(arch, GgmlType::F32, false);
        spec.rope_dim = Some(8);
        spec.rope_freqs = true;
        spec.linear_scaling = Some(4.0);
        spec.seed = 11;
        check(&spec, 9);
    }
}

#[test]
fn the_comparison_sees_a_wrong_position_or_weight() {
    // The comparison can fail: a reference that halves the positions, or
    // one weight block changed in the file the model reads, is far off.
    let spec = Spec::small("llama", GgmlType::F32, false);
    let mut parts = build(&spec);
    let file = parts.file();
    let toks = tokens(5, spec.n_vocab, 3);
    let got = model_logits(&file, &toks, 1);
    let mut halved = spec.clone();
    halved.linear_scaling = Some(2.0);
    let want = Reference::new(&file, &halved, false).logits(&toks);
    assert!(max_rel_error(&got, &want) > 1e-3);

    let down = parts.tensor_mut("blk.1.ffn_down.weight");
    for b in &mut down.bytes[..128] {
        *b = 0;
    }
    let got = model_logits(&parts.file(), &toks, 1);
    let want = Reference::new(&file, &spec, false).logits(&toks);
    assert!(max_rel_error(&got, &want) > 1e-3);
}

#[test]
fn last_logits_are_the_last_row_of_all() {
    let spec = Spec::small("qwen2", GgmlType::Q8_0, true);
    let model = Arc::new(Model::load(build(&spec).file()).unwrap());
    let toks = tokens(6, spec.n_vocab, 5);
    let all = {
        let mut s = Session::new(Arc::clone(&model), &SessionOptions::new(16)).unwrap();
        s.forward(&toks, Logits::All).unwrap().to_vec()
    };
    let mut s = Session::new(model, &SessionOptions::new(16)).unwrap();
    let last = s.forward(&toks, Logits::Last).unwrap();
    assert_eq!(last, &all[5 * spec.n_vocab..]);
    assert_eq!(s.position(), 6);
}
