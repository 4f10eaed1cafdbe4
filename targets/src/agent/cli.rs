//! The agent's command line: `run`, `accuracy`, `probe`, `store`,
//! `--version`, shared
//! by the `edgebench-agent` binary and the controller, which runs the same
//! code as a child process of itself for the local device.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::run_cli::{self, RunOptions};
use super::store_cli::{self, StoreCommand};
use crate::agent;

const USAGE: &str = "\
Usage: edgebench-agent <COMMAND> [OPTIONS]

Commands:
  run      Read one job (JSON, one line) on stdin, measure it, write one
           result (JSON line) on stdout; progress goes to stderr. Exit code 0
           when the result's status is ok, 1 otherwise (the result says why),
           3 when --stop-on-eof saw stdin close first.
  accuracy Read one accuracy job (JSON, one line) on stdin: score the
           recipe file under test, run by the job's runtime, against the
           reference recipe's file run by the kernel over the evaluation
           text; write the report (JSON line) on stdout, or
           {\"error\": \"...\"} and exit code 1.
  probe    Print the device facts, the meters that work, counter
           availability, the memory available, the kernels' instruction
           set and the runtimes built in as JSON.
  store    Manage a directory of files named by their SHA-256 (below).

Options of run:
  -q, --quiet              No progress on stderr.
      --stop-on-eof        After the job line, keep reading stdin; when it
                           closes (the controller is gone), exit at once with
                           code 3. Bytes after the job line are ignored.
      --lock PATH          Before touching the model, take an exclusive lock
                           on PATH (created with mode 0644 when missing), held
                           until exit.
      --lock-wait SECONDS  How long to wait for the lock [default: 600]; the
                           result's status is busy when it is not taken.

Options of accuracy:
  -q, --quiet              No progress on stderr.

Options of probe:
      --dir DIR            Also report the free and total bytes of DIR's
                           filesystem as \"storage\".

Store commands: SHA is 64 lower-case hex digits. Each prints one JSON line;
a failure prints {\"error\": \"...\"} and exits with code 1.
  store verify DIR SHA...
      Sort objects into present, missing and corrupt (corrupt ones are
      deleted). Creates DIR/.tmp for uploads.
  store commit DIR TMP SHA [--executable]
      Hash the upload TMP (in DIR/.tmp); if it hashes to SHA, move it to
      DIR/SHA with mode 0755 (--executable) or 0644: {\"committed\", \"bytes\"}.
  store list DIR
      Objects with bytes and last use; uploads in DIR/.tmp with their age.
  store clean DIR --keep-days N [--keep SHA]... [--dry-run]
      Remove objects not used for N days, except --keep ones, and uploads
      older than an hour.

Options:
  -V, --version  Print the version and the git revision it was built from.
  -h, --help     Print this help.

Exit codes: 2 for a usage error.

Examples:
  edgebench-agent run < job.json > result.json
  edgebench-agent run --stop-on-eof --lock /tmp/edgebench-device.lock --lock-wait 60
  edgebench-agent store verify ~/.cache/edgebench/objects 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run(RunOptions),
    Accuracy { quiet: bool },
    Probe { dir: Option<PathBuf> },
    Store(StoreCommand),
    Version,
    Help,
}

/// Parses the arguments after the program name: the command is the first
/// argument that is not an option; options given before it count too.
fn parse(args: &[String]) -> Result<Command, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    if args.iter().any(|a| a == "-V" || a == "--version") {
        return Ok(Command::Version);
    }
    let Some(at) = args.iter().position(|a| !a.starts_with('-')) else {
        return match args.first() {
            Some(option) => Err(format!("no command given before '{option}'")),
            None => Err("no command given".to_owned()),
        };
    };
    let rest: Vec<&str> = args[..at]
        .iter()
        .chain(&args[at + 1..])
        .map(String::as_str)
        .collect();
    match args[at].as_str() {
        "run" => run_cli::parse(&rest).map(Command::Run),
        "accuracy" => match rest.as_slice() {
            [] => Ok(Command::Accuracy { quiet: false }),
            ["-q" | "--quiet"] => Ok(Command::Accuracy { quiet: true }),
            [first, ..] => Err(unexpected("accuracy", first)),
        },
        "probe" => parse_probe(&rest),
        "store" if at > 0 => Err(format!("'{}' goes after the store command", args[0])),
        "store" => store_cli::parse(&rest).map(Command::Store),
        other => Err(format!("unknown command '{other}'")),
    }
}

/// The error for an argument `command` does not take.
pub(super) fn unexpected(command: &str, arg: &str) -> String {
    match arg {
        "run" | "accuracy" | "probe" | "store" => "give one command".to_owned(),
        a if a.starts_with('-') => format!("unknown option '{a}' for {command}"),
        a => format!("unexpected argument '{a}' for {command}"),
    }
}

fn parse_probe(args: &[&str]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Probe { dir: None }),
        ["--dir", dir] => Ok(Command::Probe {
            dir: Some(PathBuf::from(dir)),
        }),
        ["--dir"] => Err("--dir needs a value".to_owned()),
        ["-q" | "--quiet", ..] => Err("--quiet goes with run".to_owned()),
        [first, ..] if *first != "--dir" => Err(unexpected("probe", first)),
        [_, _, extra, ..] => Err(unexpected("probe", extra)),
        _ => Err("give probe at most one --dir".to_owned()),
    }
}

/// Prints `line` on stdout; a closed stdout is not worth a panic.
pub(super) fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs the agent's command line on `args` (without the program name) and
/// returns the exit code: 0 ok, 1 a failed result or store error, 2 a
/// usage error (`run --stop-on-eof` exits with 3 when stdin closes early).
pub fn main(args: &[String]) -> ExitCode {
    match parse(args) {
        Ok(Command::Run(options)) => run_cli::run(&options),
        Ok(Command::Accuracy { quiet }) => accuracy(quiet),
        Ok(Command::Probe { dir }) => {
            print_line(&agent::probe(dir.as_deref()).to_string());
            ExitCode::SUCCESS
        }
        Ok(Command::Store(command)) => {
            let (line, code) = store_cli::run(&command);
            print_line(&line);
            code
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

/// `accuracy`: one job on stdin, one report (or error) on stdout.
fn accuracy(quiet: bool) -> ExitCode {
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("edgebench-agent: {line}");
        }
    };
    let report = agent::read_job_line(&mut std::io::stdin().lock(), agent::JOB_LINE_LIMIT)
        .map_err(|e| agent::error_chain(&e))
        .and_then(|line| {
            edgebench_schema::AccuracyJob::from_json(&line)
                .map_err(|e| agent::error_chain(&agent::AgentError::Job(e)))
        })
        .and_then(|job| {
            agent::score_accuracy(&job, agent::FileCheck::Hash, &mut progress)
                .map_err(|e| agent::error_chain(&e))
        });
    match report {
        Ok(r) => {
            print_line(&serde_json::to_string(&r).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_line(&serde_json::json!({ "error": e }).to_string());
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    fn run_with(f: impl FnOnce(&mut RunOptions)) -> Result<Command, String> {
        let mut o = RunOptions::default();
        f(&mut o);
        Ok(Command::Run(o))
    }

    #[test]
    fn commands_and_options() {
        assert_eq!(p(&["run"]), run_with(|_| {}));
        assert_eq!(p(&["run", "-q"]), run_with(|o| o.quiet = true));
        assert_eq!(p(&["--quiet", "run"]), run_with(|o| o.quiet = true));
        assert_eq!(p(&["probe"]), Ok(Command::Probe { dir: None }));
        assert_eq!(p(&["accuracy"]), Ok(Command::Accuracy { quiet: false }));
        assert_eq!(
            p(&["accuracy", "-q"]),
            Ok(Command::Accuracy { quiet: true })
        );
        assert!(p(&["accuracy", "x"]).unwrap_err().contains("'x'"));
        assert_eq!(
            p(&["probe", "--dir", "/data"]),
            Ok(Command::Probe {
                dir: Some("/data".into())
            })
        );
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(p(&["probe", "-h"]), Ok(Command::Help));
        assert!(matches!(
            p(&["store", "list", "/s"]),
            Ok(Command::Store(StoreCommand::List { .. }))
        ));
        assert!(p(&[]).unwrap_err().contains("no command"));
        assert!(p(&["-q"]).unwrap_err().contains("no command"));
        assert!(p(&["run", "probe"]).unwrap_err().contains("one command"));
        assert!(p(&["walk"]).unwrap_err().contains("'walk'"));
        assert!(p(&["run", "--fast"]).unwrap_err().contains("'--fast'"));
        assert!(p(&["run", "job.json"]).unwrap_err().contains("'job.json'"));
        assert!(p(&["probe", "-q"]).is_err());
        assert!(
            p(&["probe", "--dir"])
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            p(&["probe", "--dir", "/a", "x"])
                .unwrap_err()
                .contains("'x'")
        );
        assert!(p(&["probe", "x"]).unwrap_err().contains("'x'"));
        assert!(
            p(&["-q", "store", "list", "/s"])
                .unwrap_err()
                .contains("after the store command")
        );
    }

    #[test]
    fn help_names_every_command_and_option() {
        for word in [
            "run",
            "accuracy",
            "probe",
            "store verify",
            "store commit",
            "store list",
            "store clean",
            "--stop-on-eof",
            "--lock PATH",
            "--lock-wait SECONDS",
            "--dir DIR",
            "--keep-days N",
            "--executable",
            "--dry-run",
        ] {
            assert!(USAGE.contains(word), "{word}");
        }
    }
}
