//! [`RecipeReport`]: what applying a recipe did to a model.

use std::collections::BTreeMap;

use crate::model::TensorSet;
use crate::quant::GgmlType;

/// Totals of the tensors stored in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormatTotal {
    /// The format.
    pub dtype: GgmlType,
    /// Number of tensors.
    pub tensors: usize,
    /// Elements.
    pub parameters: u64,
    /// Bytes as stored.
    pub bytes: u64,
}

/// Per-format totals of `tensors`, ordered by ggml type id.
pub fn format_totals(tensors: &TensorSet) -> Vec<FormatTotal> {
    totals_of(
        tensors
            .iter()
            .map(|(_, t)| (t.dtype(), t.n_elements() as u64, t.bytes().len() as u64)),
    )
}

/// Per-format totals of `(format, elements, bytes)` of each tensor, ordered
/// by ggml type id.
pub(crate) fn totals_of(tensors: impl Iterator<Item = (GgmlType, u64, u64)>) -> Vec<FormatTotal> {
    let mut by: BTreeMap<u32, FormatTotal> = BTreeMap::new();
    for (dtype, n_elements, bytes) in tensors {
        let e = by.entry(dtype.id()).or_insert(FormatTotal {
            dtype,
            tensors: 0,
            parameters: 0,
            bytes: 0,
        });
        e.tensors += 1;
        e.parameters += n_elements;
        e.bytes += bytes;
    }
    by.into_values().collect()
}

/// Attention-head pruning that was done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeadPruning {
    /// The percentage asked for.
    pub percent: u8,
    /// Query heads before and after.
    pub n_head: (usize, usize),
    /// Key/value heads before and after.
    pub n_head_kv: (usize, usize),
    /// For every block, the original indices of the query heads removed.
    pub removed: Vec<Vec<usize>>,
}

/// Feed-forward channel pruning that was done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FfnPruning {
    /// The percentage asked for.
    pub percent: u8,
    /// Channels per block before and after.
    pub n_ff: (usize, usize),
}

/// Unstructured magnitude pruning that was done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sparsity {
    /// The percentage asked for.
    pub percent: u8,
    /// Matrices pruned.
    pub tensors: usize,
    /// Weights in those matrices.
    pub weights: u64,
    /// Weights set to zero.
    pub zeroed: u64,
}

/// A tensor stored in another format than the recipe asked for, because its
/// rows are not a whole number of the format's blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fallback {
    /// The tensor.
    pub tensor: String,
    /// The format the recipe asked for.
    pub requested: GgmlType,
    /// The format used.
    pub used: GgmlType,
    /// The row length that did not fit.
    pub row_length: usize,
}

/// What applying a recipe did: sizes before and after, per-format totals,
/// pruning and format fallbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecipeReport {
    /// The recipe's canonical name.
    pub recipe: String,
    /// Elements over all tensors, before and after.
    pub parameters: (u64, u64),
    /// Tensor bytes as stored, before and after.
    pub bytes: (u64, u64),
    /// Per-format totals before.
    pub formats_before: Vec<FormatTotal>,
    /// Per-format totals after.
    pub formats_after: Vec<FormatTotal>,
    /// Head pruning, when the recipe asks for it.
    pub heads: Option<HeadPruning>,
    /// FFN pruning, when the recipe asks for it.
    pub ffn: Option<FfnPruning>,
    /// Magnitude pruning, when the recipe asks for it.
    pub sparsity: Option<Sparsity>,
    /// Tensors stored in a fallback format, in name order.
    pub fallbacks: Vec<Fallback>,
    /// Tensors reused as they were (same format, not pruned: no copy).
    pub kept: usize,
    /// Tensors converted or cut.
    pub converted: usize,
}
