//! The key/value cache of one sequence: per layer, `context` rows of
//! `kv_dim` keys and as many values, in f32 or f16.

use half::f16;
use half::slice::HalfFloatSliceExt;

/// The element type of a KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KvType {
    /// 4 bytes per element, exact.
    #[default]
    F32,
    /// 2 bytes per element (IEEE half), as llama.cpp stores it by default.
    F16,
}

impl KvType {
    /// Bytes per cached element.
    pub fn bytes(self) -> usize {
        match self {
            KvType::F32 => 4,
            KvType::F16 => 2,
        }
    }
}

#[derive(Debug)]
enum Store {
    F32(Vec<f32>),
    F16(Vec<f16>),
}

impl Store {
    fn new(kind: KvType, len: usize) -> Self {
        match kind {
            KvType::F32 => Store::F32(vec![0.0; len]),
            KvType::F16 => Store::F16(vec![f16::ZERO; len]),
        }
    }

    fn write(&mut self, start: usize, values: &[f32]) {
        let end = start + values.len();
        match self {
            Store::F32(s) => s[start..end].copy_from_slice(values),
            Store::F16(s) => s[start..end].convert_from_f32_slice(values),
        }
    }

    fn rows(&self, start: usize, len: usize) -> Rows<'_> {
        match self {
            Store::F32(s) => Rows::F32(&s[start..start + len]),
            Store::F16(s) => Rows::F16(&s[start..start + len]),
        }
    }
}

/// Consecutive cached rows of one layer (keys or values), borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// f32 cache.
    F32(&'a [f32]),
    /// f16 cache.
    F16(&'a [f16]),
}

impl Rows<'_> {
    /// Every element as raw little-endian bytes.
    #[inline]
    pub(crate) fn all_bytes(&self) -> &[u8] {
        match self {
            Rows::F32(s) => bytemuck::cast_slice(s),
            Rows::F16(s) => bytemuck::cast_slice(s),
        }
    }
}

/// Keys and values of every layer for up to `context` positions.
#[derive(Debug)]
pub(crate) struct KvCache {
    kind: KvType,
    context: usize,
    kv_dim: usize,
    keys: Vec<Store>,
    values: Vec<Store>,
}

impl KvCache {
    /// A zeroed cache.
    pub(crate) fn new(kind: KvType, n_layer: usize, context: usize, kv_dim: usize) -> Self {
        let store = || Store::new(kind, context * kv_dim);
        KvCache {
            kind,
            context,
            kv_dim,
            keys: (0..n_layer).map(|_| store()).collect(),
            values: (0..n_layer).map(|_| store()).collect(),
        }
    }

    /// The element type.
    pub(crate) fn kind(&self) -> KvType {
        self.kind
    }

    /// Positions it holds at most.
    pub(crate) fn context(&self) -> usize {
        self.context
    }

    /// Stores `k` and `v` (rows of `kv_dim`) of `layer` from position `pos0`.
    pub(crate) fn write(&mut self, layer: usize, pos0: usize, k: &[f32], v: &[f32]) {
        let start = pos0 * self.kv_dim;
        self.keys[layer].write(start, k);
        self.values[layer].write(start, v);
    }

    /// Keys and values of `layer` for positions `0 .. n`.
    pub(crate) fn layer(&self, layer: usize, n: usize) -> (Rows<'_>, Rows<'_>) {
        let len = n * self.kv_dim;
        (
            self.keys[layer].rows(0, len),
            self.values[layer].rows(0, len),
        )
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        2 * self.keys.len() * self.context * self.kv_dim * self.kind.bytes()
    }
}
