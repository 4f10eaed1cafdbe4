//! Matrix kernels: row dot products and small tiles of them (a few weight
//! rows × a few activation rows) per tensor format and instruction set,
//! chosen at run time, and the matrix-vector / matrix-matrix drivers on top.

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
