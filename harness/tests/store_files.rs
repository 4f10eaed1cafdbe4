//! The run directory's files: CSV columns and numbers, env.json, run ids,
//! and bad inputs that must name the path and line.

mod store_support;

use std::path::Path;

use edgebench::store::{
    CSV_COLUMNS, EnvInfo, GIT_REVISION, NewRun, RunId, RunStatus, RunStore, Store, StoreError,
    read_results_jsonl, read_run,
};
use edgebench_schema::SCHEMA_VERSION;
use store_support::{MATRIX, cell_id, meta, new_run, result};

/// The header as released: columns may be appended, never renamed, removed
/// or moved.
const CSV_HEADER: &str = "run_id,cell_id,device,model,recipe,threads,prompt_tokens,gen_tokens,\
status,error,recipe_bytes,file_bytes,parameters,peak_rss_kib,ttft_median_s,ttft_p90_s,\
prefill_tps_median,decode_tps_median,decode_tps_ci_low,decode_tps_ci_high,e2e_median_s,\
token_ms_p50,token_ms_p99,energy_j_median,decode_mj_per_token_median,avg_power_w_median,\
idle_power_w,meter,instructions_median,cycles_median,cache_misses_median,ppl,ppl_delta_pct,\
kld_mean,kld_p99,top1_agreement_pct,valid,validity_reasons,runtime,runtime_version,\
runtime_cpu";

#[test]
fn csv_header_is_stable() {
    assert_eq!(CSV_COLUMNS.join(","), CSV_HEADER);
}

#[test]
fn csv_rows_hold_every_figure_and_numbers_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    let results: Vec<_> = (0..4).map(|i| result(i, 11)).collect();
    for (i, r) in results.iter().enumerate() {
        run.record(r, &meta(i)).unwrap();
    }
    let failed = edgebench_schema::JobResult::failure(
        "cellF",
        edgebench_schema::Status::Timeout,
        "no answer, after 30 s",
    );
    run.record(&failed, &meta(9)).unwrap();
    let paths = run.finish(RunStatus::Finished).unwrap().clone();

    let mut rdr = csv::Reader::from_path(&paths.csv).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header.join(","), CSV_HEADER);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let col = |row: &csv::StringRecord, name: &str| -> String {
        let i = CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
        row[i].to_owned()
    };
    let f = |row: &csv::StringRecord, name: &str| -> f64 { col(row, name).parse().unwrap() };
    for (i, (row, r)) in rows.iter().zip(&results).enumerate() {
        let lat = r.latency.as_ref().unwrap();
        let energy = r.energy.as_ref().unwrap();
        let acc = r.accuracy.as_ref().unwrap();
        assert_eq!(col(row, "run_id"), run.id().as_str());
        assert_eq!(col(row, "cell_id"), cell_id(i));
        assert_eq!(col(row, "device"), meta(i).device);
        assert_eq!(col(row, "recipe"), meta(i).recipe);
        assert_eq!(col(row, "threads"), meta(i).threads.to_string());
        assert_eq!(col(row, "status"), "ok");
        assert_eq!(col(row, "error"), "");
        assert_eq!(f(row, "ttft_median_s"), lat.ttft_s.median);
        assert_eq!(f(row, "ttft_p90_s"), lat.ttft_s.p90);
        assert_eq!(f(row, "decode_tps_median"), lat.decode_tps.median);
        assert_eq!(f(row, "decode_tps_ci_low"), lat.decode_tps.median_ci_low);
        assert_eq!(f(row, "decode_tps_ci_high"), lat.decode_tps.median_ci_high);
        assert_eq!(f(row, "token_ms_p99"), lat.token_ms.p99);
        assert_eq!(
            f(row, "energy_j_median"),
            energy.energy_j.as_ref().unwrap().median
        );
        assert_eq!(f(row, "idle_power_w"), energy.idle_power_w.unwrap());
        assert_eq!(col(row, "meter"), "rapl");
        assert_eq!(f(row, "ppl_delta_pct"), acc.ppl_delta_pct);
        assert_eq!(f(row, "kld_p99"), acc.kld_p99);
        assert_eq!(f(row, "top1_agreement_pct"), acc.top1_agreement_pct);
        assert_eq!(
            col(row, "recipe_bytes"),
            r.model.as_ref().unwrap().recipe_bytes.to_string()
        );
        assert_eq!(col(row, "valid"), r.validity.valid.to_string());
        assert_eq!(col(row, "validity_reasons"), r.validity.reasons.join("; "));
        assert_eq!(col(row, "runtime"), meta(i).runtime.name());
    }
    // The failed cell ran (or would have run) on llama.cpp.
    assert_eq!(col(&rows[4], "runtime"), "llama.cpp");
    // Cell 3 is invalid with a reason holding a quote and a comma.
    assert_eq!(
        col(&rows[3], "validity_reasons"),
        "throttled; too few reps, \"3\""
    );
    let failed_row = &rows[4];
    assert_eq!(col(failed_row, "status"), "timeout");
    assert_eq!(col(failed_row, "error"), "no answer, after 30 s");
    assert_eq!(col(failed_row, "ttft_median_s"), "");
    assert_eq!(col(failed_row, "valid"), "false");
}

#[test]
fn run_directory_files_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    let paths = run.paths().clone();
    assert_eq!(paths.dir, dir.path().join(run.id().as_str()));
    assert_eq!(std::fs::read_to_string(&paths.matrix).unwrap(), MATRIX);
    assert_eq!(std::fs::read_to_string(&paths.jsonl).unwrap(), "");
    assert_eq!(
        std::fs::read_to_string(&paths.csv).unwrap().trim_end(),
        CSV_HEADER
    );
    let env = EnvInfo::read(&paths.env).unwrap();
    assert_eq!(env.run_id, run.id().as_str());
    assert_eq!(env.controller_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(env.git_revision, GIT_REVISION);
    assert_eq!(env.command_line, ["edgebench", "run", "m.toml"]);
    assert_eq!(env.host["os"], std::env::consts::OS);
    assert_eq!(
        (env.status, env.finished.as_deref()),
        (RunStatus::Running, None)
    );
    assert!(run.id().as_str().starts_with(&env.started[..4]));

    run.record(&result(0, 1), &meta(0)).unwrap();
    run.finish(RunStatus::Interrupted).unwrap();
    let env = EnvInfo::read(&paths.env).unwrap();
    assert_eq!(env.status, RunStatus::Interrupted);
    assert!(env.finished.as_deref().unwrap() >= env.started.as_str());
    let text = std::fs::read_to_string(&paths.jsonl).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.ends_with('\n'));
}

#[test]
fn run_ids_sort_by_start_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    let mut starts = Vec::new();
    for _ in 0..5 {
        let run = new_run(dir.path());
        starts.push(run.env().started.clone());
        ids.push(run.id().clone());
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    let listed = edgebench::store::list_runs(dir.path());
    assert_eq!(listed, ids.iter().rev().cloned().collect::<Vec<_>>());
}

fn write_jsonl(lines: &[String]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (dir, path)
}

#[test]
fn a_line_of_another_schema_version_names_path_and_line() {
    let other = result(1, 1).to_json().replacen(
        &format!("\"schema_version\":{SCHEMA_VERSION}"),
        "\"schema_version\":9",
        1,
    );
    let (_dir, path) = write_jsonl(&[result(0, 1).to_json(), other, result(2, 1).to_json()]);
    let err = read_results_jsonl(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::BadLine { line: 2, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}:2:", path.display())) && msg.contains("schema_version 9"),
        "{msg}"
    );
}

#[test]
fn a_malformed_middle_line_is_an_error_but_a_torn_last_line_is_not() {
    let good = result(0, 1).to_json();
    let (_dir, path) = write_jsonl(&[
        good.clone(),
        "{\"schema_version\":1,".into(),
        result(1, 1).to_json(),
    ]);
    let err = read_results_jsonl(&path).unwrap_err();
    assert!(err.to_string().contains("results.jsonl:2:"), "{err}");

    let torn = result(1, 1).to_json();
    std::fs::write(&path, format!("{good}\n{}", &torn[..torn.len() - 9])).unwrap();
    let read = read_results_jsonl(&path).unwrap();
    assert_eq!(read.records.len(), 1);
    assert_eq!(read.torn.as_ref().map(|t| t.line), Some(2));
    // A terminated last line that does not parse is not a crash artifact.
    std::fs::write(&path, format!("{good}\n{}\n", &torn[..torn.len() - 9])).unwrap();
    assert!(read_results_jsonl(&path).is_err());
}

#[test]
fn a_cell_on_two_lines_is_an_error() {
    let (_dir, path) = write_jsonl(&[
        result(0, 1).to_json(),
        result(1, 1).to_json(),
        result(0, 2).to_json(),
    ]);
    let err = read_results_jsonl(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateLine { line: 3, first_line: 1, cell_id, .. } if cell_id == "cell000"),
        "{err:?}"
    );
}

#[test]
fn an_unwritable_runs_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory should be: fails even for root.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let root = blocker.join("runs");
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let err = RunStore::create(
        &root,
        store,
        NewRun {
            matrix_name: "m".into(),
            matrix_text: String::new(),
            command_line: Vec::new(),
            host: serde_json::Value::Null,
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(
        msg.contains(&root.display().to_string()) && msg.contains("runs directory"),
        "{msg}"
    );

    let err = Store::open(&root.join("edgebench.sqlite")).unwrap_err();
    assert!(
        err.to_string().contains(&root.display().to_string()),
        "{err}"
    );
}

#[test]
fn resuming_a_missing_run_names_it_and_lists_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let open = |id: &str| {
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        RunStore::open(dir.path(), store, id, Vec::new()).unwrap_err()
    };
    let missing = "20200101T000000.000Z-abcdef";
    let err = open(missing);
    assert!(matches!(err, StoreError::RunNotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("there are no runs there yet"),
        "{err}"
    );

    let existing = new_run(dir.path()).id().to_string();
    let msg = open(missing).to_string();
    assert!(msg.contains(missing) && msg.contains(&existing), "{msg}");
    assert!(
        msg.contains(&dir.path().join(missing).display().to_string()),
        "{msg}"
    );

    let err = open("../etc");
    assert!(matches!(err, StoreError::BadRunId { .. }), "{err:?}");
    assert!(
        err.to_string().contains("'../etc' is not a run id"),
        "{err}"
    );
    assert!(RunId::parse(&existing).is_ok());
}

#[test]
fn reading_a_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    run.record(&result(0, 1), &meta(0)).unwrap();
    let (id, jsonl) = (run.id().to_string(), run.paths().jsonl.clone());
    drop(run);
    let mut bytes = std::fs::read(&jsonl).unwrap();
    bytes.extend_from_slice(b"{\"schema_version\":1,\"cell_i");
    std::fs::write(&jsonl, &bytes).unwrap();

    let read = read_run(dir.path(), &id).unwrap();
    assert_eq!(read.results.records.len(), 1);
    assert_eq!(read.matrix_text, MATRIX);
    assert!(
        read.warnings[0].contains("results.jsonl:2: ignored a partial last line"),
        "{:?}",
        read.warnings
    );
    assert_eq!(std::fs::read(&jsonl).unwrap(), bytes);
    assert!(
        !Path::new(&read.paths.dir)
            .join("results.jsonl.torn")
            .exists()
    );
}

#[test]
fn a_result_that_would_not_read_back_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    let mut r = result(0, 1);
    if let Some(l) = r.latency.as_mut() {
        l.decode_tps.median = f64::NAN;
    }
    let err = run.record(&r, &meta(0)).unwrap_err();
    assert!(
        matches!(&err, StoreError::Unstorable { cell_id, .. } if cell_id == "cell000"),
        "{err:?}"
    );
    assert_eq!(std::fs::read_to_string(&run.paths().jsonl).unwrap(), "");
    assert!(run.finished_cells().is_empty());
    // The runner can then record the cell as failed.
    let failed = edgebench_schema::JobResult::failure(
        "cell000",
        edgebench_schema::Status::Failed,
        err.to_string(),
    );
    run.record(&failed, &meta(0)).unwrap();
    assert_eq!(run.results().len(), 1);
}
