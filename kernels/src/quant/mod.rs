//! Tensor storage formats: the GGML type table, block layouts, and
//! quantization to and from f32 following ggml's reference rounding.

mod blocks;
mod dtype;
mod q4_0;
mod q4_1;
mod q8;

pub use blocks::{
    BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8_0, BlockQ8_1, F16Bytes,
    K_SCALE_SIZE, QK, QK_K,
};
pub use dtype::{ALL_TYPES, GgmlType};
pub use q4_0::{dequantize_q4_0, quantize_q4_0};
pub use q4_1::{dequantize_q4_1, quantize_q4_1};
pub use q8::{dequantize_q8_0, quantize_q8_0, quantize_q8_1};

/// ggml's `roundf`: round half away from zero.
#[inline]
pub(crate) fn round_half_away(v: f32) -> f32 {
    v.round()
}
