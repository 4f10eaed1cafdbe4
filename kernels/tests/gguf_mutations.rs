//! Thousands of seeded random mutations of a valid GGUF file: the reader
//! returns `Ok` or `Err` and never panics; the seed of any panic is reported.

use edgebench_kernels::gguf::{ArrayValue, GgufFile, GgufWriter, Value};
use edgebench_kernels::quant::GgmlType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A valid file with several value types, a nested array and four tensors.
fn valid_file() -> Vec<u8> {
    let mut w = GgufWriter::new();
    let md = [
        ("general.architecture", Value::String("llama".into())),
        ("llama.block_count", Value::U32(2)),
        ("llama.rope.freq_base", Value::F32(10_000.0)),
        ("x.i64", Value::I64(-5)),
        ("x.flag", Value::Bool(true)),
        (
            "tokenizer.ggml.tokens",
            Value::Array(ArrayValue::String(vec!["<s>".into(), "a".into()])),
        ),
        (
            "x.nested",
            Value::Array(ArrayValue::Array(vec![
                ArrayValue::U16(vec![1, 2]),
                ArrayValue::F64(vec![0.5]),
            ])),
        ),
    ];
    for (k, v) in md {
        w.add_metadata(k, v).expect("valid metadata");
    }
    let tensors = [
        ("a", vec![32u64, 2], GgmlType::Q8_0, 68),
        ("b", vec![7], GgmlType::F32, 28),
        ("c", vec![256], GgmlType::Q6_K, 210),
        ("d", vec![3, 2], GgmlType::F16, 12),
    ];
    for (i, (name, dims, dtype, n)) in tensors.into_iter().enumerate() {
        w.add_tensor(name, &dims, dtype, vec![i as u8 + 1; n])
            .expect("valid tensor");
    }
    let mut out = Vec::new();
    w.write_to(&mut out).expect("in-memory write");
    out
}

fn mutate(rng: &mut StdRng, bytes: &mut Vec<u8>) {
    let len = bytes.len();
    match rng.random_range(0..7) {
        0 => {
            let i = rng.random_range(0..len);
            bytes[i] ^= 1 << rng.random_range(0..8);
        }
        1 => {
            let i = rng.random_range(0..len);
            bytes[i] = [0x00, 0xFF, rng.random()][rng.random_range(0..3)];
        }
        2 => bytes.truncate(rng.random_range(0..len)),
        3 => {
            let i = rng.random_range(0..=len);
            let n = rng.random_range(1..16);
            let ins: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            bytes.splice(i..i, ins);
        }
        4 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..16).min(len - i);
            bytes.drain(i..i + n);
        }
        5 if len > 8 => {
            // a u64 field with a huge value, at an 8-byte-ish position
            let i = rng.random_range(0..len.saturating_sub(8));
            let v: u64 = [u64::MAX, 1 << 63, 1 << 40, rng.random()][rng.random_range(0..4)];
            bytes[i..i + 8].copy_from_slice(&v.to_le_bytes());
        }
        6 if len > 4 => {
            let i = rng.random_range(0..len - 4);
            let v: u32 = rng.random_range(0..64);
            bytes[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        _ => bytes.truncate(len / 2),
    }
}

#[test]
fn seeded_mutations_never_panic() {
    let base = valid_file();
    assert!(GgufFile::from_bytes(base.clone()).is_ok());
    let (mut ok, mut err) = (0, 0);
    for seed in 0..5000u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut bytes = base.clone();
        for _ in 0..rng.random_range(1..4) {
            if bytes.is_empty() {
                break;
            }
            mutate(&mut rng, &mut bytes);
        }
        let outcome = std::panic::catch_unwind(move || match GgufFile::from_bytes(bytes) {
            Ok(f) => {
                let sum: u64 = f
                    .tensors()
                    .iter()
                    .map(|t| f.tensor_data(t).iter().map(|&b| u64::from(b)).sum::<u64>())
                    .sum();
                let shown: usize = f.metadata().iter().map(|(_, v)| v.to_string().len()).sum();
                std::hint::black_box(shown);
                Ok(sum)
            }
            Err(e) => Err(e.to_string()),
        });
        match outcome {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(_)) => err += 1,
            Err(_) => panic!("the reader panicked on mutation seed {seed}"),
        }
    }
    eprintln!("mutations: {ok} parsed, {err} rejected");
    // Both outcomes must occur, or the mutations are not exercising anything.
    assert!(ok > 100 && err > 1000, "ok {ok}, err {err}");
}
