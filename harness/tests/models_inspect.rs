//! `edgebench models inspect` and `--help`, run as the built binary.

mod support;
use support::*;

use edgebench_kernels::gguf::{ArrayValue, GgufWriter, Value};
use edgebench_kernels::quant::GgmlType;

fn small_model(tag: &str) -> TempFile {
    let f = TempFile::new(tag);
    let mut w = GgufWriter::new();
    let md = [
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("tiny".into())),
        ("llama.context_length", Value::U32(256)),
        ("llama.embedding_length", Value::U32(64)),
        ("llama.block_count", Value::U32(1)),
        ("llama.attention.head_count", Value::U32(4)),
        ("llama.attention.head_count_kv", Value::U64(2)),
        ("llama.rope.freq_base", Value::F32(10_000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("tokenizer.ggml.model", Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(ArrayValue::String(
                (0..10).map(|i| format!("t{i}")).collect(),
            )),
        ),
    ];
    for (k, v) in md {
        w.add_metadata(k, v).unwrap();
    }
    w.add_tensor(
        "token_embd.weight",
        &[64, 10],
        GgmlType::Q8_0,
        vec![0; 34 * 20],
    )
    .unwrap();
    w.add_tensor(
        "blk.0.attn_q.weight",
        &[64, 64],
        GgmlType::Q4_0,
        vec![0; 18 * 128],
    )
    .unwrap();
    w.add_tensor(
        "blk.0.attn_k.weight",
        &[64, 32],
        GgmlType::Q4_0,
        vec![0; 18 * 64],
    )
    .unwrap();
    w.add_tensor("output_norm.weight", &[64], GgmlType::F32, vec![0; 256])
        .unwrap();
    w.write_to_path(&f.0).unwrap();
    f
}

#[test]
fn human_output() {
    let f = small_model("human");
    let out = edgebench(&["models", "inspect", f.path()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "GGUF version:    3",
        "Architecture:    llama",
        "Name:            tiny",
        "context_length                    256",
        "attention.head_count_kv           2",
        "vocab_size                        10",
        "rope.freq_base                    1e4",
        "Tokenizer:       llama",
        "Tensors:         4 (6848 parameters,",
        "  q4_0            2           6144           3456",
        "  q8_0            1            640            680",
        "  f32             1             64            256",
        "  total           4           6848           4392",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(
        !text.contains("feed_forward_length"),
        "absent keys are not printed"
    );
}

#[test]
fn json_output() {
    let f = small_model("json");
    let out = edgebench(&["models", "inspect", "--json", f.path()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["gguf_version"], 3);
    assert_eq!(v["architecture"], "llama");
    assert_eq!(v["name"], "tiny");
    assert_eq!(v["file_size"], std::fs::metadata(&f.0).unwrap().len());
    assert_eq!(v["hyperparameters"]["block_count"], 1);
    assert_eq!(v["hyperparameters"]["head_count"], 4);
    assert_eq!(
        v["hyperparameters"]["feed_forward_length"],
        serde_json::Value::Null
    );
    assert_eq!(v["hyperparameters"]["vocab_size"], 10);
    assert_eq!(v["tokenizer"]["model"], "llama");
    assert_eq!(v["tokenizer"]["pre"], serde_json::Value::Null);
    assert_eq!(v["tensor_count"], 4);
    assert_eq!(v["parameter_count"], 6848);
    assert_eq!(v["tensor_bytes"], 4392);
    let types: Vec<&str> = v["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["dtype"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["f32", "q4_0", "q8_0"]);
}

fn assert_fails(path: &str, message: &str) {
    let out = edgebench(&["models", "inspect", path]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("Error: cannot inspect GGUF file "), "{err}");
    assert!(err.contains(path), "{err}");
    assert!(err.contains(message), "expected {message:?} in {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn truncated_file_fails() {
    let f = small_model("truncated");
    let bytes = std::fs::read(&f.0).unwrap();
    std::fs::write(&f.0, &bytes[..bytes.len() - 100]).unwrap();
    assert_fails(f.path(), "tensor 'output_norm.weight' data");
    std::fs::write(&f.0, &bytes[..30]).unwrap();
    assert_fails(f.path(), "absurd tensor count 4 at offset 8");
}

#[test]
fn non_gguf_file_fails() {
    let f = TempFile::new("text");
    std::fs::write(&f.0, "not a model at all").unwrap();
    assert_fails(f.path(), "bad magic \"not \" at offset 0");
}

#[test]
fn missing_file_fails() {
    assert_fails("/nonexistent/edgebench/model.gguf", "No such file");
}

#[test]
fn help_of_every_subcommand() {
    for args in [
        &["--help"][..],
        &["models", "--help"],
        &["models", "inspect", "--help"],
        &["help", "models", "inspect"],
    ] {
        let out = edgebench(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let text = String::from_utf8(edgebench(&["models", "inspect", "--help"]).stdout).unwrap();
    assert!(text.contains("<PATH>") && text.contains("--json") && text.contains("Example:"));
    let out = edgebench(&["models", "inspect"]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit with 2");
}
