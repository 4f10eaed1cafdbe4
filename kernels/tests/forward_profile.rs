//! The per-op profile of forward passes: the same logits with it on or
//! off, every class counted as often as the architecture runs it, prefill
//! and decode apart, and the classes within the pass's wall time.

mod forward_support;

use std::sync::Arc;

use edgebench_kernels::model::{KvType, Logits, Model, OpClass, Session, SessionOptions};
use edgebench_kernels::quant::GgmlType;
use forward_support::{Spec, build, tokens};

fn run(m: &Arc<Model>, toks: &[u32], profile: bool, threads: usize) -> (Vec<f32>, Session) {
    let options = SessionOptions::new(32)
        .kv_type(KvType::F16)
        .threads(threads)
        .profile(profile);
    let mut s = Session::new(Arc::clone(m), &options).unwrap();
    let mut out = s.forward(&toks[..5], Logits::Last).unwrap().to_vec();
    for &t in &toks[5..] {
        out.extend_from_slice(s.forward(&[t], Logits::Last).unwrap());
    }
    (out, s)
}

#[test]
fn profiling_changes_no_logit_and_counts_every_op() {
    for (arch, dtype) in [("llama", GgmlType::Q8_0), ("qwen2", GgmlType::F32)] {
        let spec = Spec::small(arch, dtype, arch == "qwen2");
        let m = Arc::new(Model::load(build(&spec).file()).unwrap());
        let layers = m.config().n_layer as u64;
        let toks = tokens(9, spec.n_vocab, 5);
        for threads in [1, 2] {
            let (plain, s) = run(&m, &toks, false, threads);
            assert!(s.profile().is_none(), "off unless asked");
            let (profiled, s) = run(&m, &toks, true, threads);
            assert_eq!(plain, profiled, "{arch} {dtype} t{threads}");
            let p = s.profile().unwrap();
            assert_eq!((p.prefill.forwards(), p.prefill.tokens()), (1, 5));
            assert_eq!((p.decode.forwards(), p.decode.tokens()), (4, 4));
            let d = &p.decode;
            let per_pass = |op| d.calls(op) / 4;
            assert_eq!(per_pass(OpClass::Embedding), 1);
            assert_eq!(per_pass(OpClass::Norms), 2 * layers + 1);
            // Q, K and V in one call, and their biases for qwen2.
            let qkv = if arch == "qwen2" { 2 } else { 1 };
            assert_eq!(per_pass(OpClass::MatmulQkv), qkv * layers);
            assert_eq!(per_pass(OpClass::MatmulAttnOut), layers);
            // Gate and up in one call.
            assert_eq!(per_pass(OpClass::MatmulGateUp), layers);
            assert_eq!(per_pass(OpClass::MatmulDown), layers);
            assert_eq!(per_pass(OpClass::Attention), layers);
            assert_eq!(per_pass(OpClass::Residuals), 2 * layers);
            assert_eq!(per_pass(OpClass::OutputProjection), 1);
            // Quantized weights quantize their activations once per
            // distinct input (QKV, attention out, gate/up, down, output);
            // f32 ones do not.
            let quantized = if dtype == GgmlType::F32 {
                0
            } else {
                4 * layers + 1
            };
            assert_eq!(
                per_pass(OpClass::ActivationQuant),
                quantized,
                "{arch} {dtype}"
            );
            // One thread never waits for another.
            if threads == 1 {
                assert_eq!(d.calls(OpClass::PoolWait), 0);
            }
            let rows = d.rows();
            let share: f64 = rows.iter().map(|r| r.share).sum();
            assert!(share > 0.0 && share <= 1.0 + 1e-9, "{share}");
            let matmul = rows.iter().find(|r| r.op == OpClass::MatmulDown).unwrap();
            assert!(
                matmul.weight_gb_per_s.is_some_and(|g| g > 0.0),
                "{matmul:?}"
            );
            let mut s = s;
            s.reset_profile();
            assert_eq!(s.profile().unwrap().decode.forwards(), 0);
        }
    }
}
