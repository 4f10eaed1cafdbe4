//! Job and result JSON: round trips, versions and every bad field.

use edgebench_schema::job::{MeterKind, SchemaError};
use edgebench_schema::{Job, JobResult, SCHEMA_VERSION, Status, Summary};

fn job_json() -> String {
    format!(
        r#"{{"schema_version":{SCHEMA_VERSION},"cell_id":"c1",
        "model":{{"path":"/tmp/m.gguf","sha256":"{}"}},
        "recipe":"q4_0","threads":2,"prompt_tokens":128,"gen_tokens":64}}"#,
        "ab".repeat(32)
    )
}

#[test]
fn minimal_job_gets_defaults_and_round_trips() {
    let job = Job::from_json(&job_json()).unwrap();
    assert_eq!(job.measure.warmup_reps, 1);
    assert_eq!(job.meter.kind, MeterKind::Auto);
    assert_eq!(Job::from_json(&job.to_json()).unwrap(), job);
}

fn err_of(edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&job_json()).unwrap();
    edit(&mut v);
    Job::from_json(&v.to_string()).unwrap_err().to_string()
}

type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn bad_jobs_name_the_field() {
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["threads"] = 0.into()), "'threads'"),
        (
            Box::new(|v| v["prompt_tokens"] = 0.into()),
            "'prompt_tokens'",
        ),
        (Box::new(|v| v["gen_tokens"] = (-1).into()), "gen_tokens"),
        (
            Box::new(|v| v["prompt_tokens"] = (1 << 21).into()),
            "'prompt_tokens'",
        ),
        (
            Box::new(|v| v["gen_tokens"] = (1 << 21).into()),
            "'gen_tokens'",
        ),
        (
            Box::new(|v| v["model"]["sha256"] = "xyz".into()),
            "'model.sha256'",
        ),
        (Box::new(|v| v["model"]["path"] = "".into()), "'model.path'"),
        (Box::new(|v| v["recipe"] = "".into()), "'recipe'"),
        (
            Box::new(|v| v["measure"] = serde_json::json!({"min_reps": 0})),
            "min_reps",
        ),
        (
            Box::new(|v| v["measure"] = serde_json::json!({"min_seconds": -1.0})),
            "min_seconds",
        ),
        (
            Box::new(|v| v["meter"] = serde_json::json!({"sample_hz": 5000.0})),
            "sample_hz",
        ),
        (
            Box::new(|v| v["meter"] = serde_json::json!({"kind": "ina219"})),
            "meter.ina219",
        ),
        (
            Box::new(|v| v["meter"] = serde_json::json!({"kind": "volts"})),
            "unknown variant",
        ),
        (Box::new(|v| v["bogus"] = 1.into()), "unknown field `bogus`"),
        (
            Box::new(|v| v["schema_version"] = 99.into()),
            "schema_version 99",
        ),
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("schema_version");
            }),
            "schema_version 0",
        ),
    ];
    for (edit, want) in cases {
        let msg = err_of(edit);
        assert!(msg.contains(want), "{msg:?} should mention {want:?}");
    }
    for text in ["", "{", "[]", "null", "{\"schema_version\": \"1\"}"] {
        assert!(Job::from_json(text).is_err(), "{text:?}");
    }
    let e = Job::from_json("{\"schema_version\": 2, \"cell_id\": 3}").unwrap_err();
    assert!(matches!(e, SchemaError::Json { .. }), "{e}");
}

#[test]
fn failure_results_round_trip() {
    let r = JobResult::failure("c1", Status::Failed, "model file missing: /x");
    let text = r.to_json();
    assert!(text.contains("\"status\":\"failed\""), "{text}");
    assert_eq!(JobResult::from_json(&text).unwrap(), r);
    let busy = JobResult::failure("c1", Status::Busy, "device busy").to_json();
    assert!(busy.contains("\"status\":\"busy\""), "{busy}");
    assert_eq!(JobResult::from_json(&busy).unwrap().status.name(), "busy");
    assert!(JobResult::from_json("{\"schema_version\": 2}").is_err());
    let e = JobResult::from_json("{\"schema_version\": 3}").unwrap_err();
    assert!(e.to_string().contains("reads versions 1 to 2"), "{e}");
    let s = Summary::of(&[1.0, 2.0], 1).unwrap();
    let back: Summary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn version_1_results_read_as_applied_at_load() {
    // A result of an agent that converted the source at load: its file is
    // the source, so its size on disk is the recipe's tensor bytes.
    let mut v: serde_json::Value =
        serde_json::from_str(&JobResult::failure("c1", Status::Ok, "").to_json()).unwrap();
    v["schema_version"] = 1.into();
    v["model"] = serde_json::json!({
        "path": "/m/source-f32.gguf", "sha256": "ab".repeat(32), "file_bytes": 4000,
        "recipe": "q4_0", "parameters": 1000, "recipe_bytes": 600, "load_seconds": 0.5
    });
    let r = JobResult::from_json(&v.to_string()).unwrap();
    let m = r.model.unwrap();
    assert!(m.applied_at_load);
    assert_eq!((m.size_on_disk(), m.source_sha256), (600, None));
    // Version 2 results say they ran the recipe file itself.
    v["schema_version"] = SCHEMA_VERSION.into();
    v["model"]["applied_at_load"] = false.into();
    let m = JobResult::from_json(&v.to_string()).unwrap().model.unwrap();
    assert_eq!(m.size_on_disk(), 4000);
}
