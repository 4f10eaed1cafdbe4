//! [`TensorSet`]: a model's tensors by name, each either borrowed from a
//! memory-mapped GGUF file or owned after a recipe converted it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ModelError;
use crate::gguf::GgufFile;
use crate::quant::{self, GgmlType};

#[derive(Debug, Clone)]
enum TensorData {
    Owned(Arc<[u8]>),
    Mapped {
        file: Arc<GgufFile>,
        start: usize,
        len: usize,
    },
}

/// One tensor: its format, dimensions (innermost, i.e. row length, first, as
/// GGUF stores them) and bytes. Cloning shares the bytes.
#[derive(Debug, Clone)]
pub struct Tensor {
    dtype: GgmlType,
    dims: Vec<usize>,
    data: TensorData,
}

impl Tensor {
    /// A tensor over `data`, which must be exactly the size `dtype` needs for
    /// `dims` (and `dims[0]` a whole number of blocks).
    ///
    /// # Errors
    /// [`ModelError::BadTensorSize`] or [`ModelError::BadShape`], naming `name`.
    pub fn owned(
        name: &str,
        dtype: GgmlType,
        dims: Vec<usize>,
        data: Vec<u8>,
    ) -> Result<Self, ModelError> {
        let expected = expected_bytes(name, dtype, &dims)?;
        if data.len() != expected {
            return Err(ModelError::BadTensorSize {
                name: name.to_owned(),
                dtype,
                found: data.len(),
                expected,
            });
        }
        Ok(Tensor {
            dtype,
            dims,
            data: TensorData::Owned(data.into()),
        })
    }

    /// Quantizes (or converts) f32 `values` into `dtype`.
    ///
    /// # Errors
    /// [`ModelError::Convert`] when `dtype` cannot be produced or the row
    /// length is not a whole number of its blocks; [`ModelError::BadShape`]
    /// when `values` does not fill `dims`.
    pub fn from_f32(
        name: &str,
        dtype: GgmlType,
        dims: Vec<usize>,
        values: &[f32],
    ) -> Result<Self, ModelError> {
        let n: usize = dims.iter().product();
        if values.len() != n || dims.is_empty() {
            return Err(ModelError::BadShape {
                name: name.to_owned(),
                found: vec![values.len()],
                expected: dims,
            });
        }
        let convert = |source| ModelError::Convert {
            name: name.to_owned(),
            source,
        };
        // Rows are checked one by one so a partial block is reported as a
        // row-length problem rather than spilling into the next row.
        let len = quant::quantized_len(dtype, dims[0]).map_err(convert)?;
        let mut out = vec![0u8; len * (n / dims[0].max(1))];
        if len > 0 {
            for (src, dst) in values.chunks_exact(dims[0]).zip(out.chunks_exact_mut(len)) {
                quant::quantize(dtype, src, dst).map_err(convert)?;
            }
        }
        Self::owned(name, dtype, dims, out)
    }

    /// The storage format.
    pub fn dtype(&self) -> GgmlType {
        self.dtype
    }

    /// Dimensions, innermost first.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Number of elements.
    pub fn n_elements(&self) -> usize {
        self.dims.iter().product()
    }

    /// The raw bytes in the storage format.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            TensorData::Owned(b) => b,
            TensorData::Mapped { file, start, len } => &file.bytes()[*start..*start + *len],
        }
    }

    /// The bytes as a shared buffer: the tensor's own when it owns them (no
    /// copy), a copy when they are borrowed from a mapped file.
    pub fn into_shared_bytes(self) -> Arc<[u8]> {
        match self.data {
            TensorData::Owned(b) => b,
            TensorData::Mapped { .. } => Arc::from(self.bytes()),
        }
    }

    /// Drops the bytes of a mapped tensor from the process's resident memory
    /// (they are read from the file again if touched); nothing for owned
    /// bytes.
    pub(crate) fn release_pages(&self) {
        if let TensorData::Mapped { file, start, len } = &self.data {
            file.release_range(*start, *len);
        }
    }

    /// Marks a mapped tensor as read at random (row lookups): a page fault
    /// then brings in the page it needs, not the read-ahead around it.
    pub(crate) fn advise_random(&self) {
        if let TensorData::Mapped { file, start, len } = &self.data {
            file.advise_random_range(*start, *len);
        }
    }

    /// Whether the bytes are borrowed from a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.data, TensorData::Mapped { .. })
    }

    /// The values as f32 (dequantized when stored quantized).
    ///
    /// # Errors
    /// [`ModelError::Convert`] when the format cannot be dequantized.
    pub fn to_f32(&self, name: &str) -> Result<Vec<f32>, ModelError> {
        let mut out = vec![0.0f32; self.n_elements()];
        quant::dequantize(self.dtype, self.bytes(), &mut out).map_err(|source| {
            ModelError::Convert {
                name: name.to_owned(),
                source,
            }
        })?;
        Ok(out)
    }
}

fn expected_bytes(name: &str, dtype: GgmlType, dims: &[usize]) -> Result<usize, ModelError> {
    let bad_shape = || ModelError::BadShape {
        name: name.to_owned(),
        found: dims.to_vec(),
        expected: Vec::new(),
    };
    if dims.is_empty() || dims.len() > crate::gguf::MAX_DIMS || dims.contains(&0) {
        return Err(bad_shape());
    }
    if !dims[0].is_multiple_of(dtype.block_size()) {
        return Err(ModelError::UnsupportedTensorType {
            name: name.to_owned(),
            dtype,
            reason: "needs rows that are a whole number of blocks",
        });
    }
    let n = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(bad_shape)?;
    dtype
        .bytes_for(n)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(bad_shape)
}

/// A model's tensors by name, in name order.
#[derive(Debug, Clone, Default)]
pub struct TensorSet {
    tensors: BTreeMap<String, Tensor>,
}

impl TensorSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every tensor of `file`, borrowing its bytes (no copy).
    pub fn from_gguf(file: &Arc<GgufFile>) -> Self {
        let base = file.data_offset() as usize;
        let tensors = file
            .tensors()
            .iter()
            .map(|t| {
                // The reader checked that every dimension and the data range fit.
                let tensor = Tensor {
                    dtype: t.dtype,
                    dims: t.dims.iter().map(|&d| d as usize).collect(),
                    data: TensorData::Mapped {
                        file: Arc::clone(file),
                        start: base + t.offset as usize,
                        len: t.n_bytes as usize,
                    },
                };
                (t.name.clone(), tensor)
            })
            .collect();
        TensorSet { tensors }
    }

    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// The tensor called `name`, or [`ModelError::MissingTensor`].
    ///
    /// # Errors
    /// [`ModelError::MissingTensor`] when there is no such tensor.
    pub fn require(&self, name: &str) -> Result<&Tensor, ModelError> {
        self.get(name).ok_or_else(|| ModelError::MissingTensor {
            name: name.to_owned(),
        })
    }

    /// Adds or replaces the tensor called `name`; returns the one replaced.
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor) -> Option<Tensor> {
        self.tensors.insert(name.into(), tensor)
    }

    /// Removes the tensor called `name`.
    pub fn remove(&mut self, name: &str) -> Option<Tensor> {
        self.tensors.remove(name)
    }

    /// Tensors in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.tensors.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Total elements over all tensors.
    pub fn parameter_count(&self) -> u64 {
        self.tensors.values().map(|t| t.n_elements() as u64).sum()
    }

    /// Total bytes of tensor data as stored (what a GGUF of this set holds,
    /// without alignment padding).
    pub fn total_bytes(&self) -> u64 {
        self.tensors.values().map(|t| t.bytes().len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_tensors_check_their_size_and_blocks() {
        let t = Tensor::owned("a", GgmlType::F32, vec![4, 2], vec![0; 32]).unwrap();
        assert_eq!((t.n_elements(), t.bytes().len()), (8, 32));
        assert!(matches!(
            Tensor::owned("a", GgmlType::F32, vec![4, 2], vec![0; 31]),
            Err(ModelError::BadTensorSize {
                expected: 32,
                found: 31,
                ..
            })
        ));
        assert!(matches!(
            Tensor::owned("q", GgmlType::Q8_0, vec![16, 2], vec![0; 34]),
            Err(ModelError::UnsupportedTensorType { .. })
        ));
        assert!(matches!(
            Tensor::owned("z", GgmlType::F32, vec![0], vec![]),
            Err(ModelError::BadShape { .. })
        ));
    }

    #[test]
    fn from_f32_quantizes_row_by_row_and_reads_back() {
        let values: Vec<f32> = (0..64).map(|i| i as f32 / 8.0 - 4.0).collect();
        let t = Tensor::from_f32("w", GgmlType::Q8_0, vec![32, 2], &values).unwrap();
        assert_eq!(t.bytes().len(), 2 * 34);
        let back = t.to_f32("w").unwrap();
        for (a, b) in values.iter().zip(&back) {
            assert!((a - b).abs() <= 4.0 / 127.0, "{a} vs {b}");
        }
        assert!(Tensor::from_f32("w", GgmlType::Q8_0, vec![32, 3], &values).is_err());
    }
}
