//! Errors of loading a model and running a session: every one reported
//! before anything runs, with the session left usable.

mod forward_support;

use std::sync::Arc;

use edgebench_kernels::gguf::Value;
use edgebench_kernels::model::{
    Logits, Model, ModelConfig, ModelError, Session, SessionOptions, TensorSet,
};
use edgebench_kernels::quant::GgmlType;
use forward_support::{Parts, Spec, build, tokens};

fn small(arch: &'static str) -> Parts {
    build(&Spec::small(arch, GgmlType::Q8_0, false))
}

fn load(parts: &Parts) -> Result<Model, ModelError> {
    Model::load(parts.file())
}

fn session(context: usize) -> Session {
    let model = Arc::new(load(&small("llama")).unwrap());
    Session::new(model, &SessionOptions::new(context)).unwrap()
}

#[test]
fn exceeding_the_context_fails_before_running() {
    let mut s = session(8);
    let toks = tokens(9, 96, 1);
    assert!(matches!(
        s.forward(&toks, Logits::Last),
        Err(ModelError::ContextExceeded {
            used: 0,
            requested: 9,
            context: 8
        })
    ));
    s.forward(&toks[..5], Logits::Last).unwrap();
    let err = s.forward(&toks[5..9], Logits::Last).unwrap_err();
    assert!(matches!(
        err,
        ModelError::ContextExceeded {
            used: 5,
            requested: 4,
            context: 8
        }
    ));
    assert!(err.to_string().contains("context length exceeded"), "{err}");
    assert_eq!(s.position(), 5);
    s.forward(&toks[5..8], Logits::Last).unwrap();
    assert_eq!(s.position(), 8);
    assert!(s.forward(&toks[..1], Logits::Last).is_err());
}

#[test]
fn token_ids_outside_the_vocabulary_are_rejected() {
    let mut s = session(16);
    let err = s.forward(&[1, 2, 96, 3], Logits::All).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::TokenOutOfRange {
                id: 96,
                position: 2,
                n_vocab: 96
            }
        ),
        "{err}"
    );
    assert!(matches!(
        s.forward(&[u32::MAX], Logits::Last),
        Err(ModelError::TokenOutOfRange { .. })
    ));
    assert_eq!(s.position(), 0);
    s.forward(&[95], Logits::Last).unwrap();
}

#[test]
fn empty_input_is_rejected() {
    let mut s = session(4);
    assert!(matches!(
        s.forward(&[], Logits::All),
        Err(ModelError::EmptyInput)
    ));
}

#[test]
fn session_contexts_must_fit_the_model() {
    let model = Arc::new(load(&small("llama")).unwrap());
    for context in [0, 65] {
        let err = Session::new(Arc::clone(&model), &SessionOptions::new(context)).unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::BadSessionOption {
                    name: "context",
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn missing_tensors_are_named() {
    for (arch, name) in [
        ("llama", "blk.1.ffn_up.weight"),
        ("llama", "output_norm.weight"),
        ("qwen2", "blk.0.attn_k.bias"),
    ] {
        let mut parts = small(arch);
        parts.remove(name);
        match load(&parts) {
            Err(ModelError::MissingTensor { name: n }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn shapes_are_checked_against_the_hyperparameters() {
    let mut parts = small("llama");
    let k = parts.tensor_mut("blk.0.attn_k.weight");
    k.dims = vec![64, 48];
    k.bytes.resize(48 * 2 * 34, 0);
    match load(&parts) {
        Err(ModelError::BadShape {
            name,
            found,
            expected,
        }) => {
            assert_eq!(name, "blk.0.attn_k.weight");
            assert_eq!((found, expected), (vec![64, 48], vec![64, 32]));
        }
        other => panic!("{other:?}"),
    }

    // A config that disagrees with the tensors.
    let file = small("qwen2").file();
    let mut config = ModelConfig::from_gguf(&file).unwrap();
    config.n_ff = 128;
    let err = Model::from_tensors(config, &TensorSet::from_gguf(&file)).unwrap_err();
    assert!(
        matches!(&err, ModelError::BadShape { name, .. } if name == "blk.0.ffn_gate.weight"),
        "{err}"
    );

    let mut parts = small("llama");
    parts
        .metadata
        .push(("llama.attention.key_length".into(), Value::U32(8)));
    assert!(load(&parts).is_err());
}

#[test]
fn formats_the_kernels_cannot_compute_with_are_rejected_with_advice() {
    // A q5_0 matrix: the bytes are valid for the shape, the format is not one
    // the matrix kernels take.
    let mut parts = small("llama");
    let gate = parts.tensor_mut("blk.1.ffn_gate.weight");
    gate.dtype = GgmlType::Q5_0;
    gate.bytes = vec![0; 160 * 2 * 22];
    let err = load(&parts).unwrap_err();
    assert!(
        matches!(
            &err,
            ModelError::UnsupportedTensorType { name, dtype: GgmlType::Q5_0, .. }
                if name == "blk.1.ffn_gate.weight"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("apply a recipe"), "{err}");

    // An embedding that also serves as the output must be computable.
    let mut parts = build(&Spec::small("llama", GgmlType::F32, true));
    let embd = parts.tensor_mut("token_embd.weight");
    embd.dtype = GgmlType::I32;
    let err = load(&parts).unwrap_err();
    assert!(
        matches!(&err, ModelError::UnsupportedTensorType { name, .. } if name == "token_embd.weight"),
        "{err}"
    );
    assert!(err.to_string().contains("tied"), "{err}");

    // A norm that cannot be converted to f32.
    let mut parts = small("llama");
    let norm = parts.tensor_mut("output_norm.weight");
    norm.dtype = GgmlType::I32;
    assert!(matches!(
        load(&parts),
        Err(ModelError::UnsupportedTensorType { .. })
    ));
}

#[test]
fn an_untied_embedding_only_needs_row_lookup() {
    // With a separate output matrix, the embedding may use any format that
    // dequantizes, here f16 next to q8_0 matrices.
    let spec = Spec::small("llama", GgmlType::Q8_0, false);
    let mut parts = build(&spec);
    let f16 = build(&Spec::small("llama", GgmlType::F16, false));
    let embd = f16
        .tensors
        .iter()
        .find(|t| t.name == "token_embd.weight")
        .unwrap()
        .clone();
    *parts.tensor_mut("token_embd.weight") = embd;
    let model = Arc::new(load(&parts).unwrap());
    let mut s = Session::new(model, &SessionOptions::new(8)).unwrap();
    assert_eq!(s.forward(&[3, 4], Logits::Last).unwrap().len(), 96);
}
