//! GGUF writer → reader round trips: every value type (nested and empty
//! arrays, empty strings), tensors of several types, read → write → read
//! identity, and an optional check against a real model file.

use edgebench_kernels::gguf::{ArrayValue, GgufError, GgufFile, GgufWriter, Value, ValueType};
use edgebench_kernels::quant::GgmlType;

fn every_value() -> Vec<(String, Value)> {
    let v = vec![
        ("t.u8", Value::U8(250)),
        ("t.i8", Value::I8(-7)),
        ("t.u16", Value::U16(65_000)),
        ("t.i16", Value::I16(-30_000)),
        ("t.u32", Value::U32(4_000_000_000)),
        ("t.i32", Value::I32(-2_000_000_000)),
        ("t.f32", Value::F32(-1.5e-7)),
        ("t.bool", Value::Bool(true)),
        ("t.bool_false", Value::Bool(false)),
        ("t.string", Value::String("héllo ✓".into())),
        ("t.empty_string", Value::String(String::new())),
        ("t.u64", Value::U64(u64::MAX)),
        ("t.i64", Value::I64(i64::MIN)),
        ("t.f64", Value::F64(std::f64::consts::PI)),
        ("a.u8", Value::Array(ArrayValue::U8(vec![1, 2, 255]))),
        ("a.i8", Value::Array(ArrayValue::I8(vec![-1, 0, 1]))),
        ("a.u16", Value::Array(ArrayValue::U16(vec![1, 65_535]))),
        ("a.i16", Value::Array(ArrayValue::I16(vec![-2, 2]))),
        ("a.u32", Value::Array(ArrayValue::U32(vec![7; 5]))),
        ("a.i32", Value::Array(ArrayValue::I32(vec![-3, 3, 0]))),
        ("a.f32", Value::Array(ArrayValue::F32(vec![0.5, -0.25]))),
        (
            "a.bool",
            Value::Array(ArrayValue::Bool(vec![true, false, true])),
        ),
        (
            "a.str",
            Value::Array(ArrayValue::String(vec![
                "".into(),
                "<s>".into(),
                "ü".into(),
            ])),
        ),
        ("a.u64", Value::Array(ArrayValue::U64(vec![u64::MAX, 0]))),
        ("a.i64", Value::Array(ArrayValue::I64(vec![i64::MIN, 1]))),
        ("a.f64", Value::Array(ArrayValue::F64(vec![1e300, -0.0]))),
        ("a.empty_u32", Value::Array(ArrayValue::U32(vec![]))),
        ("a.empty_str", Value::Array(ArrayValue::String(vec![]))),
        ("a.empty_nested", Value::Array(ArrayValue::Array(vec![]))),
        (
            "a.nested",
            Value::Array(ArrayValue::Array(vec![
                ArrayValue::I32(vec![1, 2, 3]),
                ArrayValue::String(vec!["x".into()]),
                ArrayValue::Array(vec![ArrayValue::F32(vec![]), ArrayValue::U8(vec![9])]),
            ])),
        ),
    ];
    v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn tensor_bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sample_writer(alignment: Option<u32>) -> GgufWriter<'static> {
    let mut w = GgufWriter::new();
    if let Some(a) = alignment {
        w.add_metadata("general.alignment", Value::U32(a)).unwrap();
    }
    for (k, v) in every_value() {
        w.add_metadata(k, v).unwrap();
    }
    w.add_tensor(
        "tok_embd.weight",
        &[64, 3],
        GgmlType::Q8_0,
        tensor_bytes(34 * 6, 1),
    )
    .unwrap();
    w.add_tensor("norm.weight", &[5], GgmlType::F32, tensor_bytes(20, 2))
        .unwrap();
    w.add_tensor(
        "blk.0.ffn.weight",
        &[256, 2],
        GgmlType::Q4_K,
        tensor_bytes(288, 3),
    )
    .unwrap();
    w.add_tensor("x", &[32, 1, 2, 1], GgmlType::Q4_1, tensor_bytes(40, 4))
        .unwrap();
    w
}

fn write(w: &GgufWriter<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let n = w.write_to(&mut out).unwrap();
    assert_eq!(n, out.len() as u64);
    out
}

#[test]
fn every_value_type_round_trips() {
    let file = GgufFile::from_bytes(write(&sample_writer(None))).unwrap();
    assert_eq!(file.version(), 3);
    assert_eq!(file.alignment(), 32);
    assert_eq!(file.metadata(), every_value().as_slice());
    assert_eq!(file.value_type("a.nested"), Some(ValueType::Array));
}

#[test]
fn tensors_round_trip_with_alignment_padding() {
    for alignment in [None, Some(1), Some(64), Some(4096)] {
        let bytes = write(&sample_writer(alignment));
        let file = GgufFile::from_bytes(bytes.clone()).unwrap();
        let a = file.alignment();
        assert_eq!(a, alignment.map_or(32, u64::from));
        assert_eq!(file.data_offset() % a, 0);
        // llama.cpp pads after every tensor, the last one included.
        assert_eq!(bytes.len() as u64 % a, 0);
        let expect = [
            (
                "tok_embd.weight",
                vec![64, 3],
                GgmlType::Q8_0,
                tensor_bytes(204, 1),
            ),
            ("norm.weight", vec![5], GgmlType::F32, tensor_bytes(20, 2)),
            (
                "blk.0.ffn.weight",
                vec![256, 2],
                GgmlType::Q4_K,
                tensor_bytes(288, 3),
            ),
            ("x", vec![32, 1, 2, 1], GgmlType::Q4_1, tensor_bytes(40, 4)),
        ];
        assert_eq!(file.tensors().len(), expect.len());
        let mut next = 0;
        for (t, (name, dims, dtype, data)) in file.tensors().iter().zip(expect) {
            assert_eq!((t.name.as_str(), &t.dims, t.dtype), (name, &dims, dtype));
            assert_eq!(t.offset, next, "offsets are sequential, padded to {a}");
            next = (t.offset + t.n_bytes).div_ceil(a) * a;
            assert_eq!(file.tensor_data(t), data.as_slice());
            // padding bytes are zeros
            let end = (file.data_offset() + t.offset + t.n_bytes) as usize;
            let pad_end = (file.data_offset() + next) as usize;
            assert!(bytes[end..pad_end].iter().all(|&b| b == 0));
        }
        assert_eq!(file.tensor("x").map(|t| t.n_elements()), Some(64));
    }
}

fn rewrite(file: &GgufFile) -> Vec<u8> {
    let mut w = GgufWriter::new();
    for (k, v) in file.metadata() {
        w.add_metadata(k.clone(), v.clone()).unwrap();
    }
    for t in file.tensors() {
        w.add_tensor(t.name.clone(), &t.dims, t.dtype, file.tensor_data(t))
            .unwrap();
    }
    write(&w)
}

#[test]
fn read_write_read_is_identity() {
    let first = write(&sample_writer(Some(64)));
    let a = GgufFile::from_bytes(first.clone()).unwrap();
    let second = rewrite(&a);
    assert_eq!(first, second, "the writer's own output is a fixed point");
    let b = GgufFile::from_bytes(second).unwrap();
    assert_eq!(a.metadata(), b.metadata());
    assert_eq!(a.tensors(), b.tensors());
}

#[test]
fn typed_getters() {
    let file = GgufFile::from_bytes(write(&sample_writer(None))).unwrap();
    assert_eq!(file.get_u32("t.u8").unwrap(), Some(250));
    assert_eq!(file.get_u32("t.u16").unwrap(), Some(65_000));
    assert_eq!(file.get_u64("t.u64").unwrap(), Some(u64::MAX));
    assert_eq!(file.get_i64("t.i8").unwrap(), Some(-7));
    assert_eq!(file.get_u32("missing").unwrap(), None);
    assert_eq!(file.get_f32("t.f32").unwrap(), Some(-1.5e-7));
    assert_eq!(file.get_bool("t.bool").unwrap(), Some(true));
    assert_eq!(file.get_str("t.empty_string").unwrap(), Some(""));
    assert_eq!(
        file.get_str_array("a.str").unwrap().map(<[_]>::len),
        Some(3)
    );
    assert_eq!(
        file.get_f32_array("a.f32").unwrap(),
        Some(&[0.5, -0.25][..])
    );
    assert!(matches!(
        file.get_u32("t.i8"),
        Err(GgufError::OutOfRange { value: -7, .. })
    ));
    assert!(matches!(
        file.get_u32("t.u64"),
        Err(GgufError::OutOfRange { .. })
    ));
    assert!(matches!(
        file.get_str("t.u32"),
        Err(GgufError::WrongType {
            found: ValueType::U32,
            expected: "str",
            ..
        })
    ));
    assert!(matches!(
        file.get_str_array("a.u8"),
        Err(GgufError::WrongType {
            found: ValueType::Array,
            ..
        })
    ));
}

#[test]
fn writer_rejects_inconsistent_input() {
    let mut w = GgufWriter::new();
    w.add_metadata("k", Value::U8(1)).unwrap();
    assert!(matches!(
        w.add_metadata("k", Value::U8(2)),
        Err(GgufError::DuplicateKey { .. })
    ));
    assert!(matches!(
        w.add_metadata("", Value::U8(2)),
        Err(GgufError::EmptyKey { .. })
    ));
    for bad in [Value::U32(0), Value::U32(48), Value::U64(32)] {
        assert!(matches!(
            w.add_metadata("general.alignment", bad),
            Err(GgufError::BadAlignment { .. })
        ));
    }
    let bad_tensors: [(&str, &[u64], GgmlType, usize); 6] = [
        ("short", &[32], GgmlType::Q8_0, 33),
        ("rows", &[33], GgmlType::Q8_0, 34),
        ("zero", &[0], GgmlType::F32, 0),
        ("dims", &[1, 1, 1, 1, 1], GgmlType::F32, 4),
        ("", &[1], GgmlType::F32, 4),
        (&"n".repeat(64), &[1], GgmlType::F32, 4),
    ];
    for (name, dims, dtype, len) in bad_tensors {
        let r = w.add_tensor(name, dims, dtype, vec![0; len]);
        assert!(
            matches!(r, Err(GgufError::InvalidTensor { .. })),
            "{name}: {r:?}"
        );
    }
    w.add_tensor("t", &[1], GgmlType::F32, vec![0; 4]).unwrap();
    assert!(matches!(
        w.add_tensor("t", &[1], GgmlType::F32, vec![0; 4]),
        Err(GgufError::DuplicateTensor { .. })
    ));
}

#[test]
fn opens_from_disk_via_mmap() {
    let path = std::env::temp_dir().join(format!("edgebench-gguf-rt-{}.gguf", std::process::id()));
    let n = sample_writer(None).write_to_path(&path).unwrap();
    let file = GgufFile::open(&path).unwrap();
    assert_eq!(file.bytes().len() as u64, n);
    assert_eq!(file.metadata(), every_value().as_slice());
    drop(file);
    std::fs::remove_file(&path).unwrap();
}

/// Reads the real model named by `EDGEBENCH_REAL_GGUF`, rewrites it and checks
/// the rewrite reads back identically. Skipped when the variable is unset.
#[test]
fn real_model_round_trips_when_available() {
    let Some(path) = std::env::var_os("EDGEBENCH_REAL_GGUF") else {
        eprintln!("note: EDGEBENCH_REAL_GGUF not set, skipping the real-model round trip");
        return;
    };
    let a = GgufFile::open(&path).unwrap();
    assert!(!a.tensors().is_empty());
    let b = GgufFile::from_bytes(rewrite(&a)).unwrap();
    assert_eq!(a.metadata(), b.metadata());
    assert_eq!(a.tensors().len(), b.tensors().len());
    for (x, y) in a.tensors().iter().zip(b.tensors()) {
        assert_eq!((&x.name, &x.dims, x.dtype), (&y.name, &y.dims, y.dtype));
        assert_eq!(a.tensor_data(x), b.tensor_data(y), "{}", x.name);
    }
}
