//! `edgebench devices clean MATRIX|INVENTORY --keep-days N`: bounds the
//! cache on each device — objects (agents, recipe files) unused for N days
//! and abandoned partial uploads are removed; the current agent stays.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::matrix::Connection;
use crate::ssh::exec;
use crate::target::Quiet;
use crate::target::device_cache::{human, parse_line};
use crate::target::ssh::{AgentBinaries, SshTarget, TrustPolicy};

/// Arguments of `devices clean`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  edgebench devices clean matrices/lab-inventory.toml --keep-days 30 --dry-run
  edgebench devices clean matrices/lab-nightly.toml --keep-days 7")]
pub struct CleanDevicesArgs {
    /// A matrix (its selected devices) or an inventory file (all its devices).
    #[arg(value_name = "MATRIX|INVENTORY")]
    pub file: PathBuf,
    /// Keep what was used in the last N days.
    #[arg(long, value_name = "N")]
    pub keep_days: u32,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// The agent's answer to `store clean`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cleaned {
    /// Bytes freed (or that would be).
    #[serde(default)]
    pub freed_bytes: u64,
    /// Bytes kept.
    #[serde(default)]
    pub kept_bytes: u64,
    /// Objects removed.
    #[serde(default)]
    pub removed: Vec<serde_json::Value>,
}

/// One device's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceCleaned {
    /// The device.
    pub device: String,
    /// What was removed, when it could be cleaned.
    pub cleaned: Option<Cleaned>,
    /// Why not.
    pub error: Option<String>,
}

/// Cleans every SSH device's cache; exit code 1 when one could not be.
///
/// # Errors
/// When the file cannot be read or has errors.
pub fn run(args: &CleanDevicesArgs) -> anyhow::Result<ExitCode> {
    let devices = super::devices_check::load(&args.file)?;
    let agents = Arc::new(AgentBinaries::default());
    let mut outcomes: Vec<DeviceCleaned> = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .filter_map(|d| match &d.connection {
                Connection::Ssh(s) => Some((d, s)),
                Connection::Local => None,
            })
            .map(|(device, settings)| {
                let agents = Arc::clone(&agents);
                scope.spawn(move || {
                    let stop = Arc::new(AtomicBool::new(false));
                    let mut target =
                        SshTarget::new(device, settings, TrustPolicy::default(), agents, stop);
                    let result = clean(&mut target, &settings.workdir, args);
                    DeviceCleaned {
                        device: device.name.clone(),
                        error: result.as_ref().err().cloned(),
                        cleaned: result.ok(),
                    }
                })
            })
            .collect();
        for h in handles {
            if let Ok(o) = h.join() {
                outcomes.push(o);
            }
        }
    });
    let failed = outcomes.iter().any(|o| o.error.is_some());
    super::print_report(args.json, &outcomes, |out| {
        for o in &outcomes {
            match (&o.cleaned, &o.error) {
                (Some(c), _) => writeln!(
                    out,
                    "{:<14} {} {} in {} objects, {} kept",
                    o.device,
                    if args.dry_run { "would free" } else { "freed" },
                    human(c.freed_bytes),
                    c.removed.len(),
                    human(c.kept_bytes)
                )?,
                (None, Some(e)) => writeln!(out, "{:<14} NOT CLEANED  {e}", o.device)?,
                (None, None) => {}
            }
        }
        Ok(())
    })?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn clean(
    target: &mut SshTarget,
    workdir: &str,
    args: &CleanDevicesArgs,
) -> Result<Cleaned, String> {
    let (agent, _) = target.ensure_agent(&Quiet).map_err(|e| e.message)?;
    let agent_sha = agent.rsplit('/').next().unwrap_or_default().to_owned();
    let mut words = vec![
        "store".to_owned(),
        "clean".to_owned(),
        workdir.strip_prefix("~/").unwrap_or(workdir).to_owned(),
        "--keep-days".to_owned(),
        args.keep_days.to_string(),
        "--keep".to_owned(),
        agent_sha,
    ];
    if args.dry_run {
        words.push("--dry-run".to_owned());
    }
    let command = target
        .agent_command(&agent, &words)
        .map_err(|e| e.message)?;
    let session = target.connect().map_err(|e| e.message)?;
    let out = exec::run_checked(session, &command, Duration::from_secs(300))
        .map_err(|e| e.to_string())?;
    parse_line(&out.stdout, "edgebench-agent store clean").map_err(|e| e.to_string())
}
