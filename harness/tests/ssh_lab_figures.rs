//! The SSH lab's figures, measured by `edgebench` itself against real
//! OpenSSH servers on 127.0.0.N: controller overhead per cell with 1 and
//! with 16 devices in parallel, bytes uploaded on a first and a second run,
//! and `devices check` on 64 devices. Not a test: run it with
//! `cargo test --release -p edgebench --test ssh_lab_figures -- --ignored --nocapture`.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod ssh_support;
use ssh_support::{FakeDevice, Lab};

fn entry(lab: &Lab, d: &FakeDevice) -> String {
    lab.add_host(d.name(), d);
    format!(
        "\n[[device]]\nname = \"{n}\"\nhost = \"{n}\"\nssh_config = \"{c}\"\nworkdir = \"{w}\"\nlock_file = \"{l}\"\n",
        n = d.name(),
        c = lab.ssh_config().display(),
        w = d.workdir().display(),
        l = d.dir().join("device.lock").display()
    )
}

fn matrix(names: &[String], entries: &str) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        r#"name = "figures"
devices = [{}]
recipes = ["q8_0", "q4_0"]

[[models]]
name = "tiny"
synthetic = {{ preset = "tiny", seed = 5 }}

[workload]
threads = [1, 2]
prompt_tokens = [8, 16]
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 1
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"
{entries}"#,
        names.join(", ")
    )
}

fn edgebench(dir: &Path, args: &[&str]) -> (String, String, f64) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .current_dir(dir)
        .args(args)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{o}\n{e}");
    (o, e, took)
}

fn lab_run(lab: &Lab, devices: &[FakeDevice], tag: &str) {
    let mut entries = String::new();
    let mut names = Vec::new();
    for d in devices {
        lab.trust(d);
        entries += &entry(lab, d);
        names.push(d.name().to_owned());
    }
    let dir = lab.dir().join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("matrix.toml"), matrix(&names, &entries)).unwrap();
    for pass in ["first run", "second run"] {
        let (out, err, took) = edgebench(&dir, &["run", "matrix.toml"]);
        let sent: Vec<u64> = err
            .lines()
            .filter_map(|l| l.split_once(": deployed: "))
            .filter_map(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
            .collect();
        let overhead = out
            .lines()
            .find(|l| l.starts_with("controller overhead"))
            .unwrap_or("no overhead line");
        println!(
            "{tag}, {pass}: {took:.1} s; bytes sent per device: min {} max {}; {overhead}",
            sent.iter().min().unwrap_or(&0),
            sent.iter().max().unwrap_or(&0)
        );
    }
}

#[test]
#[ignore = "prints the SSH lab's figures; run with --ignored --nocapture"]
fn ssh_lab_figures() {
    let lab = Lab::new();
    let one = vec![lab.device("solo", Ipv4Addr::new(127, 0, 2, 1))];
    lab_run(&lab, &one, "1 device");
    let sixteen = lab.devices(16, Ipv4Addr::new(127, 0, 3, 1));
    lab_run(&lab, &sixteen, "16 devices");
    drop(sixteen);
    let lab = Lab::new();
    let many = lab.devices(64, Ipv4Addr::new(127, 0, 4, 1));
    let mut entries = String::new();
    for d in &many {
        lab.trust(d);
        entries += &entry(&lab, d);
    }
    let dir = lab.dir().join("check");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("inventory.toml"), entries).unwrap();
    for pass in ["agent not deployed", "agent deployed"] {
        let (out, _, took) = edgebench(&dir, &["devices", "check", "inventory.toml"]);
        println!(
            "devices check, 64 devices, {pass}: {took:.1} s ({})",
            out.lines().last().unwrap_or_default()
        );
    }
}
