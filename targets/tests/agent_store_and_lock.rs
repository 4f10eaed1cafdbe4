//! The `edgebench-agent` binary as a controller drives it over SSH: `run
//! --stop-on-eof` stops when stdin closes, `--lock` keeps two agents off
//! one device, `store` manages the uploaded files and `probe --dir` reports
//! the space left for them.

#[path = "fixtures/support.rs"]
mod support;
#[path = "fixtures/tiny_model.rs"]
mod tiny_model;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use edgebench_schema::{JobResult, Status};
use edgebench_targets::agent::{DeviceLock, LockError};
use serde_json::{Value, json};
use tiny_model::{job, sha256_of, tiny_model};

const AGENT: &str = env!("CARGO_BIN_EXE_edgebench-agent");
/// The longest any step here may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(120);

fn spawn(args: &[&str]) -> Child {
    Command::new(AGENT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the agent")
}

/// Runs the agent with `args`, `stdin` written and closed.
fn agent(args: &[&str], stdin: &str) -> Output {
    let mut child = spawn(args);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for the agent")
}

/// Waits for `child` to exit, killing it after [`PATIENCE`].
fn wait_bounded(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("the agent did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The agent's stderr lines, as they come, on a channel.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a stderr line containing `needle`; the lines seen so far.
fn wait_for(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !seen.iter().any(|l| l.contains(needle)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no stderr line with {needle:?}; saw {seen:#?}"),
        }
    }
}

/// Runs `store ARGS...`: exit code and the JSON line.
fn store(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["store"];
    all.extend_from_slice(args);
    let out = agent(&all, "");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stdout:?}");
    (
        out.status.code(),
        serde_json::from_str(lines[0]).expect("JSON"),
    )
}

/// Commits the file at `from` into the store `dir` through the binary.
fn upload(dir: &Path, from: &Path, sha: &str) {
    let tmp = dir.join(".tmp").join("upload.part");
    std::fs::copy(from, &tmp).expect("upload");
    let d = dir.to_str().unwrap();
    let (code, v) = store(&["commit", d, tmp.to_str().unwrap(), sha]);
    assert_eq!(code, Some(0), "{v}");
}

#[test]
fn a_run_stops_when_stdin_closes_and_holds_the_lock_meanwhile() {
    let model = tiny_model("agent-stop");
    let objects = tempfile::tempdir().unwrap();
    let dir = objects.path();
    let (code, v) = store(&["verify", dir.to_str().unwrap(), &model.sha256]);
    assert_eq!((code, &v["missing"][0]), (Some(0), &json!(model.sha256)));
    upload(dir, &model.path, &model.sha256);
    let stored = dir.join(&model.sha256);

    // Long enough that only stdin closing ends it.
    let mut j = job(&model, "none");
    j["model"]["path"] = json!(stored.to_string_lossy());
    j["measure"] = json!({"warmup_reps": 0, "min_reps": 100000, "min_seconds": 3600.0,
                          "max_reps": 100000, "idle_seconds": 0.0});
    let lock = dir.join("device.lock");
    let lock_arg = lock.to_str().unwrap();
    let mut child = spawn(&[
        "run",
        "--stop-on-eof",
        "--lock",
        lock_arg,
        "--lock-wait",
        "5",
    ]);
    let mut stdin = child.stdin.take().expect("stdin");
    // The job line, then bytes the agent ignores; stdin stays open.
    writeln!(stdin, "{j}").unwrap();
    stdin.write_all(b"keep-alive\n").unwrap();
    stdin.flush().unwrap();
    let lines = stderr_lines(&mut child);
    let mut seen = Vec::new();
    wait_for(&lines, &mut seen, "measuring");
    assert!(
        seen.iter().any(|l| l.contains("whose hash is on record")),
        "the stored model was hashed again: {seen:#?}"
    );

    // The agent holds the device lock while it measures.
    let e = DeviceLock::acquire(&lock, Duration::ZERO, &mut |_: &str| {}).unwrap_err();
    assert!(
        matches!(e, LockError::Busy { holder: Some(pid), .. } if pid == child.id()),
        "{e}"
    );

    drop(stdin);
    let status = wait_bounded(&mut child);
    assert_eq!(status.code(), Some(3), "{seen:#?}");
    wait_for(&lines, &mut seen, "the controller closed stdin; stopping");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(stdout.is_empty(), "{stdout}");
    // Gone with the process.
    assert!(DeviceLock::acquire(&lock, Duration::ZERO, &mut |_: &str| {}).is_ok());
}

#[test]
fn stdin_closing_after_the_result_is_a_normal_end() {
    let model = tiny_model("agent-normal-end");
    let mut j = job(&model, "none");
    j["model"]["sha256"] = json!("0".repeat(64));
    let mut child = spawn(&["run", "--stop-on-eof", "--quiet"]);
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{j}").unwrap();
    stdin.flush().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the result");
    let r = JobResult::from_json(&line).expect("a result");
    assert_eq!(r.status, Status::Failed, "{line}");
    drop(stdin);
    assert_eq!(wait_bounded(&mut child).code(), Some(1));
}

#[test]
fn a_held_lock_gives_a_busy_result() {
    let model = tiny_model("agent-busy");
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("device.lock");
    let _held = DeviceLock::acquire(&lock, Duration::ZERO, &mut |_: &str| {}).unwrap();
    let out = agent(
        &["run", "--lock", lock.to_str().unwrap(), "--lock-wait", "1"],
        &format!("{}\n", job(&model, "none")),
    );
    assert_eq!(out.status.code(), Some(1));
    let r = JobResult::from_json(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(r.status, Status::Busy);
    assert_eq!(r.cell_id, "cell-1");
    let error = r.error.unwrap_or_default();
    let want = format!(
        "device busy: another edgebench agent (pid {}) holds {}; waited 1 s",
        std::process::id(),
        lock.display()
    );
    assert_eq!(error, want);
    assert!(!r.agent.version.is_empty());
}

#[test]
fn store_commands_through_the_binary() {
    let objects = tempfile::tempdir().unwrap();
    let dir = objects.path();
    let d = dir.to_str().unwrap();
    let payload = dir.join("payload");
    std::fs::write(&payload, b"an agent binary").unwrap();
    let sha = sha256_of(&payload);
    std::fs::remove_file(&payload).unwrap();

    let (code, v) = store(&["verify", d, &sha]);
    assert_eq!(code, Some(0));
    assert_eq!(v, json!({"present": [], "missing": [sha], "corrupt": []}));
    let tmp = dir.join(".tmp/agent.part");
    std::fs::write(&tmp, b"an agent binary").unwrap();
    let (code, v) = store(&["commit", d, tmp.to_str().unwrap(), &sha, "--executable"]);
    assert_eq!((code, v), (Some(0), json!({"committed": sha, "bytes": 15})));
    let (_, v) = store(&["verify", d, &sha]);
    assert_eq!(v["present"], json!([sha]));

    std::fs::write(&tmp, b"half an upl").unwrap();
    let (code, v) = store(&["list", d]);
    assert_eq!(code, Some(0));
    assert_eq!(v["objects"][0]["sha256"], json!(sha));
    assert_eq!(v["objects"][0]["bytes"], json!(15));
    assert!(v["objects"][0]["last_used_unix"].as_i64() > Some(0), "{v}");
    assert_eq!(v["partial"][0]["name"], json!("agent.part"));
    assert_eq!(v["partial"][0]["bytes"], json!(11));

    let (code, v) = store(&["clean", d, "--keep-days", "0", "--keep", &sha, "--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        v,
        json!({"removed": [], "removed_partial": [], "freed_bytes": 0,
               "kept_bytes": 15, "dry_run": true})
    );

    // A wrong upload is refused and deleted.
    let (code, v) = store(&["commit", d, tmp.to_str().unwrap(), &sha]);
    assert_eq!(code, Some(1));
    let error = v["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&sha) && error.contains("11 bytes"),
        "{error}"
    );
    assert!(!tmp.exists());

    // Names that are not SHA-256 never become paths.
    let (code, v) = store(&["verify", d, "../../etc/passwd"]);
    assert_eq!(code, Some(1));
    assert!(
        v["error"].as_str().unwrap().contains("not a SHA-256"),
        "{v}"
    );

    // A directory anyone may write to is refused.
    let open = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, v) = store(&["list", open.path().to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(v["error"].as_str().unwrap().contains("sticky bit"), "{v}");

    // A malformed command line is a usage error.
    let out = agent(&["store", "commit", d], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("DIR TMP SHA")
    );
}

#[test]
fn probe_reports_the_space_of_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = agent(&["probe", "--dir", dir.path().to_str().unwrap()], "");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("probe JSON");
    let s = &v["storage"];
    assert_eq!(s["path"], json!(dir.path().to_str().unwrap()));
    assert!(s["total_bytes"].as_u64() > Some(0), "{s}");
    assert!(s["free_bytes"].as_u64() <= s["total_bytes"].as_u64(), "{s}");

    let out = agent(&["probe", "--dir", "/no/such/edgebench/dir"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("probe JSON");
    assert!(v["storage"]["free_bytes"].is_null(), "{v}");
    assert!(v["storage"]["error"].is_string(), "{v}");
}
