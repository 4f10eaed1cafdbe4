//! `edgebench models synth`, run as the built binary.

mod support;
use support::*;

use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::ModelConfig;

#[test]
fn writes_a_loadable_model_and_says_what_it_wrote() {
    let f = TempFile::new("tiny");
    let o = edgebench(&[
        "models",
        "synth",
        "--preset",
        "tiny",
        "--seed",
        "5",
        f.path(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let size = std::fs::metadata(&f.0).unwrap().len();
    for want in [
        f.path().to_owned(),
        "preset tiny".into(),
        "seed 5".into(),
        format!("{size} bytes"),
        "parameters".into(),
    ] {
        assert!(out.contains(&want), "{want:?} missing in {out}");
    }
    let file = GgufFile::open(&f.0).unwrap();
    let config = ModelConfig::from_gguf(&file).unwrap();
    assert_eq!(
        (config.n_embd, config.n_layer, config.n_vocab),
        (64, 2, 512)
    );
    assert_eq!(file.get_u64("edgebench.synthetic.seed").unwrap(), Some(5));
}

#[test]
fn json_output_and_determinism_across_runs() {
    let (a, b) = (TempFile::new("small-a"), TempFile::new("small-b"));
    for f in [&a, &b] {
        let o = edgebench(&[
            "models",
            "synth",
            "--preset",
            "small",
            "--seed",
            "9",
            "--json",
            f.path(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["preset"], "small");
        assert_eq!(v["seed"], 9);
        assert_eq!(v["parameters"], 3_541_248);
        assert_eq!(v["bytes"], std::fs::metadata(&f.0).unwrap().len());
    }
    assert!(std::fs::read(&a.0).unwrap() == std::fs::read(&b.0).unwrap());
}

#[test]
fn unknown_preset_exits_1_and_lists_the_valid_ones() {
    let f = TempFile::new("bad");
    let o = edgebench(&["models", "synth", "--preset", "medium", f.path()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("unknown preset 'medium'"), "{err}");
    assert!(err.contains("tiny, small, smollm-135m-shape"), "{err}");
    assert!(!f.0.exists());
}

#[test]
fn unwritable_path_exits_1_naming_it() {
    let dir = std::env::temp_dir().join(format!("edgebench-synth-cli-none-{}", std::process::id()));
    let path = dir.join("m.gguf");
    let o = edgebench(&[
        "models",
        "synth",
        "--preset",
        "tiny",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert!(!path.exists());
}

#[test]
fn help_lists_the_presets_with_an_example() {
    let o = edgebench(&["models", "synth", "--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for want in ["--preset", "--seed", "smollm-135m-shape", "Example:"] {
        assert!(out.contains(want), "{want} missing in {out}");
    }
}
