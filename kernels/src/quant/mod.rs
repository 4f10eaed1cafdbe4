//! Tensor storage formats: the GGML type table, block layouts, and
//! conversion to and from f32 following ggml's reference rounding.
//!
//! * [`dequantize`] / [`quantize`]: the format-generic, fallible entry points
//!   on raw little-endian bytes as stored in GGUF;
//! * per-format functions on typed blocks (`quantize_q8_0`,
//!   `dequantize_q4_k`…) and on float rows (`f32_to_f16_row`…).

mod bf16;
mod blocks;
mod convert;
mod dtype;
mod fp16;
mod k_quants;
mod panels;
mod q4_0;
mod q4_1;
mod q8;

pub use bf16::{bf16_bits_to_f32, bf16_to_f32_row, f32_to_bf16_bits, f32_to_bf16_row};
pub use blocks::{
    BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8_0, BlockQ8_1, F16Bytes,
    K_SCALE_SIZE, QK, QK_K,
};
pub use convert::{Direction, QuantError, can_quantize, dequantize, quantize, quantized_len};
pub use dtype::{ALL_TYPES, GgmlType};
pub use fp16::{f16_bits_to_f32, f16_to_f32_row, f32_to_f16_bits, f32_to_f16_row};
pub use k_quants::{dequantize_q4_k, dequantize_q5_k, dequantize_q6_k, scale_min_k4};
pub use panels::{PANEL_ROWS, PanelQ4_0, PanelQ8_0, pack_q4_0, pack_q8_0};
pub use q4_0::{dequantize_q4_0, quantize_q4_0};
pub use q4_1::{dequantize_q4_1, quantize_q4_1};
pub use q8::{dequantize_q8_0, quantize_q8_0, quantize_q8_1};
pub(crate) use q8::{q8_0_scales, quantize_q8_0_block};

/// ggml's `roundf`: round half away from zero.
#[inline]
pub(crate) fn round_half_away(v: f32) -> f32 {
    v.round()
}
