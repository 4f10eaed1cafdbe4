//! `edgebench runs artifacts list|prune`: the artifact store of a runs
//! directory (every agent binary and recipe file a run measured, by
//! SHA-256, so a later `--baseline` can run them again), with sizes, and
//! removing what no baseline can need any more.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::models_inspect::human_bytes;
use super::store_args::StoreArgs;
use crate::artifacts::{Artifact, ArtifactStore};
use crate::store::{LATEST, Store, UtcTime};

/// Arguments of `runs artifacts`.
#[derive(Debug, Args)]
#[command(after_help = "\
Every run keeps the agent binaries and recipe files it measured in
RUNS_DIR/artifacts, named by SHA-256, so that `edgebench run --baseline`
can measure a baseline's very bytes again. A file's last use is refreshed
whenever a run keeps or compares it.

`prune` never removes what a possible baseline needs: the artifacts of
every tagged run and of the newest finished run of each matrix (what
`--baseline latest` picks). Everything else not used in the last N days
goes.

Examples:
  edgebench runs artifacts list
  edgebench runs artifacts prune --keep-days 30 --dry-run
  edgebench runs artifacts prune --keep-days 0 --json")]
pub struct ArtifactsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ArtifactsAction,
    /// Print one JSON object instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `runs artifacts …`
#[derive(Debug, Subcommand)]
pub enum ArtifactsAction {
    /// List every kept file: SHA-256, size, last use, and the baselines
    /// that need it.
    List {
        /// Where the runs are stored.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove the files not used in the last N days that no tagged run and
    /// no matrix's newest finished run needs.
    Prune {
        /// Keep files used in the last N days (0: only what baselines
        /// need stays).
        #[arg(long, value_name = "N")]
        keep_days: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where the runs are stored.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// One kept file, as listed.
#[derive(Debug, Serialize)]
struct Entry {
    sha256: String,
    bytes: u64,
    last_used: String,
    /// The baselines that need it: tags and `latest of <matrix>`.
    needed_by: Vec<String>,
}

/// `runs artifacts list --json`.
#[derive(Debug, Serialize)]
struct Listing {
    dir: String,
    entries: Vec<Entry>,
    total_bytes: u64,
}

/// `runs artifacts prune --json`.
#[derive(Debug, Serialize)]
struct Pruning {
    dir: String,
    dry_run: bool,
    keep_days: u32,
    removed: Vec<Entry>,
    freed_bytes: u64,
    kept_bytes: u64,
}

/// Runs `runs artifacts`.
pub fn run(args: &ArtifactsArgs) -> anyhow::Result<()> {
    let (ArtifactsAction::List { store } | ArtifactsAction::Prune { store, .. }) = &args.action;
    let artifacts = ArtifactStore::in_runs_dir(&store.runs_dir);
    let needed = match store.open_existing()? {
        Some(db) => needed_by(&db, &store.runs_dir)?,
        None => BTreeMap::new(),
    };
    let entry = |a: &Artifact| Entry {
        sha256: a.sha256.clone(),
        bytes: a.bytes,
        last_used: UtcTime::from_system(a.last_used).rfc3339(),
        needed_by: needed.get(&a.sha256).cloned().unwrap_or_default(),
    };
    let dir = artifacts.dir().display().to_string();
    match &args.action {
        ArtifactsAction::List { .. } => {
            let mut list = artifacts.list()?;
            list.sort_by_key(|a| a.last_used);
            let listing = Listing {
                dir,
                total_bytes: list.iter().map(|a| a.bytes).sum(),
                entries: list.iter().map(entry).collect(),
            };
            super::print_report(args.json, &listing, |out| {
                write_table(out, &listing.entries)?;
                writeln!(
                    out,
                    "{} files, {} in {}",
                    listing.entries.len(),
                    human_bytes(listing.total_bytes),
                    listing.dir
                )
            })
        }
        ArtifactsAction::Prune {
            keep_days, dry_run, ..
        } => {
            let keep = Duration::from_secs(u64::from(*keep_days) * 86_400);
            let protect: HashSet<String> = needed.keys().cloned().collect();
            let pruned = artifacts.prune(keep, &protect, *dry_run)?;
            let report = Pruning {
                dir,
                dry_run: *dry_run,
                keep_days: *keep_days,
                freed_bytes: pruned.removed.iter().map(|a| a.bytes).sum(),
                kept_bytes: pruned.kept_bytes,
                removed: pruned.removed.iter().map(entry).collect(),
            };
            super::print_report(args.json, &report, |out| {
                write_table(out, &report.removed)?;
                writeln!(
                    out,
                    "{} {} files ({}) not used in the last {keep_days} days and needed by no \
                     baseline; kept {}",
                    if *dry_run { "would remove" } else { "removed" },
                    report.removed.len(),
                    human_bytes(report.freed_bytes),
                    human_bytes(report.kept_bytes)
                )
            })
        }
    }
}

/// The artifacts a baseline may need, with who needs them: those of every
/// tagged run and of the newest finished run of each matrix.
fn needed_by(store: &Store, runs_dir: &Path) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut baselines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for tag in store.tags()? {
        baselines
            .entry(tag.run_id)
            .or_default()
            .push(format!("tag {}", tag.name));
    }
    let mut matrices: Vec<String> = store
        .run_summaries(None, None)?
        .into_iter()
        .map(|r| r.matrix_name)
        .collect();
    matrices.sort();
    matrices.dedup();
    for m in matrices {
        // A matrix whose runs never finished has no `latest`.
        if let Ok(row) = store.resolve_run(LATEST, Some(&m)) {
            baselines
                .entry(row.id)
                .or_default()
                .push(format!("latest of {m}"));
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (run_id, names) in baselines {
        let results = store.run_results(&run_id).with_context(|| {
            format!(
                "cannot read the results of run {run_id} in {}",
                runs_dir.display()
            )
        })?;
        for r in results {
            let hashes = [
                r.agent.binary_sha256.clone(),
                r.model.as_ref().map(|m| m.sha256.clone()),
            ];
            for sha in hashes.into_iter().flatten() {
                let list = out.entry(sha).or_default();
                for n in &names {
                    if !list.contains(n) {
                        list.push(n.clone());
                    }
                }
            }
        }
    }
    Ok(out)
}

fn write_table(out: &mut dyn std::io::Write, entries: &[Entry]) -> std::io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<16} {:>10}  {:<24} needed by",
        "sha256", "size", "last used"
    )?;
    for e in entries {
        writeln!(
            out,
            "{:<16} {:>10}  {:<24} {}",
            &e.sha256[..e.sha256.len().min(16)],
            human_bytes(e.bytes),
            e.last_used,
            if e.needed_by.is_empty() {
                "-".to_owned()
            } else {
                e.needed_by.join(", ")
            }
        )?;
    }
    Ok(())
}
