//! Matrix kernels: row dot products and small tiles of them (a few weight
//! rows × a few activation rows) per tensor format and instruction set,
//! chosen at run time, and the matrix-vector / matrix-matrix drivers on top.

/// Declares `$name`, the table entry of the SIMD attention kernel `$imp`
/// over cache rows of `$bytes` bytes per element: it checks the attention
/// contract ([`scalar::attend_shape`]), leaves head widths that are not a
/// multiple of 8 (and an empty cache) to the scalar `$reference`, and calls
/// `$imp` for the rest. Only the table of the instruction set that `$imp`
/// needs holds the entry, and that table is built only where the set was
/// detected.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
macro_rules! checked_attend {
    ($name:ident, $imp:path, $reference:path, $bytes:expr) => {
        fn $name(
            queries: HeadQueries<'_>,
            keys: KvHead<'_>,
            values: KvHead<'_>,
            n_ctx: usize,
            scores: &mut [f32],
            out: &mut [f32],
        ) {
            attend_shape(
                &queries,
                &keys,
                &values,
                n_ctx,
                $bytes,
                scores.len(),
                out.len(),
            );
            if !queries.head_dim.is_multiple_of(8) || n_ctx == 0 {
                return $reference(queries, keys, values, n_ctx, scores, out);
            }
            // SAFETY: the entry is only in the table of the instruction set
            // `$imp` needs, built where that set was detected; the shape was
            // checked above.
            unsafe { $imp(queries, keys, values, n_ctx, scores, out) }
        }
    };
}

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod error;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod exp_consts;
mod isa;
mod matmul;
pub mod pool;
pub mod scalar;
mod table;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod tile_shape;
mod weights;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use error::OpsError;
pub use isa::Isa;
pub use matmul::{Matmul, Product};
pub use pool::ThreadPool;
pub use table::{
    AttendFn, DotKernels, FloatDot, FloatTile, HeadQueries, KvHead, Q4_0Dot, Q4_0PanelTile,
    Q4_0Tile, Q4_1Dot, Q4_1Tile, Q8_0Dot, Q8_0PanelTile, Q8_0Tile, QuantizeQ8_0, SwigluFn,
    TILE_BATCH, TILE_ROWS,
};
pub use weights::{Layout, WeightMatrix};
