//! Running the built `edgebench` binary and temporary files, for the CLI
//! tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `edgebench` with `args` and waits for it.
pub fn edgebench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .args(args)
        .output()
        .expect("run the edgebench binary")
}

/// Runs `edgebench` with `args` in directory `dir` and waits for it.
pub fn edgebench_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run the edgebench binary")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Both streams, labelled, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o))
}

/// A path in the temp dir unique to this process and `tag`, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// `edgebench-test-<pid>-<tag>.gguf` in the temp dir.
    pub fn new(tag: &str) -> Self {
        Self::with_extension(tag, "gguf")
    }

    /// `edgebench-test-<pid>-<tag>.<ext>` in the temp dir.
    pub fn with_extension(tag: &str, ext: &str) -> Self {
        TempFile(
            std::env::temp_dir().join(format!("edgebench-test-{}-{tag}.{ext}", std::process::id())),
        )
    }

    /// The path as text.
    pub fn path(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8 here")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
