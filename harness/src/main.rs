//! The `edgebench` command-line controller.

use std::process::ExitCode;

fn main() -> ExitCode {
    edgebench::cli::main()
}
