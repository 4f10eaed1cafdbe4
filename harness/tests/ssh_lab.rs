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

/// The lab tests run one at a time: the fault test's timing and the
/// 64-device test's load must not meet.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

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
    let _serial = serial();
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
        // What the cell measured is kept by hash, to be measured again.
        let agent = r["agent"]["binary_sha256"]
            .as_str()
            .expect("the agent's hash");
        for kept in [agent, sha] {
            assert!(
                dir.join("runs/artifacts").join(kept).is_file(),
                "{kept} kept"
            );
        }
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

/// Waits until `run`'s results hold a result from each of `devices`.
fn wait_for_results(dir: &Path, devices: &[&str], limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(run) = runs(dir).pop() {
            let got = results(&run);
            if devices
                .iter()
                .all(|d| got.iter().any(|r| device_of(r) == *d))
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no results from {devices:?} within {limit:?}");
}

#[test]
fn a_killed_and_a_hung_device_become_unreachable_and_resume_finishes_them() {
    let _serial = serial();
    let lab = Lab::new();
    let mut devices: Vec<FakeDevice> = (0..3)
        .map(|i| lab.device(&format!("f{i}"), Ipv4Addr::new(127, 0, 0, 31 + i)))
        .collect();
    let mut entries = String::new();
    for (i, d) in devices.iter().enumerate() {
        lab.trust(d);
        entries += &device_entry(&lab, &format!("f{i}"), d, "");
    }
    let mut text_m = matrix(
        &["f0", "f1", "f2"],
        &entries,
        r#""f32", "q8_0", "q4_0""#,
        "1, 2",
        TINY_MODEL,
    );
    // Each cell measures for at least half a second: time to strike.
    text_m = text_m.replace("min_seconds = 0.0", "min_seconds = 0.5");
    let dir = workspace(&lab, &text_m);
    let mut child = edgebench(&dir, &["run", "matrix.toml", "--attempts", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_results(&dir, &["f1", "f2"], Duration::from_secs(300));
    devices[1].kill();
    devices[2].stop();
    let start = Instant::now();
    let first = output_of(&mut child, Duration::from_secs(300));
    let took = start.elapsed();
    assert!(first.status.success(), "{}", text(&first));
    let run = runs(&dir).pop().unwrap();
    let got = results(&run);
    assert_eq!(got.len(), 18, "{}", text(&first));
    let status_of = |d: &str, s: &str| {
        got.iter()
            .filter(|r| device_of(r) == d && r["status"] == s)
            .count()
    };
    assert_eq!(status_of("f0", "ok"), 6, "the healthy device finished");
    for d in ["f1", "f2"] {
        assert!(status_of(d, "ok") >= 1, "{d} measured before the fault");
        assert!(status_of(d, "unreachable") >= 1, "{d}: {}", text(&first));
        assert_eq!(status_of(d, "ok") + status_of(d, "unreachable"), 6);
    }
    let reason = |d: &str| {
        got.iter()
            .find(|r| device_of(r) == d && r["status"] == "unreachable")
            .and_then(|r| r["error"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason("f1").contains("device 'f1'"), "{}", reason("f1"));
    assert!(reason("f2").contains("device 'f2'"), "{}", reason("f2"));
    // The hung device was given up within bounded time.
    assert!(took < Duration::from_secs(120), "took {took:?}");
    let unreachable_before = status_of("f1", "unreachable") + status_of("f2", "unreachable");

    devices[1].restart();
    devices[2].cont();
    let run_id = run.file_name().unwrap().to_str().unwrap().to_owned();
    let resumed = output(
        edgebench(&dir, &["run", "matrix.toml", "--resume", &run_id]),
        Duration::from_secs(300),
    );
    assert!(resumed.status.success(), "{}", text(&resumed));
    let got = results(&run);
    assert_eq!(got.len(), 18);
    assert!(
        got.iter().all(|r| r["status"] == "ok"),
        "{}",
        text(&resumed)
    );
    let measured_again = String::from_utf8_lossy(&resumed.stderr)
        .lines()
        .filter(|l| l.contains("decode") && l.contains("tokens/s"))
        .count();
    assert_eq!(measured_again, unreachable_before, "{}", text(&resumed));
}

fn output_of(child: &mut std::process::Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the run did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    Output {
        status: child.wait().unwrap(),
        stdout,
        stderr,
    }
}

/// `edgebench devices check` on an inventory of `devices`.
fn check(lab: &Lab, entries: &str, extra: &[&str]) -> Output {
    let dir = lab.dir().join("controller");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("inventory.toml"), entries).unwrap();
    let mut args = vec!["devices", "check", "inventory.toml"];
    args.extend_from_slice(extra);
    output(edgebench(&dir, &args), Duration::from_secs(300))
}

#[test]
fn host_keys_unknown_refused_accept_new_adds_one_line_changed_always_refused() {
    let _serial = serial();
    let lab = Lab::new();
    let mut d = lab.device("k0", Ipv4Addr::new(127, 0, 0, 41));
    let entries = device_entry(&lab, "k0", &d, "");
    let known_hosts = || std::fs::read_to_string(lab.known_hosts()).unwrap();

    let unknown = check(&lab, &entries, &[]);
    assert!(!unknown.status.success(), "{}", text(&unknown));
    let out = String::from_utf8_lossy(&unknown.stdout);
    assert!(out.contains("NOT USABLE"), "{out}");
    assert!(out.contains("SHA256:"), "the fingerprint is shown: {out}");
    assert!(
        out.contains(&d.known_hosts_line()),
        "the line to add is shown: {out}"
    );
    assert!(out.contains("--accept-new-host-keys"), "{out}");
    assert_eq!(known_hosts(), "", "nothing is added without asking");

    let accepted = check(&lab, &entries, &["--accept-new-host-keys"]);
    assert!(accepted.status.success(), "{}", text(&accepted));
    assert_eq!(known_hosts().lines().count(), 1, "{}", known_hosts());
    assert!(known_hosts().contains(&d.host_key_pub()));
    let again = check(&lab, &entries, &["--accept-new-host-keys"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        known_hosts().lines().count(),
        1,
        "a known key is not added twice"
    );
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("agent already deployed"), "{out}");

    d.regenerate_host_key();
    let changed = check(&lab, &entries, &["--accept-new-host-keys"]);
    assert!(!changed.status.success(), "{}", text(&changed));
    let out = String::from_utf8_lossy(&changed.stdout);
    assert!(out.contains("CHANGED"), "{out}");
    assert!(
        out.contains("known_hosts:1"),
        "the old entry's file and line: {out}"
    );
    assert!(out.contains("ssh-keygen -R"), "{out}");
    assert_eq!(
        known_hosts().lines().count(),
        1,
        "a changed key is never accepted"
    );
}

#[test]
fn hostile_names_reach_the_device_as_inert_words() {
    let _serial = serial();
    let lab = Lab::new();
    let d = lab.device("h0", Ipv4Addr::new(127, 0, 0, 45));
    lab.trust(&d);
    // Relative: wherever a shell would run it (the controller's or the
    // device's working directory or home), the file must not appear.
    let marker = format!("pwned-{}", std::process::id());
    let hostile = format!("a b 'c' \"d\" $(touch {marker}); touch {marker} `touch {marker}`");
    let workdir = d.workdir().join(&hostile);
    std::fs::create_dir_all(&workdir).unwrap();
    let entries = device_entry(&lab, "h0", &d, "").replace(
        &format!("workdir = \"{}\"", d.workdir().display()),
        &format!("workdir = {}", toml_string(&workdir.display().to_string())),
    );
    let controller = lab.dir().join("controller");
    std::fs::create_dir_all(&controller).unwrap();
    let model = controller.join(format!("{hostile}.gguf"));
    let mut synth = edgebench(
        &controller,
        &["models", "synth", "--preset", "tiny", "--seed", "4"],
    );
    synth.arg(&model);
    let synth = output(synth, Duration::from_secs(120));
    assert!(synth.status.success(), "{}", text(&synth));
    let models = format!(
        "\n[[models]]\nname = \"weird\"\npath = {}\n",
        toml_string(&model.display().to_string())
    );
    let text_m = matrix(&["h0"], &entries, r#""q8_0""#, "1", &models);
    let dir = workspace(&lab, &text_m);
    let run = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(run.status.success(), "{}", text(&run));
    let got = results(&runs(&dir).pop().unwrap());
    assert_eq!(got[0]["status"], "ok", "{}", text(&run));
    assert!(
        got[0]["model"]["path"]
            .as_str()
            .unwrap()
            .contains("$(touch"),
        "the device used the workdir exactly as named"
    );
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    for place in [
        Path::new(&home),
        d.dir(),
        &dir,
        &controller,
        &d.workdir(),
        &workdir,
    ] {
        assert!(
            !place.join(&marker).exists(),
            "a quoted name was executed in {}",
            place.display()
        );
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[test]
fn a_device_measured_by_another_controller_is_busy_then_resumed() {
    let _serial = serial();
    let lab = Lab::new();
    let d = lab.device("b0", Ipv4Addr::new(127, 0, 0, 47));
    lab.trust(&d);
    let entries = device_entry(&lab, "b0", &d, "lock_wait_seconds = 1");
    let dir = workspace(
        &lab,
        &matrix(&["b0"], &entries, r#""q8_0""#, "1", TINY_MODEL),
    );
    // Another controller's agent holds the device's lock.
    let lock = d.dir().join("device.lock");
    let holder = std::fs::File::create(&lock).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&holder), libc::LOCK_EX) };
    assert_eq!(rc, 0);
    let busy = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    drop(holder);
    assert!(busy.status.success(), "{}", text(&busy));
    let run = runs(&dir).pop().unwrap();
    let got = results(&run);
    assert_eq!(got[0]["status"], "busy", "{}", text(&busy));
    assert!(got[0]["error"].as_str().unwrap().contains("device busy"));
    let run_id = run.file_name().unwrap().to_str().unwrap().to_owned();
    let resumed = output(
        edgebench(&dir, &["run", "matrix.toml", "--resume", &run_id]),
        Duration::from_secs(300),
    );
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_eq!(results(&run)[0]["status"], "ok", "{}", text(&resumed));
}

#[test]
fn a_device_behind_a_jump_host_is_reached_through_it_with_its_own_key_checked() {
    let _serial = serial();
    let lab = Lab::new();
    let Some(net) = NetnsLab::new_or_skip(&lab) else {
        return;
    };
    lab.add_host("bastion", net.jump());
    lab.trust(net.jump());
    let direct = device_entry(&lab, "behind", net.device(), "");
    let jumped = direct.replace(
        "keepalive_seconds = 1\n",
        "keepalive_seconds = 1\nproxy_jump = \"bastion\"\n",
    );
    let dir = workspace(
        &lab,
        &matrix(&["behind"], &jumped, r#""q8_0""#, "1", TINY_MODEL),
    );
    std::fs::write(dir.join("direct.toml"), &direct).unwrap();
    std::fs::write(dir.join("jumped.toml"), &jumped).unwrap();
    let in_ctl = |args: &[&str]| {
        let mut c = net.command_in_ctl(env!("CARGO_BIN_EXE_edgebench"));
        c.current_dir(&dir).args(args).env_remove("SSH_AUTH_SOCK");
        output(c, Duration::from_secs(600))
    };
    // The device's own key is checked by us, through the tunnel too.
    let untrusted = in_ctl(&["devices", "check", "jumped.toml"]);
    assert!(!untrusted.status.success(), "{}", text(&untrusted));
    assert!(
        String::from_utf8_lossy(&untrusted.stdout).contains(&net.device().known_hosts_line()),
        "{}",
        text(&untrusted)
    );
    lab.trust(net.device());
    let not_direct = in_ctl(&["devices", "check", "direct.toml"]);
    assert!(
        !not_direct.status.success(),
        "reachable only through the jump host: {}",
        text(&not_direct)
    );
    let checked = in_ctl(&["devices", "check", "jumped.toml"]);
    assert!(
        checked.status.success(),
        "{}\njump host log:\n{}\ndevice log:\n{}",
        text(&checked),
        net.jump().log(),
        net.device().log()
    );
    let run = in_ctl(&["run", "matrix.toml"]);
    assert!(run.status.success(), "{}", text(&run));
    let got = results(&runs(&dir).pop().unwrap());
    assert_eq!(got[0]["status"], "ok", "{}", text(&run));
}

#[test]
fn an_aarch64_device_runs_the_cross_built_agent_under_qemu_with_neon() {
    let _serial = serial();
    for tool in ["qemu-aarch64", "aarch64-linux-gnu-gcc"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is missing: scripts/test.sh installs it");
    }
    let lab = Lab::new();
    let d = lab.device("arm", Ipv4Addr::new(127, 0, 0, 51));
    lab.trust(&d);
    let entries = device_entry(
        &lab,
        "arm",
        &d,
        r#"target = "aarch64-unknown-linux-gnu"
command_prefix = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "-cpu", "max"]"#,
    );
    let dir = workspace(
        &lab,
        &matrix(&["arm"], &entries, r#""q4_0""#, "2", TINY_MODEL),
    );
    let run = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(1500),
    );
    assert!(run.status.success(), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("agent: cross build"),
        "{}",
        text(&run)
    );
    let got = results(&runs(&dir).pop().unwrap());
    assert_eq!(got[0]["status"], "ok", "{}", text(&run));
    assert_eq!(got[0]["agent"]["target"], "aarch64-unknown-linux-gnu");
    let isa = got[0]["agent"]["isa"].as_str().unwrap();
    assert!(isa.starts_with("neon"), "a NEON kernel ran: {isa}");
}

#[test]
fn sixty_four_devices_each_run_a_tiny_job_in_one_run() {
    let _serial = serial();
    let lab = Lab::new();
    let devices = lab.devices(64, Ipv4Addr::new(127, 0, 1, 1));
    let mut entries = String::new();
    let mut names = Vec::new();
    for d in &devices {
        lab.trust(d);
        entries += &device_entry(&lab, d.name(), d, "");
        names.push(d.name().to_owned());
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let dir = workspace(
        &lab,
        &matrix(&names, &entries, r#""q8_0""#, "1", TINY_MODEL),
    );
    std::fs::write(dir.join("inventory.toml"), &entries).unwrap();
    let checked = output(
        edgebench(&dir, &["devices", "check", "inventory.toml"]),
        Duration::from_secs(600),
    );
    assert!(checked.status.success(), "{}", text(&checked));
    let summary = String::from_utf8_lossy(&checked.stdout);
    assert!(summary.contains("64 of 64 devices usable"), "{summary}");
    eprintln!("{}", summary.lines().last().unwrap_or_default());
    let run = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(900),
    );
    assert!(run.status.success(), "{}", text(&run));
    let got = results(&runs(&dir).pop().unwrap());
    assert_eq!(got.len(), 64);
    let ok = got.iter().filter(|r| r["status"] == "ok").count();
    assert_eq!(ok, 64, "{}", text(&run));
}

#[test]
fn devices_clean_bounds_the_device_cache_and_keeps_the_agent() {
    let _serial = serial();
    let lab = Lab::new();
    let d = lab.device("c0", Ipv4Addr::new(127, 0, 0, 55));
    lab.trust(&d);
    let entries = device_entry(&lab, "c0", &d, "");
    let dir = workspace(
        &lab,
        &matrix(&["c0"], &entries, r#""q8_0""#, "1", TINY_MODEL),
    );
    let first = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(first.status.success(), "{}", text(&first));
    let objects = || {
        std::fs::read_dir(d.workdir())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == 64)
            .count()
    };
    assert_eq!(objects(), 2, "the agent and one recipe file");
    let dry = output(
        edgebench(
            &dir,
            &[
                "devices",
                "clean",
                "matrix.toml",
                "--keep-days",
                "0",
                "--dry-run",
            ],
        ),
        Duration::from_secs(120),
    );
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("would free"),
        "{}",
        text(&dry)
    );
    assert_eq!(objects(), 2, "a dry run removes nothing");
    let clean = output(
        edgebench(
            &dir,
            &["devices", "clean", "matrix.toml", "--keep-days", "0"],
        ),
        Duration::from_secs(120),
    );
    assert!(clean.status.success(), "{}", text(&clean));
    assert_eq!(
        objects(),
        1,
        "only the current agent is kept: {}",
        text(&clean)
    );
    let again = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        bytes_sent(&again, "c0") > 0,
        "the recipe file is sent again"
    );
}

#[test]
fn every_identity_of_the_ssh_agent_is_tried_not_only_the_first() {
    let _serial = serial();
    let lab = Lab::new();
    let d = lab.device("a0", Ipv4Addr::new(127, 0, 0, 57));
    lab.trust(&d);
    let agent_dir = lab.dir().join("agent");
    std::fs::create_dir_all(&agent_dir).unwrap();
    let sock = agent_dir.join("sock");
    let mut agent = Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(Stdio::null())
        .spawn()
        .expect("run ssh-agent");
    let start = Instant::now();
    while !sock.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // A key the device does not know first, then the lab's.
    let stranger = agent_dir.join("stranger");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&stranger)
        .status()
        .unwrap();
    assert!(keygen.success());
    for key in [stranger.clone(), lab.client_key()] {
        let added = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &sock)
            .output()
            .unwrap();
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    // No identity file: only the agent can log in.
    let config = agent_dir.join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host a0\n  HostName {}\n  Port {}\n  User {}\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  IdentityFile {}\n",
            d.addr(),
            d.port(),
            lab.user(),
            lab.known_hosts().display(),
            agent_dir.join("no-such-key").display()
        ),
    )
    .unwrap();
    let entries = format!(
        "[[device]]\nname = \"a0\"\nhost = \"a0\"\nssh_config = \"{}\"\nworkdir = \"{}\"\nlock_file = \"{}\"\n",
        config.display(),
        d.workdir().display(),
        d.dir().join("device.lock").display()
    );
    let controller = lab.dir().join("controller");
    std::fs::create_dir_all(&controller).unwrap();
    std::fs::write(controller.join("inventory.toml"), entries).unwrap();
    let mut c = edgebench(&controller, &["devices", "check", "inventory.toml"]);
    c.env("SSH_AUTH_SOCK", &sock);
    let checked = output(c, Duration::from_secs(300));
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(checked.status.success(), "{}", text(&checked));
    let log = d.log();
    assert!(
        log.contains("Accepted publickey"),
        "logged in with the agent's second identity:\n{log}"
    );
}

#[test]
fn a_gated_run_compares_stored_and_current_artifacts_on_an_ssh_device() {
    let _serial = serial();
    let lab = Lab::new();
    let d = lab.device("g0", Ipv4Addr::new(127, 0, 0, 59));
    lab.trust(&d);
    let entries = device_entry(&lab, "g0", &d, "");
    let dir = workspace(
        &lab,
        &matrix(&["g0"], &entries, r#""q8_0""#, "1", TINY_MODEL),
    );
    let first = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    assert!(first.status.success(), "{}", text(&first));
    // The model behind the name changed: its recipe file goes to the device
    // beside the baseline's, and both arms run there.
    let changed = std::fs::read_to_string(dir.join("matrix.toml"))
        .unwrap()
        .replace("seed = 3", "seed = 4");
    std::fs::write(dir.join("matrix.toml"), changed).unwrap();
    let gated = output(
        edgebench(
            &dir,
            &[
                "run",
                "matrix.toml",
                "--baseline",
                "latest",
                "--blocks",
                "7",
                "--reps",
                "1",
            ],
        ),
        Duration::from_secs(600),
    );
    assert!(
        matches!(gated.status.code(), Some(0 | 1)),
        "{}",
        text(&gated)
    );
    let out = String::from_utf8_lossy(&gated.stdout);
    assert!(out.contains("regression gate against"), "{out}");
    assert!(!out.contains("NOT COMPARABLE"), "{out}");
    let objects = std::fs::read_dir(d.workdir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().len() == 64)
        .count();
    assert_eq!(objects, 3, "one agent and both recipe files on the device");
}

/// A matrix naming llama.cpp, on a device whose agent was built without
/// it: the kernel's cells are measured, llama.cpp's are `unsupported` and
/// say which feature the agent lacks; nothing fails.
#[test]
fn llama_cpp_cells_on_an_agent_without_it_are_unsupported() {
    let _serial = serial();
    // The plain agent `cargo test` built beside this controller.
    let plain = Path::new(env!("CARGO_BIN_EXE_edgebench"))
        .parent()
        .unwrap()
        .join("edgebench-agent");
    assert!(
        plain.is_file(),
        "{} is built by cargo test",
        plain.display()
    );
    let lab = Lab::new();
    let d = lab.device("plain", Ipv4Addr::new(127, 0, 0, 52));
    lab.trust(&d);
    let entries = device_entry(
        &lab,
        "plain",
        &d,
        &format!("agent = \"{}\"", plain.display()),
    );
    let text_m = matrix(&["plain"], &entries, r#""q8_0""#, "1", TINY_MODEL).replace(
        "recipes = [",
        "runtimes = [\"edgebench\", \"llama.cpp\"]\nrecipes = [",
    );
    let dir = workspace(&lab, &text_m);
    let run = output(
        edgebench(&dir, &["run", "matrix.toml"]),
        Duration::from_secs(600),
    );
    let all = results(&runs(&dir).pop().unwrap());
    assert_eq!(all.len(), 2, "{}", text(&run));
    let of = |runtime: &str| {
        all.iter()
            .find(|r| r["cell"]["runtime"].as_str().unwrap_or("edgebench") == runtime)
            .unwrap_or_else(|| panic!("no {runtime} cell: {}", text(&run)))
    };
    assert_eq!(of("edgebench")["status"], "ok", "{}", text(&run));
    let llama = of("llama.cpp");
    assert_eq!(llama["status"], "unsupported", "{llama}");
    let error = llama["error"].as_str().unwrap();
    assert!(
        error.contains("without the llama.cpp runtime") && error.contains("llama-cpp"),
        "{error}"
    );
}
