//! [`check_file`]: a recipe file is accepted under its own recipe only, and
//! a file whose formats disagree with the recipe is refused naming both.

mod recipe_support;

use std::sync::Arc;

use edgebench_kernels::gguf::{GgufFile, GgufWriter, Value};
use edgebench_kernels::model::Model;
use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{
    Mismatch, RECIPE_KEY, RecipeError, apply, check_file, expected_type, write_gguf,
};
use recipe_support::{Draft, Spec, TempPath, recipe};

/// The recipe file of `name` made from a small f32 model.
fn recipe_file(name: &str, tag: &str) -> (TempPath, Arc<GgufFile>) {
    let m = Draft::new(Spec::gqa(), 5).build(GgmlType::F32);
    let a = apply(&recipe(name), &m.config, &m.tensors).unwrap();
    let out = TempPath::new(tag);
    write_gguf(&m.file, &a, &out.0).unwrap();
    let file = Arc::new(GgufFile::open(&out.0).unwrap());
    (out, file)
}

fn mismatch(e: RecipeError) -> Mismatch {
    match e {
        RecipeError::Mismatch(m) => m,
        other => panic!("expected a mismatch, got {other}"),
    }
}

#[test]
fn recipe_files_pass_under_their_own_recipe_and_load_without_conversion() {
    for name in [
        "f32",
        "f16",
        "q8_0",
        "q4_0",
        "q4_0+heads25",
        "q4_0+token_embd=q8_0",
    ] {
        let (_out, file) = recipe_file(name, &name.replace('+', "-"));
        check_file(&file, &recipe(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The model runs from the file's bytes as they are.
        Model::load(Arc::clone(&file)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn another_recipe_is_refused_naming_both() {
    let (_out, file) = recipe_file("q8_0", "q8");
    let e = check_file(&file, &recipe("q4_0")).unwrap_err();
    let text = e.to_string();
    assert_eq!(
        mismatch(e),
        Mismatch::Recipe {
            file: "q8_0".into(),
            expected: "q4_0".into()
        }
    );
    assert!(text.contains("'q8_0'") && text.contains("'q4_0'"), "{text}");
    // Pruning is only visible in the recorded recipe.
    let (_out, file) = recipe_file("q4_0", "q4");
    let e = mismatch(check_file(&file, &recipe("q4_0+heads25")).unwrap_err());
    assert!(matches!(e, Mismatch::Recipe { .. }), "{e}");
}

/// A file with the metadata of `source` minus the recipe key, and its
/// tensors as they are: what another tool would write.
fn without_record(source: &GgufFile, tag: &str) -> (TempPath, Arc<GgufFile>) {
    let mut w = GgufWriter::new();
    for (k, v) in source.metadata() {
        if k != RECIPE_KEY {
            w.add_metadata(k.clone(), v.clone()).unwrap();
        }
    }
    for t in source.tensors() {
        w.add_tensor(t.name.clone(), &t.dims, t.dtype, source.tensor_data(t))
            .unwrap();
    }
    let out = TempPath::new(tag);
    w.write_to_path(&out.0).unwrap();
    let file = Arc::new(GgufFile::open(&out.0).unwrap());
    (out, file)
}

#[test]
fn without_a_recorded_recipe_the_formats_decide() {
    let (_a, q8) = recipe_file("q8_0", "plain-src");
    let (_b, plain) = without_record(&q8, "plain");
    check_file(&plain, &recipe("q8_0")).unwrap();
    // Whether it was pruned cannot be told from the formats.
    for pruning in ["q8_0+heads25", "q8_0+ffn25", "q8_0+sparse50"] {
        let e = mismatch(check_file(&plain, &recipe(pruning)).unwrap_err());
        assert_eq!(
            e,
            Mismatch::Unrecorded {
                expected: pruning.into()
            }
        );
    }
    let e = mismatch(check_file(&plain, &recipe("q4_0+output=q8_0")).unwrap_err());
    let text = e.to_string();
    match e {
        Mismatch::TensorType {
            found,
            expected,
            file_recipe,
            ..
        } => {
            assert_eq!((found, expected), (GgmlType::Q8_0, GgmlType::Q4_0));
            assert_eq!(file_recipe, None);
        }
        other => panic!("{other}"),
    }
    assert!(
        text.contains("is q8_0") && text.contains("stores it as q4_0"),
        "{text}"
    );

    // The f32 source under a quantized recipe's name.
    let m = Draft::new(Spec::gqa(), 5).build(GgmlType::F32);
    let e = mismatch(check_file(&m.file, &recipe("q4_0")).unwrap_err());
    assert!(
        matches!(
            e,
            Mismatch::TensorType {
                found: GgmlType::F32,
                expected: GgmlType::Q4_0,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_recorded_recipe_that_does_not_parse_is_named() {
    let (_a, q8) = recipe_file("q8_0", "bad-src");
    let mut w = GgufWriter::new();
    for (k, v) in q8.metadata() {
        let v = if k == RECIPE_KEY {
            Value::String("q9_9+heads".into())
        } else {
            v.clone()
        };
        w.add_metadata(k.clone(), v).unwrap();
    }
    for t in q8.tensors() {
        w.add_tensor(t.name.clone(), &t.dims, t.dtype, q8.tensor_data(t))
            .unwrap();
    }
    let out = TempPath::new("bad-record");
    w.write_to_path(&out.0).unwrap();
    let file = GgufFile::open(&out.0).unwrap();
    let e = mismatch(check_file(&file, &recipe("q8_0")).unwrap_err());
    assert!(
        matches!(&e, Mismatch::BadRecord { file, .. } if file == "q9_9+heads"),
        "{e}"
    );
}

#[test]
fn expected_types_follow_the_recipe_and_fallbacks() {
    let r = recipe("q4_0+token_embd=q8_0");
    assert_eq!(
        expected_type(&r, "blk.0.attn_q.weight", 64),
        Some(GgmlType::Q4_0)
    );
    assert_eq!(
        expected_type(&r, "token_embd.weight", 64),
        Some(GgmlType::Q8_0)
    );
    assert_eq!(
        expected_type(&r, "blk.3.ffn_norm.weight", 64),
        Some(GgmlType::F32)
    );
    // Rows of 48 are whole blocks of neither q4_0 nor q8_0: f16.
    assert_eq!(
        expected_type(&r, "blk.0.ffn_down.weight", 48),
        Some(GgmlType::F16)
    );
    assert_eq!(expected_type(&r, "some.other.tensor", 64), None);
}
