//! Errors of the matrix drivers.

use super::Isa;
use crate::quant::GgmlType;

/// A weight matrix, activation or output that does not fit the operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// The weights are stored in a format the kernels do not compute with.
    #[error("{dtype} weights are not a compute format (use f32, f16, bf16, q8_0, q4_0 or q4_1)")]
    UnsupportedType {
        /// The weights' type.
        dtype: GgmlType,
    },
    /// A matrix with no rows or no columns.
    #[error("{dtype} weight matrix of {rows} × {cols} is empty")]
    EmptyMatrix {
        /// The weights' type.
        dtype: GgmlType,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// Only Q8_0 and Q4_0 matrices of whole eight-row panels are repacked.
    #[error(
        "{dtype} weights of {rows} rows cannot be held as panels: only q8_0 and q4_0 \
         matrices whose rows are a multiple of 8"
    )]
    NotPanelable {
        /// The weights' type.
        dtype: GgmlType,
        /// Rows given.
        rows: usize,
    },
    /// Rows of a block format must hold whole blocks.
    #[error("{dtype} weight rows of {cols} columns are not a multiple of the block size {block}")]
    PartialBlock {
        /// The weights' type.
        dtype: GgmlType,
        /// Columns given.
        cols: usize,
        /// Elements per block of `dtype`.
        block: usize,
    },
    /// The byte buffer does not hold exactly `rows × cols` weights.
    #[error("{dtype} weight matrix of {rows} × {cols} needs {expected} bytes, got {actual}")]
    ByteCount {
        /// The weights' type.
        dtype: GgmlType,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
        /// Bytes the shape needs (`usize::MAX` when it overflows).
        expected: usize,
        /// Bytes supplied.
        actual: usize,
    },
    /// The activations do not match the matrix's columns (times the batch).
    #[error(
        "activations hold {actual} values, expected {expected} ({batch} rows × {cols} columns)"
    )]
    ActivationLength {
        /// Activation rows in the batch.
        batch: usize,
        /// Columns of the weight matrix.
        cols: usize,
        /// Values expected.
        expected: usize,
        /// Values supplied.
        actual: usize,
    },
    /// The output does not match the matrix's rows (times the batch).
    #[error("output holds {actual} values, expected {expected} ({batch} rows × {rows} outputs)")]
    OutputLength {
        /// Activation rows in the batch.
        batch: usize,
        /// Rows of the weight matrix.
        rows: usize,
        /// Values expected.
        expected: usize,
        /// Values supplied.
        actual: usize,
    },
    /// Kernels for an instruction set this CPU cannot run were requested.
    #[error("this CPU cannot run {isa} kernels")]
    IsaUnavailable {
        /// The level requested.
        isa: Isa,
    },
    /// The worker threads could not be started.
    #[error("cannot start kernel worker threads")]
    Spawn(#[from] std::io::Error),
}
