//! `edgebench run` and `edgebench devices` against a lab of real OpenSSH
//! servers on 127.0.0.N, each with its own host key: deployment into the
//! devices' caches (a second run sends nothing), devices in parallel,
//! faults (a killed and a hung device) and `--resume`, host-key policy,
//! hostile names, a jump host in network namespaces, an aarch64 device
//! under qemu, and 64 devices at once.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod ssh_support;
use ssh_support::{FakeDevice, Lab, NetnsLab, run_bounded};

const TINY_MODEL: &str = r#"
[[models]]
name = "tiny"
synthetic = { preset = "tiny", seed = 3 }
"#;

/// A `[[device]]` entry for `device`, reached through the lab's
/// `ssh_config` under the alias `name`.
fn device_entry(lab: &Lab, name: &str, device: &FakeDevice, extra: &str) -> String {
    lab.add_host(name, device);
    format!(
        r#"
[[device]]
name = "{name}"
host = "{name}"
ssh_config = "{config}"
workdir = "{work}"
lock_file = "{lock}"
connect_timeout_seconds = 2
keepalive_seconds = 1
{extra}
"#,
        config = lab.ssh_config().display(),
        work = device.workdir().display(),
        lock = device.dir().join("device.lock").display(),
    )
}

/// A matrix over the named devices with `recipes` and `threads`.
fn matrix(devices: &[&str], entries: &str, recipes: &str, threads: &str, models: &str) -> String {
    let names: Vec<String> = devices.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        r#"name = "lab"
devices = [{names}]
recipes = [{recipes}]
{models}
[workload]
threads = [{threads}]
prompt_tokens = 8
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 1
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"
timeout_seconds = 120
{entries}"#,
        names = names.join(", ")
    )
}

/// A directory holding `matrix.toml`, the runs and the controller's cache.
fn workspace(lab: &Lab, text: &str) -> PathBuf {
    let dir = lab.dir().join("controller");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("matrix.toml"), text).unwrap();
    dir
}

fn edgebench(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgebench"));
    c.current_dir(dir)
        .args(args)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null());
    c
}

fn output(mut c: Command, limit: Duration) -> Output {
    let f = run_bounded(&mut c, limit);
    assert!(!f.timed_out, "timed out after {limit:?}:\n{}", f.text());
    Output {
        status: f.status,
        stdout: f.stdout.into(),
        stderr: f.stderr.into(),
    }
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn runs(dir: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    runs.retain(|p| p.join("results.jsonl").exists());
    runs.sort();
    runs
}

/// The latest result of every cell of a run, by cell id.
fn results(run: &Path) -> Vec<serde_json::Value> {
    let mut by_cell: Vec<(String, serde_json::Value)> = Vec::new();
    for line in std::fs::read_to_string(run.join("results.jsonl"))
        .unwrap()
        .lines()
    {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["cell_id"].as_str().unwrap().to_owned();
        by_cell.retain(|(c, _)| *c != id);
        by_cell.push((id, v));
    }
    by_cell.into_iter().map(|(_, v)| v).collect()
}

fn device_of(v: &serde_json::Value) -> &str {
    v["cell"]["device"].as_str().unwrap_or_default()
}

/// Bytes the run's stderr says each device was sent.
fn bytes_sent(o: &Output, device: &str) -> u64 {
    let err = String::from_utf8_lossy(&o.stderr);
    let prefix = format!("{device}: deployed: ");
    let line = err
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no deployment line for {device}:\n{err}"));
    let n = line[prefix.len()..].split_whitespace().next().unwrap();
    n.parse().unwrap_or_else(|_| panic!("bytes in {line:?}"))
}

#[test]
fn three_devices_in_parallel_and_a_second_run_sends_nothing() {
    let lab = Lab::new();
    let devices: Vec<FakeDevice> = (0..3)
        .map(|i| lab.device(&format!("d{i}"), Ipv4Addr::new(127, 0, 0, 21 + i)))
        .collect();
    let mut entries = String::new();
    for (i, d) in devices.iter().enumerate() {
        lab.trust(d);
        entries += &device_entry(&lab, &format!("d{i}"), d, "");
    }
    let text_m = matrix(
        &["d0", "d1", "d2"],
        &entries,
        r#""f32", "q8_0""#,
        "1",
        TINY_MODEL,
    );
    let dir = workspace(&lab, &text_m);
    let first = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(first.status.success(), "{}", text(&first));
    let run = runs(&dir).pop().unwrap();
    let all = results(&run);
    assert_eq!(all.len(), 6, "{}", text(&first));
    for r in &all {
        assert_eq!(r["status"], "ok", "{r}");
        let path = r["model"]["path"].as_str().unwrap();
        let sha = r["model"]["sha256"].as_str().unwrap();
        assert!(
            path.ends_with(sha),
            "the device ran its cached copy: {path}"
        );
        let timing = &r["timing"];
        assert!(timing["controller_s"].as_f64().unwrap() >= timing["agent_s"].as_f64().unwrap());
    }
    for (i, d) in devices.iter().enumerate() {
        let name = format!("d{i}");
        assert!(bytes_sent(&first, &name) > 0, "{}", text(&first));
        let files = std::fs::read_dir(d.workdir()).unwrap().count();
        assert!(
            files >= 3,
            "agent and two recipe files in {}",
            d.workdir().display()
        );
    }
    let second = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(second.status.success(), "{}", text(&second));
    for i in 0..3 {
        assert_eq!(
            bytes_sent(&second, &format!("d{i}")),
            0,
            "{}",
            text(&second)
        );
    }
    let run = runs(&dir).pop().unwrap();
    assert!(results(&run).iter().all(|r| r["status"] == "ok"));
}
