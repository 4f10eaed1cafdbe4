//! A borrowed, validated view of a row-major weight matrix.

use super::OpsError;
use crate::quant::GgmlType;

/// A `rows × cols` weight matrix in a compute format, stored row-major as raw
/// bytes with no alignment requirement (e.g. straight out of a mapped GGUF).
#[derive(Clone, Copy, Debug)]
pub struct WeightMatrix<'a> {
    dtype: GgmlType,
    rows: usize,
    cols: usize,
    data: &'a [u8],
}

impl<'a> WeightMatrix<'a> {
    /// Checks the format, the shape and the byte count.
    ///
    /// # Errors
    /// [`OpsError::UnsupportedType`] unless [`GgmlType::is_compute`],
    /// [`OpsError::EmptyMatrix`], [`OpsError::PartialBlock`] when `cols` is
    /// not a whole number of blocks, [`OpsError::ByteCount`] when `data` is
    /// not exactly the matrix's size.
    pub fn new(
        dtype: GgmlType,
        rows: usize,
        cols: usize,
        data: &'a [u8],
    ) -> Result<Self, OpsError> {
        if !dtype.is_compute() {
            return Err(OpsError::UnsupportedType { dtype });
        }
        if rows == 0 || cols == 0 {
            return Err(OpsError::EmptyMatrix { dtype, rows, cols });
        }
        let block = dtype.block_size();
        if !cols.is_multiple_of(block) {
            return Err(OpsError::PartialBlock { dtype, cols, block });
        }
        let expected = (cols / block)
            .checked_mul(dtype.block_bytes())
            .and_then(|row| row.checked_mul(rows))
            .unwrap_or(usize::MAX);
        if data.len() != expected {
            return Err(OpsError::ByteCount {
                dtype,
                rows,
                cols,
                expected,
                actual: data.len(),
            });
        }
        Ok(Self {
            dtype,
            rows,
            cols,
            data,
        })
    }

    /// The storage format.
    pub fn dtype(&self) -> GgmlType {
        self.dtype
    }

    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The raw bytes, row after row.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> usize {
        self.data.len() / self.rows
    }

    /// The raw bytes of rows `range`.
    ///
    /// # Panics
    /// If the range is outside the matrix.
    pub fn rows_bytes(&self, range: std::ops::Range<usize>) -> &'a [u8] {
        let rb = self.row_bytes();
        &self.data[range.start * rb..range.end * rb]
    }
}
