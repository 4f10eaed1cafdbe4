//! Valid matrices expand into the expected cells with stable ids, the fit
//! check skips cells with the arithmetic, and inventories are included.

use std::path::{Path, PathBuf};

use edgebench::matrix::{ModelSource, load, load_str};
use edgebench::plan::{CellStatus, Plan};
use edgebench_kernels::synth::{self, Preset};

mod support;

fn plan(text: &str) -> Plan {
    match load_str(Path::new("m.toml"), text) {
        Ok(m) => Plan::new(&m),
        Err(e) => panic!("{}", e.render()),
    }
}

fn ids(p: &Plan) -> Vec<String> {
    p.cells.iter().map(|c| c.id.clone()).collect()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

const MATRIX: &str = r#"
name = "t"
recipes = ["f32", "q8_0"]

[[models]]
name = "m"
synthetic = { preset = "tiny", seed = 1 }

[workload]
threads = [1, 2]
prompt_tokens = 16
gen_tokens = [4, 8]

[measure]
min_reps = 3
sample_hz = 50
"#;

#[test]
fn cells_are_device_model_recipe_threads_prompt_gen_in_order() {
    let p = plan(MATRIX);
    let got: Vec<(String, u32, u32)> = p
        .cells
        .iter()
        .map(|c| (c.recipe.clone(), c.threads, c.gen_tokens))
        .collect();
    let want = [
        ("f32", 1, 4),
        ("f32", 1, 8),
        ("f32", 2, 4),
        ("f32", 2, 8),
        ("q8_0", 1, 4),
        ("q8_0", 1, 8),
        ("q8_0", 2, 4),
        ("q8_0", 2, 8),
    ];
    let want: Vec<(String, u32, u32)> =
        want.iter().map(|&(r, t, g)| (r.to_owned(), t, g)).collect();
    assert_eq!(got, want);
    assert!(
        p.cells
            .iter()
            .all(|c| c.device == "local" && c.prompt_tokens == 16)
    );
    assert!(
        p.cells
            .iter()
            .all(|c| c.model_identity == "synthetic:tiny:1")
    );
    assert!(
        p.cells
            .iter()
            .all(|c| c.measure.min_reps == 3 && c.meter.sample_hz == 50.0)
    );
    let mut unique = ids(&p);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8);
    assert!(
        p.cells
            .iter()
            .all(|c| c.id.len() == 64 && c.short_id().len() == 12)
    );
    // One accuracy job per non-reference recipe.
    assert_eq!(p.accuracy.len(), 1);
    assert_eq!(p.accuracy[0].recipe, "q8_0");
    assert_eq!(p.accuracy[0].reference_canonical, "f32");
    assert_eq!(p.accuracy[0].text, "builtin");
    assert_eq!(p.accuracy[0].ctx, 256);
}

#[test]
fn ids_do_not_depend_on_key_order_or_recipe_names() {
    let reordered = r#"
[measure]
sample_hz = 50
min_reps = 3

[workload]
gen_tokens = [4, 8]
prompt_tokens = [16]
threads = [1, 2]

[[models]]
synthetic = { seed = 1, preset = "tiny" }
name = "m"

[[recipes]]
recipe = "F32"
name = "full"

[[recipes]]
quant = "q8_0"
name = "eight"
"#;
    let a = plan(MATRIX);
    let b = plan(&format!("name = \"t\"\n{reordered}"));
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.accuracy[0].id, b.accuracy[0].id);
}

#[test]
fn ids_change_when_anything_in_the_spec_changes() {
    let base = ids(&plan(MATRIX));
    let changes = [
        ("seed = 1", "seed = 2"),
        ("preset = \"tiny\"", "preset = \"small\""),
        ("min_reps = 3", "min_reps = 4"),
        ("sample_hz = 50", "sample_hz = 60"),
        ("prompt_tokens = 16", "prompt_tokens = 17"),
        ("[workload]", "[workload]\nkv = \"f16\""),
        ("[workload]", "[workload]\nseed = 9"),
        ("[measure]", "[measure]\nmeter = \"none\""),
        (
            "[measure]",
            "[measure]\nthermal_gate = { max_delta_c = 1.0, window_seconds = 5.0, timeout_seconds = 60.0 }",
        ),
    ];
    for (from, to) in changes {
        let text = MATRIX.replacen(from, to, 1);
        assert_ne!(text, MATRIX, "{from}");
        let changed = ids(&plan(&text));
        for id in &changed {
            assert!(!base.contains(id), "{from} -> {to} kept id {id}");
        }
    }
    // A recipe change changes the cells of that recipe only.
    let sparse = ids(&plan(&MATRIX.replacen(
        "\"q8_0\"]",
        "\"q8_0+sparse50\"]",
        1,
    )));
    assert_eq!(sparse[..4], base[..4]);
    assert!(sparse[4..].iter().all(|id| !base.contains(id)));
    // Things outside the spec do not change ids.
    let renamed = MATRIX
        .replace("name = \"t\"", "name = \"other\"")
        .replace("name = \"m\"", "name = \"n\"");
    assert_eq!(ids(&plan(&renamed)), base);
    let timeout = MATRIX.replace("[measure]", "[measure]\ntimeout_seconds = 30");
    assert_eq!(ids(&plan(&timeout)), base);
    // Nor does profiling one extra repetition, which the jobs carry.
    let profiled = plan(&MATRIX.replace("[measure]", "[measure]\nprofile = true"));
    assert_eq!(ids(&profiled), base);
    let job = |p: &Plan| {
        p.cells[0].job(edgebench_schema::ModelRef {
            path: "m.gguf".into(),
            sha256: "0".repeat(64),
            source_sha256: None,
        })
    };
    assert!(job(&profiled).profile && !job(&plan(MATRIX)).profile);
    let sent = serde_json::to_value(job(&plan(MATRIX))).unwrap();
    assert!(sent.get("profile").is_none(), "sent only when set: {sent}");
}

#[test]
fn the_same_cell_on_another_device_gets_another_id() {
    let two = format!(
        "devices = [\"local\", \"box\"]\n{MATRIX}\n[[device]]\nname = \"box\"\nhost = \"box.example\"\ntarget = \"x86_64-unknown-linux-gnu\"\n"
    );
    let p = plan(&two);
    assert_eq!(p.cells.len(), 16);
    let (local, other) = p.cells.split_at(8);
    assert_eq!(
        ids(&plan(MATRIX)),
        local.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    );
    assert!(other.iter().all(|c| c.device == "box"));
    assert!(other.iter().all(|c| !local.iter().any(|l| l.id == c.id)));
}

#[test]
fn cells_that_do_not_fit_are_skipped_with_the_arithmetic() {
    let text = r#"
devices = ["small-box"]
recipes = ["f32", "q4_0"]

[[models]]
name = "smol"
synthetic = { preset = "smollm-135m-shape" }

[workload]
prompt_tokens = 128
gen_tokens = 64

[[device]]
name = "small-box"
host = "small-box.example"
target = "aarch64-unknown-linux-gnu"
memory_mib = 256
"#;
    let p = plan(text);
    assert_eq!(p.cells.len(), 2);
    let CellStatus::Skipped { reason } = &p.cells[0].status else {
        panic!(
            "f32 of a 135 M model cannot fit in 256 MiB: {:?}",
            p.cells[0]
        );
    };
    // 134 515 008 parameters · 4 B = 513.1 MiB of weights; KV cache
    // 2 · 30 · 192 · 192 · 4 B = 8.4375 MiB.
    let m = &p.cells[0].memory;
    assert_eq!(m.weights_bytes, 4 * 134_515_008);
    assert_eq!(m.kv_bytes, 2 * 30 * 192 * 192 * 4);
    assert_eq!(
        m.total_bytes,
        m.weights_bytes + m.kv_bytes + m.scratch_bytes
    );
    assert!(
        reason.starts_with("needs about ")
            && reason.contains("but device `small-box` has 256.0 MiB: weights 513.1 MiB + KV cache 2 · 30 layers · 192 · 192 tokens · 4 B = 8.4 MiB + scratch"),
        "{reason}"
    );
    // q4_0 is about 4.5 bits per weight: it fits.
    assert_eq!(
        p.cells[1].status,
        CellStatus::Planned,
        "{:?}",
        p.cells[1].memory
    );
    assert_eq!(p.planned_count(), 1);
}

#[test]
fn the_fit_check_uses_the_kv_element_size() {
    let text = MATRIX.replace("[workload]", "[workload]\nkv = \"f16\"");
    let f16 = plan(&text);
    let f32 = plan(MATRIX);
    assert_eq!(
        f16.cells[0].memory.kv_bytes * 2,
        f32.cells[0].memory.kv_bytes
    );
}

#[test]
fn inventory_devices_carry_their_meters() {
    let m = load(&repo("harness/tests/fixtures/matrices/lab.toml"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let p = Plan::new(&m);
    assert_eq!(p.cells.len(), 2 * 2 * 2);
    let pi: Vec<_> = p.cells.iter().filter(|c| c.device == "pi5-a").collect();
    assert_eq!(pi.len(), 4);
    let ina = pi[0].meter.ina219.as_ref().expect("the inventory's INA219");
    assert_eq!((ina.bus, ina.address, ina.shunt_ohms), (1, 0x40, 0.1));
    let orin = p.cells.iter().find(|c| c.device == "orin-nano").unwrap();
    assert_eq!(orin.meter.hwmon_rail.as_deref(), Some("VDD_IN"));
    assert_eq!(m.devices[0].memory_bytes, Some(8192 << 20));
}

#[test]
fn model_files_are_identified_by_their_sha256() {
    let dir = std::env::temp_dir().join(format!(
        "edgebench-test-{}-matrix-model",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let model = synth::generate(Preset::Tiny, 5).unwrap();
    std::fs::write(dir.join("tiny.gguf"), model.to_bytes().unwrap()).unwrap();
    let text = "recipes = [\"q8_0\"]\n[[models]]\nname = \"a\"\npath = \"tiny.gguf\"\n[[models]]\nname = \"b\"\npath = \"./tiny.gguf\"\n";
    std::fs::write(dir.join("m.toml"), text).unwrap();
    let m = load(&dir.join("m.toml"));
    std::fs::remove_dir_all(&dir).unwrap();
    let m = m.unwrap_or_else(|e| panic!("{}", e.render()));
    let ModelSource::File { sha256, .. } = &m.models[0].source else {
        panic!("a file model");
    };
    let want = edgebench::matrix::sha256_hex(&model.to_bytes().unwrap());
    assert_eq!(sha256, &want);
    let p = Plan::new(&m);
    assert_eq!(p.cells[0].model_identity, format!("sha256:{want}"));
    assert_eq!(
        p.cells[0].memory.weights_bytes,
        p.cells[1].memory.weights_bytes
    );
    assert_eq!(
        m.models[0].shape,
        edgebench::matrix::ModelShape::of_preset(Preset::Tiny)
    );
}

#[test]
fn the_example_matrices_pass_the_check() {
    let quick =
        load(&repo("matrices/quickstart.toml")).unwrap_or_else(|e| panic!("{}", e.render()));
    let p = Plan::new(&quick);
    assert_eq!(p.cells.len(), 5 * 2);
    assert_eq!(p.accuracy.len(), 4);
    let recipes: Vec<&str> = quick.recipes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(recipes, ["f32", "f16", "q8_0", "q4_0", "q4_0+heads25"]);
    let lab = load(&repo("matrices/lab-nightly.toml")).unwrap_or_else(|e| panic!("{}", e.render()));
    let names: Vec<&str> = lab.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["pi5-a", "pi5-b", "orin-nano"]);
    assert_eq!(Plan::new(&lab).planned_count(), 12);
    assert_eq!((lab.regression.blocks, lab.regression.canaries), (15, 2));
}

#[test]
fn cli_check_and_expand() {
    let path = repo("harness/tests/fixtures/matrices/lab.toml");
    let path = path.to_str().unwrap();
    let o = support::edgebench(&["matrix", "check", path]);
    assert!(o.status.success(), "{}", support::text(&o));
    assert_eq!(support::stdout(&o), "ok: 8 cells, 1 accuracy jobs\n");
    let o = support::edgebench(&["matrix", "expand", path]);
    assert!(o.status.success(), "{}", support::text(&o));
    assert_eq!(
        support::stdout(&o)
            .lines()
            .filter(|l| l.ends_with("planned"))
            .count(),
        8
    );
    let o = support::edgebench(&["matrix", "expand", path, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["cells"].as_array().map(Vec::len), Some(8));
    // Runtimes have their column, and each cell its runtime in the JSON.
    let runtimes = repo("matrices/runtimes.toml");
    let o = support::edgebench(&["matrix", "expand", runtimes.to_str().unwrap()]);
    assert!(o.status.success(), "{}", support::text(&o));
    let out = support::stdout(&o);
    let on_llama = |l: &&str| l.contains(" llama.cpp ") && l.ends_with("planned");
    assert_eq!(out.lines().filter(on_llama).count(), 6, "{out}");
    assert!(out.contains("f32 on llama.cpp vs f32"), "{out}");
    let bad = repo("harness/tests/fixtures/matrices/unknown-device.toml");
    let bad = bad.to_str().unwrap();
    let o = support::edgebench(&["matrix", "check", bad]);
    assert_eq!(o.status.code(), Some(1));
    let err = support::stderr(&o);
    assert!(err.contains(&format!("--> {bad}:2:21")), "{err}");
    assert!(err.contains("= help: did you mean `pi5-a`?"), "{err}");
}

#[test]
fn runtimes_are_a_dimension_that_leaves_the_kernels_ids_alone() {
    let base = plan(MATRIX);
    let explicit = plan(&MATRIX.replace(
        "recipes = [\"f32\", \"q8_0\"]",
        "recipes = [\"f32\", \"q8_0\"]\nruntimes = [\"edgebench\"]",
    ));
    assert_eq!(ids(&explicit), ids(&base), "the default runtime named");
    let both = plan(&MATRIX.replace(
        "recipes = [\"f32\", \"q8_0\"]",
        "recipes = [\"f32\", \"q8_0\"]\nruntimes = [\"edgebench\", \"llama.cpp\"]",
    ));
    assert_eq!(both.cells.len(), 2 * base.cells.len());
    // Recipe, then runtime, then the workload: the kernel's cells of each
    // recipe keep their ids; llama.cpp's are new.
    use edgebench_schema::Runtime;
    let kernel: Vec<String> = both
        .cells
        .iter()
        .filter(|c| c.runtime == Runtime::Edgebench)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(kernel, ids(&base));
    let runtimes: Vec<Runtime> = both.cells[..8].iter().map(|c| c.runtime).collect();
    assert_eq!(runtimes[..4], [Runtime::Edgebench; 4]);
    assert_eq!(runtimes[4..], [Runtime::LlamaCpp; 4]);
    for c in both.cells.iter().filter(|c| c.runtime == Runtime::LlamaCpp) {
        assert!(!ids(&base).contains(&c.id));
        let job = c.job(edgebench_schema::ModelRef {
            path: "m.gguf".into(),
            sha256: "0".repeat(64),
            source_sha256: None,
        });
        assert_eq!(job.runtime, Runtime::LlamaCpp);
        let sent = serde_json::to_value(&job).unwrap();
        assert_eq!(sent["runtime"], "llama.cpp");
    }
    let sent = serde_json::to_value(base.cells[0].job(edgebench_schema::ModelRef {
        path: "m.gguf".into(),
        sha256: "0".repeat(64),
        source_sha256: None,
    }))
    .unwrap();
    assert!(
        sent.get("runtime").is_none(),
        "the default is not sent: {sent}"
    );
}

#[test]
fn accuracy_is_planned_per_runtime_with_llama_cpps_own_f32() {
    let text = MATRIX.replace(
        "recipes = [\"f32\", \"q8_0\"]",
        "recipes = [\"f32\", \"q8_0\"]\nruntimes = [\"edgebench\", \"llama.cpp\"]",
    ) + "\n[accuracy]\nreference = \"f32\"\n";
    let p = plan(&text);
    let jobs: Vec<(String, String)> = p
        .accuracy
        .iter()
        .map(|j| (j.recipe_canonical.clone(), j.runtime.to_string()))
        .collect();
    assert_eq!(
        jobs,
        [
            ("f32".to_owned(), "llama.cpp".to_owned()),
            ("q8_0".to_owned(), "edgebench".to_owned()),
            ("q8_0".to_owned(), "llama.cpp".to_owned()),
        ]
    );
    let kernel_only = plan(&(MATRIX.to_owned() + "\n[accuracy]\nreference = \"f32\"\n"));
    assert_eq!(kernel_only.accuracy.len(), 1);
    assert_eq!(kernel_only.accuracy[0].id, p.accuracy[1].id, "ids kept");
}
