//! `edgebench-agent`: the program the controller runs on a device.
//!
//! `run` reads one job (JSON) on stdin and writes one result (JSON line) on
//! stdout, with progress on stderr; `probe` prints the device, its meters
//! and counters as JSON; `--version` names the git revision.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    edgebench_targets::agent::cli::main(&args)
}
