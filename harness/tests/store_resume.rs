//! A writer killed with SIGKILL mid-run, then resumed: exactly one result
//! per cell in the JSONL and the database, which agree; torn and
//! unterminated last lines; recording a cell twice.

mod store_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use edgebench::store::{
    CellMeta, Metric, RunStatus, RunStore, Store, StoreError, TORN_FILE, read_results_jsonl,
};
use store_support::{cell_id, meta, new_run, result, resume};

/// Set in the child process: `<runs root>\t<cells to record>`.
const CHILD_ENV: &str = "EDGEBENCH_STORE_TEST_CHILD";
const CELLS: usize = 8;
const BEFORE_KILL: usize = 4;
const SEED: u64 = 42;

/// Runs only in the child: starts a run, prints its id, records cells one
/// by one (printing each), then waits on stdin until it is killed.
#[test]
fn child_writer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (root, n) = spec.split_once('\t').expect("root<TAB>count");
    let n: usize = n.parse().expect("count");
    let mut run = new_run(Path::new(root));
    println!("store-child run={}", run.id());
    for i in 0..n {
        run.record(&result(i, SEED), &meta(i)).expect("record");
        println!("store-child recorded={}", cell_id(i));
    }
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    panic!("the child writer should have been killed");
}

/// Spawns the child writer, waits until it recorded `n` cells, kills it
/// with SIGKILL and returns the run id.
fn run_child_and_kill(root: &Path, n: usize) -> String {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}\t{n}", root.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut run_id = None;
    let mut recorded = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("child output");
        // libtest may print its own text before ours on the same line.
        if let Some((_, id)) = line.split_once("store-child run=") {
            run_id = Some(id.trim().to_owned());
        } else if line.contains("store-child recorded=") {
            recorded += 1;
            if recorded == n {
                break;
            }
        }
    }
    assert_eq!(recorded, n, "the child stopped early");
    // `Child::kill` sends SIGKILL on Unix: no destructor, no flush runs.
    child.kill().expect("kill the child");
    let status = child.wait().expect("reap the child");
    assert!(!status.success());
    run_id.expect("the child printed its run id")
}

/// The database's indexed metrics of each cell of a run.
fn db_metrics(db: &Path, run_id: &str) -> Vec<(String, Vec<Option<f64>>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let cols: Vec<&str> = Metric::ALL.iter().map(|m| m.column()).collect();
    let sql = format!(
        "SELECT cell_id, {} FROM results WHERE run_id = ?1 ORDER BY cell_id",
        cols.join(", ")
    );
    let mut q = conn.prepare(&sql).unwrap();
    q.query_map([run_id], |r| {
        let vals = (1..=cols.len())
            .map(|i| r.get::<_, Option<f64>>(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((r.get(0)?, vals))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Checks that the JSONL and the database hold the same results.
fn assert_agree(root: &Path, run_id: &str, expect: usize) {
    let jsonl = read_results_jsonl(&root.join(run_id).join("results.jsonl")).unwrap();
    assert!(jsonl.torn.is_none());
    let ids: BTreeSet<String> = jsonl
        .records
        .iter()
        .map(|r| r.result.cell_id.clone())
        .collect();
    assert_eq!(ids.len(), jsonl.records.len(), "a cell is on two lines");
    assert_eq!(ids, (0..expect).map(cell_id).collect::<BTreeSet<_>>());

    let db_path = Store::default_path(root);
    let store = Store::open(&db_path).unwrap();
    let mut from_db = store.run_results(run_id).unwrap();
    from_db.sort_by(|a, b| a.cell_id.cmp(&b.cell_id));
    let mut from_jsonl: Vec<_> = jsonl.records.iter().map(|r| r.result.clone()).collect();
    from_jsonl.sort_by(|a, b| a.cell_id.cmp(&b.cell_id));
    assert_eq!(from_db, from_jsonl);

    let metrics = db_metrics(&db_path, run_id);
    assert_eq!(metrics.len(), expect);
    for ((cell, values), r) in metrics.iter().zip(&from_jsonl) {
        assert_eq!(cell, &r.cell_id);
        let want: Vec<Option<f64>> = Metric::ALL.iter().map(|m| m.of(r)).collect();
        assert_eq!(values, &want, "{cell}");
        assert!(values.iter().all(Option::is_some), "{cell}: {values:?}");
    }
}

#[test]
fn killed_writer_resumes_with_one_result_per_cell() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let run_id = run_child_and_kill(root, BEFORE_KILL);
    let jsonl_path = root.join(&run_id).join("results.jsonl");
    assert_agree(root, &run_id, BEFORE_KILL);

    // Crash artifacts the kill could have left: the next line half written,
    // and the last result in the JSONL but not yet in the database.
    let next = serde_json::to_string(&result(BEFORE_KILL, SEED)).unwrap();
    let mut bytes = std::fs::read(&jsonl_path).unwrap();
    bytes.extend_from_slice(&next.as_bytes()[..next.len() / 2]);
    std::fs::write(&jsonl_path, &bytes).unwrap();
    let conn = rusqlite::Connection::open(Store::default_path(root)).unwrap();
    let last = cell_id(BEFORE_KILL - 1);
    conn.execute("DELETE FROM results WHERE cell_id = ?1", [&last])
        .unwrap();
    conn.execute("DELETE FROM cells WHERE cell_id = ?1", [&last])
        .unwrap();
    drop(conn);

    let mut run = resume(root, &run_id);
    let done: BTreeSet<String> = (0..BEFORE_KILL).map(cell_id).collect();
    assert_eq!(run.finished_cells(), &done);
    assert_eq!(run.resync_report().added, 1);
    let warnings = run.warnings().join("\n");
    assert!(
        warnings.contains(&format!(
            "results.jsonl:{}: ignored a partial last line",
            BEFORE_KILL + 1
        )),
        "{warnings}"
    );
    assert!(warnings.contains("re-synced"), "{warnings}");
    assert!(root.join(&run_id).join(TORN_FILE).is_file());

    // The runner measures only what is left.
    let todo: Vec<usize> = (0..CELLS)
        .filter(|i| !run.finished_cells().contains(&cell_id(*i)))
        .collect();
    assert_eq!(todo, (BEFORE_KILL..CELLS).collect::<Vec<_>>());
    for i in todo {
        run.record(&result(i, SEED), &meta(i)).unwrap();
    }
    run.finish(RunStatus::Finished).unwrap();
    let store_status = run.store().run(&run_id).unwrap().unwrap().status;
    assert_eq!(store_status, RunStatus::Finished);
    drop(run);
    assert_agree(root, &run_id, CELLS);
    assert_eq!(
        std::fs::read_to_string(root.join(&run_id).join("results.csv"))
            .unwrap()
            .lines()
            .count(),
        CELLS + 1
    );
    let env = edgebench::store::EnvInfo::read(&root.join(&run_id).join("env.json")).unwrap();
    assert_eq!(env.resumed.len(), 1);
    assert_eq!(env.status, RunStatus::Finished);
}

#[test]
fn complete_last_line_without_newline_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut run = new_run(root);
    let id = run.id().to_string();
    for i in 0..2 {
        run.record(&result(i, SEED), &meta(i)).unwrap();
    }
    drop(run);
    let path = root.join(&id).join("results.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.trim_end()).unwrap();

    let mut run = resume(root, &id);
    assert_eq!(run.finished_cells().len(), 2);
    assert!(run.warnings().is_empty(), "{:?}", run.warnings());
    run.record(&result(2, SEED), &meta(2)).unwrap();
    run.finish(RunStatus::Finished).unwrap();
    drop(run);
    assert_agree(root, &id, 3);
}

#[test]
fn recording_a_cell_twice_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    run.record(&result(0, SEED), &meta(0)).unwrap();
    let before = std::fs::read(&run.paths().jsonl).unwrap();
    let again = run.record(&result(0, SEED + 1), &meta(0));
    assert!(
        matches!(&again, Err(StoreError::AlreadyRecorded { cell_id, .. }) if cell_id == "cell000"),
        "{again:?}"
    );
    assert_eq!(std::fs::read(&run.paths().jsonl).unwrap(), before);
    assert_eq!(run.results().len(), 1);

    // Still an error after a resume.
    let id = run.id().to_string();
    drop(run);
    let mut run = resume(dir.path(), &id);
    assert!(matches!(
        run.record(&result(0, SEED), &meta(0)),
        Err(StoreError::AlreadyRecorded { .. })
    ));
}

#[test]
fn a_run_open_in_one_writer_is_refused_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let run = new_run(dir.path());
    let store = Store::open(&Store::default_path(dir.path())).unwrap();
    let err = RunStore::open(dir.path(), store, run.id().as_str(), Vec::new()).unwrap_err();
    assert!(matches!(err, StoreError::RunInUse { .. }), "{err}");
    assert!(err.to_string().contains("results.jsonl"), "{err}");
}

#[test]
fn failures_and_lines_without_cell_names_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    let failed =
        edgebench_schema::JobResult::failure("cellX", edgebench_schema::Status::Oom, "killed");
    let m = CellMeta {
        device: "pi5".into(),
        model: "tiny".into(),
        recipe: "f32".into(),
        runtime: Default::default(),
        threads: 4,
        prompt_tokens: 64,
        gen_tokens: 32,
    };
    run.record(&failed, &m).unwrap();
    let id = run.id().to_string();
    drop(run);
    // A line written by another tool: a bare JobResult, no `cell` key.
    let path = dir.path().join(&id).join("results.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&result(5, SEED).to_json());
    text.push('\n');
    std::fs::write(&path, text).unwrap();

    let run = resume(dir.path(), &id);
    let got = run.results();
    assert_eq!(got.len(), 2);
    assert_eq!((&got[0].meta, &got[0].result), (&m, &failed));
    assert_eq!(got[1].meta.device, "unknown");
    assert_eq!(got[1].meta.recipe, meta(5).recipe);
    assert_eq!(run.resync_report().added, 1);
}

#[test]
fn an_unreachable_or_busy_cell_is_run_again_and_its_new_result_replaces_it() {
    use edgebench_schema::{JobResult, Status};
    let dir = tempfile::tempdir().unwrap();
    let mut run = new_run(dir.path());
    run.record(&result(0, SEED), &meta(0)).unwrap();
    let down = JobResult::failure(cell_id(1), Status::Unreachable, "device 'pi': link lost");
    run.record(&down, &meta(1)).unwrap();
    let busy = JobResult::failure(cell_id(2), Status::Busy, "device busy");
    run.record(&busy, &meta(2)).unwrap();
    assert_eq!(
        run.finished_cells().len(),
        1,
        "only the measured cell is done"
    );
    let id = run.id().to_string();
    run.finish(RunStatus::Interrupted).unwrap();
    drop(run);

    let mut run = resume(dir.path(), &id);
    let done: Vec<&String> = run.finished_cells().iter().collect();
    assert_eq!(
        done,
        [&cell_id(0)],
        "a resume runs the unreachable and busy cells"
    );
    run.record(&result(1, SEED), &meta(1)).unwrap();
    run.record(&result(2, SEED), &meta(2)).unwrap();
    assert_eq!(run.results().len(), 3);
    assert!(matches!(
        run.record(&result(1, SEED), &meta(1)),
        Err(StoreError::AlreadyRecorded { .. })
    ));
    run.finish(RunStatus::Finished).unwrap();
    drop(run);
    // The JSONL keeps both lines of the retried cells; the later one wins,
    // in the file and in the database alike.
    let text = std::fs::read_to_string(dir.path().join(&id).join("results.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert_agree(dir.path(), &id, 3);
    let run = resume(dir.path(), &id);
    assert_eq!(run.finished_cells().len(), 3);
    assert!(run.results().iter().all(|r| r.result.status == Status::Ok));
}
