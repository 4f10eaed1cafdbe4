//! Writing an applied recipe as GGUF and reading it back.

mod recipe_support;

use std::sync::Arc;

use edgebench_kernels::gguf::{GgufFile, Value};
use edgebench_kernels::model::{ModelConfig, TensorSet};
use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{RECIPE_KEY, RecipeError, apply, write_gguf};
use recipe_support::{Draft, Spec, TempPath, recipe};

#[test]
fn written_file_reads_back_with_the_new_config() {
    let mut d = Draft::new(
        Spec {
            arch: "qwen2",
            ..Spec::gqa()
        },
        21,
    );
    d.scale_head(0, 3, 0.01);
    let m = d.build(GgmlType::Q4_1);
    let r = recipe("q4_0+heads25+ffn25+output=q8_0");
    let a = apply(&r, &m.config, &m.tensors).unwrap();
    let out = TempPath::new("readback");
    let size = write_gguf(&m.file, &a, &out.0).unwrap();
    assert_eq!(size, std::fs::metadata(&out.0).unwrap().len());

    let file = Arc::new(GgufFile::open(&out.0).unwrap());
    let config = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!(config, a.config);
    assert_eq!(
        (
            config.n_head,
            config.n_head_kv,
            config.head_dim,
            config.n_ff
        ),
        (6, 2, 32, 96)
    );
    // head_dim no longer follows from n_embd / n_head.
    assert_ne!(config.head_dim, config.n_embd / config.n_head);
    let u = |k: &str| file.get_u64(k).unwrap();
    assert_eq!(u("qwen2.attention.head_count"), Some(6));
    assert_eq!(u("qwen2.attention.key_length"), Some(32));
    assert_eq!(u("qwen2.attention.value_length"), Some(32));
    assert_eq!(u("qwen2.feed_forward_length"), Some(96));
    assert_eq!(u("general.file_type"), Some(2));
    assert_eq!(u("general.quantization_version"), Some(2));
    assert!(matches!(
        file.get("qwen2.attention.head_count"),
        Some(Value::U32(6))
    ));
    assert_eq!(
        file.get_str(RECIPE_KEY).unwrap(),
        Some("q4_0+heads25+ffn25+output=q8_0")
    );
    // Everything else is copied, tokenizer included, in the source order.
    assert_eq!(file.get_str("general.name").unwrap(), Some("tiny"));
    assert_eq!(
        file.get_str_array("tokenizer.ggml.tokens").unwrap(),
        m.file.get_str_array("tokenizer.ggml.tokens").unwrap()
    );
    let keys: Vec<&str> = file.keys().collect();
    let source_keys: Vec<&str> = m.file.keys().collect();
    assert_eq!(&keys[..source_keys.len()], &source_keys[..]);
    let names = |f: &GgufFile| {
        f.tensors()
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&file), names(&m.file));

    let back = TensorSet::from_gguf(&file);
    assert_eq!(back.len(), a.tensors.len());
    for (name, t) in a.tensors.iter() {
        let b = back.require(name).unwrap();
        assert_eq!((b.dtype(), b.dims()), (t.dtype(), t.dims()), "{name}");
        assert_eq!(b.bytes(), t.bytes(), "{name}");
    }
    let q = back.require("blk.0.attn_q.bias").unwrap();
    assert_eq!(q.dims(), [192]);
    assert_eq!(
        back.require("output.weight").unwrap().dtype(),
        GgmlType::Q8_0
    );
}

#[test]
fn every_scheme_records_its_file_type() {
    let m = Draft::new(Spec::gqa(), 22).build(GgmlType::F32);
    let out = TempPath::new("ftype");
    for (name, ftype) in [
        ("f32", 0),
        ("f16", 1),
        ("q4_0", 2),
        ("q4_1", 3),
        ("q8_0", 7),
        ("bf16", 32),
    ] {
        let a = apply(&recipe(name), &m.config, &m.tensors).unwrap();
        write_gguf(&m.file, &a, &out.0).unwrap();
        let file = GgufFile::open(&out.0).unwrap();
        assert_eq!(file.get_u64("general.file_type").unwrap(), Some(ftype));
        assert_eq!(file.get_str(RECIPE_KEY).unwrap(), Some(name));
        assert_eq!(ModelConfig::from_gguf(&file).unwrap(), a.config);
    }
}

#[test]
fn the_output_may_replace_the_mapped_source() {
    let d = Draft::new(Spec::gqa(), 23);
    let path = TempPath::new("inplace");
    std::fs::write(&path.0, d.gguf_bytes(GgmlType::F32)).unwrap();
    let file = Arc::new(GgufFile::open(&path.0).unwrap());
    let config = ModelConfig::from_gguf(&file).unwrap();
    let tensors = TensorSet::from_gguf(&file);
    // Tensors are borrowed from the mapping being replaced.
    let a = apply(&recipe("q8_0+sparse10"), &config, &tensors).unwrap();
    assert!(a.tensors.require("output_norm.weight").unwrap().is_mapped());
    write_gguf(&file, &a, &path.0).unwrap();
    let back = GgufFile::open(&path.0).unwrap();
    assert_eq!(back.get_str(RECIPE_KEY).unwrap(), Some("q8_0+sparse10"));
    assert_eq!(
        back.tensor("blk.1.ffn_up.weight").unwrap().dtype,
        GgmlType::Q8_0
    );
    // The old mapping still reads the old bytes.
    assert_eq!(
        tensors.require("output_norm.weight").unwrap().bytes(),
        &[0, 0, 128, 63].repeat(256)[..]
    );
}

#[test]
fn writing_errors() {
    let m = Draft::new(Spec::gqa(), 24).build(GgmlType::F32);
    let mut a = apply(&recipe("q8_0"), &m.config, &m.tensors).unwrap();
    a.tensors.remove("blk.1.ffn_norm.weight");
    let out = TempPath::new("missing");
    let e = write_gguf(&m.file, &a, &out.0).unwrap_err();
    assert!(
        matches!(e, RecipeError::MissingTensor { ref name } if name == "blk.1.ffn_norm.weight"),
        "{e}"
    );
    assert!(!out.0.exists());

    let a = apply(&recipe("q8_0"), &m.config, &m.tensors).unwrap();
    let dir = std::env::temp_dir().join("edgebench-recipe-no-such-dir/x.gguf");
    let e = write_gguf(&m.file, &a, &dir).unwrap_err();
    assert!(matches!(e, RecipeError::Gguf(_)), "{e}");
}

/// Streaming one tensor window at a time gives the same bytes and report
/// as converting the whole model in memory and writing it.
#[test]
fn streamed_recipe_files_equal_the_applied_ones() {
    use edgebench_kernels::recipe::write_recipe_file;
    let qwen = Spec {
        arch: "qwen2",
        ..Spec::gqa()
    };
    // Rows of 80 are neither q4_0 nor q8_0 blocks: ffn_down falls back.
    let odd = Spec {
        n_ff: 80,
        ..Spec::gqa()
    };
    // Without grouped-query attention whole heads go, K and V rows too.
    let mha = Spec {
        arch: "qwen2",
        n_head_kv: 8,
        ..Spec::gqa()
    };
    let cases = [
        (mha, GgmlType::F32, "q8_0+heads50"),
        (Spec::gqa(), GgmlType::F32, "f32"),
        (Spec::gqa(), GgmlType::F32, "q4_0+heads25+ffn25+output=q8_0"),
        (Spec::gqa(), GgmlType::Q4_1, "q8_0+sparse50"),
        (qwen, GgmlType::F32, "q4_0+heads50+token_embd=q8_0"),
        (odd, GgmlType::F16, "q4_0"),
        (Spec::gqa(), GgmlType::F16, "f16+ffn25"),
    ];
    for (i, (spec, source, name)) in cases.into_iter().enumerate() {
        let m = Draft::new(spec, 30 + i as u64).build(source);
        let r = recipe(name);
        let a = apply(&r, &m.config, &m.tensors).unwrap();
        let whole = TempPath::new(&format!("whole-{i}"));
        let size = write_gguf(&m.file, &a, &whole.0).unwrap();
        let streamed = TempPath::new(&format!("streamed-{i}"));
        let written = write_recipe_file(&m.file, &r, &streamed.0, &()).unwrap();
        assert_eq!(written.file_size, size, "{name}");
        assert!(
            std::fs::read(&whole.0).unwrap() == std::fs::read(&streamed.0).unwrap(),
            "{name}: the files differ"
        );
        assert_eq!(written.report, a.report, "{name}");
        assert_eq!(written.config, a.config, "{name}");
        if name == "q4_0" {
            assert!(!a.report.fallbacks.is_empty(), "the odd shape falls back");
        }
    }
}

#[test]
fn a_streamed_write_that_fails_leaves_nothing() {
    use edgebench_kernels::recipe::write_recipe_file;
    let m = Draft::new(Spec::gqa(), 9).build(GgmlType::F32);
    let out = TempPath::new("fail");
    let e = write_recipe_file(&m.file, &recipe("q8_0+ffn99"), &out.0, &()).unwrap_err();
    assert!(e.to_string().contains("removes everything"), "{e}");
    assert!(!out.0.exists());
    let missing = std::env::temp_dir().join("edgebench-no-such-dir/x.gguf");
    let e = write_recipe_file(&m.file, &recipe("q8_0"), &missing, &()).unwrap_err();
    assert!(matches!(e, RecipeError::Gguf(_)), "{e}");
}
