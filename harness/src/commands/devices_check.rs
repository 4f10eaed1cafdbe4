//! `edgebench devices check MATRIX|INVENTORY`: one line per device —
//! reachable, logged in, host key trusted, target triple, free memory and
//! disk, the meter the agent would use, whether the agent was already
//! deployed. Exit code 0 only when every device is usable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::matrix::{self, Connection, Device};
use crate::ssh::exec;
use crate::target::device_cache::{human, parse_line};
use crate::target::ssh::{AgentBinaries, SshTarget, TrustPolicy};
use crate::target::{DeployProgress, Quiet};

/// Arguments of `devices check`.
#[derive(Debug, Args)]
#[command(after_help = "\
Connects to every device (in parallel), checks its host key against
known_hosts, logs in, deploys the agent when it is not there yet (a few MB,
kept in the device's cache) and asks it what the device offers.

Examples:
  edgebench devices check matrices/lab-inventory.toml
  edgebench devices check matrices/lab-nightly.toml --json")]
pub struct CheckDevicesArgs {
    /// A matrix (its selected devices) or an inventory file (all its devices).
    #[arg(value_name = "MATRIX|INVENTORY")]
    pub file: PathBuf,
    /// Add an unknown host key to known_hosts (a changed one is refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// What one device offers, or why it cannot be used.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceCheck {
    /// The device.
    pub device: String,
    /// Whether cells can run on it.
    pub usable: bool,
    /// Why not, when not.
    pub error: Option<String>,
    /// Its target triple.
    pub target: Option<String>,
    /// The agent binary used and whether it had to be sent now.
    pub agent: Option<String>,
    /// Whether the agent was in the device's cache already.
    pub agent_was_deployed: Option<bool>,
    /// Bytes sent to deploy the agent.
    pub bytes_sent: u64,
    /// The kernels' instruction set.
    pub isa: Option<String>,
    /// The meter the agent would choose.
    pub meter: Option<String>,
    /// Available memory.
    pub memory_available_bytes: Option<u64>,
    /// Free disk in the device's cache directory.
    pub disk_free_bytes: Option<u64>,
    /// Seconds the check took.
    pub seconds: f64,
}

/// Checks every device; exit code 0 when all are usable, 1 otherwise.
///
/// # Errors
/// When the file cannot be read or has errors.
pub fn run(args: &CheckDevicesArgs) -> anyhow::Result<ExitCode> {
    let devices = load(&args.file)?;
    let start = Instant::now();
    let policy = TrustPolicy {
        accept_new_host_keys: args.accept_new_host_keys,
    };
    let checks = check_all(&devices, policy);
    let all_usable = checks.iter().all(|c| c.usable);
    super::print_report(args.json, &checks, |out| {
        for c in &checks {
            writeln!(out, "{}", line(c))?;
        }
        writeln!(
            out,
            "{} of {} devices usable ({:.1} s)",
            checks.iter().filter(|c| c.usable).count(),
            checks.len(),
            start.elapsed().as_secs_f64()
        )
    })?;
    Ok(if all_usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The devices of a matrix or an inventory, or the file's errors.
///
/// # Errors
/// The diagnostics, rendered.
pub fn load(file: &std::path::Path) -> anyhow::Result<Vec<Device>> {
    matrix::load_devices(file)
        .map_err(|d| anyhow::anyhow!("{}\nin {}", d.render().trim_end(), file.display()))
}

/// Checks `devices` in parallel (at most 32 at a time).
pub fn check_all(devices: &[Device], policy: TrustPolicy) -> Vec<DeviceCheck> {
    let agents = Arc::new(AgentBinaries::default());
    let mut out: Vec<Option<DeviceCheck>> = vec![None; devices.len()];
    for (chunk_devices, chunk_out) in devices.chunks(32).zip(out.chunks_mut(32)) {
        std::thread::scope(|scope| {
            for (device, slot) in chunk_devices.iter().zip(chunk_out.iter_mut()) {
                let agents = Arc::clone(&agents);
                scope.spawn(move || *slot = Some(check_one(device, policy, agents)));
            }
        });
    }
    out.into_iter().flatten().collect()
}

fn check_one(device: &Device, policy: TrustPolicy, agents: Arc<AgentBinaries>) -> DeviceCheck {
    let start = Instant::now();
    let mut check = DeviceCheck {
        device: device.name.clone(),
        usable: false,
        error: None,
        target: device.target.clone(),
        agent: None,
        agent_was_deployed: None,
        bytes_sent: 0,
        isa: None,
        meter: None,
        memory_available_bytes: None,
        disk_free_bytes: None,
        seconds: 0.0,
    };
    let probe = match &device.connection {
        Connection::Local => local_probe(&mut check),
        Connection::Ssh(settings) => {
            let stop = Arc::new(AtomicBool::new(false));
            let mut target = SshTarget::new(device, settings, policy, agents, stop);
            ssh_probe(&mut target, &settings.workdir, &mut check, &Quiet)
        }
    };
    match probe {
        Ok(p) => {
            check.usable = true;
            check.isa = p["kernels"]["isa"].as_str().map(str::to_owned);
            check.meter = p["meters"]["chosen"].as_str().map(str::to_owned);
            check.memory_available_bytes = p["memory_available_bytes"].as_u64();
            check.disk_free_bytes = p["storage"]["free_bytes"].as_u64();
            if check.target.is_none() {
                check.target = p["agent"]["target"].as_str().map(str::to_owned);
            }
        }
        Err(e) => check.error = Some(e),
    }
    check.seconds = start.elapsed().as_secs_f64();
    check
}

fn local_probe(check: &mut DeviceCheck) -> Result<serde_json::Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    check.agent = Some(format!("{} (this controller)", exe.display()));
    check.agent_was_deployed = Some(true);
    let out = std::process::Command::new(&exe)
        .args(["agent", "probe"])
        .output()
        .map_err(|e| format!("cannot run the agent: {e}"))?;
    serde_json::from_slice(&out.stdout).map_err(|e| format!("the agent's probe: {e}"))
}

fn ssh_probe(
    target: &mut SshTarget,
    workdir: &str,
    check: &mut DeviceCheck,
    progress: &dyn DeployProgress,
) -> Result<serde_json::Value, String> {
    target.connect().map_err(|e| e.message)?;
    check.target = Some(target.triple().map_err(|e| e.message)?);
    let (agent, sent) = target.ensure_agent(progress).map_err(|e| e.message)?;
    check.bytes_sent = sent;
    check.agent_was_deployed = Some(sent == 0);
    check.agent = target.agent_binary().ok().map(|a| a.how);
    let command = target
        .agent_command(
            &agent,
            &["probe".to_owned(), "--dir".to_owned(), workdir.to_owned()],
        )
        .map_err(|e| e.message)?;
    let session = target.connect().map_err(|e| e.message)?;
    let out =
        exec::run_checked(session, &command, Duration::from_secs(60)).map_err(|e| e.to_string())?;
    parse_line(&out.stdout, "edgebench-agent probe").map_err(|e| e.to_string())
}

fn line(c: &DeviceCheck) -> String {
    let name = format!("{:<14}", c.device);
    if let Some(e) = &c.error {
        return format!("{name} NOT USABLE  {e}");
    }
    let mut parts = vec![
        "ok".to_owned(),
        c.target.clone().unwrap_or_else(|| "?".into()),
    ];
    if let Some(isa) = &c.isa {
        parts.push(format!("isa {isa}"));
    }
    if let Some(m) = &c.meter {
        parts.push(format!("meter {m}"));
    }
    if let Some(m) = c.memory_available_bytes {
        parts.push(format!("memory free {}", gib(m)));
    }
    if let Some(d) = c.disk_free_bytes {
        parts.push(format!("disk free {}", gib(d)));
    }
    parts.push(match c.agent_was_deployed {
        Some(true) => "agent already deployed".to_owned(),
        Some(false) => format!("agent deployed now ({} sent)", human(c.bytes_sent)),
        None => "agent unknown".to_owned(),
    });
    format!("{name} {}  ({:.1} s)", parts.join("  "), c.seconds)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}
