//! llama.cpp's process-wide state: the backend, initialized once, and its
//! log, kept (the last warnings and errors) rather than printed, so the
//! agent's stderr stays its own progress and a rejected file comes with
//! llama.cpp's own reason.

use std::collections::VecDeque;
use std::ffi::{CStr, c_char, c_void};
use std::sync::{Mutex, OnceLock};

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_sys_2::{GGML_LOG_LEVEL_CONT, GGML_LOG_LEVEL_WARN, ggml_log_level};

use super::LLAMA;
use crate::runtime::RuntimeError;

/// Lines of llama.cpp's log kept, newest last.
const KEPT_LINES: usize = 32;
/// Characters kept of one line.
const LINE_CHARS: usize = 400;

static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
static LOG: Mutex<Log> = Mutex::new(Log {
    lines: VecDeque::new(),
    last_kept: false,
});

/// The kept lines, and whether the last line llama.cpp logged was kept
/// (its continuations join it).
struct Log {
    lines: VecDeque<String>,
    last_kept: bool,
}

/// The backend, initialized on first use with the log captured.
///
/// # Errors
/// [`RuntimeError::Failed`] when llama.cpp cannot be initialized.
pub fn backend() -> Result<&'static LlamaBackend, RuntimeError> {
    BACKEND
        .get_or_init(|| {
            // SAFETY: `keep_log` is a plain function that lives for the
            // whole program and ignores its user data (null here).
            unsafe { llama_cpp_sys_2::llama_log_set(Some(keep_log), std::ptr::null_mut()) };
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| RuntimeError::Failed {
            runtime: LLAMA,
            message: format!("cannot initialize: {e}"),
        })
}

/// Forgets the kept log (before an operation whose failure is explained
/// by what llama.cpp logs during it).
pub fn clear_log() {
    if let Ok(mut log) = LOG.lock() {
        log.lines.clear();
        log.last_kept = false;
    }
}

/// The warnings and errors llama.cpp logged since [`clear_log`], one line,
/// or `fallback` when it logged none.
pub fn logged_reason(fallback: &str) -> String {
    let lines: Vec<String> = LOG
        .lock()
        .map(|log| log.lines.iter().cloned().collect())
        .unwrap_or_default();
    if lines.is_empty() {
        fallback.to_owned()
    } else {
        lines.join("; ")
    }
}

unsafe extern "C" fn keep_log(level: ggml_log_level, text: *const c_char, _: *mut c_void) {
    if text.is_null() {
        return;
    }
    // SAFETY: ggml passes a NUL-terminated string valid for the call.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let Ok(mut log) = LOG.lock() else { return };
    if level == GGML_LOG_LEVEL_CONT {
        if log.last_kept
            && let Some(last) = log.lines.back_mut()
            && last.len() < LINE_CHARS
        {
            last.push(' ');
            last.extend(text.chars().take(LINE_CHARS));
        }
        return;
    }
    log.last_kept = level >= GGML_LOG_LEVEL_WARN;
    if !log.last_kept {
        return;
    }
    if log.lines.len() == KEPT_LINES {
        log.lines.pop_front();
    }
    log.lines.push_back(text.chars().take(LINE_CHARS).collect());
}
