//! The agent's command line: `run`, `probe`, `--version`, shared by the
//! `edgebench-agent` binary and the controller, which runs the same code as
//! a child process of itself for the local device.

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use crate::agent;
use edgebench_schema::{JobResult, Status};

const USAGE: &str = "\
Usage: edgebench-agent <COMMAND>

Commands:
  run      Read one job (JSON) on stdin, measure it, write one result (JSON
           line) on stdout; progress goes to stderr. Exit code 0 when the
           result's status is ok, 1 otherwise (the result says why).
  probe    Print the device facts, the meters that work, counter availability
           and the kernels' instruction set as JSON.

Options:
  -q, --quiet    With run: no progress on stderr.
  -V, --version  Print the version and the git revision it was built from.
  -h, --help     Print this help.

Example:
  edgebench-agent run < job.json > result.json";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run { quiet: bool },
    Probe,
    Version,
    Help,
}

/// Parses the arguments after the program name.
fn parse(args: &[String]) -> Result<Command, String> {
    let mut command = None;
    let mut quiet = false;
    for arg in args {
        let next = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "-q" | "--quiet" => {
                quiet = true;
                continue;
            }
            "run" => "run",
            "probe" => "probe",
            other if other.starts_with('-') => return Err(format!("unknown option '{other}'")),
            other => return Err(format!("unknown command '{other}'")),
        };
        if command.replace(next).is_some() {
            return Err("give one command".to_owned());
        }
    }
    match command {
        Some("run") => Ok(Command::Run { quiet }),
        Some(_) if quiet => Err("--quiet goes with run".to_owned()),
        Some(_) => Ok(Command::Probe),
        None => Err("no command given".to_owned()),
    }
}

/// Prints `line` on stdout; a closed stdout is not worth a panic.
fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn run(quiet: bool) -> ExitCode {
    let mut text = String::new();
    let result = match std::io::stdin().read_to_string(&mut text) {
        Err(e) => JobResult::failure(
            "",
            Status::Failed,
            format!("cannot read the job on stdin: {e}"),
        ),
        Ok(_) => {
            let mut progress = |line: &str| {
                if !quiet {
                    eprintln!("edgebench-agent: {line}");
                }
            };
            catch_unwind(AssertUnwindSafe(|| agent::run(&text, &mut progress))).unwrap_or_else(
                |panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown".to_owned());
                    JobResult::failure("", Status::Failed, format!("internal error: {what}"))
                },
            )
        }
    };
    print_line(&result.to_json());
    if result.status == Status::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the agent's command line on `args` (without the program name) and
/// returns the exit code: 0 ok, 1 a failed result, 2 a usage error.
pub fn main(args: &[String]) -> ExitCode {
    match parse(args) {
        Ok(Command::Run { quiet }) => run(quiet),
        Ok(Command::Probe) => {
            print_line(&agent::probe().to_string());
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            print_line(&agent::version_line());
            ExitCode::SUCCESS
        }
        Ok(Command::Help) => {
            print_line(USAGE);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("edgebench-agent: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn commands_and_options() {
        assert_eq!(p(&["run"]), Ok(Command::Run { quiet: false }));
        assert_eq!(p(&["run", "-q"]), Ok(Command::Run { quiet: true }));
        assert_eq!(p(&["--quiet", "run"]), Ok(Command::Run { quiet: true }));
        assert_eq!(p(&["probe"]), Ok(Command::Probe));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["probe", "-h"]), Ok(Command::Help));
        assert!(p(&[]).unwrap_err().contains("no command"));
        assert!(p(&["run", "probe"]).unwrap_err().contains("one command"));
        assert!(p(&["walk"]).unwrap_err().contains("'walk'"));
        assert!(p(&["run", "--fast"]).unwrap_err().contains("'--fast'"));
        assert!(p(&["probe", "-q"]).is_err());
    }
}
