//! The agent binary for a device's target triple: a prebuilt path the
//! inventory names, else built from this source tree with cargo (for this
//! machine's triple or cross-compiled for the device's), else the
//! `edgebench-agent` installed beside the controller. Which one was used is
//! always said, and a missing one comes with the command that gets it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

use crate::matrix::host_target;

/// An agent binary ready to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentBinary {
    /// Where it is on this machine.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Its target triple.
    pub target: String,
    /// How it was obtained, for the user.
    pub how: String,
}

/// No agent for a triple.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("no edgebench-agent for {target}: {reason}")]
pub struct AgentBinaryError {
    /// The triple.
    pub target: String,
    /// Why, and how to get one.
    pub reason: String,
}

/// What to build or use for one triple.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentRequest {
    /// The device's target triple.
    pub target: String,
    /// A prebuilt agent the inventory names.
    pub prebuilt: Option<PathBuf>,
    /// The linker for a cross build, when not configured for cargo.
    pub linker: Option<String>,
    /// Cargo features of edgebench-targets the agent needs (the runtimes
    /// a matrix names beside the kernel, e.g. `llama-cpp`), sorted.
    pub features: Vec<String>,
}

impl AgentRequest {
    /// ` --features a,b` for the cargo command line, or nothing.
    fn features_arg(&self) -> String {
        if self.features.is_empty() {
            String::new()
        } else {
            format!(" --features {}", self.features.join(","))
        }
    }
}

/// Finds or builds the agent `request` asks for.
///
/// # Errors
/// [`AgentBinaryError`] naming the triple, what was tried and the fix.
pub fn resolve(request: &AgentRequest) -> Result<AgentBinary, AgentBinaryError> {
    let fail = |reason: String| AgentBinaryError {
        target: request.target.clone(),
        reason,
    };
    if let Some(path) = &request.prebuilt {
        return describe(
            path,
            &request.target,
            format!("prebuilt {}", path.display()),
        )
        .map_err(|e| fail(format!("the inventory's agent {}: {e}", path.display())));
    }
    let host = request.target == host_target();
    if let Some(workspace) = source_tree() {
        return build(&workspace, request, host).map_err(fail);
    }
    if host
        && request.features.is_empty()
        && let Some(path) = installed_beside_controller()
    {
        return describe(
            &path,
            &request.target,
            format!("installed {}", path.display()),
        )
        .map_err(|e| fail(e.to_string()));
    }
    Err(fail(format!(
        "this controller was installed without its source tree, and {}; \
         build one with `cargo build --release -p edgebench-targets --bin edgebench-agent \
         --target {}{}` and name it in the device's inventory entry as `agent = \"PATH\"`",
        if host && request.features.is_empty() {
            "no edgebench-agent is installed beside it"
        } else if host {
            "the agent installed beside it may lack the runtimes the matrix names"
        } else {
            "it cannot cross-compile"
        },
        request.target,
        request.features_arg()
    )))
}

/// The workspace this controller was built from, when it is still there
/// and cargo can build in it.
fn source_tree() -> Option<PathBuf> {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = harness.parent()?;
    let complete =
        workspace.join("Cargo.toml").is_file() && workspace.join("targets/Cargo.toml").is_file();
    complete.then(|| workspace.to_path_buf())
}

fn installed_beside_controller() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // Test binaries live one level down, in `deps/`.
    [
        dir.join("edgebench-agent"),
        dir.parent()?.join("edgebench-agent"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Builds the agent with cargo (a no-op when it is up to date),
/// cross-compiling unless `host`. Always the release profile: what a device
/// runs is what is measured, whatever profile the controller was built in.
fn build(workspace: &Path, request: &AgentRequest, host: bool) -> Result<AgentBinary, String> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(workspace).args([
        "build",
        "--quiet",
        "-p",
        "edgebench-targets",
        "--bin",
        "edgebench-agent",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    if !request.features.is_empty() {
        cmd.args(["--features", &request.features.join(",")]);
    }
    if !host {
        if let Some(missing) = missing_rust_target(&request.target) {
            return Err(missing);
        }
        cmd.args(["--target", &request.target]);
        if let Some(linker) = &request.linker {
            let var = format!(
                "CARGO_TARGET_{}_LINKER",
                request.target.to_uppercase().replace(['-', '.'], "_")
            );
            cmd.env(var, linker);
        }
    }
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo ({}): {e}", cargo()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if host {
            String::new()
        } else {
            format!(
                "\n  a cross build needs a linker for {t}: set `linker = \"...\"` on the device \
                 (e.g. aarch64-linux-gnu-gcc from Debian's gcc-aarch64-linux-gnu) or give a \
                 prebuilt `agent = \"PATH\"`",
                t = request.target
            )
        };
        return Err(format!(
            "`cargo build --release -p edgebench-targets --bin edgebench-agent{}{}` failed:\n{}{hint}",
            if host {
                String::new()
            } else {
                format!(" --target {}", request.target)
            },
            request.features_arg(),
            stderr.trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = executable_from_messages(&stdout)
        .ok_or_else(|| "cargo built no edgebench-agent executable".to_owned())?;
    let how = format!(
        "{} build{} {}",
        if host { "host" } else { "cross" },
        if request.features.is_empty() {
            String::new()
        } else {
            format!(" with {}", request.features.join(", "))
        },
        path.display()
    );
    describe(&path, &request.target, how).map_err(|e| e.to_string())
}

/// `Some(message)` when rustup is there and says the target is not
/// installed.
fn missing_rust_target(target: &str) -> Option<String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let installed = String::from_utf8_lossy(&out.stdout);
    if installed.lines().any(|l| l.trim() == target) {
        return None;
    }
    Some(format!(
        "the Rust target is not installed: run `rustup target add {target}`, \
         or give the device a prebuilt `agent = \"PATH\"`"
    ))
}

/// The `executable` of the `edgebench-agent` artifact in cargo's JSON
/// messages.
fn executable_from_messages(stdout: &str) -> Option<PathBuf> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "edgebench-agent")
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .next_back()
}

fn describe(path: &Path, target: &str, how: String) -> std::io::Result<AgentBinary> {
    let (sha256, bytes) = edgebench_targets::agent::sha256_hex(std::fs::File::open(path)?)?;
    Ok(AgentBinary {
        path: path.to_path_buf(),
        sha256,
        bytes,
        target: target.to_owned(),
        how,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_executable_is_found_in_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"edgebench_kernels"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"edgebench-agent"},"executable":"/w/target/aarch64-unknown-linux-gnu/release/edgebench-agent"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable_from_messages(messages),
            Some(PathBuf::from(
                "/w/target/aarch64-unknown-linux-gnu/release/edgebench-agent"
            ))
        );
        assert_eq!(executable_from_messages("not json\n"), None);
    }

    #[test]
    fn a_missing_prebuilt_agent_is_named() {
        let err = resolve(&AgentRequest {
            target: "aarch64-unknown-linux-gnu".into(),
            prebuilt: Some("/nonexistent/edgebench-agent".into()),
            linker: None,
            features: Vec::new(),
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/edgebench-agent"),
            "{err}"
        );
    }
}
