//! A borrowed, validated view of a row-major weight matrix.

use super::OpsError;
use crate::quant::{GgmlType, PANEL_ROWS};

/// A `rows × cols` weight matrix in a compute format, stored as raw bytes
/// with no alignment requirement (e.g. straight out of a mapped GGUF):
/// row-major, or repacked into eight-row panels.
#[derive(Clone, Copy, Debug)]
pub struct WeightMatrix<'a> {
    dtype: GgmlType,
    rows: usize,
    cols: usize,
    data: &'a [u8],
    layout: Layout,
}

/// How a [`WeightMatrix`]'s bytes are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Row after row, as GGUF stores them.
    RowMajor,
    /// Eight-row panels ([`PanelQ8_0`](crate::quant::PanelQ8_0),
    /// [`PanelQ4_0`](crate::quant::PanelQ4_0)): panel after panel, each
    /// block after block.
    Panels,
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
            layout: Layout::RowMajor,
        })
    }

    /// A matrix repacked into eight-row panels (see [`Layout::Panels`]):
    /// the same checks as [`new`](Self::new) (a panel matrix has the size
    /// of the row-major one), for Q8_0 and Q4_0 with rows a multiple of 8.
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`OpsError::NotPanelable`] for another
    /// format or row count.
    pub fn panels(
        dtype: GgmlType,
        rows: usize,
        cols: usize,
        data: &'a [u8],
    ) -> Result<Self, OpsError> {
        if !matches!(dtype, GgmlType::Q8_0 | GgmlType::Q4_0) || !rows.is_multiple_of(PANEL_ROWS) {
            return Err(OpsError::NotPanelable { dtype, rows });
        }
        Ok(Self {
            layout: Layout::Panels,
            ..Self::new(dtype, rows, cols, data)?
        })
    }

    /// How the bytes are laid out.
    pub fn layout(&self) -> Layout {
        self.layout
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

    /// The raw bytes, as [`layout`](Self::layout) says.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Bytes per row (of a row-major matrix; the average for panels).
    pub fn row_bytes(&self) -> usize {
        self.data.len() / self.rows
    }

    /// The raw bytes of rows `range` of a row-major matrix (of whole panels
    /// for panels: the range must then start and end on multiples of 8).
    ///
    /// # Panics
    /// If the range is outside the matrix.
    pub fn rows_bytes(&self, range: std::ops::Range<usize>) -> &'a [u8] {
        let rb = self.row_bytes();
        &self.data[range.start * rb..range.end * rb]
    }
}
