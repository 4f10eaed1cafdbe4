//! Matrix kernels: row dot products per tensor format and instruction set,
//! chosen at run time, and the matrix-vector / matrix-matrix drivers on top.

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod isa;
pub mod scalar;
mod table;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use isa::Isa;
pub use table::{DotKernels, FloatDot, Q4_0Dot, Q4_1Dot, Q8_0Dot};
