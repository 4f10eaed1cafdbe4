//! Embeds the git revision and the target triple in the agent, for
//! `edgebench-agent --version` and every result it writes.
//!
//! Nothing here may fail the build: without git, or outside a checkout, the
//! revision is `unknown`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git <args>` in `dir`; its trimmed stdout on success.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The file behind `git rev-parse --git-path <name>`, when it exists.
fn git_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(git(dir, &["rev-parse", "--git-path", name])?);
    let p = if p.is_absolute() { p } else { dir.join(p) };
    p.exists().then_some(p)
}

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let revision = git(&dir, &["rev-parse", "--short=12", "HEAD"])
        .filter(|r| r.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=EDGEBENCH_GIT_REVISION={revision}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=EDGEBENCH_TARGET={target}");

    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
    // points to (a commit) and packed refs. Only existing files are named,
    // since a missing one would rerun this script on every build.
    println!("cargo:rerun-if-changed=build.rs");
    let mut watched = vec![git_path(&dir, "HEAD"), git_path(&dir, "packed-refs")];
    if let Some(branch) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git_path(&dir, &branch));
    }
    for path in watched.into_iter().flatten() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
