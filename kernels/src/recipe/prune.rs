//! Pruning primitives on dense f32 data: magnitude pruning, norms of rows
//! and columns, choosing the most important units, and cutting rows or
//! columns out of a row-major matrix.

use std::cmp::Ordering;

/// Zeroes the `count` entries of smallest magnitude (`|w|`), ties broken by
/// position (earlier first), so exactly `min(count, values.len())` entries
/// are set to zero. Entries already zero count as pruned when they are among
/// the smallest. Returns how many entries were set.
pub fn prune_smallest(values: &mut [f32], count: usize) -> usize {
    let count = count.min(values.len());
    if count == 0 {
        return 0;
    }
    let mut mags: Vec<f32> = values.iter().map(|v| v.abs()).collect();
    let (_, &mut threshold, _) = mags.select_nth_unstable_by(count - 1, f32::total_cmp);
    let below = values
        .iter()
        .filter(|v| v.abs().total_cmp(&threshold) == Ordering::Less)
        .count();
    let mut ties = count - below;
    for v in values.iter_mut() {
        match v.abs().total_cmp(&threshold) {
            Ordering::Less => *v = 0.0,
            Ordering::Equal if ties > 0 => {
                *v = 0.0;
                ties -= 1;
            }
            _ => {}
        }
    }
    count
}

/// How many of `n` weights a sparsity of `percent` % zeroes (rounded down).
pub fn sparsity_count(n: usize, percent: u8) -> usize {
    (n as u128 * u128::from(percent) / 100) as usize
}

/// Squared L2 norm of each row of a row-major `rows × cols` matrix.
pub(crate) fn row_sq_norms(data: &[f32], cols: usize) -> Vec<f64> {
    data.chunks_exact(cols)
        .map(|r| r.iter().map(|&x| f64::from(x) * f64::from(x)).sum())
        .collect()
}

/// Squared L2 norm of each column of a row-major matrix with `cols` columns.
pub(crate) fn col_sq_norms(data: &[f32], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; cols];
    for row in data.chunks_exact(cols) {
        for (o, &x) in out.iter_mut().zip(row) {
            *o += f64::from(x) * f64::from(x);
        }
    }
    out
}

/// Sums `values` over consecutive groups of `group` entries.
pub(crate) fn group_sums(values: &[f64], group: usize) -> Vec<f64> {
    values.chunks_exact(group).map(|c| c.iter().sum()).collect()
}

/// The indices of the `keep` highest `scores` (ties: the earlier index), in
/// ascending order.
pub(crate) fn top_k(scores: &[f64], keep: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx.truncate(keep);
    idx.sort_unstable();
    idx
}

/// Expands unit indices into the element ranges they own (`unit * width ..`).
pub(crate) fn expand(units: &[usize], width: usize) -> Vec<usize> {
    units
        .iter()
        .flat_map(|&u| u * width..(u + 1) * width)
        .collect()
}

/// The rows `rows` (in that order) of a row-major matrix with `cols` columns.
pub(crate) fn select_rows(data: &[f32], cols: usize, rows: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len() * cols);
    for &r in rows {
        out.extend_from_slice(&data[r * cols..(r + 1) * cols]);
    }
    out
}

/// The columns `keep` (in that order) of every row of a row-major matrix
/// with `cols` columns.
pub(crate) fn select_cols(data: &[f32], cols: usize, keep: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(data.len() / cols.max(1) * keep.len());
    for row in data.chunks_exact(cols) {
        out.extend(keep.iter().map(|&c| row[c]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_broken_by_position() {
        let mut v = [1.0, -1.0, 1.0, 3.0, -0.5];
        assert_eq!(prune_smallest(&mut v, 2), 2);
        assert_eq!(v, [0.0, -1.0, 1.0, 3.0, 0.0]);
    }

    #[test]
    fn selection_helpers() {
        let m: Vec<f32> = (0..12).map(|i| i as f32).collect(); // 3 × 4
        assert_eq!(
            select_rows(&m, 4, &[2, 0]),
            [8., 9., 10., 11., 0., 1., 2., 3.]
        );
        assert_eq!(select_cols(&m, 4, &[1, 3]), [1., 3., 5., 7., 9., 11.]);
        assert_eq!(top_k(&[1.0, 5.0, 5.0, 0.0], 2), [1, 2]);
        assert_eq!(expand(&[0, 2], 2), [0, 1, 4, 5]);
        assert_eq!(group_sums(&[1.0, 2.0, 3.0, 4.0], 2), [3.0, 7.0]);
        assert_eq!(col_sq_norms(&[1.0, 2.0, 3.0, 4.0], 2), [10.0, 20.0]);
        assert_eq!(row_sq_norms(&[1.0, 2.0, 3.0, 4.0], 2), [5.0, 25.0]);
        assert_eq!(sparsity_count(10, 55), 5);
    }
}
