//! The generic conversion API refuses bad input with the right error and
//! never panics: wrong lengths, partial blocks, unsupported types.

use edgebench_kernels::quant::{
    ALL_TYPES, Direction, GgmlType, QuantError, can_quantize, dequantize, quantize, quantized_len,
};

#[test]
fn unsupported_types() {
    assert_eq!(
        quantize(GgmlType::Q4_K, &[0.0; 256], &mut [0u8; 144]),
        Err(QuantError::Unsupported {
            dtype: GgmlType::Q4_K,
            direction: Direction::Quantize
        })
    );
    assert_eq!(
        dequantize(GgmlType::IQ2_XXS, &[0u8; 66], &mut [0.0; 256]),
        Err(QuantError::Unsupported {
            dtype: GgmlType::IQ2_XXS,
            direction: Direction::Dequantize
        })
    );
    // Unsupported wins over a length problem: the type is the first thing
    // the caller needs to hear about.
    assert!(matches!(
        dequantize(GgmlType::Q2_K, &[0u8; 3], &mut [0.0; 7]),
        Err(QuantError::Unsupported { .. })
    ));
    let e = dequantize(GgmlType::IQ2_XXS, &[], &mut []).unwrap_err();
    assert_eq!(
        e.to_string(),
        "dequantization from iq2_xxs is not supported"
    );
}

#[test]
fn partial_blocks() {
    assert_eq!(
        quantize(GgmlType::Q8_0, &[0.0; 33], &mut [0u8; 34]),
        Err(QuantError::NotBlockMultiple {
            dtype: GgmlType::Q8_0,
            elements: 33,
            block_size: 32
        })
    );
    assert_eq!(
        dequantize(GgmlType::Q6_K, &[0u8; 210], &mut [0.0; 255]),
        Err(QuantError::NotBlockMultiple {
            dtype: GgmlType::Q6_K,
            elements: 255,
            block_size: 256
        })
    );
}

#[test]
fn byte_length_mismatches() {
    // Output one byte short.
    assert_eq!(
        quantize(GgmlType::Q4_1, &[0.0; 64], &mut [0u8; 39]),
        Err(QuantError::SizeMismatch {
            dtype: GgmlType::Q4_1,
            elements: 64,
            expected: 40,
            actual: 39
        })
    );
    // Input one block too long.
    assert_eq!(
        dequantize(GgmlType::Q5_K, &[0u8; 352], &mut [0.0; 256]),
        Err(QuantError::SizeMismatch {
            dtype: GgmlType::Q5_K,
            elements: 256,
            expected: 176,
            actual: 352
        })
    );
    // Plain float rows: 3 values of f16 take 6 bytes, of bf16 too, of f32 12.
    for (dtype, good) in [(GgmlType::F16, 6), (GgmlType::BF16, 6), (GgmlType::F32, 12)] {
        for bad in [good - 1, good + 1, 0] {
            let mut out = vec![0u8; bad];
            assert!(matches!(
                quantize(dtype, &[1.0; 3], &mut out),
                Err(QuantError::SizeMismatch { expected, actual, .. })
                    if expected == good && actual == bad
            ));
            assert!(matches!(
                dequantize(dtype, &out, &mut [0.0; 3]),
                Err(QuantError::SizeMismatch { .. })
            ));
        }
    }
}

/// Every type × a spread of lengths: a result, never a panic, and `Ok`
/// exactly when the type is supported and the sizes agree.
#[test]
fn every_type_and_length_is_answered() {
    for t in ALL_TYPES {
        for elements in [0, 1, 31, 32, 64, 255, 256, 512] {
            let want = quantized_len(t, elements).ok();
            for bytes in [0, 1, 17, 18, 34, 144, 176, 210, 256, 1024, 2048] {
                let ok = want == Some(bytes);
                let r = dequantize(t, &vec![0u8; bytes], &mut vec![0.0; elements]);
                assert_eq!(
                    r.is_ok(),
                    ok && t.can_dequantize(),
                    "{t} {elements} {bytes}"
                );
                let r = quantize(t, &vec![0.5; elements], &mut vec![0u8; bytes]);
                assert_eq!(r.is_ok(), ok && can_quantize(t), "{t} {elements} {bytes}");
            }
        }
    }
}

#[test]
fn quantized_len_matches_the_type_table() {
    assert_eq!(quantized_len(GgmlType::Q8_0, 64), Ok(68));
    assert_eq!(quantized_len(GgmlType::Q4_K, 512), Ok(288));
    assert_eq!(quantized_len(GgmlType::BF16, 3), Ok(6));
    assert_eq!(quantized_len(GgmlType::Q4_0, 0), Ok(0));
    assert!(matches!(
        quantized_len(GgmlType::Q8_0, usize::MAX - 31),
        Err(QuantError::TooLarge { .. })
    ));
}
