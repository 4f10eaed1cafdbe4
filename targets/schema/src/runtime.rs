//! [`Runtime`]: which inference runtime runs a recipe file, and
//! [`RuntimeInfo`]: which build of it ran.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An inference runtime the agent can run a recipe file with. The same
/// recipe file (the same bytes) is loaded by every runtime, so only the
/// runtime differs between two cells that differ by it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Runtime {
    /// edgebench's own kernel.
    #[default]
    #[serde(rename = "edgebench")]
    Edgebench,
    /// llama.cpp, linked into agents built with the `llama-cpp` feature.
    #[serde(rename = "llama.cpp")]
    LlamaCpp,
}

impl Runtime {
    /// Every runtime, in the order reports list them.
    pub const ALL: [Runtime; 2] = [Runtime::Edgebench, Runtime::LlamaCpp];

    /// The name matrices, results and reports use.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Edgebench => "edgebench",
            Runtime::LlamaCpp => "llama.cpp",
        }
    }

    /// Whether this is the default runtime (left out of jobs, specs and
    /// results, so those of the default runtime keep their old form).
    pub fn is_default(&self) -> bool {
        *self == Runtime::Edgebench
    }

    /// The agent's cargo feature that links this runtime in, if any.
    pub fn cargo_feature(self) -> Option<&'static str> {
        match self {
            Runtime::Edgebench => None,
            Runtime::LlamaCpp => Some("llama-cpp"),
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A runtime name that is not one of [`Runtime::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown runtime `{0}`: expected one of edgebench, llama.cpp")]
pub struct UnknownRuntime(pub String);

impl FromStr for Runtime {
    type Err = UnknownRuntime;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "edgebench" => Ok(Runtime::Edgebench),
            "llama.cpp" => Ok(Runtime::LlamaCpp),
            other => Err(UnknownRuntime(other.to_owned())),
        }
    }
}

/// The runtime that produced a result, as built into the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    /// Which runtime.
    pub name: Runtime,
    /// Its version: the kernel's crate version, or for llama.cpp the
    /// version of the bindings that pin its source and ggml's version.
    pub version: String,
    /// The source revision it was built from, when the build knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The CPU code that ran: the kernel's instruction set, or the ggml
    /// CPU backend variant llama.cpp chose on this device.
    pub cpu_backend: String,
    /// What the runtime reports about its build and the features it uses
    /// (llama.cpp's system info).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for r in Runtime::ALL {
            assert_eq!(r.name().parse::<Runtime>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.name()));
            assert_eq!(serde_json::from_str::<Runtime>(&json).unwrap(), r);
        }
        let e = "llamacpp".parse::<Runtime>().unwrap_err();
        assert!(e.to_string().contains("llama.cpp"), "{e}");
    }
}
