//! Shape helpers shared by the per-architecture tile kernels: padding a
//! partial tile's rows and storing a tile's outputs.

/// Rows `0..n` of `k` elements each (`n <= N`), the last one repeated to
/// fill `N`.
pub(crate) fn rows_of<T, const N: usize>(s: &[T], k: usize) -> [&[T]; N] {
    let n = s.len() / k;
    std::array::from_fn(|r| &s[r.min(n - 1) * k..][..k])
}

/// Copies the first `rows` outputs of each activation row to `out`.
pub(crate) fn store<const C: usize>(res: [[f32; 4]; C], rows: usize, out: &mut [f32]) {
    for (o, r) in out.chunks_exact_mut(rows).zip(&res) {
        o.copy_from_slice(&r[..rows]);
    }
}
