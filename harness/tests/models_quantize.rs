//! `edgebench models quantize`, run as the built binary on a small model.

mod support;
use support::*;

use edgebench_kernels::gguf::{ArrayValue, GgufFile, GgufWriter, Value};
use edgebench_kernels::model::{ModelConfig, Tensor};
use edgebench_kernels::quant::GgmlType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A llama model: n_embd 256, one block, 8 heads of 32 in 2 kv groups,
/// n_ff 128, 32 tokens; f16 matrices with random weights, f32 norms.
fn small_model(tag: &str) -> TempFile {
    let f = TempFile::new(tag);
    let mut rng = StdRng::seed_from_u64(42);
    let mut w = GgufWriter::new();
    let md = [
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("tiny".into())),
        ("llama.context_length", Value::U32(256)),
        ("llama.embedding_length", Value::U32(256)),
        ("llama.block_count", Value::U32(1)),
        ("llama.feed_forward_length", Value::U32(128)),
        ("llama.attention.head_count", Value::U32(8)),
        ("llama.attention.head_count_kv", Value::U32(2)),
        ("llama.rope.freq_base", Value::F32(10_000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("general.file_type", Value::U32(1)),
        ("tokenizer.ggml.model", Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(ArrayValue::String(
                (0..32).map(|i| format!("t{i}")).collect(),
            )),
        ),
    ];
    for (k, v) in md {
        w.add_metadata(k, v).unwrap();
    }
    let tensors: [(&str, &[usize]); 12] = [
        ("token_embd.weight", &[256, 32]),
        ("output_norm.weight", &[256]),
        ("output.weight", &[256, 32]),
        ("blk.0.attn_norm.weight", &[256]),
        ("blk.0.attn_q.weight", &[256, 256]),
        ("blk.0.attn_k.weight", &[256, 64]),
        ("blk.0.attn_v.weight", &[256, 64]),
        ("blk.0.attn_output.weight", &[256, 256]),
        ("blk.0.ffn_norm.weight", &[256]),
        ("blk.0.ffn_gate.weight", &[256, 128]),
        ("blk.0.ffn_up.weight", &[256, 128]),
        ("blk.0.ffn_down.weight", &[128, 256]),
    ];
    for (name, dims) in tensors {
        let n: usize = dims.iter().product();
        let (dtype, values) = if dims.len() == 1 {
            (GgmlType::F32, vec![1.0; n])
        } else {
            let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            (GgmlType::F16, v)
        };
        let t = Tensor::from_f32(name, dtype, dims.to_vec(), &values).unwrap();
        let d: Vec<u64> = dims.iter().map(|&x| x as u64).collect();
        w.add_tensor(name, &d, dtype, t.bytes().to_vec()).unwrap();
    }
    w.write_to_path(&f.0).unwrap();
    f
}

#[test]
fn human_report_and_a_loadable_file() {
    let src = small_model("human-in");
    let dst = TempFile::new("human-out");
    let out = edgebench(&[
        "models",
        "quantize",
        src.path(),
        dst.path(),
        "--recipe",
        "Q4_0+output=q8_0+heads25",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    // 256·32·2 + 256·256·2 + 256·64·2 + 256·128·3 + 3·256 = 279_296 before;
    // attn_q and attn_output lose 2 heads of 32: 2 · 256 · 64 = 32_768.
    for needle in [
        "Recipe:          q4_0+heads25+output=q8_0",
        "Parameters:      279296 -> 246528 (-11.7 %)",
        "Hyperparameters: n_head 6, n_head_kv 2, head_dim 32, n_ff 128",
        "  f32             3            768           3072",
        "  q8_0            1           8192           8704",
        "  q4_0            8         237568         133632",
        "  heads 25%: 8 -> 6 query heads, 2 -> 2 key/value heads, in 1 blocks",
        "Tensors:         9 converted, 3 kept as they were",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("Fallbacks"), "{stdout}");

    let file = GgufFile::open(&dst.0).unwrap();
    let config = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!((config.n_head, config.head_dim, config.n_ff), (6, 32, 128));
    assert_eq!(
        file.get_str("edgebench.recipe").unwrap(),
        Some("q4_0+heads25+output=q8_0")
    );
    assert_eq!(file.get_u64("general.file_type").unwrap(), Some(2));
    assert_eq!(file.tensor("blk.0.attn_q.weight").unwrap().dims, [256, 192]);
}

#[test]
fn json_report() {
    let src = small_model("json-in");
    let dst = TempFile::new("json-out");
    let out = edgebench(&[
        "models",
        "quantize",
        src.path(),
        dst.path(),
        "--recipe",
        "q8_0+sparse50+ffn25",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["recipe"], "q8_0+ffn25+sparse50");
    assert_eq!(v["parameters_before"], 279_296);
    // ffn 128 -> 96 removes 3 · 256 · 32 weights.
    assert_eq!(v["parameters_after"], 279_296 - 3 * 256 * 32);
    assert_eq!(v["config"]["n_ff"], 96);
    assert_eq!(v["formats_before"][0]["dtype"], "f32");
    assert_eq!(v["formats_before"][1]["dtype"], "f16");
    assert_eq!(v["formats_after"][1]["dtype"], "q8_0");
    let pruning = v["pruning"].as_array().unwrap();
    assert_eq!(pruning[0], "ffn 25%: 128 -> 96 channels per block");
    // Block matrices after FFN pruning: 65536·2 + 16384·2 + 24576·3 weights.
    assert_eq!(
        pruning[1],
        "sparse 50%: 118784 of 237568 weights zeroed in 7 matrices"
    );
    assert_eq!(
        v["file_size"].as_u64().unwrap(),
        std::fs::metadata(&dst.0).unwrap().len()
    );
}

#[test]
fn bad_recipe_exits_1_with_a_suggestion() {
    let src = small_model("bad-recipe");
    let dst = TempFile::new("bad-recipe-out");
    let out = edgebench(&[
        "models",
        "quantize",
        src.path(),
        dst.path(),
        "--recipe",
        "q4_O",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("Error: invalid --recipe"), "{stderr}");
    assert!(stderr.contains("did you mean 'q4_0'"), "{stderr}");
    assert!(
        stderr.contains("f32, f16, bf16, q8_0, q4_0, q4_1"),
        "{stderr}"
    );
    assert!(!dst.0.exists());

    let out = edgebench(&[
        "models",
        "quantize",
        src.path(),
        dst.path(),
        "--recipe",
        "q4_0+ffn99",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot make recipe q4_0+ffn99"), "{stderr}");
    assert!(stderr.contains("removes everything"), "{stderr}");
    assert!(!dst.0.exists());
}

#[test]
fn bad_input_exits_1() {
    let dst = TempFile::new("bad-input-out");
    let missing = TempFile::new("does-not-exist");
    let out = edgebench(&[
        "models",
        "quantize",
        missing.path(),
        dst.path(),
        "--recipe",
        "q4_0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read GGUF file"),
        "{}",
        text(&out)
    );

    let garbage = TempFile::new("garbage");
    std::fs::write(&garbage.0, b"not a model at all").unwrap();
    let out = edgebench(&[
        "models",
        "quantize",
        garbage.path(),
        dst.path(),
        "--recipe",
        "q4_0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!dst.0.exists());
}

#[test]
fn help_lists_the_recipe_grammar() {
    let out = edgebench(&["models", "quantize", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--recipe <NAME>", "<IN>", "<OUT>", "sparseN", "Examples:"] {
        assert!(help.contains(needle), "missing {needle:?} in:\n{help}");
    }
}
