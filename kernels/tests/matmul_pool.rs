//! The persistent thread pool: every chunk runs exactly once, calls can be
//! repeated many times, panics reach the caller, and drop joins the workers.

use edgebench_kernels::ops::ThreadPool;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn every_chunk_runs_once() {
    for threads in [1, 2, 3, 5] {
        let mut pool = ThreadPool::new(threads).unwrap();
        assert_eq!(pool.threads(), threads);
        for n in [0, 1, 2, 3, 7, 64, 1000] {
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            pool.run(n, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            for (i, h) in hits.iter().enumerate() {
                assert_eq!(
                    h.load(Ordering::Relaxed),
                    1,
                    "threads {threads} n {n} chunk {i}"
                );
            }
        }
    }
}

#[test]
fn many_calls_in_a_row() {
    let mut pool = ThreadPool::new(3).unwrap();
    let total = AtomicUsize::new(0);
    for call in 0..20_000 {
        pool.run(4, &|i| {
            total.fetch_add(i + call % 3, Ordering::Relaxed);
        });
    }
    let want: usize = (0..20_000).map(|c| 6 + 4 * (c % 3)).sum();
    assert_eq!(total.load(Ordering::Relaxed), want);
}

#[test]
fn zero_threads_means_the_caller_alone() {
    let mut pool = ThreadPool::new(0).unwrap();
    assert_eq!(pool.threads(), 1);
    let me = std::thread::current().id();
    pool.run(5, &|_| assert_eq!(std::thread::current().id(), me));
}

#[test]
fn a_panic_reaches_the_caller_and_the_pool_survives() {
    for threads in [1, 2, 3] {
        let mut pool = ThreadPool::new(threads).unwrap();
        for bad in [0, 5, 31] {
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.run(32, &|i| {
                    if i == bad {
                        panic!("chunk {i} failed");
                    }
                })
            }));
            let payload = r.expect_err("the panic must propagate");
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            assert_eq!(msg, format!("chunk {bad} failed"));
        }
        let count = AtomicUsize::new(0);
        pool.run(10, &|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 10);
    }
}

thread_local! {
    static HELD: RefCell<Option<Arc<()>>> = const { RefCell::new(None) };
}

#[test]
fn drop_joins_the_workers() {
    let token = Arc::new(());
    let mut pool = ThreadPool::new(3).unwrap();
    // Park a clone of `token` in every thread that runs a chunk; a worker
    // releases it only when its thread exits.
    pool.run(64, &|_| {
        std::thread::sleep(std::time::Duration::from_millis(1));
        HELD.with(|h| *h.borrow_mut() = Some(Arc::clone(&token)));
    });
    HELD.with(|h| h.borrow_mut().take());
    drop(pool);
    assert_eq!(Arc::strong_count(&token), 1, "a worker outlived the pool");
}

#[test]
fn column_tiles_cover_the_matrix_once() {
    for threads in [1, 2, 3] {
        let mut pool = ThreadPool::new(threads).unwrap();
        for (rows, cols, tile) in [(1, 1, 1), (3, 17, 4), (5, 64, 16), (2, 33, 40), (4, 0, 8)] {
            let mut out = vec![0usize; rows * cols];
            pool.for_each_column_tile(&mut out, rows, cols, tile, &|mut t| {
                assert!(t.width() <= tile && t.start() % tile == 0);
                for r in t.row_range() {
                    let start = t.start();
                    for (j, v) in t.row_mut(r).iter_mut().enumerate() {
                        *v += r * cols + start + j + 1;
                    }
                }
            });
            let want: Vec<usize> = (1..=rows * cols).collect();
            assert_eq!(out, want, "rows {rows} cols {cols} tile {tile}");
        }
    }
}

#[test]
fn blocks_cover_the_matrix_once() {
    for threads in [1, 2, 3] {
        let mut pool = ThreadPool::new(threads).unwrap();
        for (rows, cols, tr, tc) in [
            (1, 1, 1, 1),
            (7, 17, 3, 4),
            (16, 64, 16, 64),
            (9, 33, 4, 40),
        ] {
            let mut out = vec![0usize; rows * cols];
            pool.for_each_block(&mut out, (rows, cols), (tr, tc), &|mut t| {
                let r = t.row_range();
                assert!(t.width() <= tc && t.start() % tc == 0);
                assert!(r.len() <= tr && r.start % tr == 0 && r.end <= rows);
                let start = t.start();
                for r in r {
                    for (j, v) in t.row_mut(r).iter_mut().enumerate() {
                        *v += r * cols + start + j + 1;
                    }
                }
            });
            let want: Vec<usize> = (1..=rows * cols).collect();
            assert_eq!(out, want, "{rows}x{cols} in {tr}x{tc}");
        }
    }
}
