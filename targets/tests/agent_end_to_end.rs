//! The `edgebench-agent` binary end to end on a synthetic model: results of
//! good jobs, failure results of bad ones, `probe` and `--version`.

#[path = "fixtures/support.rs"]
mod support;
#[path = "fixtures/tiny_model.rs"]
mod tiny_model;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use edgebench_schema::{JobResult, SCHEMA_VERSION, Status};
use edgebench_targets::agent::sha256_hex;
use serde_json::{Value, json};
use support::TempTree;
use tiny_model::{Model, job, tiny_model, tiny_model_as};

const AGENT: &str = env!("CARGO_BIN_EXE_edgebench-agent");

/// Runs the agent with `args`, `stdin` on its standard input.
fn agent(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(AGENT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the agent");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the job");
    child.wait_with_output().expect("wait for the agent")
}

/// Runs `run` on `job`: the exit code, the result as parsed by the schema
/// and as raw JSON.
fn run(job: &str) -> (Option<i32>, JobResult, Value) {
    let out = agent(&["run"], job);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one result line, got {stdout:?}");
    let result = JobResult::from_json(lines[0]).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let raw: Value = serde_json::from_str(lines[0]).expect("JSON");
    (out.status.code(), result, raw)
}

/// Every energy figure is present, or absent with a reason.
fn check_energy(raw: &Value) {
    let e = &raw["energy"];
    let reason = e["reason"].as_str();
    for field in [
        "idle_power_w",
        "energy_j",
        "energy_above_idle_j",
        "decode_mj_per_token",
        "prefill_energy_j",
        "avg_power_w",
    ] {
        assert!(
            !e[field].is_null() || reason.is_some_and(|r| !r.is_empty()),
            "{field} is null without a reason: {e}"
        );
        assert_ne!(e[field], json!(0.0), "{field} is zero: {e}");
    }
    if e["meter"] == "none" {
        assert!(
            e["energy_j"].is_null() && e["idle_power_w"].is_null(),
            "{e}"
        );
    }
}

fn check_ok(code: Option<i32>, r: &JobResult, raw: &Value, model: &Model) {
    println!("{raw:#}");
    assert_eq!(code, Some(0), "{raw}");
    assert_eq!(r.status, Status::Ok, "{raw}");
    assert_eq!(r.schema_version, SCHEMA_VERSION);
    assert_eq!(r.cell_id, "cell-1");
    assert_eq!(r.error, None);
    assert!(!r.agent.git_revision.is_empty() && !r.agent.isa.is_empty());

    let m = r.model.as_ref().expect("model report");
    assert_eq!(m.sha256, model.sha256);
    assert_eq!(m.file_bytes, std::fs::metadata(&model.path).unwrap().len());
    assert_eq!(m.recipe, "q8_0");
    assert!(m.parameters > 0 && m.recipe_bytes > 0 && m.recipe_bytes < m.file_bytes);
    assert_eq!(
        m.source_sha256.as_deref(),
        Some(model.source_sha256.as_str())
    );
    assert!(!m.applied_at_load);
    assert_eq!(m.size_on_disk(), m.file_bytes);

    assert!(r.reps.len() >= 2 && r.reps.len() <= 4, "{}", r.reps.len());
    for rep in &r.reps {
        assert_eq!(rep.token_ms.len(), 7);
        assert!(rep.ttft_s > 0.0 && rep.e2e_s >= rep.ttft_s);
        assert!(rep.prefill_tps > 0.0 && rep.decode_tps > 0.0);
    }
    let lat = r.latency.as_ref().expect("latency");
    assert_eq!(lat.ttft_s.n, r.reps.len());
    assert_eq!(lat.token_ms.n, 7 * r.reps.len());
    assert_eq!(lat.ttft_s.bootstrap_seed, 7);
    assert_eq!(r.warmup_reps, 1);

    let mem = r.memory.as_ref().expect("memory");
    assert!(mem.peak_rss_kib > 0);
    check_energy(raw);

    let c = r.counters.as_ref().expect("counters");
    if c.instructions.is_none() {
        let reason = c.reason.as_deref().expect("a reason for missing counters");
        assert!(
            reason.starts_with("not supported") || reason.starts_with("not permitted"),
            "{reason}"
        );
        assert!(r.reps.iter().all(|rep| rep.instructions.is_none()));
    } else {
        assert!(r.reps.iter().all(|rep| rep.instructions.is_some()));
    }

    assert!(raw["device"]["before"]["cpu"]["logical_cores"].as_u64() > Some(0));
    assert!(raw["device"].get("temp_after_c").is_some());
    assert_eq!(r.validity.valid, r.validity.reasons.is_empty());
}

#[test]
fn run_without_a_meter_reports_why_energy_is_missing() {
    let model = tiny_model("agent-none");
    let (code, r, raw) = run(&job(&model, "none").to_string());
    check_ok(code, &r, &raw, &model);
    let e = r.energy.as_ref().expect("energy section");
    assert_eq!(e.meter, "none");
    assert_eq!(e.reason.as_deref(), Some("no meter configured"));
    assert!(e.energy_j.is_none() && e.decode_mj_per_token.is_none());
    assert!(r.reps.iter().all(|rep| rep.energy_j.is_none()));
}

#[test]
fn results_name_the_runtime_that_ran() {
    let model = tiny_model("agent-runtime-kernel");
    let (code, r, raw) = run(&job(&model, "none").to_string());
    check_ok(code, &r, &raw, &model);
    let info = r.runtime.as_ref().expect("the runtime");
    assert_eq!(info.name, edgebench_schema::Runtime::Edgebench);
    assert_eq!(info.cpu_backend, r.agent.isa);
}

/// Without the `llama-cpp` feature a llama.cpp job is unsupported, and says
/// which feature the agent lacks, before the model is touched.
#[cfg(not(feature = "llama-cpp"))]
#[test]
fn a_llama_cpp_job_on_an_agent_without_it_is_unsupported() {
    let model = tiny_model("agent-no-llama");
    let mut j = job(&model, "none");
    j["runtime"] = json!("llama.cpp");
    let (code, r, _) = run(&j.to_string());
    assert_eq!(code, Some(1));
    assert_eq!(r.status, Status::Unsupported);
    assert_eq!(r.cell_id, "cell-1");
    let error = r.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("without the llama.cpp runtime") && error.contains("llama-cpp"),
        "{error}"
    );
    let probe = agent(&["probe"], "");
    let v: Value = serde_json::from_slice(&probe.stdout).expect("probe JSON");
    assert_eq!(v["runtimes"].as_array().map(Vec::len), Some(1), "{v}");
}

/// With the feature, llama.cpp runs the same job through the same protocol:
/// every metric present, and its build named.
#[cfg(feature = "llama-cpp")]
#[test]
fn a_llama_cpp_job_gives_a_valid_result_with_every_metric() {
    let model = tiny_model("agent-llama");
    let mut j = job(&model, "none");
    j["runtime"] = json!("llama.cpp");
    j["threads"] = json!(2);
    let (code, r, raw) = run(&j.to_string());
    check_ok(code, &r, &raw, &model);
    let info = r.runtime.as_ref().expect("the runtime");
    assert_eq!(info.name, edgebench_schema::Runtime::LlamaCpp);
    assert!(info.version.contains("ggml"), "{info:?}");
    assert!(info.cpu_backend.starts_with("ggml-cpu"), "{info:?}");
    assert!(
        info.build.as_deref().is_some_and(|b| b.contains("CPU")),
        "{info:?}"
    );
    assert_eq!(r.workload.as_ref().map(|w| w.threads), Some(2));
    // Asking for a per-op profile on llama.cpp gives none, not a failure.
    j["profile"] = json!(true);
    let (code, r, raw) = run(&j.to_string());
    check_ok(code, &r, &raw, &model);
    assert!(r.profile.is_none());
    let probe = agent(&["probe"], "");
    let v: Value = serde_json::from_slice(&probe.stdout).expect("probe JSON");
    let names: Vec<&str> = v["runtimes"]
        .as_array()
        .expect("runtimes")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["edgebench", "llama.cpp"]);
}

#[test]
fn a_profiled_job_reports_where_one_extra_rep_spent_its_time() {
    let model = tiny_model("agent-profile");
    let plain = job(&model, "none");
    let (_, r, raw) = run(&plain.to_string());
    assert!(
        r.profile.is_none() && raw.get("profile").is_none(),
        "only when asked"
    );
    let mut j = plain;
    j["profile"] = json!(true);
    j["threads"] = json!(2);
    let (code, r, raw) = run(&j.to_string());
    check_ok(code, &r, &raw, &model);
    let p = r.profile.as_ref().expect("a profile");
    let steps = u64::from(r.workload.as_ref().unwrap().gen_tokens) - 1;
    assert_eq!((p.prefill.forwards, p.decode.forwards), (1, steps));
    assert_eq!(
        p.prefill.tokens,
        u64::from(r.workload.as_ref().unwrap().prompt_tokens)
    );
    let ops: Vec<&str> = p.decode.ops.iter().map(|o| o.op.as_str()).collect();
    for op in [
        "matmul q/k/v",
        "attention",
        "matmul gate/up",
        "output projection",
    ] {
        assert!(ops.contains(&op), "{op} missing from {ops:?}");
    }
    let down = p.decode.ops.iter().find(|o| o.op == "matmul down").unwrap();
    assert!(down.weight_gb_per_s.is_some_and(|g| g > 0.0), "{down:?}");
    let share: f64 = p.decode.ops.iter().map(|o| o.share_pct).sum();
    assert!(share > 0.0 && share <= 100.0 + 1e-6, "{share}");
    // The extra repetition is not one of the measured ones.
    assert!(r.reps.len() <= 4, "{}", r.reps.len());
}

#[test]
fn run_with_the_automatic_meter() {
    let model = tiny_model("agent-auto");
    let mut j = job(&model, "auto");
    j["kv_f16"] = json!(true);
    j["thermal_gate"] = json!({"max_delta_c": 2.0, "window_seconds": 1.0, "timeout_seconds": 2.0});
    let (code, r, raw) = run(&j.to_string());
    check_ok(code, &r, &raw, &model);
    let gate = &raw["device"]["thermal_gate"];
    assert!(gate["reason"].is_string(), "{gate}");
    let gate_reason = r
        .validity
        .reasons
        .iter()
        .any(|x| x.starts_with("thermal gate"));
    assert_eq!(gate["settled"].as_bool(), Some(!gate_reason), "{raw}");
    let e = r.energy.as_ref().expect("energy section");
    if e.meter == "none" {
        let reason = e.reason.as_deref().unwrap_or_default();
        assert!(reason.starts_with("no usable meter ("), "{reason}");
    }
}

/// Runs a job and checks the failure result it gives.
fn check_failure(job: &str, status: Status, cell_id: &str, needles: &[&str]) {
    let (code, r, _) = run(job);
    println!("{:?}: {:?}", r.status, r.error);
    assert_eq!(code, Some(1), "{r:?}");
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.cell_id, cell_id);
    assert!(!r.validity.valid);
    assert!(r.reps.is_empty() && r.latency.is_none());
    let error = r.error.unwrap_or_default();
    for needle in needles {
        assert!(error.contains(needle), "{error:?} lacks {needle:?}");
    }
}

#[test]
fn bad_jobs_give_failure_results() {
    let model = tiny_model("agent-bad");
    let good = job(&model, "none");
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    check_failure(
        "this is not JSON",
        Status::Failed,
        "",
        &["malformed job JSON"],
    );
    check_failure(
        &edit(&|v| v["colour"] = json!("blue")),
        Status::Failed,
        "cell-1",
        &["unknown field", "colour"],
    );
    check_failure(
        &edit(&|v| v["schema_version"] = json!(1)),
        Status::Failed,
        "cell-1",
        &["schema_version 1", "reads version 2"],
    );
    let missing = model.path.with_file_name("absent.gguf");
    check_failure(
        &edit(&|v| v["model"]["path"] = json!(missing.to_string_lossy())),
        Status::Failed,
        "cell-1",
        &["absent.gguf", "No such file"],
    );
    check_failure(
        &edit(&|v| v["model"]["sha256"] = json!("0".repeat(64))),
        Status::Failed,
        "cell-1",
        &["sha256", &model.sha256, &"0".repeat(64)],
    );
    // The file is q8_0: a job naming another recipe, or the f32 source
    // under the name q8_0, fails naming both.
    check_failure(
        &edit(&|v| v["recipe"] = json!("q4_0")),
        Status::Failed,
        "cell-1",
        &["tiny-q8_0.gguf", "recipe 'q8_0'", "'q4_0'"],
    );
    let source = model.source.to_string_lossy();
    check_failure(
        &edit(&|v| {
            v["model"]["path"] = json!(source);
            v["model"]["sha256"] = json!(model.source_sha256);
        }),
        Status::Failed,
        "cell-1",
        &["tiny.gguf", "is f32", "recipe 'q8_0' stores it as q8_0"],
    );
    check_failure(
        &edit(&|v| v["model"]["source_sha256"] = json!("xyz")),
        Status::Failed,
        "cell-1",
        &["model.source_sha256", "64 hex digits"],
    );
    check_failure(
        &edit(&|v| v["recipe"] = json!("q5_9")),
        Status::Unsupported,
        "cell-1",
        &["recipe 'q5_9'", "unknown scheme"],
    );
    check_failure(
        &edit(&|v| v["prompt_tokens"] = json!(300)),
        Status::Failed,
        "cell-1",
        &["prompt_tokens 300", "context length 256"],
    );
    check_failure(
        &edit(&|v| v["gen_tokens"] = json!(1)),
        Status::Failed,
        "cell-1",
        &["gen_tokens is 1"],
    );
}

#[test]
fn a_file_that_is_not_gguf_fails_cleanly() {
    let dir = TempTree::empty("agent-not-gguf");
    let path = dir.path().join("junk.gguf");
    std::fs::write(&path, b"not a model at all").unwrap();
    let (sha, _) = sha256_hex(&b"not a model at all"[..]).unwrap();
    let mut v = job(
        &Model {
            _dir: TempTree::empty("agent-unused"),
            path: path.clone(),
            sha256: sha.clone(),
            source: path.clone(),
            source_sha256: sha,
        },
        "none",
    );
    v["cell_id"] = json!("junk");
    check_failure(
        &v.to_string(),
        Status::Failed,
        "junk",
        &["cannot load", "junk.gguf"],
    );
}

#[test]
fn probe_prints_cpu_meters_and_counters() {
    let out = agent(&["probe"], "");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("probe JSON");
    assert!(v["cpu"]["logical_cores"].as_u64() > Some(0), "{v}");
    assert!(v["meters"]["chosen"].is_string(), "{v}");
    assert!(v["meters"]["rejected"].is_array(), "{v}");
    assert!(v["kernels"]["isa"].is_string(), "{v}");
    let available = &v["memory_available_bytes"];
    assert!(available.as_u64() > Some(0) || available.is_null(), "{v}");
    assert!(v.get("storage").is_none(), "{v}");
    let counters = &v["counters"];
    assert!(counters["available"].as_bool() == Some(true) || counters["reason"].is_string());
}

#[test]
fn version_names_a_revision_and_usage_errors_exit_2() {
    let out = agent(&["--version"], "");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("edgebench-agent "), "{text}");
    let rev = text
        .split("git ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_default();
    assert!(
        rev == "unknown" || (rev.len() == 12 && rev.bytes().all(|b| b.is_ascii_hexdigit())),
        "{text}"
    );

    let out = agent(&["fly"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown command 'fly'") && err.contains("Usage:"),
        "{err}"
    );
    let out = agent(&["--help"], "");
    assert!(String::from_utf8(out.stdout).unwrap().contains("probe"));
}

/// `accuracy` on the kernel: a report for a good job, and for each bad one
/// an `{"error"}` line naming what is wrong, with exit code 1.
#[test]
fn accuracy_jobs_give_a_report_or_an_error_naming_the_problem() {
    let test = tiny_model_as("agent-acc-q8", "q8_0");
    let reference = tiny_model_as("agent-acc-f32", "f32");
    let dir = TempTree::empty("agent-acc-text");
    let text_path = dir.path().join("text.txt");
    let text = "The engineer measured every board in the lab before choosing a recipe. ".repeat(20);
    std::fs::write(&text_path, &text).unwrap();
    let text_sha = sha256_hex(text.as_bytes()).unwrap().0;
    let file = |m: &Model, recipe: &str| {
        json!({"model": {"path": m.path.to_string_lossy(), "sha256": m.sha256},
               "recipe": recipe})
    };
    let good = json!({
        "schema_version": SCHEMA_VERSION,
        "test": file(&test, "q8_0"),
        "reference": file(&reference, "f32"),
        "text_path": text_path.to_string_lossy(),
        "text_sha256": text_sha,
        "ctx": 32,
        "windows": 2,
        "threads": 1,
    });
    let accuracy = |job: &Value| {
        let out = agent(&["accuracy", "-q"], &format!("{job}\n"));
        let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        (out.status.code(), line)
    };
    let (code, report) = accuracy(&good);
    assert_eq!(code, Some(0), "{report}");
    let r: edgebench_schema::AccuracyReport = serde_json::from_value(report).unwrap();
    assert_eq!((r.windows, r.reference.as_str()), (2, "f32"));
    assert_eq!(r.file_sha256.as_deref(), Some(test.sha256.as_str()));
    assert!(r.ppl.is_finite() && r.kld_mean >= 0.0, "{r:?}");

    let bad = |change: &dyn Fn(&mut Value), expect: &str| {
        let mut job = good.clone();
        change(&mut job);
        let (code, line) = accuracy(&job);
        assert_eq!(code, Some(1), "{line}");
        let error = line["error"].as_str().unwrap_or_default();
        assert!(error.contains(expect), "{expect:?} not in {error:?}");
    };
    bad(
        &|j| j["text_sha256"] = json!("0".repeat(64)),
        "the job expects",
    );
    bad(&|j| j["ctx"] = json!(2), "'ctx'");
    bad(
        &|j| j["test"]["model"]["sha256"] = json!("f".repeat(64)),
        "sha256",
    );
    bad(&|j| j["test"]["recipe"] = json!("q4_0"), "q4_0");
    bad(
        &|j| j["text_path"] = json!("/nonexistent/text"),
        "/nonexistent/text",
    );
    bad(&|j| j["windows"] = json!("two"), "windows");
    #[cfg(not(feature = "llama-cpp"))]
    bad(
        &|j| j["runtime"] = json!("llama.cpp"),
        "cargo feature `llama-cpp`",
    );
    let out = agent(&["accuracy"], "not json\n");
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        line["error"].as_str().unwrap().contains("malformed"),
        "{line}"
    );
}
