//! AVX2 tile kernels for the quantized formats: four weight rows × one to
//! four activation rows per call, one f32 lane per output in one
//! accumulator per activation row.
//!
//! Per 32-element block, each weight row is loaded (and its nibbles
//! unpacked) once and each activation block once, then every
//! weight × activation pair costs one byte dot (`maddubs` + `madd`, or one
//! VNNI `vpdpbusd`) into eight i32 lanes; the four weight rows' lanes are
//! summed together (`phaddd`), so the conversion and the FMA against the
//! scale products are paid once per activation row and block. Signed weights (Q8_0, Q4_0 minus 8) use the sign trick of
//! the row kernels (`|x|` computed once per activation block); Q4_1 feeds its
//! unsigned nibbles straight in and adds `m_w · s_x` per block.
//!
//! A tile with fewer than four weight rows repeats its last row and drops
//! the extra outputs; each output's arithmetic is the same whatever the
//! tile's shape.

use crate::ops::tile_shape::{rows_of, store};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1};
use std::arch::x86_64::*;

/// Unsigned × signed bytes, summed in groups of four into eight i32 lanes.
pub(super) trait ByteDot {
    /// # Safety
    /// The implementation's target features must be available.
    unsafe fn dot(u: __m256i, s: __m256i) -> __m256i;
    /// `acc + dot(u, s)`.
    ///
    /// # Safety
    /// The implementation's target features must be available.
    unsafe fn dot_acc(acc: __m256i, u: __m256i, s: __m256i) -> __m256i;
}

/// AVX2: `maddubs` into 16-bit pairs (exact: operands stay below 2·128·127),
/// then `madd` with ones.
pub(super) struct Maddubs;

impl ByteDot for Maddubs {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn dot(u: __m256i, s: __m256i) -> __m256i {
        _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn dot_acc(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        _mm256_add_epi32(acc, unsafe { Self::dot(u, s) })
    }
}

/// AVX-VNNI (VEX-encoded `vpdpbusd`).
pub(super) struct AvxVnni;

impl ByteDot for AvxVnni {
    #[inline]
    #[target_feature(enable = "avx2,avxvnni")]
    unsafe fn dot(u: __m256i, s: __m256i) -> __m256i {
        _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, s)
    }
    #[inline]
    #[target_feature(enable = "avx2,avxvnni")]
    unsafe fn dot_acc(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
        _mm256_dpbusd_avx_epi32(acc, u, s)
    }
}

/// AVX-512 VNNI on 256-bit registers (EVEX-encoded `vpdpbusd`).
pub(super) struct Avx512Vnni;

impl ByteDot for Avx512Vnni {
    #[inline]
    #[target_feature(enable = "avx2,avx512f,avx512vl,avx512vnni")]
    unsafe fn dot(u: __m256i, s: __m256i) -> __m256i {
        _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s)
    }
    #[inline]
    #[target_feature(enable = "avx2,avx512f,avx512vl,avx512vnni")]
    unsafe fn dot_acc(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
        _mm256_dpbusd_epi32(acc, u, s)
    }
}

/// How far ahead the weights are prefetched: at least this many bytes and
/// [`PREFETCH_MIN_ROWS`] rows, in whole tiles. Four short rows read side by
/// side defeat the hardware stream prefetchers (half the bandwidth of a
/// single-row scan on 576-column rows); explicit prefetches restore it.
const PREFETCH_BYTES: usize = 8 << 10;
/// See [`PREFETCH_BYTES`].
const PREFETCH_MIN_ROWS: usize = 4;

/// A weight block format and the activation block format it multiplies.
pub(super) trait QuantBlock {
    /// The activation blocks.
    type Act: ActBlock;
    /// Whether [`quants`](Self::quants) are signed (sign trick) or unsigned.
    const SIGNED: bool;
    /// Whether blocks carry a minimum multiplied by the activations' sum.
    const HAS_MIN: bool;
    /// The 32 weights as bytes, in element order.
    ///
    /// # Safety
    /// AVX2 must be available.
    unsafe fn quants(&self) -> __m256i;
    /// The scale's raw f16 bits.
    fn scale(&self) -> u16;
    /// The minimum's raw f16 bits (0 without [`HAS_MIN`](Self::HAS_MIN)).
    fn min(&self) -> u16;
}

/// The 32 nibbles of a Q4 block as bytes `0..=15` in element order: the
/// 16 bytes are broadcast to both halves, the upper half shifted by 4.
///
/// # Safety
/// AVX2 must be available.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn nibbles(qs: &[u8; 16]) -> __m256i {
    // SAFETY: the array holds the 16 bytes read.
    let t = unsafe { _mm_loadu_si128(qs.as_ptr() as *const __m128i) };
    let both = _mm256_broadcastsi128_si256(t);
    let v = _mm256_srlv_epi64(both, _mm256_set_epi64x(4, 4, 0, 0));
    _mm256_and_si256(v, _mm256_set1_epi8(0x0F))
}

/// # Safety
/// AVX2 must be available.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load32(qs: &[i8; 32]) -> __m256i {
    // SAFETY: the array holds the 32 bytes read.
    unsafe { _mm256_loadu_si256(qs.as_ptr() as *const __m256i) }
}

/// An activation block format: Q8_0, or Q8_1 with its scaled sum.
pub(super) trait ActBlock {
    /// The 32 activations as signed bytes.
    ///
    /// # Safety
    /// AVX2 must be available.
    unsafe fn act_quants(&self) -> __m256i;
    /// The scale and (for Q8_1) scaled sum, raw f16 bits.
    fn act_scales(&self) -> (u16, u16);
}

impl ActBlock for BlockQ8_0 {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn act_quants(&self) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        unsafe { load32(&self.qs) }
    }
    fn act_scales(&self) -> (u16, u16) {
        (self.d.bits(), 0)
    }
}

impl ActBlock for BlockQ8_1 {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn act_quants(&self) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        unsafe { load32(&self.qs) }
    }
    fn act_scales(&self) -> (u16, u16) {
        (self.d.bits(), self.s.bits())
    }
}

impl QuantBlock for BlockQ8_0 {
    type Act = BlockQ8_0;
    const SIGNED: bool = true;
    const HAS_MIN: bool = false;
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn quants(&self) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        unsafe { load32(&self.qs) }
    }
    fn scale(&self) -> u16 {
        self.d.bits()
    }
    fn min(&self) -> u16 {
        0
    }
}

impl QuantBlock for BlockQ4_0 {
    type Act = BlockQ8_0;
    const SIGNED: bool = true;
    const HAS_MIN: bool = false;
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn quants(&self) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        _mm256_sub_epi8(unsafe { nibbles(&self.qs) }, _mm256_set1_epi8(8))
    }
    fn scale(&self) -> u16 {
        self.d.bits()
    }
    fn min(&self) -> u16 {
        0
    }
}

impl QuantBlock for BlockQ4_1 {
    type Act = BlockQ8_1;
    const SIGNED: bool = false;
    const HAS_MIN: bool = true;
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn quants(&self) -> __m256i {
        // SAFETY: the caller guarantees AVX2.
        unsafe { nibbles(&self.qs) }
    }
    fn scale(&self) -> u16 {
        self.d.bits()
    }
    fn min(&self) -> u16 {
        self.m.bits()
    }
}

/// Four f16 values (raw bits) as f32 lanes.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn halves4(h: [u16; 4]) -> __m128 {
    let bits = h[0] as u64 | (h[1] as u64) << 16 | (h[2] as u64) << 32 | (h[3] as u64) << 48;
    _mm_cvtph_ps(_mm_cvtsi64_si128(bits as i64))
}

/// The totals of four vectors of eight i32 lanes, as four lanes (exact).
#[inline]
#[target_feature(enable = "avx2")]
fn reduce4(p: [__m256i; 4]) -> __m128i {
    let a = _mm256_hadd_epi32(p[0], p[1]);
    let b = _mm256_hadd_epi32(p[2], p[3]);
    let c = _mm256_hadd_epi32(a, b);
    _mm_add_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256::<1>(c))
}

/// The outputs of four weight rows × `C` activation rows of `nb` blocks.
///
/// Per block and activation row, the four rows' exact integer dots are
/// reduced into the four lanes of one vector, converted once and added to
/// that activation row's accumulator with one FMA against the four scale
/// products, so lane `r` of accumulator `c` follows exactly the scalar
/// recurrence `acc += dot · (d_w d_x) [+ m_w s_x]` of output `(r, c)`.
///
/// # Safety
/// AVX2, FMA, F16C and `D`'s features must be available; every row holds
/// the same number of blocks.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn tile<B: QuantBlock, D: ByteDot, const C: usize>(
    w: [&[B]; 4],
    x: [&[B::Act]; C],
) -> [[f32; 4]; C] {
    let nb = w[0].len();
    let row_bytes = size_of_val(w[0]);
    let ahead_rows = PREFETCH_BYTES.div_ceil(row_bytes).max(PREFETCH_MIN_ROWS);
    let ahead = ahead_rows.next_multiple_of(4) * row_bytes;
    let mut acc = [_mm_setzero_ps(); C];
    for b in 0..nb {
        // The four rows are consecutive in memory (unless padded, when the
        // prefetches only run ahead of need): sweep the same span a few
        // tiles further on, four blocks' worth of bytes per block.
        let p = (w[0].as_ptr() as *const i8).wrapping_add(ahead + 4 * b * size_of::<B>());
        for line in 0..3 {
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * line));
        }
        let dw = halves4([
            w[0][b].scale(),
            w[1][b].scale(),
            w[2][b].scale(),
            w[3][b].scale(),
        ]);
        let mw = if B::HAS_MIN {
            halves4([w[0][b].min(), w[1][b].min(), w[2][b].min(), w[3][b].min()])
        } else {
            _mm_setzero_ps()
        };
        // SAFETY: the caller guarantees AVX2.
        let q: [__m256i; 4] = std::array::from_fn(|r| unsafe { w[r][b].quants() });
        for c in 0..C {
            let a = &x[c][b];
            // SAFETY: the caller guarantees AVX2 and `D`'s features.
            let p = unsafe {
                let xq = a.act_quants();
                if B::SIGNED {
                    let xu = _mm256_sign_epi8(xq, xq);
                    q.map(|qr| D::dot(xu, _mm256_sign_epi8(qr, xq)))
                } else {
                    q.map(|qr| D::dot(qr, xq))
                }
            };
            let (d, s) = a.act_scales();
            let ds = halves4([d, s, 0, 0]);
            let scale = _mm_mul_ps(dw, _mm_broadcastss_ps(ds));
            acc[c] = _mm_fmadd_ps(_mm_cvtepi32_ps(reduce4(p)), scale, acc[c]);
            if B::HAS_MIN {
                let sx = _mm_shuffle_ps::<0b01_01_01_01>(ds, ds);
                acc[c] = _mm_fmadd_ps(mw, sx, acc[c]);
            }
        }
    }
    let mut out = [[0.0f32; 4]; C];
    for (o, a) in out.iter_mut().zip(acc) {
        // SAFETY: `o` holds the four f32 stored.
        unsafe { _mm_storeu_ps(o.as_mut_ptr(), a) };
    }
    out
}

/// A whole tile call: pads the weight rows and picks the batch width.
///
/// # Safety
/// AVX2, FMA, F16C and `D`'s features must be available; the shape follows
/// the tile contract (checked by the caller).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn run<B: QuantBlock, D: ByteDot>(
    w: &[B],
    x: &[B::Act],
    nb: usize,
    out: &mut [f32],
) {
    let rows = w.len() / nb;
    let wr = rows_of::<B, 4>(w, nb);
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        match x.len() / nb {
            1 => store(tile::<B, D, 1>(wr, rows_of(x, nb)), rows, out),
            2 => store(tile::<B, D, 2>(wr, rows_of(x, nb)), rows, out),
            3 => store(tile::<B, D, 3>(wr, rows_of(x, nb)), rows, out),
            _ => store(tile::<B, D, 4>(wr, rows_of(x, nb)), rows, out),
        }
    }
}

/// Declares the three quantized tile entry points for one byte-dot flavour,
/// compiled with its features so that everything inlines into one loop.
macro_rules! entries {
    ($features:literal, $dot:ty, $q8_0:ident, $q4_0:ident, $q4_1:ident) => {
        /// Q8_0 × Q8_0 tile.
        ///
        /// # Safety
        /// Every feature this function enables must be available; the shape
        /// follows the tile contract.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q8_0(w: &[BlockQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
            // SAFETY: forwarded caller contract.
            unsafe { run::<BlockQ8_0, $dot>(w, x, nb, out) }
        }

        /// Q4_0 × Q8_0 tile.
        ///
        /// # Safety
        /// As above.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q4_0(w: &[BlockQ4_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
            // SAFETY: forwarded caller contract.
            unsafe { run::<BlockQ4_0, $dot>(w, x, nb, out) }
        }

        /// Q4_1 × Q8_1 tile.
        ///
        /// # Safety
        /// As above.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q4_1(w: &[BlockQ4_1], x: &[BlockQ8_1], nb: usize, out: &mut [f32]) {
            // SAFETY: forwarded caller contract.
            unsafe { run::<BlockQ4_1, $dot>(w, x, nb, out) }
        }
    };
}

entries!("avx2,fma,f16c", Maddubs, q8_0, q4_0, q4_1);
entries!(
    "avx2,fma,f16c,avxvnni",
    AvxVnni,
    q8_0_avxvnni,
    q4_0_avxvnni,
    q4_1_avxvnni
);
entries!(
    "avx2,fma,f16c,avx512f,avx512vl,avx512vnni",
    Avx512Vnni,
    q8_0_avx512vnni,
    q4_0_avx512vnni,
    q4_1_avx512vnni
);
