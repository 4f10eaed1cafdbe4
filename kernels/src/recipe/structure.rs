//! Structured pruning plans: which attention heads and which feed-forward
//! channels every block keeps, chosen from weight norms, and how each
//! affected tensor is cut down.

use super::RecipeError;
use super::prune::{
    col_sq_norms, expand, group_sums, row_sq_norms, select_cols, select_rows, top_k,
};
use crate::model::{ModelConfig, TensorName, TensorRole, TensorSet};

/// FFN widths are kept a multiple of this so quantized `ffn_down` rows
/// stay whole blocks.
const FFN_MULTIPLE: usize = 32;

/// Heads kept per block.
#[derive(Debug, Clone)]
pub(crate) struct HeadPlan {
    /// Query heads after pruning.
    pub n_head: usize,
    /// Key/value heads after pruning.
    pub n_head_kv: usize,
    /// Original indices of the query heads each block keeps, ascending.
    pub kept_q: Vec<Vec<usize>>,
    /// Original indices of the key/value heads each block keeps (only when
    /// they are pruned too, i.e. without grouped-query attention).
    pub kept_kv: Option<Vec<Vec<usize>>>,
}

/// The structural changes of a recipe.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Head pruning, when it removes anything.
    pub heads: Option<HeadPlan>,
    /// Channels each block keeps, when FFN pruning removes anything.
    pub ffn: Option<Vec<Vec<usize>>>,
}

fn load(
    tensors: &TensorSet,
    layer: usize,
    role: TensorRole,
    dims: [usize; 2],
) -> Result<Vec<f32>, RecipeError> {
    let name = TensorName::layer(layer, role).to_string();
    let t = tensors
        .get(&name)
        .ok_or_else(|| RecipeError::MissingTensor { name: name.clone() })?;
    check_dims(&name, t.dims(), &dims)?;
    Ok(t.to_f32(&name)?)
}

fn check_dims(name: &str, found: &[usize], expected: &[usize]) -> Result<(), RecipeError> {
    if found != expected {
        return Err(RecipeError::BadShape {
            name: name.to_owned(),
            found: found.to_vec(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}

/// Checks the biases of a block that head pruning cuts, when present.
fn check_biases(
    tensors: &TensorSet,
    layer: usize,
    config: &ModelConfig,
) -> Result<(), RecipeError> {
    let expected = [
        (TensorRole::AttnQBias, config.q_dim()),
        (TensorRole::AttnKBias, config.kv_dim()),
        (TensorRole::AttnVBias, config.kv_dim()),
    ];
    for (role, len) in expected {
        let name = TensorName::layer(layer, role).to_string();
        if let Some(t) = tensors.get(&name) {
            check_dims(&name, t.dims(), &[len])?;
        }
    }
    Ok(())
}

/// `round((100 - percent) % of n)`, halves rounded up.
fn keep_of(n: usize, percent: u8) -> usize {
    ((100 - usize::from(percent)) * n + 50) / 100
}

/// Chooses the heads every block keeps. Query heads are ranked by
/// `‖attn_q rows‖ + ‖attn_output columns‖`; with grouped-query attention the
/// same number is removed from every key/value group, otherwise (one query
/// head per key/value head) whole heads go, ranked with their `attn_k` and
/// `attn_v` rows too.
fn plan_heads(
    config: &ModelConfig,
    tensors: &TensorSet,
    percent: u8,
) -> Result<Option<HeadPlan>, RecipeError> {
    let (hd, n_embd) = (config.head_dim, config.n_embd);
    let (q_dim, kv_dim) = (config.q_dim(), config.kv_dim());
    let group = config.gqa_group();
    let mha = group == 1;
    // Whole heads without grouped-query attention, else heads per group.
    let units = if mha { config.n_head } else { group };
    let keep = keep_of(units, percent).max(1);
    if keep == units {
        return Ok(None);
    }
    let mut kept_q = Vec::with_capacity(config.n_layer);
    let mut kept_kv = Vec::with_capacity(config.n_layer);
    for layer in 0..config.n_layer {
        let q = load(tensors, layer, TensorRole::AttnQ, [n_embd, q_dim])?;
        let o = load(tensors, layer, TensorRole::AttnOutput, [q_dim, n_embd])?;
        check_biases(tensors, layer, config)?;
        let q_norms = group_sums(&row_sq_norms(&q, n_embd), hd);
        let o_norms = group_sums(&col_sq_norms(&o, q_dim), hd);
        let mut score: Vec<f64> = q_norms
            .iter()
            .zip(&o_norms)
            .map(|(a, b)| a.sqrt() + b.sqrt())
            .collect();
        if mha {
            for role in [TensorRole::AttnK, TensorRole::AttnV] {
                let m = load(tensors, layer, role, [n_embd, kv_dim])?;
                for (s, n) in score
                    .iter_mut()
                    .zip(group_sums(&row_sq_norms(&m, n_embd), hd))
                {
                    *s += n.sqrt();
                }
            }
            let heads = top_k(&score, keep);
            kept_kv.push(heads.clone());
            kept_q.push(heads);
        } else {
            let heads: Vec<usize> = score
                .chunks_exact(group)
                .enumerate()
                .flat_map(|(g, s)| top_k(s, keep).into_iter().map(move |h| g * group + h))
                .collect();
            kept_q.push(heads);
        }
    }
    let n_head = kept_q.first().map_or(0, Vec::len);
    Ok(Some(HeadPlan {
        n_head,
        n_head_kv: if mha { n_head } else { config.n_head_kv },
        kept_q,
        kept_kv: mha.then_some(kept_kv),
    }))
}

/// Chooses the feed-forward channels every block keeps, ranked by
/// `‖ffn_gate row‖ · ‖ffn_up row‖ · ‖ffn_down column‖`.
fn plan_ffn(
    config: &ModelConfig,
    tensors: &TensorSet,
    percent: u8,
) -> Result<Option<Vec<Vec<usize>>>, RecipeError> {
    let (n_embd, n_ff) = (config.n_embd, config.n_ff);
    let keep = (keep_of(n_ff, percent) + FFN_MULTIPLE / 2) / FFN_MULTIPLE * FFN_MULTIPLE;
    if keep == 0 {
        return Err(RecipeError::PrunesEverything {
            what: "ffn",
            percent,
            detail: format!(
                "{n_ff} channels would keep {}, less than one group of {FFN_MULTIPLE}",
                keep_of(n_ff, percent)
            ),
        });
    }
    if keep >= n_ff {
        return Ok(None);
    }
    let mut kept = Vec::with_capacity(config.n_layer);
    for layer in 0..config.n_layer {
        let gate = load(tensors, layer, TensorRole::FfnGate, [n_embd, n_ff])?;
        let up = load(tensors, layer, TensorRole::FfnUp, [n_embd, n_ff])?;
        let down = load(tensors, layer, TensorRole::FfnDown, [n_ff, n_embd])?;
        let score: Vec<f64> = row_sq_norms(&gate, n_embd)
            .into_iter()
            .zip(row_sq_norms(&up, n_embd))
            .zip(col_sq_norms(&down, n_ff))
            .map(|((g, u), d)| (g * u * d).sqrt())
            .collect();
        kept.push(top_k(&score, keep));
    }
    Ok(Some(kept))
}

impl Plan {
    /// Plans head pruning (`heads` %) and FFN pruning (`ffn` %).
    pub fn new(
        config: &ModelConfig,
        tensors: &TensorSet,
        heads: u8,
        ffn: u8,
    ) -> Result<Self, RecipeError> {
        Ok(Plan {
            heads: if heads > 0 {
                plan_heads(config, tensors, heads)?
            } else {
                None
            },
            ffn: if ffn > 0 {
                plan_ffn(config, tensors, ffn)?
            } else {
                None
            },
        })
    }

    /// Whether the plan changes the tensor `name`.
    pub fn affects(&self, name: &TensorName) -> bool {
        use TensorRole::*;
        let Some(layer) = name.layer else {
            return false;
        };
        match name.role {
            AttnQ | AttnQBias | AttnOutput => {
                self.heads.as_ref().is_some_and(|h| layer < h.kept_q.len())
            }
            AttnK | AttnV | AttnKBias | AttnVBias => self
                .heads
                .as_ref()
                .and_then(|h| h.kept_kv.as_ref())
                .is_some_and(|kv| layer < kv.len()),
            FfnGate | FfnUp | FfnDown => self.ffn.as_ref().is_some_and(|f| layer < f.len()),
            _ => false,
        }
    }

    /// The dimensions [`cut`](Self::cut) gives the tensor `name` of
    /// dimensions `dims`, without touching its values.
    pub fn cut_dims(&self, name: &TensorName, dims: &[usize], head_dim: usize) -> Vec<usize> {
        use TensorRole::*;
        let mut d = dims.to_vec();
        if !self.affects(name) {
            return d;
        }
        let layer = name.layer.unwrap_or(0);
        let rows = |d: &mut Vec<usize>, n: usize| {
            let i = usize::from(d.len() > 1);
            d[i] = n;
        };
        match (name.role, &self.heads, &self.ffn) {
            (AttnQ | AttnQBias, Some(h), _) => rows(&mut d, h.kept_q[layer].len() * head_dim),
            (AttnOutput, Some(h), _) => d[0] = h.kept_q[layer].len() * head_dim,
            (AttnK | AttnV | AttnKBias | AttnVBias, Some(h), _) => {
                if let Some(kv) = &h.kept_kv {
                    rows(&mut d, kv[layer].len() * head_dim);
                }
            }
            (FfnGate | FfnUp, _, Some(f)) => rows(&mut d, f[layer].len()),
            (FfnDown, _, Some(f)) => d[0] = f[layer].len(),
            _ => {}
        }
        d
    }

    /// Cuts `values` (the tensor `name`, dimensions `dims`) down to what the
    /// plan keeps; returns the new values and dimensions. Tensors the plan
    /// does not affect come back unchanged.
    pub fn cut(
        &self,
        name: &TensorName,
        values: Vec<f32>,
        dims: Vec<usize>,
        head_dim: usize,
    ) -> (Vec<f32>, Vec<usize>) {
        use TensorRole::*;
        if !self.affects(name) {
            return (values, dims);
        }
        let layer = name.layer.unwrap_or(0);
        let cols = dims[0];
        let rows_of = |units: &[usize], width: usize| {
            let rows = expand(units, width);
            let mut d = dims.clone();
            if d.len() > 1 {
                d[1] = rows.len();
            } else {
                d[0] = rows.len();
            }
            let width = if dims.len() > 1 { cols } else { 1 };
            (select_rows(&values, width, &rows), d)
        };
        let cols_of = |units: &[usize], width: usize| {
            let keep = expand(units, width);
            let mut d = dims.clone();
            d[0] = keep.len();
            (select_cols(&values, cols, &keep), d)
        };
        match (name.role, &self.heads, &self.ffn) {
            (AttnQ | AttnQBias, Some(h), _) => rows_of(&h.kept_q[layer], head_dim),
            (AttnOutput, Some(h), _) => cols_of(&h.kept_q[layer], head_dim),
            (AttnK | AttnV | AttnKBias | AttnVBias, Some(h), _) => match &h.kept_kv {
                Some(kv) => rows_of(&kv[layer], head_dim),
                None => (values, dims),
            },
            (FfnGate | FfnUp, _, Some(f)) => rows_of(&f[layer], 1),
            (FfnDown, _, Some(f)) => cols_of(&f[layer], 1),
            _ => (values, dims),
        }
    }
}
