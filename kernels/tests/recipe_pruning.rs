//! Structured pruning: attention heads (grouped-query and multi-head) and
//! feed-forward channels.

mod recipe_support;

use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{Recipe, RecipeError, apply};
use recipe_support::{Draft, Spec, f32_of};

fn recipe(s: &str) -> Recipe {
    s.parse().unwrap()
}

/// Rows `rows` of a row-major matrix with `cols` columns.
fn rows(m: &[f32], cols: usize, rows: impl IntoIterator<Item = usize>) -> Vec<f32> {
    rows.into_iter()
        .flat_map(|r| m[r * cols..(r + 1) * cols].to_vec())
        .collect()
}

/// Columns `keep` of every row.
fn cols(m: &[f32], cols: usize, keep: &[usize]) -> Vec<f32> {
    m.chunks_exact(cols)
        .flat_map(|r| keep.iter().map(|&c| r[c]).collect::<Vec<_>>())
        .collect()
}

fn head_rows(heads: &[usize], hd: usize) -> Vec<usize> {
    heads.iter().flat_map(|&h| h * hd..(h + 1) * hd).collect()
}

/// Head scales per block: group 0 is heads 0-3, group 1 heads 4-7.
const SCALES: [[f32; 8]; 2] = [
    [1.0, 0.01, 3.0, 2.0, 5.0, 4.0, 0.02, 6.0],
    [0.03, 2.0, 1.0, 3.0, 0.01, 6.0, 5.0, 4.0],
];

fn graded(arch: &'static str) -> Draft {
    let mut d = Draft::new(
        Spec {
            arch,
            ..Spec::gqa()
        },
        7,
    );
    for (layer, scales) in SCALES.iter().enumerate() {
        for (h, &s) in scales.iter().enumerate() {
            d.scale_head(layer, h, s);
        }
    }
    d
}

#[test]
fn head_pruning_keeps_the_important_heads_of_every_group() {
    let d = graded("qwen2");
    let m = d.build(GgmlType::F32);
    let (e, hd) = (256, 32);
    for (pct, removed, n_head) in [
        (25, [vec![1, 6], vec![0, 4]], 6),
        (50, [vec![0, 1, 5, 6], vec![0, 2, 4, 7]], 4),
    ] {
        let a = apply(&recipe(&format!("f32+heads{pct}")), &m.config, &m.tensors).unwrap();
        assert_eq!(a.config.n_head, n_head);
        assert_eq!(a.config.n_head_kv, 2);
        assert_eq!(a.config.head_dim, hd);
        assert_eq!(a.config.q_dim(), n_head * hd);
        let h = a.report.heads.as_ref().unwrap();
        assert_eq!(
            (h.percent, h.n_head, h.n_head_kv),
            (pct, (8, n_head), (2, 2))
        );
        assert_eq!(h.removed, removed);
        for (layer, gone) in removed.iter().enumerate() {
            let kept: Vec<usize> = (0..8).filter(|i| !gone.contains(i)).collect();
            let name = |s: &str| format!("blk.{layer}.{s}");
            let t = |s: &str| a.tensors.require(&name(s)).unwrap().dims().to_vec();
            assert_eq!(t("attn_q.weight"), [e, n_head * hd]);
            assert_eq!(t("attn_output.weight"), [n_head * hd, e]);
            assert_eq!(t("attn_k.weight"), [e, 64]);
            assert_eq!(t("attn_q.bias"), [n_head * hd]);
            assert_eq!(t("attn_k.bias"), [64]);
            let src = |s: &str| f32_of(&m.tensors, &name(s));
            let out = |s: &str| f32_of(&a.tensors, &name(s));
            let keep_rows = head_rows(&kept, hd);
            assert_eq!(
                out("attn_q.weight"),
                rows(&src("attn_q.weight"), e, keep_rows.clone())
            );
            assert_eq!(
                out("attn_q.bias"),
                rows(&src("attn_q.bias"), 1, keep_rows.clone())
            );
            assert_eq!(
                out("attn_output.weight"),
                cols(&src("attn_output.weight"), 256, &keep_rows)
            );
            assert_eq!(out("attn_k.bias"), src("attn_k.bias"));
            assert_eq!(out("attn_v.weight"), src("attn_v.weight"));
        }
        // Untouched f32 tensors are shared, not copied.
        let name = "blk.0.ffn_up.weight";
        assert_eq!(
            a.tensors.require(name).unwrap().bytes().as_ptr(),
            m.tensors.require(name).unwrap().bytes().as_ptr()
        );
        a.config.validate().unwrap();
    }
}

#[test]
fn head_pruning_of_a_llama_model_with_quantized_weights() {
    let d = graded("llama");
    let m = d.build(GgmlType::Q8_0);
    let a = apply(&recipe("q4_0+heads25"), &m.config, &m.tensors).unwrap();
    assert_eq!(
        a.report.heads.as_ref().unwrap().removed,
        [vec![1, 6], vec![0, 4]]
    );
    let q = a.tensors.require("blk.1.attn_q.weight").unwrap();
    assert_eq!((q.dtype(), q.dims()), (GgmlType::Q4_0, &[256, 192][..]));
    let o = a.tensors.require("blk.1.attn_output.weight").unwrap();
    assert_eq!((o.dtype(), o.dims()), (GgmlType::Q4_0, &[192, 256][..]));
    assert!(a.report.fallbacks.is_empty());
    assert!(a.report.bytes.1 < a.report.bytes.0);
}

#[test]
fn small_ratios_keep_at_least_one_head_and_may_change_nothing() {
    let m = graded("llama").build(GgmlType::F32);
    // round(0.9 * 4) = 4: nothing to remove.
    let a = apply(&recipe("f32+heads10"), &m.config, &m.tensors).unwrap();
    assert_eq!(a.config.n_head, 8);
    assert_eq!(
        a.report.heads.as_ref().unwrap().removed,
        [vec![], vec![]] as [Vec<usize>; 2]
    );
    assert_eq!(a.report.converted, 0);
    // round(0.01 * 4) = 0, kept at 1 per group.
    let a = apply(&recipe("f32+heads99"), &m.config, &m.tensors).unwrap();
    assert_eq!((a.config.n_head, a.config.n_head_kv), (2, 2));
    assert_eq!(
        a.report.heads.as_ref().unwrap().removed[0],
        [0, 1, 3, 4, 5, 6]
    );
}

#[test]
fn without_grouping_whole_heads_go() {
    let spec = Spec {
        n_head: 4,
        n_head_kv: 4,
        n_embd: 128,
        n_layer: 1,
        ..Spec::gqa()
    };
    let mut d = Draft::new(spec, 3);
    d.scale_head(0, 2, 0.01);
    let m = d.build(GgmlType::F32);
    let a = apply(&recipe("f32+heads50"), &m.config, &m.tensors).unwrap();
    assert_eq!(
        (a.config.n_head, a.config.n_head_kv, a.config.head_dim),
        (2, 2, 32)
    );
    let removed = &a.report.heads.as_ref().unwrap().removed[0];
    assert_eq!(removed.len(), 2);
    assert!(removed.contains(&2));
    let kept: Vec<usize> = (0..4).filter(|h| !removed.contains(h)).collect();
    for s in ["attn_q", "attn_k", "attn_v"] {
        let name = format!("blk.0.{s}.weight");
        assert_eq!(a.tensors.require(&name).unwrap().dims(), [128, 64]);
        assert_eq!(
            f32_of(&a.tensors, &name),
            rows(&f32_of(&m.tensors, &name), 128, head_rows(&kept, 32))
        );
    }
    assert_eq!(
        a.tensors
            .require("blk.0.attn_output.weight")
            .unwrap()
            .dims(),
        [64, 128]
    );
}

#[test]
fn ffn_pruning_removes_the_weakest_channels() {
    let mut d = Draft::new(Spec::gqa(), 11);
    let (e, ff) = (256, 128);
    // Channel 5 of block 0 and channel 77 of block 1 carry almost nothing.
    for (layer, ch) in [(0, 5), (1, 77)] {
        for s in ["ffn_gate", "ffn_up"] {
            let v = d.values(&format!("blk.{layer}.{s}.weight"));
            for x in &mut v[ch * e..(ch + 1) * e] {
                *x *= 1e-3;
            }
        }
    }
    let m = d.build(GgmlType::F32);
    let a = apply(&recipe("f32+ffn25"), &m.config, &m.tensors).unwrap();
    assert_eq!(a.config.n_ff, 96);
    let f = a.report.ffn.as_ref().unwrap();
    assert_eq!((f.percent, f.n_ff), (25, (128, 96)));
    for layer in 0..2 {
        let name = |s: &str| format!("blk.{layer}.{s}.weight");
        for s in ["ffn_gate", "ffn_up"] {
            assert_eq!(a.tensors.require(&name(s)).unwrap().dims(), [e, 96]);
        }
        assert_eq!(
            a.tensors.require(&name("ffn_down")).unwrap().dims(),
            [96, e]
        );
        // The weak channel's row is gone from gate: no surviving row matches it.
        let weak = if layer == 0 { 5 } else { 77 };
        let src_gate = f32_of(&m.tensors, &name("ffn_gate"));
        let weak_row = &src_gate[weak * e..(weak + 1) * e];
        let out_gate = f32_of(&a.tensors, &name("ffn_gate"));
        assert!(out_gate.chunks_exact(e).all(|r| r != weak_row));
        // gate, up and down keep the same channels, in order.
        let kept: Vec<usize> = (0..ff)
            .filter(|&c| {
                out_gate
                    .chunks_exact(e)
                    .any(|r| r == &src_gate[c * e..(c + 1) * e])
            })
            .collect();
        assert_eq!(kept.len(), 96);
        assert_eq!(out_gate, rows(&src_gate, e, kept.clone()));
        assert_eq!(
            f32_of(&a.tensors, &name("ffn_up")),
            rows(&f32_of(&m.tensors, &name("ffn_up")), e, kept.clone())
        );
        assert_eq!(
            f32_of(&a.tensors, &name("ffn_down")),
            cols(&f32_of(&m.tensors, &name("ffn_down")), ff, &kept)
        );
    }
    // 60 % of 128 is 51.2 channels: rounded to a multiple of 32.
    let a = apply(&recipe("f32+ffn60"), &m.config, &m.tensors).unwrap();
    assert_eq!(a.config.n_ff, 64);
}

#[test]
fn ffn_pruning_that_leaves_nothing_is_an_error() {
    let m = Draft::new(
        Spec {
            n_ff: 32,
            ..Spec::gqa()
        },
        1,
    )
    .build(GgmlType::F32);
    let e = apply(&recipe("q8_0+ffn75"), &m.config, &m.tensors).unwrap_err();
    assert!(
        matches!(
            e,
            RecipeError::PrunesEverything {
                what: "ffn",
                percent: 75,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("32 channels"), "{e}");
}
