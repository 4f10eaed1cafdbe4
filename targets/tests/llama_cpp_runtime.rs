//! llama.cpp as a runtime on the same recipe files as the kernel: the same
//! greedy tokens for f32 (same weights, same math), the same perplexity
//! within 0.5 %, and its accuracy scored against the kernel's f32 in one
//! process. Built only with the `llama-cpp` feature.

#![cfg(feature = "llama-cpp")]

#[path = "fixtures/support.rs"]
mod support;
#[path = "fixtures/tiny_model.rs"]
mod tiny_model;

use std::sync::Arc;

use edgebench_kernels::gguf::GgufFile;
use edgebench_schema::{AccuracyJob, EvalFile, ModelRef, Runtime, SCHEMA_VERSION};
use edgebench_targets::agent::{FileCheck, prompt_tokens, score_accuracy, sha256_hex};
use edgebench_targets::protocol::Inference;
use edgebench_targets::runtime::{self, LoadedRecipe, RuntimeError, SessionSpec};
use support::TempTree;
use tiny_model::{Model, tiny_model_as};

/// English text long enough for several windows of 64 tokens.
const TEXT: &str = "The engineer measured every board in the lab before choosing a recipe. \
A smaller file loads faster and leaves room for the cache, but each bit removed from a weight \
adds a little noise to every answer. On the first night the quantized model ran twice as fast \
and used half the memory; the next morning the accuracy table showed how much it had lost. \
She wrote the numbers down, compared them with the reference, and asked whether the loss was \
worth the speed. The answer depended on the device: a small board with little memory could not \
hold the full model at all, while the larger one ran both and only the energy differed. \
Choosing is easier when every figure comes from the same meters, the same prompt and the same \
files, measured the same way, night after night, so that a change in one runtime or one recipe \
shows up as a change in the table rather than as noise.";

fn load(model: &Model, runtime: Runtime) -> Box<dyn LoadedRecipe> {
    let file = Arc::new(GgufFile::open(&model.path).expect("open the recipe file"));
    runtime::load(runtime, &model.path, file)
        .unwrap_or_else(|e| panic!("{runtime} loads {}: {e}", model.path.display()))
}

/// The greedy tokens of `recipe` from `prompt`: the prefill's, then
/// `steps` decode steps'.
fn greedy(recipe: &dyn LoadedRecipe, prompt: &[u32], steps: usize) -> Vec<u32> {
    let spec = SessionSpec {
        context: prompt.len() + steps + 1,
        threads: 2,
        kv_f16: false,
        prompt_tokens: prompt.len(),
    };
    let mut g = recipe.generation(&spec, prompt).expect("a session");
    // Twice, the second time after a reset: a repetition starts afresh.
    let mut runs = Vec::new();
    for _ in 0..2 {
        g.reset();
        g.prefill().expect("prefill");
        let mut tokens = vec![g.last_token().expect("a token")];
        for _ in 0..steps {
            g.decode().expect("decode");
            tokens.push(g.last_token().expect("a token"));
        }
        runs.push(tokens);
    }
    assert_eq!(runs[0], runs[1], "a reset session repeats itself");
    runs.pop().unwrap_or_default()
}

#[test]
fn greedy_tokens_of_f32_equal_the_kernels() {
    let model = tiny_model_as("llama-greedy", "f32");
    let kernel = load(&model, Runtime::Edgebench);
    let llama = load(&model, Runtime::LlamaCpp);
    assert_eq!(kernel.n_vocab(), llama.n_vocab());
    assert_eq!(kernel.context_length(), llama.context_length());
    let info = llama.info();
    assert_eq!(info.name, Runtime::LlamaCpp);
    assert!(info.version.contains("llama-cpp-sys-2"), "{info:?}");
    assert!(info.cpu_backend.starts_with("ggml-cpu"), "{info:?}");
    for seed in [1, 2, 3] {
        let prompt = prompt_tokens(24, kernel.n_vocab(), seed);
        let ours = greedy(kernel.as_ref(), &prompt, 24);
        let theirs = greedy(llama.as_ref(), &prompt, 24);
        assert_eq!(ours, theirs, "prompt seed {seed}");
    }
}

fn eval_file(model: &Model, recipe: &str) -> EvalFile {
    EvalFile {
        model: ModelRef {
            path: model.path.display().to_string(),
            sha256: model.sha256.clone(),
            source_sha256: None,
        },
        recipe: recipe.to_owned(),
    }
}

fn accuracy_job(
    test: &Model,
    recipe: &str,
    reference: &Model,
    text: &std::path::Path,
) -> AccuracyJob {
    let (sha, _) = sha256_hex(TEXT.as_bytes()).expect("hash");
    AccuracyJob {
        schema_version: SCHEMA_VERSION,
        test: eval_file(test, recipe),
        reference: eval_file(reference, "f32"),
        text_path: text.display().to_string(),
        text_sha256: sha,
        ctx: 32,
        windows: 0,
        threads: 2,
        runtime: Runtime::LlamaCpp,
    }
}

#[test]
fn perplexity_on_llama_cpp_is_within_half_a_percent_of_the_kernels() {
    let reference = tiny_model_as("llama-ppl-ref", "f32");
    let dir = TempTree::empty("llama-ppl-text");
    let text = dir.path().join("text.txt");
    std::fs::write(&text, TEXT).expect("write the text");

    // llama.cpp's f32 against the kernel's f32: the runtime's own drift.
    let job = accuracy_job(&reference, "f32", &reference, &text);
    let r = score_accuracy(&job, FileCheck::Hash, &mut |_| {}).expect("accuracy on llama.cpp");
    assert_eq!(r.runtime, Runtime::LlamaCpp);
    assert!(r.windows >= 4 && r.scored_tokens >= 64, "{r:?}");
    assert!(r.ppl_delta_pct.abs() < 0.5, "{r:?}");
    assert!(r.kld_mean < 1e-3 && r.top1_agreement_pct > 99.0, "{r:?}");

    // q8_0 on llama.cpp against the kernel's f32, and the kernel's q8_0
    // against the same: the two runtimes' drops agree.
    let q8 = tiny_model_as("llama-ppl-q8", "q8_0");
    let on_llama = score_accuracy(
        &accuracy_job(&q8, "q8_0", &reference, &text),
        FileCheck::Hash,
        &mut |_| {},
    )
    .expect("q8_0 on llama.cpp");
    let mut kernel_job = accuracy_job(&q8, "q8_0", &reference, &text);
    kernel_job.runtime = Runtime::Edgebench;
    let on_kernel =
        score_accuracy(&kernel_job, FileCheck::Hash, &mut |_| {}).expect("q8_0 on the kernel");
    let ratio = on_llama.ppl / on_kernel.ppl;
    assert!((ratio - 1.0).abs() < 0.005, "{on_llama:?} {on_kernel:?}");
}

#[test]
fn a_file_llama_cpp_rejects_is_unsupported_with_its_reason() {
    let dir = TempTree::empty("llama-reject");
    let path = dir.path().join("not-a-model.gguf");
    // A GGUF file our reader takes but with an architecture llama.cpp
    // does not know (the first `llama` in the file is the value of
    // `general.architecture`).
    let model = tiny_model_as("llama-reject-src", "f32");
    let bytes = std::fs::read(&model.path).expect("read");
    let at = bytes
        .windows(5)
        .position(|w| w == b"llama")
        .expect("the architecture name");
    let mut bad = bytes.clone();
    bad[at..at + 5].copy_from_slice(b"lxama");
    std::fs::write(&path, &bad).expect("write");
    let file = Arc::new(GgufFile::open(&path).expect("still a GGUF file"));
    let err = match runtime::load(Runtime::LlamaCpp, &path, file) {
        Ok(_) => panic!("llama.cpp took an unknown architecture"),
        Err(e) => e,
    };
    assert!(err.is_unsupported(), "{err}");
    assert!(matches!(err, RuntimeError::Rejected { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("llama.cpp") && text.contains("unknown model architecture"),
        "{text}"
    );
}
