//! llama.cpp as a runtime, through the `llama-cpp-2` bindings: the recipe
//! file loaded by llama.cpp itself, driven token by token by the same
//! protocol as the kernel, its greedy choice made by the kernel's sampler
//! over llama.cpp's logits.

mod backend;
mod generation;
mod scorer;

use std::ffi::CStr;
use std::path::Path;

use edgebench_kernels::eval::WindowScorer;
use edgebench_schema::{Runtime, RuntimeInfo};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::{KvCacheType, LlamaContextParams};
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;

use super::{Generation, LoadedRecipe, RuntimeError, SessionSpec};
use backend::{backend, clear_log, logged_reason};
use generation::LlamaGeneration;
use scorer::LlamaScorer;

const LLAMA: Runtime = Runtime::LlamaCpp;

/// The bindings' versions, pinned in `Cargo.toml`: they fix llama.cpp's
/// source.
const BINDINGS: &str = "llama-cpp-2 0.1.160, llama-cpp-sys-2 0.1.161";

/// A recipe file loaded by llama.cpp.
pub struct LlamaRecipe {
    model: LlamaModel,
}

impl LlamaRecipe {
    /// Loads the file at `path` (memory-mapped, as llama.cpp does by
    /// default).
    ///
    /// # Errors
    /// [`RuntimeError::Rejected`] with llama.cpp's reason when it does not
    /// take the file.
    pub fn load(path: &Path) -> Result<Self, RuntimeError> {
        let backend = backend()?;
        let params = LlamaModelParams::default();
        #[cfg(feature = "cuda")]
        let params = params.with_n_gpu_layers(u32::MAX);
        clear_log();
        let model = LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
            RuntimeError::Rejected {
                runtime: LLAMA,
                reason: logged_reason(&e.to_string()),
            }
        })?;
        Ok(LlamaRecipe { model })
    }

    /// A context of `n_ctx` tokens taking batches of up to `batch` tokens.
    fn context(
        &self,
        n_ctx: usize,
        batch: usize,
        threads: usize,
        kv_f16: bool,
    ) -> Result<LlamaContext<'_>, RuntimeError> {
        let failed = |what: &str| RuntimeError::Failed {
            runtime: LLAMA,
            message: what.to_owned(),
        };
        let n_ctx = u32::try_from(n_ctx).map_err(|_| failed("context too long"))?;
        let batch = u32::try_from(batch.max(1)).map_err(|_| failed("batch too long"))?;
        let threads = i32::try_from(threads).map_err(|_| failed("too many threads"))?;
        let kv = if kv_f16 {
            KvCacheType::F16
        } else {
            KvCacheType::F32
        };
        let params = LlamaContextParams::default()
            .with_n_ctx(std::num::NonZeroU32::new(n_ctx))
            .with_n_batch(batch)
            .with_n_ubatch(batch)
            .with_n_seq_max(1)
            .with_n_threads(threads)
            .with_n_threads_batch(threads)
            .with_type_k(kv)
            .with_type_v(kv)
            .with_no_perf(true);
        clear_log();
        self.model
            .new_context(backend()?, params)
            .map_err(|e| failed(&logged_reason(&format!("cannot make a context: {e}"))))
    }
}

/// llama.cpp as this agent was built with it.
pub fn llama_info() -> RuntimeInfo {
    // SAFETY: these functions take no arguments and return pointers to
    // static NUL-terminated strings (or null), valid for the whole program.
    let (version, commit, system) = unsafe {
        (
            static_text(llama_cpp_sys_2::ggml_version()),
            static_text(llama_cpp_sys_2::ggml_commit()),
            static_text(llama_cpp_sys_2::llama_print_system_info()),
        )
    };
    RuntimeInfo {
        name: LLAMA,
        version: format!("{BINDINGS} (ggml {version})"),
        commit: (!commit.is_empty() && commit != "unknown").then_some(commit),
        cpu_backend: cpu_backend(),
        build: (!system.is_empty()).then_some(system),
    }
}

/// The text of a static C string, empty for null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that lives for the
/// whole program.
unsafe fn static_text(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller promises a live NUL-terminated string.
    unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .trim()
        .to_owned()
}

/// The ggml CPU backend this build compiled in: the instruction set
/// extensions its code uses (llama.cpp's static build picks them at
/// compile time).
fn cpu_backend() -> String {
    use llama_cpp_sys_2 as g;
    // SAFETY: the feature queries take no arguments and read constants.
    let features: [(&str, i32); 16] = unsafe {
        [
            ("AVX", g::ggml_cpu_has_avx()),
            ("AVX2", g::ggml_cpu_has_avx2()),
            ("F16C", g::ggml_cpu_has_f16c()),
            ("FMA", g::ggml_cpu_has_fma()),
            ("BMI2", g::ggml_cpu_has_bmi2()),
            ("AVX_VNNI", g::ggml_cpu_has_avx_vnni()),
            ("AVX512", g::ggml_cpu_has_avx512()),
            ("AVX512_VBMI", g::ggml_cpu_has_avx512_vbmi()),
            ("AVX512_VNNI", g::ggml_cpu_has_avx512_vnni()),
            ("AVX512_BF16", g::ggml_cpu_has_avx512_bf16()),
            ("NEON", g::ggml_cpu_has_neon()),
            ("ARM_FMA", g::ggml_cpu_has_arm_fma()),
            ("FP16_VA", g::ggml_cpu_has_fp16_va()),
            ("DOTPROD", g::ggml_cpu_has_dotprod()),
            ("MATMUL_INT8", g::ggml_cpu_has_matmul_int8()),
            ("SVE", g::ggml_cpu_has_sve()),
        ]
    };
    let on: Vec<&str> = features
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(n, _)| *n)
        .collect();
    let arch = std::env::consts::ARCH;
    if on.is_empty() {
        format!("ggml-cpu {arch} (baseline)")
    } else {
        format!("ggml-cpu {arch} ({})", on.join(" "))
    }
}

impl LoadedRecipe for LlamaRecipe {
    fn info(&self) -> RuntimeInfo {
        llama_info()
    }

    fn context_length(&self) -> usize {
        self.model.n_ctx_train() as usize
    }

    fn n_vocab(&self) -> usize {
        usize::try_from(self.model.n_vocab()).unwrap_or(0)
    }

    fn generation<'a>(
        &'a self,
        spec: &SessionSpec,
        prompt: &[u32],
    ) -> Result<Generation<'a>, RuntimeError> {
        let context = self.context(spec.context, spec.prompt_tokens, spec.threads, spec.kv_f16)?;
        Ok(Box::new(LlamaGeneration::new(
            context,
            prompt,
            self.n_vocab(),
        )?))
    }

    fn scorer<'a>(
        &'a self,
        ctx: usize,
        threads: usize,
    ) -> Result<Box<dyn WindowScorer + 'a>, RuntimeError> {
        let context = self.context(ctx, ctx, threads, false)?;
        Ok(Box::new(LlamaScorer::new(context, self.n_vocab(), ctx)))
    }
}
