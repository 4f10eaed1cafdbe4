//! Synthetic models: determinism, metadata, and loading them back.

use std::path::PathBuf;
use std::sync::Arc;

use edgebench_kernels::gguf::{GgufFile, GgufWriter, Value};
use edgebench_kernels::model::{ModelConfig, TensorSet};
use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::synth::{self, Preset, SynthError};

/// A path in the temp dir, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> Self {
        TempPath(
            std::env::temp_dir().join(format!("edgebench-synth-{}-{tag}.gguf", std::process::id())),
        )
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn same_seed_gives_identical_files_and_other_seeds_differ() {
    let a = synth::generate(Preset::Tiny, 7)
        .unwrap()
        .to_bytes()
        .unwrap();
    let b = synth::generate(Preset::Tiny, 7)
        .unwrap()
        .to_bytes()
        .unwrap();
    let c = synth::generate(Preset::Tiny, 8)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert!(a == b, "same seed, different bytes");
    assert_eq!(a.len(), c.len(), "the seed changes values, not the layout");
    assert!(a != c, "different seeds, same bytes");

    // Every tensor changes with the seed, not only some.
    let (fa, fc) = (
        GgufFile::from_bytes(a).unwrap(),
        GgufFile::from_bytes(c).unwrap(),
    );
    for t in fa.tensors() {
        let u = fc.tensor(&t.name).unwrap();
        assert_ne!(fa.tensor_data(t), fc.tensor_data(u), "{}", t.name);
    }
}

#[test]
fn written_file_is_identical_to_the_in_memory_bytes_and_loads() {
    let path = TempPath::new("tiny");
    let written = synth::write(Preset::Tiny, 3, &path.0).unwrap();
    let on_disk = std::fs::read(&path.0).unwrap();
    let model = synth::generate(Preset::Tiny, 3).unwrap();
    assert!(on_disk == model.to_bytes().unwrap());
    assert_eq!(written.bytes, on_disk.len() as u64);
    assert_eq!(written.parameters, Preset::Tiny.spec().parameter_count());
    assert_eq!(written.tensors, model.tensors.len());

    let file = Arc::new(GgufFile::open(&path.0).unwrap());
    let config = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!(config, model.config);
    let tensors = TensorSet::from_gguf(&file);
    assert_eq!(tensors.parameter_count(), written.parameters);
    assert!(tensors.iter().all(|(_, t)| t.dtype() == GgmlType::F32));
    // tiny has its own output head, small ties it to the embedding.
    assert_eq!(tensors.require("output.weight").unwrap().dims(), [64, 512]);
    // No temporary file is left behind.
    let partial = path.0.with_file_name(format!(
        "{}.partial",
        path.0.file_name().unwrap().to_string_lossy()
    ));
    assert!(!partial.exists());
}

#[test]
fn small_preset_has_the_documented_shape() {
    let model = synth::generate(Preset::Small, 1).unwrap();
    let file = GgufFile::from_bytes(model.to_bytes().unwrap()).unwrap();
    let c = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!(
        (c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.n_ff),
        (256, 4, 8, 2, 768)
    );
    assert_eq!((c.n_vocab, c.context_length, c.head_dim), (2048, 512, 32));
    assert!(file.tensor("output.weight").is_none(), "small is tied");
    assert_eq!(
        file.tensor("blk.3.ffn_down.weight").unwrap().dims,
        [768, 256]
    );
    assert_eq!(file.tensor("blk.0.attn_k.weight").unwrap().dims, [256, 64]);
    assert_eq!(
        model.tensors.parameter_count(),
        Preset::Small.spec().parameter_count()
    );
    assert_eq!(model.tensor_names()[0], "token_embd.weight");
}

#[test]
fn metadata_names_everything_llama_cpp_reads() {
    let model = synth::generate(Preset::Tiny, 11).unwrap();
    let file = GgufFile::from_bytes(model.to_bytes().unwrap()).unwrap();
    assert_eq!(file.version(), 3);
    assert_eq!(file.get_str("general.architecture").unwrap(), Some("llama"));
    assert!(file.get_str("general.name").unwrap().is_some());
    assert_eq!(file.get_u32("general.file_type").unwrap(), Some(0));
    for (key, want) in [
        ("llama.context_length", 256),
        ("llama.embedding_length", 64),
        ("llama.block_count", 2),
        ("llama.feed_forward_length", 192),
        ("llama.attention.head_count", 4),
        ("llama.attention.head_count_kv", 2),
        ("llama.rope.dimension_count", 16),
        ("llama.vocab_size", 512),
    ] {
        assert_eq!(file.get_u32(key).unwrap(), Some(want), "{key}");
    }
    assert_eq!(
        file.get_f32("llama.attention.layer_norm_rms_epsilon")
            .unwrap(),
        Some(1e-5)
    );
    assert_eq!(
        file.get_f32("llama.rope.freq_base").unwrap(),
        Some(10_000.0)
    );
    assert_eq!(
        file.get_str("edgebench.synthetic.preset").unwrap(),
        Some("tiny")
    );
    assert_eq!(file.get_u64("edgebench.synthetic.seed").unwrap(), Some(11));
    assert_eq!(file.get_str("tokenizer.ggml.model").unwrap(), Some("gpt2"));
    assert_eq!(file.get_str("tokenizer.ggml.pre").unwrap(), Some("default"));
    let tokens = file
        .get_str_array("tokenizer.ggml.tokens")
        .unwrap()
        .unwrap();
    assert_eq!(tokens.len(), 512);
    let eos = file
        .get_u32("tokenizer.ggml.eos_token_id")
        .unwrap()
        .unwrap();
    assert_eq!(tokens[eos as usize], "<|endoftext|>");
    assert_eq!(
        file.get_u32("tokenizer.ggml.bos_token_id").unwrap(),
        Some(eos)
    );
    assert_eq!(
        file.get_bool("tokenizer.ggml.add_bos_token").unwrap(),
        Some(false)
    );
    let merges = file
        .get_str_array("tokenizer.ggml.merges")
        .unwrap()
        .unwrap();
    assert!(!merges.is_empty());
    assert_eq!(
        file.get_array("tokenizer.ggml.token_type")
            .unwrap()
            .unwrap()
            .len(),
        512
    );
}

#[test]
fn smollm_shape_metadata_matches_smollm2_135m() {
    // The full weights are ~540 MB; the hyperparameters are checked from
    // the metadata alone.
    let md = synth::metadata(Preset::Smollm135mShape, 0).unwrap();
    let tiny = synth::generate(Preset::Tiny, 0).unwrap();
    let keys = |m: &[(String, Value)]| m.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        keys(&md),
        keys(&tiny.metadata),
        "every preset has the same keys"
    );
    let mut w = GgufWriter::new();
    for (k, v) in md {
        w.add_metadata(k, v).unwrap();
    }
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let file = GgufFile::from_bytes(bytes).unwrap();
    let c = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!(
        (
            c.n_embd,
            c.n_layer,
            c.n_head,
            c.n_head_kv,
            c.head_dim,
            c.n_ff
        ),
        (576, 30, 9, 3, 64, 1536)
    );
    assert_eq!((c.n_vocab, c.context_length), (49152, 2048));
    assert_eq!((c.rope_freq_base, c.rms_eps), (100_000.0, 1e-5));
}

#[test]
fn unknown_presets_are_a_clear_error() {
    let err = "smollm".parse::<Preset>().unwrap_err();
    assert!(matches!(err, SynthError::UnknownPreset { .. }));
    assert_eq!(
        err.to_string(),
        "unknown preset 'smollm' (valid presets: tiny, small, smollm-135m-shape)"
    );
}

#[test]
fn unwritable_paths_are_an_error_naming_the_path() {
    let dir = std::env::temp_dir().join(format!("edgebench-synth-missing-{}", std::process::id()));
    let path = dir.join("sub").join("m.gguf");
    let err = synth::write(Preset::Tiny, 0, &path).unwrap_err();
    assert!(matches!(err, SynthError::Write { .. }), "{err:?}");
    assert!(err.to_string().contains("m.gguf"), "{err}");
    assert!(!path.exists());
}

#[test]
fn directories_and_empty_paths_are_refused() {
    for path in [std::env::temp_dir(), PathBuf::new()] {
        let err = synth::write(Preset::Tiny, 0, &path).unwrap_err();
        assert!(matches!(err, SynthError::Write { .. }), "{err:?}");
    }
}
