//! Hostile GGUF input: each malformed case is rejected with the right error
//! and byte offset.

use edgebench_kernels::gguf::{GgufError, GgufFile};

/// Hand-assembles GGUF bytes, valid or not.
#[derive(Default)]
struct Raw(Vec<u8>);

impl Raw {
    fn header(version: u32, n_tensors: u64, n_kv: u64) -> Self {
        let mut r = Raw::default();
        r.bytes(b"GGUF").u32(version).u64(n_tensors).u64(n_kv);
        r
    }
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }
    fn kv_u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.str(key).u32(4).u32(v)
    }
    fn tensor(&mut self, name: &str, dims: &[u64], type_id: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        for &d in dims {
            self.u64(d);
        }
        self.u32(type_id).u64(offset)
    }
    fn pad(&mut self, alignment: usize) -> &mut Self {
        while !self.0.len().is_multiple_of(alignment) {
            self.0.push(0);
        }
        self
    }
    fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
    fn parse(&self) -> Result<GgufFile, GgufError> {
        GgufFile::from_bytes(self.0.clone())
    }
}

/// Offset of the first key-value pair (after magic, version and two counts).
const KV0: u64 = 24;

#[test]
fn valid_raw_file_parses() {
    let mut r = Raw::header(2, 1, 1);
    r.kv_u32("a", 7).tensor("t", &[2], 0, 0).pad(32).zeros(8);
    let f = r.parse().unwrap();
    assert_eq!(f.version(), 2);
    assert_eq!(f.tensor_data(&f.tensors()[0]), &[0u8; 8]);
}

#[test]
fn truncated_header() {
    let mut r = Raw::default();
    r.bytes(b"GGUF\x03\x00");
    let e = r.parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::Truncated {
                what: "version",
                offset: 4,
                needed: 4,
                available: 2
            }
        ),
        "{e:?}"
    );
    let e = Raw::default().parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::Truncated {
                what: "magic",
                offset: 0,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn truncated_value() {
    let mut r = Raw::header(3, 0, 1);
    r.str("a").u32(10).bytes(&[1, 2, 3]);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::Truncated {
                what: "metadata value",
                offset: 37,
                needed: 8,
                available: 3
            }
        ),
        "{e:?}"
    );
}

#[test]
fn bad_magic() {
    let mut r = Raw::default();
    r.bytes(b"GGML").u32(3).u64(0).u64(0);
    assert!(matches!(r.parse(), Err(GgufError::BadMagic { found }) if &found == b"GGML"));
}

#[test]
fn unsupported_versions() {
    for v in [0, 1, 4, 0x0300_0000] {
        let e = Raw::header(v, 0, 0).parse().unwrap_err();
        assert!(
            matches!(e, GgufError::UnsupportedVersion { version, offset: 4 } if version == v),
            "{e:?}"
        );
    }
}

#[test]
fn absurd_counts() {
    let e = Raw::header(3, 1 << 40, 0).parse().unwrap_err();
    assert!(
        matches!(e, GgufError::AbsurdCount { what: "tensor count", count, offset: 8, .. } if count == 1 << 40),
        "{e:?}"
    );
    let e = Raw::header(3, 0, u64::MAX).parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::AbsurdCount {
                what: "metadata key-value count",
                offset: 16,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn absurd_string_length_fails_without_allocating() {
    let mut r = Raw::header(3, 0, 1);
    r.u64(1 << 60).bytes(b"key").zeros(16);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(e, GgufError::AbsurdLength { what: "metadata key", length, offset: KV0, remaining: 19 } if length == 1 << 60),
        "{e:?}"
    );
}

#[test]
fn absurd_array_length_fails_without_allocating() {
    let mut r = Raw::header(3, 0, 1);
    // key "a", type array, element type u32, 2^40 elements
    r.str("a").u32(9).u32(4).u64(1 << 40).u32(1);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::AbsurdCount {
                what: "array length",
                offset: 41,
                remaining: 4,
                ..
            }
        ),
        "{e:?}"
    );
    // strings need at least 8 bytes each
    let mut r = Raw::header(3, 0, 1);
    r.str("a").u32(9).u32(8).u64(3).zeros(16);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::AbsurdCount {
                what: "array length",
                count: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn invalid_utf8() {
    let mut r = Raw::header(3, 0, 1);
    r.u64(2).bytes(&[0xC3, 0x28]).u32(0).bytes(&[0]);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::InvalidUtf8 {
                what: "metadata key",
                offset: 32
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unknown_value_types() {
    let mut r = Raw::header(3, 0, 1);
    r.str("a").u32(13).u32(0);
    assert!(matches!(
        r.parse(),
        Err(GgufError::UnknownValueType {
            type_id: 13,
            offset: 33
        })
    ));
    let mut r = Raw::header(3, 0, 1);
    r.str("a").u32(9).u32(u32::MAX).u64(0);
    assert!(matches!(
        r.parse(),
        Err(GgufError::UnknownValueType {
            type_id: u32::MAX,
            offset: 37
        })
    ));
}

#[test]
fn arrays_nested_too_deep() {
    let mut r = Raw::header(3, 0, 1);
    r.str("a").u32(9);
    for _ in 0..100_000 {
        r.u32(9).u64(1);
    }
    let e = r.parse().unwrap_err();
    assert!(
        matches!(e, GgufError::ArrayTooDeep { max: 16, offset } if offset == 37 + 16 * 12),
        "{e:?}"
    );
}

/// A file with one tensor info and the key-value `general.alignment` absent.
fn one_tensor(dims: &[u64], type_id: u32, offset: u64, data: usize) -> Raw {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", dims, type_id, offset).pad(32).zeros(data);
    r
}

/// Offsets inside [`one_tensor`]'s info: name (8+1), n_dims, dims.
const N_DIMS_AT: u64 = KV0 + 9;
const DIMS_AT: u64 = N_DIMS_AT + 4;

#[test]
fn unknown_tensor_types() {
    for id in [4, 31, 36, 40, u32::MAX] {
        let e = one_tensor(&[32], id, 0, 64).parse().unwrap_err();
        assert!(
            matches!(e, GgufError::UnknownTensorType { type_id, offset, .. } if type_id == id && offset == DIMS_AT + 8),
            "{e:?}"
        );
    }
}

#[test]
fn too_many_dims() {
    let e = one_tensor(&[1, 1, 1, 1, 1], 0, 0, 4).parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::TooManyDims {
                n_dims: 5,
                offset: N_DIMS_AT,
                ..
            }
        ),
        "{e:?}"
    );
    let mut r = Raw::header(3, 1, 0);
    r.str("t").u32(u32::MAX).zeros(32);
    assert!(matches!(
        r.parse(),
        Err(GgufError::TooManyDims {
            n_dims: u32::MAX,
            ..
        })
    ));
}

#[test]
fn zero_and_overflowing_dims() {
    for dims in [
        &[0u64][..],
        &[4, 0],
        &[1 << 32, 1 << 32],
        &[u64::MAX],
        &[1 << 63],
    ] {
        let e = one_tensor(dims, 0, 0, 4).parse().unwrap_err();
        assert!(
            matches!(
                e,
                GgufError::InvalidDims {
                    offset: DIMS_AT,
                    ..
                }
            ),
            "{dims:?}: {e:?}"
        );
    }
    // elements fit i64 but the byte size overflows u64
    let e = one_tensor(&[1 << 62], 28, 0, 4).parse().unwrap_err();
    assert!(matches!(e, GgufError::InvalidDims { .. }), "{e:?}");
}

#[test]
fn row_not_a_whole_number_of_blocks() {
    let e = one_tensor(&[33, 2], 8, 0, 64).parse().unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::NotBlockMultiple {
                ne0: 33,
                block_size: 32,
                offset: DIMS_AT,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn tensor_data_out_of_bounds() {
    // 8 f32 = 32 bytes, only 31 present
    let e = one_tensor(&[8], 0, 0, 31).parse().unwrap_err();
    let off_field = DIMS_AT + 8 + 4;
    assert!(
        matches!(e, GgufError::TensorOutOfBounds { start: 64, end: 96, file_len: 95, offset, .. } if offset == off_field),
        "{e:?}"
    );
    let e = one_tensor(&[8], 0, 1 << 40, 32).parse().unwrap_err();
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e:?}");
    let e = one_tensor(&[8], 0, u64::MAX - 31, 32).parse().unwrap_err();
    assert!(
        matches!(e, GgufError::TensorOutOfBounds { end: u64::MAX, .. }),
        "{e:?}"
    );
}

#[test]
fn overlapping_tensors() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("a", &[16], 0, 0).tensor("b", &[8], 0, 32).pad(32);
    let data_start = r.0.len() as u64;
    r.zeros(64);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(&e, GgufError::OverlappingTensors { first, second, offset } if first == "a" && second == "b" && *offset == data_start + 32),
        "{e:?}"
    );
}

#[test]
fn misaligned_tensor_offset() {
    let e = one_tensor(&[4], 0, 16, 64).parse().unwrap_err();
    assert!(
        matches!(e, GgufError::MisalignedTensor { data_offset: 16, alignment: 32, offset, .. } if offset == DIMS_AT + 12),
        "{e:?}"
    );
    // with general.alignment = 16 the same offset is fine
    let mut r = Raw::header(3, 1, 1);
    r.kv_u32("general.alignment", 16)
        .tensor("t", &[4], 0, 16)
        .pad(16)
        .zeros(32);
    assert_eq!(r.parse().unwrap().alignment(), 16);
}

#[test]
fn bad_alignment_values() {
    for v in [0u32, 3, 48] {
        let mut r = Raw::header(3, 0, 2);
        r.kv_u32("x", 1).kv_u32("general.alignment", v);
        let e = r.parse().unwrap_err();
        assert!(
            matches!(e, GgufError::BadAlignment { offset: 41, .. }),
            "{v}: {e:?}"
        );
    }
    // right value, wrong type
    let mut r = Raw::header(3, 0, 1);
    r.str("general.alignment").u32(10).u64(32);
    assert!(matches!(
        r.parse(),
        Err(GgufError::BadAlignment { offset: KV0, .. })
    ));
}

#[test]
fn duplicate_and_empty_keys() {
    let mut r = Raw::header(3, 0, 2);
    r.kv_u32("k", 1).kv_u32("k", 2);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(&e, GgufError::DuplicateKey { key, offset: 41 } if key == "k"),
        "{e:?}"
    );
    let mut r = Raw::header(3, 0, 1);
    r.kv_u32("", 1);
    assert!(matches!(
        r.parse(),
        Err(GgufError::EmptyKey { offset: KV0 })
    ));
}

#[test]
fn duplicate_tensor_names() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("w", &[8], 0, 0);
    let second = r.0.len() as u64;
    r.tensor("w", &[8], 0, 32).pad(32).zeros(64);
    let e = r.parse().unwrap_err();
    assert!(
        matches!(&e, GgufError::DuplicateTensor { name, offset } if name == "w" && *offset == second),
        "{e:?}"
    );
}

#[test]
fn wrong_metadata_type_for_getter() {
    let mut r = Raw::header(3, 0, 1);
    r.kv_u32("n", 5);
    let f = r.parse().unwrap();
    let e = f.get_str("n").unwrap_err();
    assert!(
        matches!(
            e,
            GgufError::WrongType {
                expected: "str",
                offset: KV0,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(f.get_f32("n"), Err(GgufError::WrongType { .. })));
    assert!(matches!(
        f.get_str_array("n"),
        Err(GgufError::WrongType { .. })
    ));
}
