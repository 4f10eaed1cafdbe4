//! GGML block layouts, byte for byte.
//!
//! Every block is `#[repr(C)]` with alignment 1 (scales are stored as raw
//! little-endian `f16` bytes), so a block slice can be viewed straight out of
//! any byte buffer — a memory-mapped GGUF file included — with
//! [`bytemuck::try_cast_slice`]. Sizes are checked at compile time against
//! [`GgmlType::block_bytes`](super::GgmlType::block_bytes).

use bytemuck::{Pod, Zeroable};
use half::f16;

/// Elements in a 32-wide block (Q4_0, Q4_1, Q8_0, Q8_1).
pub const QK: usize = 32;
/// Elements in a K-quant super-block.
pub const QK_K: usize = 256;
/// Bytes of packed 6-bit scales and minimums in Q4_K and Q5_K.
pub const K_SCALE_SIZE: usize = 12;

/// A little-endian IEEE half stored as two bytes (alignment 1).
#[derive(Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(transparent)]
pub struct F16Bytes(pub [u8; 2]);

impl F16Bytes {
    /// Encodes `v` with round-to-nearest-even, as ggml's `GGML_FP32_TO_FP16`.
    #[inline]
    pub fn from_f32(v: f32) -> Self {
        Self(f16::from_f32(v).to_le_bytes())
    }
    /// Decodes to f32 (exact).
    #[inline]
    pub fn to_f32(self) -> f32 {
        f16::from_le_bytes(self.0).to_f32()
    }
    /// The raw bits.
    #[inline]
    pub fn bits(self) -> u16 {
        u16::from_le_bytes(self.0)
    }
}

impl std::fmt::Debug for F16Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_f32())
    }
}

/// `block_q8_0`: `x[i] = d * qs[i]`.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ8_0 {
    /// Scale.
    pub d: F16Bytes,
    /// Quantized values.
    pub qs: [i8; QK],
}

/// `block_q8_1`: Q8_0 plus `s = d * sum(qs)`, the activation format paired
/// with Q4_1 weights (the sum carries the weights' minimum term).
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ8_1 {
    /// Scale.
    pub d: F16Bytes,
    /// `d * sum(qs)`.
    pub s: F16Bytes,
    /// Quantized values.
    pub qs: [i8; QK],
}

/// `block_q4_0`: `x[i] = d * (q[i] - 8)`; byte `j` holds element `j` in its
/// low nibble and element `j + 16` in its high nibble.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ4_0 {
    /// Scale.
    pub d: F16Bytes,
    /// Packed nibbles.
    pub qs: [u8; QK / 2],
}

/// `block_q4_1`: `x[i] = d * q[i] + m`, nibbles packed as in [`BlockQ4_0`].
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ4_1 {
    /// Scale.
    pub d: F16Bytes,
    /// Minimum.
    pub m: F16Bytes,
    /// Packed nibbles.
    pub qs: [u8; QK / 2],
}

/// `block_q4_K`: eight sub-blocks of 32 with 6-bit scales and minimums.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ4K {
    /// Super-block scale for the sub-block scales.
    pub d: F16Bytes,
    /// Super-block scale for the sub-block minimums.
    pub dmin: F16Bytes,
    /// Packed 6-bit scales and minimums.
    pub scales: [u8; K_SCALE_SIZE],
    /// Packed nibbles.
    pub qs: [u8; QK_K / 2],
}

/// `block_q5_K`: Q4_K plus one high bit per weight.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ5K {
    /// Super-block scale for the sub-block scales.
    pub d: F16Bytes,
    /// Super-block scale for the sub-block minimums.
    pub dmin: F16Bytes,
    /// Packed 6-bit scales and minimums.
    pub scales: [u8; K_SCALE_SIZE],
    /// High bits.
    pub qh: [u8; QK_K / 8],
    /// Low nibbles.
    pub qs: [u8; QK_K / 2],
}

/// `block_q6_K`: sixteen sub-blocks of 16 with 8-bit scales.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ6K {
    /// Low four bits.
    pub ql: [u8; QK_K / 2],
    /// High two bits.
    pub qh: [u8; QK_K / 4],
    /// Sub-block scales.
    pub scales: [i8; QK_K / 16],
    /// Super-block scale.
    pub d: F16Bytes,
}

const _: () = {
    use std::mem::{align_of, size_of};
    assert!(size_of::<BlockQ8_0>() == 34 && align_of::<BlockQ8_0>() == 1);
    assert!(size_of::<BlockQ8_1>() == 36 && align_of::<BlockQ8_1>() == 1);
    assert!(size_of::<BlockQ4_0>() == 18 && align_of::<BlockQ4_0>() == 1);
    assert!(size_of::<BlockQ4_1>() == 20 && align_of::<BlockQ4_1>() == 1);
    assert!(size_of::<BlockQ4K>() == 144 && align_of::<BlockQ4K>() == 1);
    assert!(size_of::<BlockQ5K>() == 176 && align_of::<BlockQ5K>() == 1);
    assert!(size_of::<BlockQ6K>() == 210 && align_of::<BlockQ6K>() == 1);
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::GgmlType;
    use std::mem::size_of;

    #[test]
    fn block_sizes_match_type_table() {
        assert_eq!(size_of::<BlockQ8_0>(), GgmlType::Q8_0.block_bytes());
        assert_eq!(size_of::<BlockQ8_1>(), GgmlType::Q8_1.block_bytes());
        assert_eq!(size_of::<BlockQ4_0>(), GgmlType::Q4_0.block_bytes());
        assert_eq!(size_of::<BlockQ4_1>(), GgmlType::Q4_1.block_bytes());
        assert_eq!(size_of::<BlockQ4K>(), GgmlType::Q4_K.block_bytes());
        assert_eq!(size_of::<BlockQ5K>(), GgmlType::Q5_K.block_bytes());
        assert_eq!(size_of::<BlockQ6K>(), GgmlType::Q6_K.block_bytes());
    }

    #[test]
    fn blocks_view_unaligned_bytes() {
        let bytes = [0u8; 1 + 2 * 34];
        let blocks: &[BlockQ8_0] = bytemuck::try_cast_slice(&bytes[1..]).unwrap();
        assert_eq!(blocks.len(), 2);
    }
}
