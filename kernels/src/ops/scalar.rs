//! Portable reference kernels. Plain and obviously correct: every SIMD
//! kernel is tested against these.

use super::{HeadQueries, KvHead};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, PANEL_ROWS, PanelQ4_0, PanelQ8_0};
use half::{bf16, f16};

/// f32 weights (little-endian bytes) · f32.
pub fn dot_f32(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 4, "dot_f32: length mismatch");
    w.chunks_exact(4)
        .zip(x)
        .map(|(b, &v)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * v)
        .sum()
}

/// f16 weights (little-endian bytes) · f32.
pub fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 2, "dot_f16: length mismatch");
    w.chunks_exact(2)
        .zip(x)
        .map(|(b, &v)| f16::from_le_bytes([b[0], b[1]]).to_f32() * v)
        .sum()
}

/// bf16 weights (little-endian bytes) · f32.
pub fn dot_bf16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 2, "dot_bf16: length mismatch");
    w.chunks_exact(2)
        .zip(x)
        .map(|(b, &v)| bf16::from_le_bytes([b[0], b[1]]).to_f32() * v)
        .sum()
}

/// `y += a · x` for f32 `x` (little-endian bytes).
pub fn axpy_f32(a: f32, x: &[u8], y: &mut [f32]) {
    assert_eq!(x.len(), y.len() * 4, "axpy_f32: length mismatch");
    for (b, y) in x.chunks_exact(4).zip(y) {
        *y += a * f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

/// `y += a · x` for f16 `x` (little-endian bytes).
pub fn axpy_f16(a: f32, x: &[u8], y: &mut [f32]) {
    assert_eq!(x.len(), y.len() * 2, "axpy_f16: length mismatch");
    for (b, y) in x.chunks_exact(2).zip(y) {
        *y += a * f16::from_le_bytes([b[0], b[1]]).to_f32();
    }
}

/// Q8_0 · Q8_0: integer dot per block, scaled by both block scales.
pub fn dot_q8_0(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q8_0: length mismatch");
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(x) {
        let s: i32 =
            a.qs.iter()
                .zip(&b.qs)
                .map(|(&p, &q)| p as i32 * q as i32)
                .sum();
        sum += s as f32 * (a.d.to_f32() * b.d.to_f32());
    }
    sum
}

/// Q4_0 · Q8_0: `d_w * d_x * Σ (q_w - 8) q_x` per block.
pub fn dot_q4_0(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q4_0: length mismatch");
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(x) {
        let mut s = 0i32;
        for j in 0..16 {
            let lo = (a.qs[j] & 0x0F) as i32 - 8;
            let hi = (a.qs[j] >> 4) as i32 - 8;
            s += lo * b.qs[j] as i32 + hi * b.qs[j + 16] as i32;
        }
        sum += s as f32 * (a.d.to_f32() * b.d.to_f32());
    }
    sum
}

/// Q4_1 · Q8_1: `d_w * d_x * Σ q_w q_x + m_w * s_x` per block.
pub fn dot_q4_1(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q4_1: length mismatch");
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(x) {
        let mut s = 0i32;
        for j in 0..16 {
            s += (a.qs[j] & 0x0F) as i32 * b.qs[j] as i32
                + (a.qs[j] >> 4) as i32 * b.qs[j + 16] as i32;
        }
        sum += s as f32 * (a.d.to_f32() * b.d.to_f32()) + a.m.to_f32() * b.s.to_f32();
    }
    sum
}

/// Checks a tile call's shape (`w_len` weight elements in rows of `w_row`,
/// `x_len` activation elements in rows of `x_row`) and returns `(rows, batch)`.
///
/// # Panics
/// When the shape breaks the contract of [`FloatTile`](super::FloatTile).
pub(crate) fn tile_shape(
    w_len: usize,
    w_row: usize,
    x_len: usize,
    x_row: usize,
    out_len: usize,
) -> (usize, usize) {
    assert!(w_row > 0 && x_row > 0, "tile: empty rows");
    assert!(
        w_len.is_multiple_of(w_row) && x_len.is_multiple_of(x_row),
        "tile: partial rows"
    );
    let (rows, batch) = (w_len / w_row, x_len / x_row);
    assert!(
        (1..=super::TILE_ROWS).contains(&rows) && (1..=super::TILE_BATCH).contains(&batch),
        "tile: {rows} × {batch} is outside the tile limits"
    );
    assert_eq!(out_len, rows * batch, "tile: output length mismatch");
    (rows, batch)
}

/// Fills a tile with one row dot per output: weight rows are `wk` elements
/// of `w` long, activation rows `xk` elements of `x`.
///
/// # Panics
/// When the shape breaks the tile contract.
pub(crate) fn tile<W, X>(
    w: &[W],
    wk: usize,
    x: &[X],
    xk: usize,
    out: &mut [f32],
    dot: fn(&[W], &[X]) -> f32,
) {
    let (rows, _) = tile_shape(w.len(), wk, x.len(), xk, out.len());
    for (xi, o) in x.chunks_exact(xk).zip(out.chunks_exact_mut(rows)) {
        for (wr, v) in w.chunks_exact(wk).zip(o) {
            *v = dot(wr, xi);
        }
    }
}

/// Tile of f32 weights (see [`FloatTile`](super::FloatTile)).
pub fn tile_f32(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile(w, 4 * len, x, len, out, dot_f32);
}

/// Tile of f16 weights (see [`FloatTile`](super::FloatTile)).
pub fn tile_f16(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile(w, 2 * len, x, len, out, dot_f16);
}

/// Tile of bf16 weights (see [`FloatTile`](super::FloatTile)).
pub fn tile_bf16(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile(w, 2 * len, x, len, out, dot_bf16);
}

/// Tile of Q8_0 × Q8_0 (see [`Q8_0Tile`](super::Q8_0Tile)).
pub fn tile_q8_0(w: &[BlockQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
    tile(w, nb, x, nb, out, dot_q8_0);
}

/// Tile of Q4_0 × Q8_0 (see [`Q4_0Tile`](super::Q4_0Tile)).
pub fn tile_q4_0(w: &[BlockQ4_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
    tile(w, nb, x, nb, out, dot_q4_0);
}

/// Tile of Q4_1 × Q8_1 (see [`Q4_1Tile`](super::Q4_1Tile)).
pub fn tile_q4_1(w: &[BlockQ4_1], x: &[BlockQ8_1], nb: usize, out: &mut [f32]) {
    tile(w, nb, x, nb, out, dot_q4_1);
}

/// Checks a panel tile call's shape (`w_len` panel blocks, `x_len`
/// activation blocks, `nb` blocks a row) and returns the batch.
///
/// # Panics
/// When the shape breaks the contract of
/// [`Q8_0PanelTile`](super::Q8_0PanelTile).
pub(crate) fn panel_shape(w_len: usize, x_len: usize, nb: usize, out_len: usize) -> usize {
    assert!(
        nb > 0 && w_len == nb,
        "panel tile: not one panel of {nb} blocks"
    );
    assert!(
        x_len.is_multiple_of(nb),
        "panel tile: partial activation rows"
    );
    let batch = x_len / nb;
    assert!(
        (1..=super::TILE_BATCH).contains(&batch),
        "panel tile: batch {batch} is outside the tile limits"
    );
    assert_eq!(
        out_len,
        PANEL_ROWS * batch,
        "panel tile: output length mismatch"
    );
    batch
}

/// One panel of Q8_0 weights × Q8_0 activations (see
/// [`Q8_0PanelTile`](super::Q8_0PanelTile)), per output the recurrence of
/// [`dot_q8_0`].
pub fn panel_q8_0(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
    panel_shape(w.len(), x.len(), nb, out.len());
    for (xi, o) in x.chunks_exact(nb).zip(out.chunks_exact_mut(PANEL_ROWS)) {
        for (r, v) in o.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for (p, b) in w.iter().zip(xi) {
                let s: i32 = (0..32)
                    .map(|e| p.qs[32 * (e / 4) + 4 * r + e % 4] as i32 * b.qs[e] as i32)
                    .sum();
                sum += s as f32 * (p.d[r].to_f32() * b.d.to_f32());
            }
            *v = sum;
        }
    }
}

/// One panel of Q4_0 weights × Q8_0 activations (see
/// [`Q4_0PanelTile`](super::Q4_0PanelTile)), per output the recurrence of
/// [`dot_q4_0`]; `sums` (the activation blocks' quant sums, which SIMD
/// kernels use) are checked for length only.
pub fn panel_q4_0(w: &[PanelQ4_0], x: &[BlockQ8_0], sums: &[i32], nb: usize, out: &mut [f32]) {
    panel_shape(w.len(), x.len(), nb, out.len());
    assert_eq!(
        sums.len(),
        x.len(),
        "panel tile: one sum per activation block"
    );
    for (xi, o) in x.chunks_exact(nb).zip(out.chunks_exact_mut(PANEL_ROWS)) {
        for (r, v) in o.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for (p, b) in w.iter().zip(xi) {
                let mut s = 0i32;
                for j in 0..16 {
                    let byte = p.qs[32 * (j / 4) + 4 * r + j % 4];
                    s += ((byte & 0x0F) as i32 - 8) * b.qs[j] as i32
                        + ((byte >> 4) as i32 - 8) * b.qs[j + 16] as i32;
                }
                sum += s as f32 * (p.d[r].to_f32() * b.d.to_f32());
            }
            *v = sum;
        }
    }
}

/// Checks an attention call's shape and returns the number of heads.
///
/// # Panics
/// When the shape breaks the contract of [`AttendFn`](super::AttendFn).
pub(crate) fn attend_shape(
    queries: &HeadQueries<'_>,
    keys: &KvHead<'_>,
    values: &KvHead<'_>,
    n_ctx: usize,
    elem_bytes: usize,
    scores: usize,
    out: usize,
) -> usize {
    let hd = queries.head_dim;
    assert!(
        hd > 0 && queries.q.len().is_multiple_of(hd),
        "attend: partial heads"
    );
    assert_eq!(out, queries.q.len(), "attend: output length mismatch");
    let heads = queries.q.len() / hd;
    assert!(scores >= heads * n_ctx, "attend: scores scratch too short");
    if n_ctx > 0 {
        let need = (n_ctx - 1) * keys.stride.max(values.stride) + hd * elem_bytes;
        assert!(
            keys.bytes.len() >= need && values.bytes.len() >= need,
            "attend: cache rows out of range"
        );
    }
    heads
}

/// Attention over f32 cache rows (see [`AttendFn`](super::AttendFn)), as
/// plainly as it is defined: per head, the scores (each dot in eight
/// partial sums added in order), their softmax (`f32::exp`, summed in
/// position order), and the value rows weighted by it.
pub fn attend_f32(
    queries: HeadQueries<'_>,
    keys: KvHead<'_>,
    values: KvHead<'_>,
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    attend(queries, keys, values, n_ctx, scores, out, 4, axpy_f32);
}

/// Attention over f16 cache rows (see [`attend_f32`]).
pub fn attend_f16(
    queries: HeadQueries<'_>,
    keys: KvHead<'_>,
    values: KvHead<'_>,
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    attend(queries, keys, values, n_ctx, scores, out, 2, axpy_f16);
}

/// `lanes[0] + lanes[1] + … + lanes[7]` in that order, as `Iterator::sum`
/// adds them.
#[inline]
pub(crate) fn ordered_sum(lanes: [f32; 8]) -> f32 {
    lanes.iter().sum::<f32>() + std::iter::empty::<f32>().sum::<f32>()
}

/// Dot product of `x` with a row of raw f32 or f16 bytes, in eight partial
/// sums (element `i` into sum `i % 8`) added in order at the end: the
/// order the attention kernels of every level follow.
fn dot8(row: &[u8], x: &[f32], elem_bytes: usize) -> f32 {
    let at = |i: usize| {
        let b = &row[i * elem_bytes..];
        if elem_bytes == 4 {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            f16::from_le_bytes([b[0], b[1]]).to_f32()
        }
    };
    let mut acc = [0.0f32; 8];
    let full = x.len() / 8 * 8;
    for j in (0..full).step_by(8) {
        for (i, a) in acc.iter_mut().enumerate() {
            *a += x[j + i] * at(j + i);
        }
    }
    let tail: f32 = (full..x.len()).map(|i| x[i] * at(i)).sum();
    ordered_sum(acc) + tail
}

#[allow(clippy::too_many_arguments)]
fn attend(
    queries: HeadQueries<'_>,
    keys: KvHead<'_>,
    values: KvHead<'_>,
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
    elem_bytes: usize,
    axpy: fn(f32, &[u8], &mut [f32]),
) {
    let heads = attend_shape(
        &queries,
        &keys,
        &values,
        n_ctx,
        elem_bytes,
        scores.len(),
        out.len(),
    );
    let hd = queries.head_dim;
    let row = hd * elem_bytes;
    for h in 0..heads {
        let qh = &queries.q[h * hd..][..hd];
        let s = &mut scores[..n_ctx];
        let mut max = f32::NEG_INFINITY;
        for (p, s) in s.iter_mut().enumerate() {
            *s = dot8(keys.row(p, row), qh, elem_bytes) * queries.scale;
            max = max.max(*s);
        }
        let mut sum = 0.0f32;
        for s in s.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        let o = &mut out[h * hd..][..hd];
        o.fill(0.0);
        for (p, &w) in s.iter().enumerate() {
            axpy(w, values.row(p, row), o);
        }
        let inv = 1.0 / sum;
        o.iter_mut().for_each(|v| *v *= inv);
    }
}

/// `gate = silu(gate) · up` with the standard library's `exp`.
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    assert_eq!(gate.len(), up.len(), "swiglu: length mismatch");
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}
