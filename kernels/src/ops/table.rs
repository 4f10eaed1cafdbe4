//! The table of row-dot kernels for one instruction-set level.

use super::{Isa, scalar};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, PanelQ4_0, PanelQ8_0};
use std::sync::OnceLock;

/// Dot product of one weight row stored as raw little-endian float bytes
/// (f32, f16 or bf16) with an f32 activation row of the same length.
pub type FloatDot = fn(w: &[u8], x: &[f32]) -> f32;
/// Dot product of a Q8_0 weight row with Q8_0 activations.
pub type Q8_0Dot = fn(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32;
/// Dot product of a Q4_0 weight row with Q8_0 activations.
pub type Q4_0Dot = fn(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32;
/// Dot product of a Q4_1 weight row with Q8_1 activations.
pub type Q4_1Dot = fn(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32;

/// One panel (8 weight rows, see [`PanelQ8_0`]) of Q8_0 weights × 1 to
/// [`TILE_BATCH`] Q8_0 activation rows of `nb` blocks: `w` holds the
/// panel's `nb` blocks, `out[i * 8 + r]` receives the dot of row `r` with
/// activation row `i`. Each output follows the recurrence of the Q8_0
/// tile kernels exactly, so a panel matrix gives what its rows would.
pub type Q8_0PanelTile = fn(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]);
/// [`Q8_0PanelTile`] for Q4_0 weights ([`PanelQ4_0`]); `sums` holds each
/// activation block's sum of quants (one per block of `x`).
pub type Q4_0PanelTile =
    fn(w: &[PanelQ4_0], x: &[BlockQ8_0], sums: &[i32], nb: usize, out: &mut [f32]);
/// The cached rows of one key/value head: position `p`'s `head_dim`
/// elements (raw little-endian f32 or f16) start at byte `p · stride` of
/// `bytes`.
#[derive(Clone, Copy, Debug)]
pub struct KvHead<'a> {
    /// The rows, from position 0.
    pub bytes: &'a [u8],
    /// Bytes from one position's row to the next.
    pub stride: usize,
}

impl<'a> KvHead<'a> {
    /// The `len` bytes of position `p`'s row.
    ///
    /// # Panics
    /// If the row is outside `bytes`.
    #[inline]
    pub fn row(&self, p: usize, len: usize) -> &'a [u8] {
        &self.bytes[p * self.stride..p * self.stride + len]
    }
}

/// The queries of one attention call: `heads` query heads of `head_dim`
/// values side by side in `q`, and the score scale (`1/√head_dim`).
#[derive(Clone, Copy, Debug)]
pub struct HeadQueries<'a> {
    /// The queries, `heads × head_dim` values.
    pub q: &'a [f32],
    /// Width of a head.
    pub head_dim: usize,
    /// Factor applied to every score.
    pub scale: f32,
}

/// Attention of one query position for query heads sharing one key/value
/// head, over cached positions `0 .. n_ctx`: `out` (laid out as `q`)
/// receives softmax(q·Kᵀ·scale)·V per head; `scores` is scratch of at
/// least `heads × n_ctx` values. `keys` and `values` hold f32 or f16 rows
/// as the table entry says.
pub type AttendFn = fn(
    queries: HeadQueries<'_>,
    keys: KvHead<'_>,
    values: KvHead<'_>,
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
);
/// `gate = silu(gate) · up`, element-wise.
pub type SwigluFn = fn(gate: &mut [f32], up: &[f32]);
/// Quantizes activations (`out.len() * 32` values) into Q8_0 blocks,
/// bit-identical to [`quantize_q8_0`](crate::quant::quantize_q8_0).
pub type QuantizeQ8_0 = fn(x: &[f32], out: &mut [BlockQ8_0]);

/// Most weight rows one tile kernel call takes.
pub const TILE_ROWS: usize = 4;
/// Most activation rows one tile kernel call takes.
pub const TILE_BATCH: usize = 4;

/// A tile of row dots with float weights: `w` holds `rows` weight rows of
/// `len` elements as raw little-endian bytes, `x` holds `batch` activation
/// rows of `len` values, and `out[i * rows + r]` receives the dot of weight
/// row `r` with activation row `i` (`1 <= rows <= TILE_ROWS`,
/// `1 <= batch <= TILE_BATCH`, `out.len() == rows * batch`).
///
/// Each output is computed the same way whatever the tile's shape, so a
/// product does not depend on which other rows share its tile.
pub type FloatTile = fn(w: &[u8], x: &[f32], len: usize, out: &mut [f32]);
/// A tile of Q8_0 weight rows × Q8_0 activation rows, `nb` blocks each
/// (layout and limits as [`FloatTile`]).
pub type Q8_0Tile = fn(w: &[BlockQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]);
/// A tile of Q4_0 weight rows × Q8_0 activation rows, `nb` blocks each
/// (layout and limits as [`FloatTile`]).
pub type Q4_0Tile = fn(w: &[BlockQ4_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]);
/// A tile of Q4_1 weight rows × Q8_1 activation rows, `nb` blocks each
/// (layout and limits as [`FloatTile`]).
pub type Q4_1Tile = fn(w: &[BlockQ4_1], x: &[BlockQ8_1], nb: usize, out: &mut [f32]);

/// Row-dot and tile kernels of one [`Isa`]. Every entry is safe to call: a
/// table is only handed out for a level the running CPU supports.
///
/// Callers guarantee matching lengths (`w` holds exactly `x.len()` elements,
/// tiles as documented on [`FloatTile`]); kernels may panic otherwise.
#[derive(Clone, Copy, Debug)]
pub struct DotKernels {
    /// The level these kernels were written for.
    pub isa: Isa,
    /// f32 weights.
    pub f32: FloatDot,
    /// f16 weights.
    pub f16: FloatDot,
    /// bf16 weights.
    pub bf16: FloatDot,
    /// Q8_0 weights × Q8_0 activations.
    pub q8_0: Q8_0Dot,
    /// Q4_0 weights × Q8_0 activations.
    pub q4_0: Q4_0Dot,
    /// Q4_1 weights × Q8_1 activations.
    pub q4_1: Q4_1Dot,
    /// Tiles of f32 weights.
    pub f32_tile: FloatTile,
    /// Tiles of f16 weights.
    pub f16_tile: FloatTile,
    /// Tiles of bf16 weights.
    pub bf16_tile: FloatTile,
    /// Tiles of Q8_0 weights × Q8_0 activations.
    pub q8_0_tile: Q8_0Tile,
    /// Tiles of Q4_0 weights × Q8_0 activations.
    pub q4_0_tile: Q4_0Tile,
    /// Tiles of Q4_1 weights × Q8_1 activations.
    pub q4_1_tile: Q4_1Tile,
    /// Activations into Q8_0 (for Q8_0 and Q4_0 weights).
    pub quantize_q8_0: QuantizeQ8_0,
    /// Panels of Q8_0 weights × Q8_0 activations.
    pub q8_0_panel: Q8_0PanelTile,
    /// Panels of Q4_0 weights × Q8_0 activations.
    pub q4_0_panel: Q4_0PanelTile,
    /// Attention over an f32 cache.
    pub attend_f32: AttendFn,
    /// Attention over an f16 cache.
    pub attend_f16: AttendFn,
    /// The SwiGLU gate.
    pub swiglu: SwigluFn,
    /// Whether the panel kernels beat the row tiles on this level, i.e.
    /// whether models should be repacked into panels when loaded.
    pub prefers_panels: bool,
}

impl DotKernels {
    /// The portable reference kernels.
    pub const SCALAR: DotKernels = DotKernels {
        isa: Isa::Scalar,
        f32: scalar::dot_f32,
        f16: scalar::dot_f16,
        bf16: scalar::dot_bf16,
        q8_0: scalar::dot_q8_0,
        q4_0: scalar::dot_q4_0,
        q4_1: scalar::dot_q4_1,
        f32_tile: scalar::tile_f32,
        f16_tile: scalar::tile_f16,
        bf16_tile: scalar::tile_bf16,
        q8_0_tile: scalar::tile_q8_0,
        q4_0_tile: scalar::tile_q4_0,
        q4_1_tile: scalar::tile_q4_1,
        quantize_q8_0: crate::quant::quantize_q8_0,
        q8_0_panel: scalar::panel_q8_0,
        q4_0_panel: scalar::panel_q4_0,
        attend_f32: scalar::attend_f32,
        attend_f16: scalar::attend_f16,
        swiglu: scalar::swiglu,
        prefers_panels: false,
    };

    /// The kernels for `isa`, or `None` when this CPU cannot run it.
    pub fn for_isa(isa: Isa) -> Option<DotKernels> {
        if !isa.is_available() {
            return None;
        }
        match isa {
            Isa::Scalar => Some(Self::SCALAR),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => super::x86::table(isa),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon | Isa::NeonDotprod => super::aarch64::table(isa),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The best kernels for this CPU, chosen once per process.
    pub fn best() -> &'static DotKernels {
        static BEST: OnceLock<DotKernels> = OnceLock::new();
        BEST.get_or_init(|| {
            Isa::available()
                .into_iter()
                .rev()
                .find_map(Self::for_isa)
                .unwrap_or(Self::SCALAR)
        })
    }
}
