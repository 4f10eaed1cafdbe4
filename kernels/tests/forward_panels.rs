//! Models repacked into panels at load (on CPUs whose kernels prefer them)
//! run exactly as the row-major weights do: the same logits, prefill and
//! decode, tied output included.

mod forward_support;

use std::sync::Arc;

use edgebench_kernels::model::{KvType, Logits, Model, Session, SessionOptions};
use edgebench_kernels::ops::DotKernels;
use edgebench_kernels::quant::GgmlType;
use forward_support::{Spec, build, tokens};

fn logits(m: Model, toks: &[u32], threads: usize) -> Vec<f32> {
    let options = SessionOptions::new(32)
        .kv_type(KvType::F16)
        .threads(threads);
    let mut s = Session::new(Arc::new(m), &options).unwrap();
    let mut out = s.forward(&toks[..6], Logits::All).unwrap().to_vec();
    for &t in &toks[6..] {
        out.extend_from_slice(s.forward(&[t], Logits::Last).unwrap());
    }
    out
}

#[test]
fn panels_change_no_logit() {
    for dtype in [GgmlType::Q8_0, GgmlType::Q4_0] {
        for tied in [false, true] {
            let spec = Spec::small("llama", dtype, tied);
            let model = Model::load(build(&spec).file()).unwrap();
            let prefers = DotKernels::best().prefers_panels;
            assert_eq!(model.has_panels(), prefers, "{dtype} tied {tied}");
            let mut packed = model.clone().without_panels();
            assert!(!packed.has_panels());
            packed.pack_panels();
            assert!(
                packed.has_panels(),
                "{dtype}: every matrix has 8-row panels"
            );
            let row_major = model.without_panels();
            let toks = tokens(10, spec.n_vocab, 3);
            for threads in [1, 2] {
                let (a, b) = (
                    logits(row_major.clone(), &toks, threads),
                    logits(packed.clone(), &toks, threads),
                );
                if prefers {
                    assert_eq!(a, b, "{dtype} tied {tied} t{threads}");
                } else {
                    for (x, y) in a.iter().zip(&b) {
                        assert!((x - y).abs() <= 1e-3 * x.abs().max(1.0), "{x} vs {y}");
                    }
                }
            }
        }
    }
}
