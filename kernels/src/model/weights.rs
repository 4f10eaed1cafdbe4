//! [`Model`]: a model's weights checked against its hyperparameters and laid
//! out for the forward pass. Matrices keep the bytes of their [`Tensor`]
//! (borrowed from the mapped file when loaded from one); norms, biases and
//! RoPE factors are converted to f32 once.

use std::sync::Arc;

use super::{ModelConfig, ModelError, Tensor, TensorName, TensorRole, TensorSet};
use crate::gguf::GgufFile;
use crate::ops::{DotKernels, WeightMatrix};
use crate::quant::{self, GgmlType};

const MATRIX_REASON: &str = "is not a format the matrix kernels compute with; \
     apply a recipe that stores it as f32, f16, bf16, q8_0, q4_0 or q4_1";
const TIED_REASON: &str = "cannot serve as the output matrix tied to the embedding; \
     apply a recipe that stores it as f32, f16, bf16, q8_0, q4_0 or q4_1";
const VECTOR_REASON: &str = "cannot be converted to f32; apply a recipe that stores it as \
     f32, f16 or bf16";

/// A weight matrix of `rows` outputs by `cols` inputs, over a tensor's
/// bytes, and their copy repacked into panels once made.
#[derive(Debug, Clone)]
pub(crate) struct Matrix {
    tensor: Tensor,
    rows: usize,
    cols: usize,
    panels: Option<Arc<Panels>>,
}

/// A matrix repacked into panels.
#[derive(Debug)]
enum Panels {
    Q8_0(Vec<quant::PanelQ8_0>),
    Q4_0(Vec<quant::PanelQ4_0>),
}

impl Panels {
    fn bytes(&self) -> &[u8] {
        match self {
            Panels::Q8_0(p) => bytemuck::cast_slice(p),
            Panels::Q4_0(p) => bytemuck::cast_slice(p),
        }
    }
}

impl Matrix {
    fn new(tensor: &Tensor, rows: usize, cols: usize) -> Self {
        Matrix {
            tensor: tensor.clone(),
            rows,
            cols,
            panels: None,
        }
    }

    /// The matrix as the products take it: its panels when repacked.
    pub(crate) fn view(&self) -> Result<WeightMatrix<'_>, ModelError> {
        let dtype = self.tensor.dtype();
        Ok(match &self.panels {
            Some(p) => WeightMatrix::panels(dtype, self.rows, self.cols, p.bytes())?,
            None => WeightMatrix::new(dtype, self.rows, self.cols, self.tensor.bytes())?,
        })
    }

    /// Repacks a Q8_0 or Q4_0 matrix of whole panels into panels (other
    /// matrices stay as they are), then drops the mapped original from
    /// resident memory: the products read only the panels, and a lookup
    /// of the tied embedding faults in just the rows it reads.
    fn pack_panels(&mut self) {
        if self.panels.is_some() || !self.rows.is_multiple_of(quant::PANEL_ROWS) {
            return;
        }
        let (bytes, nb) = (self.tensor.bytes(), self.cols / quant::QK);
        let packed = match self.tensor.dtype() {
            GgmlType::Q8_0 => {
                Panels::Q8_0(quant::pack_q8_0(bytemuck::cast_slice(bytes), self.rows, nb))
            }
            GgmlType::Q4_0 => {
                Panels::Q4_0(quant::pack_q4_0(bytemuck::cast_slice(bytes), self.rows, nb))
            }
            _ => return,
        };
        self.panels = Some(Arc::new(packed));
        self.tensor.release_pages();
    }

    /// Dequantizes row `r` of the token embedding into `out` (`cols` values).
    pub(crate) fn row_into(&self, r: usize, out: &mut [f32]) -> Result<(), ModelError> {
        let dtype = self.tensor.dtype();
        let row_bytes = self.cols / dtype.block_size() * dtype.block_bytes();
        let bytes = &self.tensor.bytes()[r * row_bytes..(r + 1) * row_bytes];
        quant::dequantize(dtype, bytes, out).map_err(|source| ModelError::Convert {
            name: "token_embd.weight".into(),
            source,
        })
    }
}

impl Layer {
    /// Its matrices.
    fn matrices(&self) -> [&Matrix; 7] {
        [
            &self.wq, &self.wk, &self.wv, &self.wo, &self.gate, &self.up, &self.down,
        ]
    }
}

/// The weights of one transformer block.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) attn_norm: Vec<f32>,
    pub(crate) wq: Matrix,
    pub(crate) wk: Matrix,
    pub(crate) wv: Matrix,
    pub(crate) bq: Option<Vec<f32>>,
    pub(crate) bk: Option<Vec<f32>>,
    pub(crate) bv: Option<Vec<f32>>,
    pub(crate) wo: Matrix,
    pub(crate) ffn_norm: Vec<f32>,
    pub(crate) gate: Matrix,
    pub(crate) up: Matrix,
    pub(crate) down: Matrix,
}

/// A runnable Llama-family model: hyperparameters and checked weights.
/// Run it through a [`Session`](super::Session).
#[derive(Debug, Clone)]
pub struct Model {
    config: ModelConfig,
    pub(crate) token_embd: Matrix,
    pub(crate) output: Option<Matrix>,
    pub(crate) output_norm: Vec<f32>,
    pub(crate) rope_freqs: Option<Vec<f32>>,
    pub(crate) layers: Vec<Layer>,
}

impl Model {
    /// Loads the model of a GGUF file: hyperparameters from its metadata,
    /// weights borrowed from its bytes (no copy of the matrices).
    ///
    /// # Errors
    /// As [`ModelConfig::from_gguf`] and [`Model::from_tensors`].
    pub fn load(file: Arc<GgufFile>) -> Result<Self, ModelError> {
        let config = ModelConfig::from_gguf(&file)?;
        let tensors = TensorSet::from_gguf(&file);
        Self::from_tensors(config, &tensors)
    }

    /// Builds a model from `tensors`, checking every shape against `config`.
    /// Matrices share the tensors' bytes.
    ///
    /// `output.weight` may be absent (the output is tied to the embedding);
    /// `rope_freqs.weight` is optional; Q, K and V biases are required for
    /// architectures that have them and used by any that carries them.
    ///
    /// # Errors
    /// [`ModelError::BadHyperparameter`] from [`ModelConfig::validate`],
    /// [`ModelError::MissingTensor`], [`ModelError::BadShape`],
    /// [`ModelError::UnsupportedTensorType`] for a matrix outside the compute
    /// formats (or a vector that cannot be converted to f32).
    pub fn from_tensors(config: ModelConfig, tensors: &TensorSet) -> Result<Self, ModelError> {
        config.validate()?;
        let c = &config;
        let get = |name: TensorName| -> Result<Option<(String, &Tensor)>, ModelError> {
            let n = name.to_string();
            Ok(tensors.get(&n).map(|t| (n, t)))
        };
        let need = |name: TensorName| -> Result<(String, &Tensor), ModelError> {
            get(name)?.ok_or_else(|| ModelError::MissingTensor {
                name: name.to_string(),
            })
        };
        let global = TensorName::global;
        let matrix = |name: TensorName, cols: usize, rows: usize| {
            let (n, t) = need(name)?;
            load_matrix(&n, t, cols, rows, MATRIX_REASON)
        };
        let vector = |name: TensorName, len: usize| {
            let (n, t) = need(name)?;
            load_vector(&n, t, len)
        };

        let output = match get(global(TensorRole::Output))? {
            Some((n, t)) => Some(load_matrix(&n, t, c.n_embd, c.n_vocab, MATRIX_REASON)?),
            None => None,
        };
        let (embd_name, embd) = need(global(TensorRole::TokenEmbd))?;
        let token_embd = if output.is_some() {
            load_embedding(&embd_name, embd, c.n_embd, c.n_vocab)?
        } else {
            load_matrix(&embd_name, embd, c.n_embd, c.n_vocab, TIED_REASON)?
        };
        let output_norm = vector(global(TensorRole::OutputNorm), c.n_embd)?;
        let rope_freqs = match get(global(TensorRole::RopeFreqs))? {
            Some((n, t)) => Some(load_vector(&n, t, c.rope_dim / 2)?),
            None => None,
        };

        let mut layers = Vec::with_capacity(c.n_layer);
        for l in 0..c.n_layer {
            let at = |role| TensorName::layer(l, role);
            let bias = |role, len| -> Result<Option<Vec<f32>>, ModelError> {
                match get(at(role))? {
                    Some((n, t)) => Ok(Some(load_vector(&n, t, len)?)),
                    None if c.arch.has_qkv_bias() => Err(ModelError::MissingTensor {
                        name: at(role).to_string(),
                    }),
                    None => Ok(None),
                }
            };
            layers.push(Layer {
                attn_norm: vector(at(TensorRole::AttnNorm), c.n_embd)?,
                wq: matrix(at(TensorRole::AttnQ), c.n_embd, c.q_dim())?,
                wk: matrix(at(TensorRole::AttnK), c.n_embd, c.kv_dim())?,
                wv: matrix(at(TensorRole::AttnV), c.n_embd, c.kv_dim())?,
                bq: bias(TensorRole::AttnQBias, c.q_dim())?,
                bk: bias(TensorRole::AttnKBias, c.kv_dim())?,
                bv: bias(TensorRole::AttnVBias, c.kv_dim())?,
                wo: matrix(at(TensorRole::AttnOutput), c.q_dim(), c.n_embd)?,
                ffn_norm: vector(at(TensorRole::FfnNorm), c.n_embd)?,
                gate: matrix(at(TensorRole::FfnGate), c.n_embd, c.n_ff)?,
                up: matrix(at(TensorRole::FfnUp), c.n_embd, c.n_ff)?,
                down: matrix(at(TensorRole::FfnDown), c.n_ff, c.n_embd)?,
            });
        }
        let mut model = Model {
            config,
            token_embd,
            output,
            output_norm,
            rope_freqs,
            layers,
        };
        if DotKernels::best().prefers_panels {
            model.pack_panels();
        }
        Ok(model)
    }

    /// Repacks every Q8_0 and Q4_0 matrix of whole eight-row panels
    /// (including the embedding when it is the tied output matrix) into
    /// panels. Done by [`from_tensors`](Self::from_tensors) when this
    /// CPU's kernels prefer panels; products give the same results either
    /// way.
    pub fn pack_panels(&mut self) {
        if self.output.is_none() {
            self.token_embd.pack_panels();
            // Only looked up by row from now on.
            if self.token_embd.panels.is_some() {
                self.token_embd.tensor.advise_random();
            }
        }
        for m in self.matrices_mut() {
            m.pack_panels();
        }
    }

    /// The model with every matrix row-major as stored (panels dropped).
    pub fn without_panels(mut self) -> Self {
        self.token_embd.panels = None;
        for m in self.matrices_mut() {
            m.panels = None;
        }
        self
    }

    /// Whether some matrix is held repacked into panels.
    pub fn has_panels(&self) -> bool {
        self.token_embd.panels.is_some()
            || self
                .output
                .iter()
                .chain(self.layers.iter().flat_map(Layer::matrices))
                .any(|m| m.panels.is_some())
    }

    /// Every matrix but the embedding, mutably.
    fn matrices_mut(&mut self) -> impl Iterator<Item = &mut Matrix> {
        self.output
            .iter_mut()
            .chain(self.layers.iter_mut().flat_map(|l| {
                [
                    &mut l.wq,
                    &mut l.wk,
                    &mut l.wv,
                    &mut l.wo,
                    &mut l.gate,
                    &mut l.up,
                    &mut l.down,
                ]
            }))
    }

    /// The hyperparameters.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Whether the output projection is the token embedding (no
    /// `output.weight`).
    pub fn tied_output(&self) -> bool {
        self.output.is_none()
    }

    /// The output projection: `output.weight`, or the embedding when tied.
    pub(crate) fn output_matrix(&self) -> &Matrix {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }
}

fn check_dims(name: &str, t: &Tensor, expected: &[usize]) -> Result<(), ModelError> {
    if t.dims() != expected {
        return Err(ModelError::BadShape {
            name: name.to_owned(),
            found: t.dims().to_vec(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}

/// A `[cols, rows]` tensor in a compute format.
fn load_matrix(
    name: &str,
    t: &Tensor,
    cols: usize,
    rows: usize,
    reason: &'static str,
) -> Result<Matrix, ModelError> {
    check_dims(name, t, &[cols, rows])?;
    if !t.dtype().is_compute() {
        return Err(ModelError::UnsupportedTensorType {
            name: name.to_owned(),
            dtype: t.dtype(),
            reason,
        });
    }
    let m = Matrix::new(t, rows, cols);
    m.view()?;
    Ok(m)
}

/// The embedding when it is only looked up: any format a row of which can
/// be dequantized.
fn load_embedding(name: &str, t: &Tensor, cols: usize, rows: usize) -> Result<Matrix, ModelError> {
    check_dims(name, t, &[cols, rows])?;
    let dtype = t.dtype();
    let row_bytes = (cols.is_multiple_of(dtype.block_size()))
        .then(|| cols / dtype.block_size() * dtype.block_bytes());
    if !dtype.can_dequantize()
        || row_bytes.and_then(|b| b.checked_mul(rows)) != Some(t.bytes().len())
    {
        return Err(ModelError::UnsupportedTensorType {
            name: name.to_owned(),
            dtype,
            reason: "cannot be read row by row; apply a recipe that stores it in a \
                     supported format",
        });
    }
    Ok(Matrix::new(t, rows, cols))
}

/// A `[len]` tensor converted to f32.
fn load_vector(name: &str, t: &Tensor, len: usize) -> Result<Vec<f32>, ModelError> {
    check_dims(name, t, &[len])?;
    if !t.dtype().can_dequantize() {
        return Err(ModelError::UnsupportedTensorType {
            name: name.to_owned(),
            dtype: t.dtype(),
            reason: VECTOR_REASON,
        });
    }
    t.to_f32(name)
}
