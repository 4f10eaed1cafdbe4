//! A persistent thread pool for data-parallel kernel calls.
//!
//! Decode runs a matrix-vector product hundreds of times per token, so a
//! call must cost microseconds, not a thread spawn. Workers are created once;
//! a call publishes a job (a borrowed closure on the caller's stack), bumps
//! an epoch counter and joins in itself. Chunks are handed out with one
//! `fetch_add` each, so faster threads take more. Idle workers spin briefly
//! on the epoch (the next call usually follows within microseconds) and
//! then sleep on a condvar, so an idle pool burns no core.
//!
//! A call does not wait for workers that have not started: a worker joins
//! a job by registering in an `active` count and then re-reading the job
//! pointer; once the chunks are all handed out, the caller clears the
//! pointer and waits only for registered workers. A worker that is slow to
//! wake (sleeping, or descheduled on a loaded machine) therefore costs the
//! call nothing: the caller and the other workers take its chunks.
//!
//! This module holds all of the kernel drivers' lifetime-erasing `unsafe`:
//! the job pointer outlives nothing because [`ThreadPool::run`] does not
//! return before every worker that can still see the job has left it, and
//! [`ColumnTile`] hands out disjoint column ranges of one output matrix.

use std::any::Any;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long an idle thread spins before it sleeps.
const SPIN: Duration = Duration::from_micros(50);

/// One call's work, living on the caller's stack for the call's duration.
struct Job<'a> {
    /// Runs chunk `i`.
    f: &'a (dyn Fn(usize) + Sync),
    n_chunks: usize,
    next: AtomicUsize,
    /// The first panic payload, re-raised on the calling thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    caller: Thread,
}

impl Job<'_> {
    /// Takes and runs chunks until none are left.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Relaxed);
            if i >= self.n_chunks {
                return;
            }
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| (self.f)(i))) {
                // Stop handing out chunks; the call fails as a whole.
                self.next.store(self.n_chunks, Relaxed);
                let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(p);
            }
        }
    }
}

/// State shared by the pool handle and its workers.
struct Shared {
    /// Bumped once per call (and once at shutdown).
    epoch: AtomicUsize,
    /// The current job, type- and lifetime-erased (see [`ThreadPool::run`]);
    /// null when no job is open to workers.
    job: AtomicPtr<Job<'static>>,
    /// Workers registered in the current job (see [`worker`]).
    active: AtomicUsize,
    shutdown: AtomicBool,
    sleepers: AtomicUsize,
    /// Workers that have started running (see [`ThreadPool::new`]).
    started: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

/// Spins on `done` for at most [`SPIN`]; true when it became true.
fn spin_until(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return done();
        }
    }
}

fn worker(shared: Arc<Shared>, creator: Thread) {
    shared.started.fetch_add(1, SeqCst);
    creator.unpark();
    let mut seen = 0usize;
    loop {
        let fresh = || shared.epoch.load(SeqCst) != seen;
        if !spin_until(fresh) {
            let mut guard = shared.lock.lock().unwrap_or_else(PoisonError::into_inner);
            shared.sleepers.fetch_add(1, SeqCst);
            while !fresh() {
                guard = shared
                    .wake
                    .wait(guard)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            shared.sleepers.fetch_sub(1, SeqCst);
        }
        seen = shared.epoch.load(SeqCst);
        if shared.shutdown.load(SeqCst) {
            return;
        }
        // Register first, then look for the job: either `run` sees this
        // registration when it waits, or this load sees the cleared pointer.
        shared.active.fetch_add(1, SeqCst);
        let ptr = shared.job.load(SeqCst);
        if ptr.is_null() {
            shared.active.fetch_sub(1, SeqCst);
            continue;
        }
        // SAFETY: the pointer is non-null, so `run` has not yet cleared it,
        // and it waits for `active` to drop to zero after clearing: the job
        // stays alive until this worker deregisters below, and nothing here
        // touches the job after that.
        let job = unsafe { &*ptr };
        job.work();
        let caller = job.caller.clone();
        if shared.active.fetch_sub(1, SeqCst) == 1 {
            caller.unpark();
        }
    }
}

/// A fixed set of threads (the caller included) that run data-parallel calls.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Time the caller waited for workers since last taken, when timed.
    waited: Option<Duration>,
}

impl ThreadPool {
    /// A pool running calls on `threads` threads: the calling thread plus
    /// `threads - 1` workers (a value of 0 is treated as 1). Returns once
    /// every worker is running, so a thread's start-up (and what it
    /// allocates) never lands inside a call.
    ///
    /// # Errors
    /// When the operating system refuses to start a thread.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            epoch: AtomicUsize::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let mut pool = ThreadPool {
            shared,
            workers: Vec::new(),
            waited: None,
        };
        for i in 1..threads.max(1) {
            let (s, creator) = (Arc::clone(&pool.shared), thread::current());
            let h = thread::Builder::new()
                .name(format!("edgebench-kernel-{i}"))
                .spawn(move || worker(s, creator))?;
            pool.workers.push(h);
        }
        while pool.shared.started.load(SeqCst) < pool.workers.len() {
            thread::park_timeout(SPIN);
        }
        Ok(pool)
    }

    /// Times, from now on (or no longer), how long the calling thread waits
    /// at the end of each call for workers still running their chunks.
    pub fn time_waits(&mut self, on: bool) {
        self.waited = on.then_some(Duration::ZERO);
    }

    /// The waiting time since the last call, when timed (see
    /// [`time_waits`](Self::time_waits)).
    pub fn take_wait(&mut self) -> Option<Duration> {
        self.waited.as_mut().map(std::mem::take)
    }

    /// The waiting time so far, without taking it.
    pub fn waited(&self) -> Option<Duration> {
        self.waited
    }

    /// Threads taking part in a call, the caller included.
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(i)` for every `i` in `0..n_chunks`, spread over the pool's
    /// threads, and returns when all have finished.
    ///
    /// # Panics
    /// Re-raises on the calling thread the first panic of any `f(i)`; the
    /// remaining chunks are skipped and the pool stays usable.
    pub fn run(&mut self, n_chunks: usize, f: &(dyn Fn(usize) + Sync)) {
        let job = Job {
            f,
            n_chunks,
            next: AtomicUsize::new(0),
            panic: Mutex::new(None),
            caller: thread::current(),
        };
        if self.workers.is_empty() || n_chunks <= 1 {
            job.work();
        } else {
            // `&mut self` makes calls exclusive, and the previous call left
            // the pointer null with no worker registered.
            let erased = &job as *const Job<'_> as *mut Job<'static>;
            self.shared.job.store(erased, SeqCst);
            self.publish();
            job.work();
            let done = self.waited.is_some().then(Instant::now);
            // Every chunk is handed out: close the job to latecomers, then
            // wait for the registered workers to finish theirs.
            self.shared.job.store(std::ptr::null_mut(), SeqCst);
            let idle = || self.shared.active.load(SeqCst) == 0;
            if !spin_until(idle) {
                while !idle() {
                    // A worker leaving the job unparks this thread; one that
                    // only found the pointer cleared does not know it, hence
                    // the timeout.
                    thread::park_timeout(SPIN);
                }
            }
            if let (Some(w), Some(done)) = (self.waited.as_mut(), done) {
                *w += done.elapsed();
            }
        }
        let panic = job
            .panic
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    /// Starts a new epoch and wakes sleeping workers.
    fn publish(&self) {
        self.shared.epoch.fetch_add(1, SeqCst);
        // A worker increments `sleepers` under the lock before its last
        // epoch check, so either it sees the new epoch or we see it asleep.
        if self.shared.sleepers.load(SeqCst) > 0 {
            let _guard = self
                .shared
                .lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.shared.wake.notify_all();
        }
    }

    /// Splits the columns of the row-major `rows × cols` matrix `out` into
    /// tiles of `tile_cols` columns (the last may be narrower) and runs `f`
    /// on each tile in parallel.
    ///
    /// # Panics
    /// If `out.len() != rows * cols` or `tile_cols == 0`, and re-raises a
    /// panic of `f`.
    pub fn for_each_column_tile<T: Send>(
        &mut self,
        out: &mut [T],
        rows: usize,
        cols: usize,
        tile_cols: usize,
        f: &(dyn Fn(ColumnTile<'_, T>) + Sync),
    ) {
        let output = TiledOutput {
            out,
            rows,
            cols,
            tile_cols,
        };
        self.for_each_column_tile_of([output], &|_, tile| f(tile));
    }

    /// [`for_each_column_tile`](Self::for_each_column_tile) over several
    /// outputs (at most [`MAX_OUTPUTS`]) in one parallel call: `f(j, tile)`
    /// runs for every column tile of the `j`-th output.
    ///
    /// # Panics
    /// If there are more than [`MAX_OUTPUTS`] outputs, an output's length
    /// is not its `rows × cols` or a `tile_cols` is 0, and re-raises a
    /// panic of `f`.
    pub fn for_each_column_tile_of<'a, T: Send + 'a>(
        &mut self,
        outputs: impl IntoIterator<Item = TiledOutput<'a, T>>,
        f: &(dyn Fn(usize, ColumnTile<'_, T>) + Sync),
    ) {
        let mut shapes = [(SendPtr(std::ptr::null_mut()), 0, 0, 1); MAX_OUTPUTS];
        // Tiles before output j, and the total after the last.
        let mut first_tile = [0usize; MAX_OUTPUTS + 1];
        let mut count = 0;
        for o in outputs {
            assert!(count < MAX_OUTPUTS, "more than {MAX_OUTPUTS} outputs");
            assert_eq!(o.out.len(), o.rows * o.cols, "output is not rows × cols");
            assert!(o.tile_cols > 0, "tile width must be positive");
            shapes[count] = (SendPtr(o.out.as_mut_ptr()), o.rows, o.cols, o.tile_cols);
            first_tile[count + 1] = first_tile[count] + o.cols.div_ceil(o.tile_cols);
            count += 1;
        }
        let first_tile = &first_tile[..=count];
        self.run(first_tile[count], &|i| {
            let j = first_tile.partition_point(|&t| t <= i) - 1;
            let (base, rows, cols, tile_cols) = shapes[j];
            let start = (i - first_tile[j]) * tile_cols;
            let tile = ColumnTile {
                base: base.get(),
                stride: cols,
                start,
                width: tile_cols.min(cols - start),
                row_range: 0..rows,
                _out: PhantomData,
            };
            f(j, tile)
        });
    }

    /// Splits the row-major `rows × cols` matrix `out` into blocks of
    /// `tile_rows × tile_cols` (those at the edges may be smaller) and runs
    /// `f` on each in parallel, the blocks of the last rows first (where
    /// causal attention puts the most work).
    ///
    /// # Panics
    /// If `out.len() != rows * cols` or a tile dimension is 0, and
    /// re-raises a panic of `f`.
    pub fn for_each_block<T: Send>(
        &mut self,
        out: &mut [T],
        (rows, cols): (usize, usize),
        (tile_rows, tile_cols): (usize, usize),
        f: &(dyn Fn(ColumnTile<'_, T>) + Sync),
    ) {
        assert_eq!(out.len(), rows * cols, "output is not rows × cols");
        assert!(
            tile_rows > 0 && tile_cols > 0,
            "tile sides must be positive"
        );
        let base = SendPtr(out.as_mut_ptr());
        let (row_tiles, col_tiles) = (rows.div_ceil(tile_rows), cols.div_ceil(tile_cols));
        self.run(row_tiles * col_tiles, &|i| {
            let (rt, ct) = (row_tiles - 1 - i / col_tiles, i % col_tiles);
            let (r0, start) = (rt * tile_rows, ct * tile_cols);
            let tile = ColumnTile {
                base: base.get(),
                stride: cols,
                start,
                width: tile_cols.min(cols - start),
                row_range: r0..(r0 + tile_rows).min(rows),
                _out: PhantomData,
            };
            f(tile)
        });
    }
}

/// Most outputs one [`ThreadPool::for_each_column_tile_of`] call takes.
pub const MAX_OUTPUTS: usize = 4;

/// One output of [`ThreadPool::for_each_column_tile_of`]: a row-major
/// `rows × cols` matrix split into column tiles of `tile_cols`.
#[derive(Debug)]
pub struct TiledOutput<'a, T> {
    /// The matrix, `rows × cols` values.
    pub out: &'a mut [T],
    /// Its rows.
    pub rows: usize,
    /// Its columns.
    pub cols: usize,
    /// Columns per tile (the last tile may be narrower).
    pub tile_cols: usize,
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, SeqCst);
        self.publish();
        for h in self.workers.drain(..) {
            // A worker never panics outside `catch_unwind`; nothing to report.
            let _ = h.join();
        }
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.threads())
            .finish()
    }
}

/// A raw pointer that may cross threads (the tiles it feeds are disjoint).
struct SendPtr<T>(*mut T);
impl<T> Clone for SendPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SendPtr<T> {}
// SAFETY: only used to build `ColumnTile`s over disjoint columns of a buffer
// of `T: Send`, exclusively borrowed for the whole parallel call.
unsafe impl<T: Send> Sync for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// Columns `start .. start + width` of every row of an output matrix; no
/// other tile of the same call overlaps them.
pub struct ColumnTile<'a, T> {
    base: *mut T,
    stride: usize,
    start: usize,
    width: usize,
    /// The rows this tile may write: `0..rows` unless split by rows too.
    row_range: std::ops::Range<usize>,
    _out: PhantomData<&'a mut [T]>,
}

impl<T> ColumnTile<'_, T> {
    /// The first column of this tile.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Columns in this tile.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The rows of the matrix this tile covers (all of them unless the
    /// tiles split rows too, see [`ThreadPool::for_each_block`]).
    pub fn row_range(&self) -> std::ops::Range<usize> {
        self.row_range.clone()
    }

    /// This tile's part of row `r`.
    ///
    /// # Panics
    /// If `r` is outside [`row_range`](Self::row_range).
    pub fn row_mut(&mut self, r: usize) -> &mut [T] {
        assert!(
            self.row_range.contains(&r),
            "row {r} outside the tile's rows {:?}",
            self.row_range
        );
        // SAFETY: `base` points at a live `rows × stride` buffer borrowed
        // mutably for the tile's lifetime; this tile's column range is
        // inside the row and disjoint from every other tile's, and `&mut
        // self` prevents two live slices from the same tile.
        unsafe {
            std::slice::from_raw_parts_mut(self.base.add(r * self.stride + self.start), self.width)
        }
    }
}
