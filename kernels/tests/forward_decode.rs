//! Incremental decoding with the KV cache against full recomputation, the
//! f16 cache, thread counts and reset.

mod forward_support;

use std::sync::Arc;

use edgebench_kernels::model::{KvType, Logits, Model, Session, SessionOptions};
use edgebench_kernels::quant::GgmlType;
use forward_support::{Spec, build, max_rel_error, tokens};

fn model(spec: &Spec) -> Arc<Model> {
    Arc::new(Model::load(build(spec).file()).unwrap())
}

fn session(model: &Arc<Model>, kv: KvType, threads: usize) -> Session {
    let options = SessionOptions::new(32).kv_type(kv).threads(threads);
    Session::new(Arc::clone(model), &options).unwrap()
}

/// Logits of every token, all computed in one prefill.
fn full(model: &Arc<Model>, toks: &[u32]) -> Vec<f32> {
    let mut s = session(model, KvType::F32, 1);
    s.forward(toks, Logits::All).unwrap().to_vec()
}

/// Prefill of `k` tokens, then one token at a time; the logits of every
/// position after the prefill.
fn incremental(model: &Arc<Model>, toks: &[u32], k: usize, kv: KvType, threads: usize) -> Vec<f32> {
    let mut s = session(model, kv, threads);
    let mut out = s.forward(&toks[..k], Logits::Last).unwrap().to_vec();
    for (i, &t) in toks[k..].iter().enumerate() {
        assert_eq!(s.position(), k + i);
        out.extend_from_slice(s.forward(&[t], Logits::Last).unwrap());
    }
    out
}

#[test]
fn decoding_with_the_cache_equals_full_recomputation() {
    for (arch, dtype) in [
        ("llama", GgmlType::F32),
        ("qwen2", GgmlType::Q8_0),
        ("llama", GgmlType::Q4_1),
        ("qwen2", GgmlType::F16),
    ] {
        let spec = Spec::small(arch, dtype, arch == "qwen2");
        let m = model(&spec);
        let toks = tokens(12, spec.n_vocab, 21);
        let all = full(&m, &toks);
        for k in [1, 4] {
            let got = incremental(&m, &toks, k, KvType::F32, 1);
            // Each row goes through the same per-row kernels either way.
            assert_eq!(got, all[(k - 1) * spec.n_vocab..], "{arch} {dtype} k={k}");
        }
    }
}

#[test]
fn prefill_in_chunks_equals_one_prefill() {
    let spec = Spec::small("qwen2", GgmlType::Q4_0, false);
    let m = model(&spec);
    let toks = tokens(10, spec.n_vocab, 4);
    let all = full(&m, &toks);
    let mut s = session(&m, KvType::F32, 2);
    s.forward(&toks[..3], Logits::All).unwrap();
    let rest = s.forward(&toks[3..], Logits::All).unwrap();
    assert_eq!(rest, &all[3 * spec.n_vocab..]);
}

#[test]
fn an_f16_cache_stays_close_to_f32() {
    // Keys and values rounded to 11 significant bits (relative error up to
    // 2^-11 ≈ 4.9e-4 each) move the logits by a few 1e-4 of their range.
    for arch in ["llama", "qwen2"] {
        let spec = Spec::small(arch, GgmlType::F32, false);
        let m = model(&spec);
        let toks = tokens(16, spec.n_vocab, 8);
        let exact = incremental(&m, &toks, 5, KvType::F32, 1);
        let half = incremental(&m, &toks, 5, KvType::F16, 1);
        let err = max_rel_error(&half, &exact);
        println!("{arch}: f16 cache error {err:.2e}");
        assert!(err > 0.0 && err < 3e-3, "{arch}: f16 cache error {err}");
    }
}

#[test]
fn one_and_two_threads_agree() {
    for kv in [KvType::F32, KvType::F16] {
        let spec = Spec::small("llama", GgmlType::Q8_0, true);
        let m = model(&spec);
        let toks = tokens(9, spec.n_vocab, 2);
        let one = incremental(&m, &toks, 6, kv, 1);
        let two = incremental(&m, &toks, 6, kv, 2);
        assert_eq!(one, two, "{kv:?}");
    }
}

#[test]
fn reset_starts_the_sequence_over() {
    let spec = Spec::small("llama", GgmlType::F32, false);
    let m = model(&spec);
    let a = tokens(6, spec.n_vocab, 1);
    let b = tokens(4, spec.n_vocab, 2);
    let mut s = session(&m, KvType::F32, 1);
    s.forward(&a, Logits::Last).unwrap();
    s.reset();
    assert_eq!(s.position(), 0);
    let again = s.forward(&b, Logits::All).unwrap().to_vec();
    assert_eq!(again, full(&m, &b));
    assert_eq!(s.position(), 4);
}

#[test]
fn a_loaded_model_reports_its_shape() {
    let spec = Spec::small("qwen2", GgmlType::Q4_0, true);
    let m = model(&spec);
    assert!(m.tied_output());
    assert_eq!(m.config().n_vocab, 96);
    let s = session(&m, KvType::F16, 2);
    assert_eq!(
        (s.context(), s.threads(), s.kv_type()),
        (32, 2, KvType::F16)
    );
    // 2 layers × (keys + values) × 32 positions × 32 values × 2 bytes.
    assert_eq!(s.kv_bytes(), 2 * 2 * 32 * 32 * 2);
}
