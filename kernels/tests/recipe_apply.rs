//! Applying recipes: formats, overrides, magnitude pruning, quantized
//! sources, the report and the errors.

mod recipe_support;

use edgebench_kernels::model::{ModelError, Tensor};
use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{Recipe, RecipeError, apply, prune_smallest};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recipe_support::{Draft, Spec, f32_of};

fn recipe(s: &str) -> Recipe {
    s.parse().unwrap()
}

/// n_embd 32, one block, 2 heads of 16 sharing one kv head, n_ff 64, 16 tokens.
fn tiny() -> Spec {
    Spec {
        arch: "llama",
        n_embd: 32,
        n_layer: 1,
        n_head: 2,
        n_head_kv: 1,
        n_ff: 64,
        n_vocab: 16,
    }
}

#[test]
fn prune_smallest_zeroes_exactly_the_smallest() {
    let mut rng = StdRng::seed_from_u64(5);
    for n in [1usize, 7, 100, 1000] {
        // Few distinct magnitudes, so ties are common.
        let src: Vec<f32> = (0..n).map(|_| rng.random_range(-4i32..=4) as f32).collect();
        for count in [0, 1, n / 3, n / 2, n] {
            let mut v = src.clone();
            assert_eq!(prune_smallest(&mut v, count), count);
            let changed: Vec<usize> = (0..n).filter(|&i| v[i] != src[i]).collect();
            let zeros = v.iter().filter(|x| **x == 0.0).count();
            let src_zeros = src.iter().filter(|x| **x == 0.0).count();
            assert_eq!(zeros, count.max(src_zeros), "n {n} count {count}");
            // Every pruned weight is at most as large as every kept one.
            let max_pruned = (0..n)
                .filter(|&i| v[i] == 0.0)
                .map(|i| src[i].abs())
                .fold(0.0f32, f32::max);
            let min_kept = (0..n)
                .filter(|&i| v[i] != 0.0)
                .map(|i| src[i].abs())
                .fold(f32::INFINITY, f32::min);
            assert!(max_pruned <= min_kept, "n {n} count {count}");
            assert!(changed.iter().all(|&i| v[i] == 0.0));
        }
    }
}

#[test]
fn sparsity_prunes_each_block_matrix_and_nothing_else() {
    let m = Draft::new(Spec::gqa(), 2).build(GgmlType::F32);
    let a = apply(&recipe("f32+sparse30"), &m.config, &m.tensors).unwrap();
    let (mut weights, mut zeroed) = (0, 0);
    for (name, t) in a.tensors.iter() {
        let src = m.tensors.require(name).unwrap();
        let block_matrix = name.starts_with("blk.") && t.dims().len() == 2;
        if !block_matrix {
            assert_eq!(t.bytes().as_ptr(), src.bytes().as_ptr(), "{name} is shared");
            continue;
        }
        let (before, after) = (f32_of(&m.tensors, name), f32_of(&a.tensors, name));
        let zeros = after.iter().filter(|x| **x == 0.0).count();
        assert_eq!(zeros, before.len() * 30 / 100, "{name}");
        let max_pruned = (0..before.len())
            .filter(|&i| after[i] == 0.0)
            .map(|i| before[i].abs())
            .fold(0.0f32, f32::max);
        let min_kept = (0..before.len())
            .filter(|&i| after[i] != 0.0)
            .map(|i| before[i].abs())
            .fold(f32::INFINITY, f32::min);
        assert!(max_pruned <= min_kept, "{name}");
        weights += before.len() as u64;
        zeroed += zeros as u64;
    }
    let s = a.report.sparsity.as_ref().unwrap();
    assert_eq!((s.percent, s.tensors, s.weights), (30, 14, weights));
    assert_eq!(s.zeroed, zeroed);
}

#[test]
fn overrides_produce_the_named_formats() {
    let m = Draft::new(Spec::gqa(), 3).build(GgmlType::F32);
    let r = recipe("q4_0+token_embd=q8_0+output=f16+attn_v=q4_1+ffn_down=bf16");
    let a = apply(&r, &m.config, &m.tensors).unwrap();
    for (name, t) in a.tensors.iter() {
        let expected = match name.split('.').rev().nth(1).unwrap() {
            "token_embd" => GgmlType::Q8_0,
            "output" => GgmlType::F16,
            "attn_v" => GgmlType::Q4_1,
            "ffn_down" => GgmlType::BF16,
            _ if t.dims().len() == 1 => GgmlType::F32,
            _ => GgmlType::Q4_0,
        };
        assert_eq!(t.dtype(), expected, "{name}");
    }
}

#[test]
fn a_quantized_source_is_dequantized_then_requantized() {
    let m = Draft::new(Spec::gqa(), 4).build(GgmlType::Q4_1);
    let a = apply(&recipe("q8_0"), &m.config, &m.tensors).unwrap();
    for (name, src) in m.tensors.iter() {
        let out = a.tensors.require(name).unwrap();
        let values = src.to_f32(name).unwrap();
        let target = if src.dims().len() == 2 {
            GgmlType::Q8_0
        } else {
            GgmlType::F32
        };
        let expected = Tensor::from_f32(name, target, src.dims().to_vec(), &values).unwrap();
        assert_eq!(out.dtype(), target, "{name}");
        assert_eq!(out.bytes(), expected.bytes(), "{name}");
    }
    // Same format, no pruning: every tensor reused as it is.
    let a = apply(&recipe("q4_1"), &m.config, &m.tensors).unwrap();
    assert_eq!((a.report.kept, a.report.converted), (m.tensors.len(), 0));
    for (name, t) in a.tensors.iter() {
        let src = m.tensors.require(name).unwrap();
        assert_eq!(t.bytes().as_ptr(), src.bytes().as_ptr(), "{name}");
        assert!(t.is_mapped());
    }
    assert_eq!(a.report.bytes.0, a.report.bytes.1);
}

#[test]
fn report_figures_on_a_tiny_model() {
    let m = Draft::new(tiny(), 9).build(GgmlType::F32);
    // 512 token_embd + 512 output + 1024 q + 512 k + 512 v + 1024 o
    // + 3 × 2048 ffn = 10240 matrix weights, + 3 × 32 norm weights.
    let a = apply(&recipe("q8_0+output=f16"), &m.config, &m.tensors).unwrap();
    let r = &a.report;
    assert_eq!(r.recipe, "q8_0+output=f16");
    assert_eq!(r.parameters, (10_336, 10_336));
    assert_eq!(r.bytes, (41_344, 384 + 1024 + 9728 / 32 * 34));
    let totals: Vec<(GgmlType, usize, u64, u64)> = r
        .formats_after
        .iter()
        .map(|f| (f.dtype, f.tensors, f.parameters, f.bytes))
        .collect();
    assert_eq!(
        totals,
        [
            (GgmlType::F32, 3, 96, 384),
            (GgmlType::F16, 1, 512, 1024),
            (GgmlType::Q8_0, 8, 9728, 10_336),
        ]
    );
    assert_eq!(r.formats_before.len(), 1);
    assert_eq!(r.formats_before[0].bytes, 41_344);
    assert_eq!((r.kept, r.converted), (3, 9));
    assert!(r.heads.is_none() && r.ffn.is_none() && r.sparsity.is_none());

    // One head of 16 left: attn_q loses 512 weights, attn_output 512 and its
    // rows of 16 are not whole q8_0 blocks, so it falls back to f16.
    let a = apply(&recipe("q8_0+heads50"), &m.config, &m.tensors).unwrap();
    let r = &a.report;
    assert_eq!(r.parameters, (10_336, 9312));
    assert_eq!(r.bytes.1, 384 + 1024 + 8704 / 32 * 34);
    assert_eq!(r.fallbacks.len(), 1);
    let f = &r.fallbacks[0];
    assert_eq!(f.tensor, "blk.0.attn_output.weight");
    assert_eq!(
        (f.requested, f.used, f.row_length),
        (GgmlType::Q8_0, GgmlType::F16, 16)
    );
    assert_eq!(
        (a.config.n_head, a.config.head_dim, a.config.q_dim()),
        (1, 16, 16)
    );

    let a = apply(&recipe("f32+ffn50"), &m.config, &m.tensors).unwrap();
    assert_eq!(a.report.parameters.1, 10_336 - 3 * 1024);
    assert_eq!(a.report.bytes.1, (10_336 - 3 * 1024) * 4);
}

#[test]
fn apply_errors_name_the_tensor() {
    let m = Draft::new(tiny(), 1).build(GgmlType::F32);

    let mut t = m.tensors.clone();
    t.remove("blk.0.attn_output.weight");
    let e = apply(&recipe("q8_0+heads50"), &m.config, &t).unwrap_err();
    assert!(
        matches!(e, RecipeError::MissingTensor { ref name } if name == "blk.0.attn_output.weight"),
        "{e}"
    );

    let mut t = m.tensors.clone();
    t.remove("blk.0.ffn_down.weight");
    let e = apply(&recipe("q8_0+ffn50"), &m.config, &t).unwrap_err();
    assert_eq!(e.to_string(), "missing tensor 'blk.0.ffn_down.weight'");

    let mut t = m.tensors.clone();
    let wrong = Tensor::from_f32("q", GgmlType::F32, vec![32, 16], &[0.5; 512]).unwrap();
    t.insert("blk.0.attn_q.weight", wrong);
    let e = apply(&recipe("q8_0+heads50"), &m.config, &t).unwrap_err();
    assert!(
        matches!(e, RecipeError::BadShape { ref name, ref found, ref expected }
            if name == "blk.0.attn_q.weight" && found == &[32, 16] && expected == &[32, 32]),
        "{e}"
    );

    // A format this crate cannot dequantize.
    let mut t = m.tensors.clone();
    let iq = Tensor::owned("u", GgmlType::IQ4_NL, vec![32, 64], vec![0; 64 * 18]).unwrap();
    t.insert("blk.0.ffn_up.weight", iq);
    let e = apply(&recipe("q8_0"), &m.config, &t).unwrap_err();
    assert!(
        matches!(e, RecipeError::Model(ModelError::Convert { ref name, .. }) if name == "blk.0.ffn_up.weight"),
        "{e}"
    );
    assert!(e.to_string().contains("blk.0.ffn_up.weight"), "{e}");

    let mut config = m.config.clone();
    config.n_head_kv = 3;
    let e = apply(&recipe("q8_0"), &config, &m.tensors).unwrap_err();
    assert!(
        matches!(e, RecipeError::Model(ModelError::BadHyperparameter { .. })),
        "{e}"
    );
}
