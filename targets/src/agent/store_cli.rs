//! `edgebench-agent store …`: the object store's commands as the
//! controller runs them over SSH, each answering with one JSON line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use serde::Serialize;

use super::error_chain;
use crate::store::{self, CleanOptions, ObjectId, ObjectStore, StoreError};

/// A store command as given; names are checked when it runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StoreCommand {
    /// `store verify DIR SHA...`
    Verify { dir: PathBuf, ids: Vec<String> },
    /// `store commit DIR TMP SHA [--executable]`
    Commit {
        dir: PathBuf,
        tmp: PathBuf,
        id: String,
        executable: bool,
    },
    /// `store list DIR`
    List { dir: PathBuf },
    /// `store clean DIR --keep-days N [--keep SHA]... [--dry-run]`
    Clean {
        dir: PathBuf,
        keep_days: u64,
        keep: Vec<String>,
        dry_run: bool,
    },
}

/// Options and positional arguments of one store command.
#[derive(Default)]
struct Args {
    positional: Vec<String>,
    executable: bool,
    dry_run: bool,
    keep_days: Option<u64>,
    keep: Vec<String>,
}

/// Parses the arguments after `store`.
pub(super) fn parse(args: &[&str]) -> Result<StoreCommand, String> {
    let Some((&sub, rest)) = args.split_first() else {
        return Err("store needs a command: verify, commit, list or clean".to_owned());
    };
    let a = split(sub, rest)?;
    let only = |allowed: &[&str]| -> Result<(), String> {
        let given = [
            ("--executable", a.executable),
            ("--dry-run", a.dry_run),
            ("--keep-days", a.keep_days.is_some()),
            ("--keep", !a.keep.is_empty()),
        ];
        match given.iter().find(|(o, on)| *on && !allowed.contains(o)) {
            Some((o, _)) => Err(format!("{o} does not go with store {sub}")),
            None => Ok(()),
        }
    };
    let count = |n: usize, shape: &str| {
        if a.positional.len() == n {
            Ok(())
        } else {
            Err(format!("usage: edgebench-agent store {sub} {shape}"))
        }
    };
    let mut p = a.positional.iter().cloned();
    let mut next = || p.next().unwrap_or_default();
    match sub {
        "verify" => {
            only(&[])?;
            if a.positional.is_empty() {
                return Err("usage: edgebench-agent store verify DIR SHA...".to_owned());
            }
            Ok(StoreCommand::Verify {
                dir: next().into(),
                ids: a.positional[1..].to_vec(),
            })
        }
        "commit" => {
            only(&["--executable"])?;
            count(3, "DIR TMP SHA [--executable]")?;
            Ok(StoreCommand::Commit {
                dir: next().into(),
                tmp: next().into(),
                id: next(),
                executable: a.executable,
            })
        }
        "list" => {
            only(&[])?;
            count(1, "DIR")?;
            Ok(StoreCommand::List { dir: next().into() })
        }
        "clean" => {
            only(&["--keep-days", "--keep", "--dry-run"])?;
            count(1, "DIR --keep-days N [--keep SHA]... [--dry-run]")?;
            let keep_days = a
                .keep_days
                .ok_or("store clean needs --keep-days N".to_owned())?;
            Ok(StoreCommand::Clean {
                dir: next().into(),
                keep_days,
                keep: a.keep.clone(),
                dry_run: a.dry_run,
            })
        }
        other => Err(format!("unknown store command '{other}'")),
    }
}

/// Sorts the arguments of `store SUB` into options and positionals.
fn split(sub: &str, rest: &[&str]) -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = rest.iter();
    while let Some(&arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(|v| (*v).to_owned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg {
            "--executable" => a.executable = true,
            "--dry-run" => a.dry_run = true,
            "--keep" => a.keep.push(value("--keep")?),
            "--keep-days" => {
                let v = value("--keep-days")?;
                let days = v
                    .parse()
                    .map_err(|_| format!("--keep-days takes a whole number of days, not '{v}'"))?;
                a.keep_days = Some(days);
            }
            other if other.starts_with('-') => {
                return Err(format!("unknown option '{other}' for store {sub}"));
            }
            other => a.positional.push(other.to_owned()),
        }
    }
    Ok(a)
}

/// One line of JSON.
fn json(value: &impl Serialize) -> String {
    // These types hold no maps with non-string keys and no non-finite
    // floats, so serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn ids(names: &[String]) -> Result<Vec<ObjectId>, StoreError> {
    names.iter().map(|n| ObjectId::parse(n)).collect()
}

fn execute(command: &StoreCommand) -> Result<String, StoreError> {
    let now = SystemTime::now();
    Ok(match command {
        StoreCommand::Verify { dir, ids: names } => {
            let ids = ids(names)?;
            json(&store::verify(&ObjectStore::open(dir)?, &ids)?)
        }
        StoreCommand::Commit {
            dir,
            tmp,
            id,
            executable,
        } => {
            let id = ObjectId::parse(id)?;
            json(&store::commit(
                &ObjectStore::open(dir)?,
                tmp,
                &id,
                *executable,
            )?)
        }
        StoreCommand::List { dir } => json(&store::list(&ObjectStore::open(dir)?, now)?),
        StoreCommand::Clean {
            dir,
            keep_days,
            keep,
            dry_run,
        } => {
            let options = CleanOptions {
                keep_days: *keep_days,
                keep: ids(keep)?,
                dry_run: *dry_run,
            };
            json(&store::clean(&ObjectStore::open(dir)?, &options, now)?)
        }
    })
}

/// Runs `command`: the JSON line to print and the exit code, 0 or 1 with
/// `{"error": "..."}`.
pub(super) fn run(command: &StoreCommand) -> (String, ExitCode) {
    match execute(command) {
        Ok(line) => (line, ExitCode::SUCCESS),
        Err(e) => (
            json(&serde_json::json!({ "error": error_chain(&e) })),
            ExitCode::FAILURE,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<StoreCommand, String> {
        parse(args)
    }

    #[test]
    fn store_commands_parse() {
        assert_eq!(
            p(&["verify", "/s", "a", "b"]),
            Ok(StoreCommand::Verify {
                dir: "/s".into(),
                ids: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(
            p(&["commit", "/s", "/s/.tmp/x", "a", "--executable"]),
            Ok(StoreCommand::Commit {
                dir: "/s".into(),
                tmp: "/s/.tmp/x".into(),
                id: "a".into(),
                executable: true
            })
        );
        assert_eq!(
            p(&["list", "/s"]),
            Ok(StoreCommand::List { dir: "/s".into() })
        );
        assert_eq!(
            p(&[
                "clean",
                "/s",
                "--keep-days",
                "30",
                "--keep",
                "a",
                "--keep",
                "b",
                "--dry-run"
            ]),
            Ok(StoreCommand::Clean {
                dir: "/s".into(),
                keep_days: 30,
                keep: vec!["a".into(), "b".into()],
                dry_run: true
            })
        );
    }

    #[test]
    fn store_usage_errors() {
        let err = |args: &[&str]| p(args).unwrap_err();
        assert!(err(&[]).contains("verify, commit, list or clean"));
        assert!(err(&["tidy"]).contains("'tidy'"));
        assert!(err(&["verify"]).contains("DIR SHA..."));
        assert!(err(&["commit", "/s", "t"]).contains("DIR TMP SHA"));
        assert!(err(&["list", "/s", "/t"]).contains("store list DIR"));
        assert!(err(&["list", "/s", "--dry-run"]).contains("--dry-run does not go"));
        assert!(err(&["clean", "/s"]).contains("needs --keep-days"));
        assert!(err(&["clean", "/s", "--keep-days"]).contains("needs a value"));
        assert!(err(&["clean", "/s", "--keep-days", "-1"]).contains("'-1'"));
        assert!(err(&["clean", "/s", "--keep-days", "1.5"]).contains("whole number"));
        assert!(err(&["list", "/s", "--fast"]).contains("'--fast'"));
    }

    #[test]
    fn bad_names_are_json_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let (line, code) = run(&StoreCommand::Verify {
            dir: d.clone(),
            ids: vec!["../../etc/passwd".into()],
        });
        assert_eq!(code, ExitCode::FAILURE);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("not a SHA-256"),
            "{line}"
        );
        let (line, code) = run(&StoreCommand::List { dir: d });
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(line, r#"{"objects":[],"partial":[]}"#);
    }
}
