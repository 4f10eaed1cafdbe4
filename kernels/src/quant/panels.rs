//! Row-interleaved panels: Q8_0 and Q4_0 weight rows repacked eight at a
//! time so that one SIMD register holds the same four elements of eight
//! rows, and an integer dot lane is one row's partial sum with no
//! horizontal reduction.
//!
//! A panel block holds block `b` of rows `8p .. 8p + 8`: their eight f16
//! scales side by side (one vector conversion), then their quants in
//! 4-byte groups, row-minor: byte `32·g + 4·r + i` is row `r`'s quant byte
//! `4·g + i`. For Q8_0 that is element `4g + i`; for Q4_0 (16 bytes a row)
//! the byte holds element `4g + i` in its low nibble and `16 + 4g + i` in
//! its high nibble, exactly as the row-major block does. A panel block has
//! the size of the eight row blocks it replaces, so a repacked matrix has
//! the size of the original.

use bytemuck::{Pod, Zeroable};

use super::{BlockQ4_0, BlockQ8_0, F16Bytes, QK};

/// Rows per panel.
pub const PANEL_ROWS: usize = 8;

/// Block `b` of eight Q8_0 rows, interleaved (see the module docs).
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct PanelQ8_0 {
    /// The rows' scales.
    pub d: [F16Bytes; PANEL_ROWS],
    /// The rows' quants in 4-byte groups, row-minor.
    pub qs: [i8; PANEL_ROWS * QK],
}

/// Block `b` of eight Q4_0 rows, interleaved (see the module docs).
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
pub struct PanelQ4_0 {
    /// The rows' scales.
    pub d: [F16Bytes; PANEL_ROWS],
    /// The rows' packed nibbles in 4-byte groups, row-minor.
    pub qs: [u8; PANEL_ROWS * QK / 2],
}

/// Repacks row-major Q8_0 blocks (`rows × nb`, `rows` a multiple of 8)
/// into panels: panel `p`, block `b` at index `p · nb + b`.
///
/// # Panics
/// If `rows` is not a multiple of 8 or `blocks.len() != rows * nb`.
pub fn pack_q8_0(blocks: &[BlockQ8_0], rows: usize, nb: usize) -> Vec<PanelQ8_0> {
    pack(blocks, rows, nb, |src| {
        let mut qs = [0i8; PANEL_ROWS * QK];
        for (r, s) in src.iter().enumerate() {
            interleave(&s.qs, r, &mut qs);
        }
        PanelQ8_0 {
            d: src.map(|s| s.d),
            qs,
        }
    })
}

/// Repacks row-major Q4_0 blocks (`rows × nb`, `rows` a multiple of 8)
/// into panels: panel `p`, block `b` at index `p · nb + b`.
///
/// # Panics
/// If `rows` is not a multiple of 8 or `blocks.len() != rows * nb`.
pub fn pack_q4_0(blocks: &[BlockQ4_0], rows: usize, nb: usize) -> Vec<PanelQ4_0> {
    pack(blocks, rows, nb, |src| {
        let mut qs = [0u8; PANEL_ROWS * QK / 2];
        for (r, s) in src.iter().enumerate() {
            interleave(&s.qs, r, &mut qs);
        }
        PanelQ4_0 {
            d: src.map(|s| s.d),
            qs,
        }
    })
}

/// Builds each panel block from the eight row blocks it interleaves, in
/// output order, written once (no zeroed buffer first).
fn pack<B, P>(
    blocks: &[B],
    rows: usize,
    nb: usize,
    panel: impl Fn([&B; PANEL_ROWS]) -> P,
) -> Vec<P> {
    check(blocks.len(), rows, nb);
    let mut out = Vec::with_capacity(rows / PANEL_ROWS * nb);
    for p in 0..rows / PANEL_ROWS {
        for b in 0..nb {
            out.push(panel(std::array::from_fn(|r| {
                &blocks[(p * PANEL_ROWS + r) * nb + b]
            })));
        }
    }
    out
}

/// Writes row `r`'s bytes into its slots of the 4-byte groups of `dst`.
#[inline]
fn interleave<T: Copy>(src: &[T], r: usize, dst: &mut [T]) {
    for (g, group) in src.chunks_exact(4).enumerate() {
        let at = 4 * (PANEL_ROWS * g + r);
        dst[at..at + 4].copy_from_slice(group);
    }
}

fn check(len: usize, rows: usize, nb: usize) {
    assert!(
        rows.is_multiple_of(PANEL_ROWS),
        "panels: {rows} rows are not a multiple of {PANEL_ROWS}"
    );
    assert_eq!(len, rows * nb, "panels: block count mismatch");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_groups_interleave_rows() {
        let (rows, nb) = (16, 3);
        let blocks: Vec<BlockQ8_0> = (0..rows * nb)
            .map(|i| BlockQ8_0 {
                d: F16Bytes::from_f32(i as f32),
                qs: std::array::from_fn(|e| (i * 7 + e) as i8),
            })
            .collect();
        let p = pack_q8_0(&blocks, rows, nb);
        assert_eq!(p.len(), 2 * nb);
        for row in 0..rows {
            for b in 0..nb {
                let (pb, r) = (&p[row / 8 * nb + b], row % 8);
                let src = &blocks[row * nb + b];
                assert_eq!(pb.d[r], src.d);
                for e in 0..QK {
                    assert_eq!(pb.qs[32 * (e / 4) + 4 * r + e % 4], src.qs[e]);
                }
            }
        }
        assert_eq!(size_of::<PanelQ8_0>(), 8 * size_of::<BlockQ8_0>());
        assert_eq!(size_of::<PanelQ4_0>(), 8 * size_of::<BlockQ4_0>());
    }

    #[test]
    fn q4_0_bytes_keep_both_nibbles() {
        let (rows, nb) = (8, 2);
        let blocks: Vec<BlockQ4_0> = (0..rows * nb)
            .map(|i| BlockQ4_0 {
                d: F16Bytes::from_f32(1.0 + i as f32),
                qs: std::array::from_fn(|j| (i * 31 + j * 5) as u8),
            })
            .collect();
        let p = pack_q4_0(&blocks, rows, nb);
        for r in 0..rows {
            for b in 0..nb {
                let src = &blocks[r * nb + b];
                for j in 0..16 {
                    assert_eq!(p[b].qs[32 * (j / 4) + 4 * r + j % 4], src.qs[j]);
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "not a multiple of 8")]
    fn partial_panels_are_refused() {
        pack_q8_0(&[BlockQ8_0::zeroed(); 12], 12, 1);
    }
}
