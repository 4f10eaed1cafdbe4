//! `edgebench generate` and `edgebench eval` on synthetic models, and their
//! bad inputs, run as the built binary.

use edgebench_kernels::gguf::{GgufWriter, Value};
use edgebench_kernels::synth::{self, CORPUS, Preset};

mod support;
use support::*;

fn tiny(tag: &str) -> TempFile {
    let f = TempFile::new(tag);
    synth::write(Preset::Tiny, 3, &f.0).expect("write the tiny model");
    f
}

/// The tiny model with metadata `edit`ed and the tensor `drop` left out.
fn altered(tag: &str, edit: impl Fn(&str, &Value) -> Value, drop: &str) -> TempFile {
    let m = synth::generate(Preset::Tiny, 3).expect("generate");
    let mut w = GgufWriter::new();
    for (k, v) in &m.metadata {
        w.add_metadata(k.clone(), edit(k, v)).expect("metadata");
    }
    for (name, t) in m.tensors.iter().filter(|(n, _)| *n != drop) {
        let dims: Vec<u64> = t.dims().iter().map(|&d| d as u64).collect();
        w.add_tensor(name, &dims, t.dtype(), t.bytes())
            .expect("tensor");
    }
    let f = TempFile::new(tag);
    w.write_to_path(&f.0).expect("write");
    f
}

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn fails_with(o: &std::process::Output, message: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    assert!(
        stderr(o).contains(message),
        "expected {message:?} in\n{}",
        text(o)
    );
}

#[test]
fn generate_reports_text_tokens_and_speeds() {
    let m = tiny("gen");
    for recipe in ["f32", "q8_0", "q4_0+heads50"] {
        let o = edgebench(&[
            "generate",
            "--model",
            m.path(),
            "--recipe",
            recipe,
            "--prompt",
            "The weather today",
            "-n",
            "12",
            "--threads",
            "2",
            "--json",
        ]);
        let v = json(&o);
        assert_eq!(v["recipe"], recipe);
        let n = v["tokens"].as_array().unwrap().len();
        assert!(n == 12 || v["stop"] == "stop_token", "{v}");
        assert!(v["prefill_tps"].as_f64().unwrap() > 0.0, "{v}");
        assert!(!v["prompt_tokens"].as_array().unwrap().is_empty());
    }
    // Seeded sampling is reproducible; human output has the speeds on stderr.
    let args = [
        "generate",
        "--model",
        m.path(),
        "--recipe",
        "q8_0",
        "--prompt",
        "Once",
        "-n",
        "10",
        "--temperature",
        "0.9",
        "--top-k",
        "20",
        "--seed",
        "5",
    ];
    let (a, b) = (edgebench(&args), edgebench(&args));
    assert!(a.status.success(), "{}", text(&a));
    assert_eq!(stdout(&a), stdout(&b));
    assert!(stdout(&a).starts_with("Once"), "{}", text(&a));
    assert!(
        stderr(&a).contains("decode") && stderr(&a).contains("tokens/s"),
        "{}",
        text(&a)
    );
}

#[test]
fn eval_compares_with_the_reference() {
    let m = tiny("eval");
    let t = TempFile::with_extension("eval", "txt");
    std::fs::write(&t.0, CORPUS).unwrap();
    let run = |recipe: &str, reference: &str| {
        json(&edgebench(&[
            "eval",
            "--model",
            m.path(),
            "--recipe",
            recipe,
            "--reference",
            reference,
            "--text",
            t.path(),
            "--ctx",
            "64",
            "--windows",
            "4",
            "--json",
        ]))
    };
    let same = run("f32", "f32");
    assert_eq!(same["windows"], 4);
    assert_eq!(same["scored_tokens"], 4 * 31);
    assert_eq!(same["ppl_ratio"], 1.0);
    assert_eq!(same["kld_mean"], 0.0);
    assert_eq!(same["top1_agreement_pct"], 100.0);
    let q4 = run("q4_0", "f32");
    assert!(q4["kld_mean"].as_f64().unwrap() > 0.0, "{q4}");
    assert_eq!(q4["ppl_reference"], same["ppl"]);
    let only = run("q8_0", "none");
    assert!(
        only["ppl"].as_f64().unwrap() > 1.0 && only["kld_mean"].is_null(),
        "{only}"
    );
}

#[test]
fn bad_inputs_exit_1_with_a_clear_error() {
    let m = tiny("bad");
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--model", m.path()];
        args.extend_from_slice(extra);
        edgebench(&args)
    };
    fails_with(
        &generate(&["--recipe", "q4_O", "--prompt", "hi"]),
        "did you mean 'q4_0'",
    );
    let long = "word ".repeat(40);
    fails_with(
        &generate(&["--recipe", "f32", "--ctx", "8", "--prompt", &long]),
        "context length exceeded",
    );
    fails_with(
        &generate(&["--recipe", "f32", "--top-p", "0", "--prompt", "hi"]),
        "top_p",
    );

    let mamba = altered(
        "mamba",
        |k, v| match k {
            "general.architecture" => Value::String("mamba".into()),
            _ => v.clone(),
        },
        "",
    );
    fails_with(
        &edgebench(&[
            "generate",
            "--model",
            mamba.path(),
            "--recipe",
            "f32",
            "--prompt",
            "x",
        ]),
        "unsupported architecture 'mamba'",
    );
    let holed = altered("holed", |_, v| v.clone(), "blk.1.ffn_up.weight");
    fails_with(
        &edgebench(&[
            "generate",
            "--model",
            holed.path(),
            "--recipe",
            "f32",
            "--prompt",
            "x",
        ]),
        "blk.1.ffn_up.weight",
    );

    let empty = TempFile::with_extension("empty", "txt");
    std::fs::write(&empty.0, " \n").unwrap();
    let eval = |text: &str| {
        edgebench(&[
            "eval",
            "--model",
            m.path(),
            "--recipe",
            "q8_0",
            "--text",
            text,
            "--ctx",
            "64",
        ])
    };
    fails_with(&eval(empty.path()), "is empty");
    let short = TempFile::with_extension("short", "txt");
    std::fs::write(&short.0, "Just a few words.").unwrap();
    fails_with(&eval(short.path()), "fewer than one window of 64");
    fails_with(
        &eval("/nonexistent/eval.txt"),
        "cannot read evaluation text",
    );
}

/// `models quantize SRC OUT --recipe R`, which must succeed.
fn quantize(src: &TempFile, recipe: &str, tag: &str) -> TempFile {
    let out = TempFile::new(tag);
    let o = edgebench(&[
        "models",
        "quantize",
        src.path(),
        out.path(),
        "--recipe",
        recipe,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    out
}

#[test]
fn recipe_files_run_as_they_are_like_the_recipe_applied_at_load() {
    let m = tiny("asis");
    let q4 = quantize(&m, "q4_0", "asis-q4");
    let f32 = quantize(&m, "f32", "asis-f32");
    let generate = |model: &TempFile, recipe: Option<&str>| {
        let mut args = vec!["generate", "--model", model.path()];
        if let Some(r) = recipe {
            args.extend(["--recipe", r]);
        }
        args.extend(["--prompt", "The weather today", "-n", "12", "--json"]);
        json(&edgebench(&args))
    };
    let file = generate(&q4, None);
    let applied = generate(&m, Some("q4_0"));
    assert_eq!(
        file["tokens"], applied["tokens"],
        "same weights, same tokens"
    );
    assert_eq!(file["recipe"], "q4_0", "the recipe the file records");
    assert_eq!(
        (&file["applied_at_load"], &applied["applied_at_load"]),
        (&serde_json::json!(false), &serde_json::json!(true))
    );

    let t = TempFile::with_extension("asis", "txt");
    std::fs::write(&t.0, CORPUS).unwrap();
    let common = [
        "--text",
        t.path(),
        "--ctx",
        "64",
        "--windows",
        "4",
        "--json",
    ];
    let eval = |args: &[&str]| {
        let mut all = vec!["eval"];
        all.extend(args);
        all.extend(common);
        edgebench(&all)
    };
    let files = json(&eval(&[
        "--model",
        q4.path(),
        "--reference-model",
        f32.path(),
    ]));
    let at_load = json(&eval(&["--model", m.path(), "--recipe", "q4_0"]));
    for key in ["ppl", "ppl_reference", "kld_mean", "top1_agreement_pct"] {
        assert_eq!(files[key], at_load[key], "{key}");
    }
    fails_with(
        &eval(&["--model", q4.path()]),
        "--reference-model (e.g. the f32 recipe file)",
    );
    fails_with(
        &eval(&["--model", q4.path(), "--reference", "f32"]),
        "scored as it is",
    );
    let only = json(&eval(&["--model", q4.path(), "--reference", "none"]));
    assert_eq!(only["ppl"], files["ppl"]);
}

#[test]
fn generate_profile_splits_the_passes_by_op() {
    let m = tiny("profile");
    let base = [
        "generate",
        "--model",
        m.path(),
        "--recipe",
        "q8_0",
        "--prompt",
        "The weather today",
        "-n",
        "6",
        "--threads",
        "2",
    ];
    let plain = json(&edgebench(&[&base[..], &["--json"]].concat()));
    assert!(plain.get("profile").is_none(), "off unless asked: {plain}");
    let v = json(&edgebench(&[&base[..], &["--json", "--profile"]].concat()));
    // Profiling changes no token.
    assert_eq!(v["tokens"], plain["tokens"]);
    let decode = &v["profile"]["decode"];
    assert_eq!(decode["forwards"], 5, "{v}");
    let ops: Vec<&str> = decode["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["op"].as_str().unwrap())
        .collect();
    for op in [
        "embedding",
        "norms",
        "activation quant",
        "matmul q/k/v",
        "attention",
        "matmul gate/up",
        "matmul down",
        "output projection",
    ] {
        assert!(ops.contains(&op), "{op} in {ops:?}");
    }
    let share: f64 = decode["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["share_pct"].as_f64().unwrap())
        .sum();
    assert!(share > 0.0 && share <= 100.0 + 1e-6, "{share}");
    let text_out = edgebench(&[&base[..], &["--profile"]].concat());
    let err = stderr(&text_out);
    assert!(
        err.contains("prefill: 1 forward pass") && err.contains("GB/s"),
        "{err}"
    );
}
