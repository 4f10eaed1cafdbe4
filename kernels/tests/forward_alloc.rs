//! Decode allocates nothing once the session has warmed up. The allocator
//! counts every thread's allocations, so this test runs without the test
//! harness (`harness = false`): no other test, and no harness thread, can
//! allocate while it counts.

mod forward_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use edgebench_kernels::model::{KvType, Logits, Model, Session, SessionOptions};
use edgebench_kernels::quant::GgmlType;
use forward_support::{Spec, build, tokens};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    decode_steps_do_not_allocate();
    println!("decode_steps_do_not_allocate: ok");
}

fn decode_steps_do_not_allocate() {
    for (dtype, kv, threads) in [
        (GgmlType::Q8_0, KvType::F32, 1),
        (GgmlType::Q4_1, KvType::F16, 2),
        (GgmlType::F16, KvType::F32, 2),
    ] {
        let spec = Spec::small("qwen2", dtype, true);
        let model = Arc::new(Model::load(build(&spec).file()).unwrap());
        let options = SessionOptions::new(32).kv_type(kv).threads(threads);
        let mut s = Session::new(model, &options).unwrap();
        let toks = tokens(20, spec.n_vocab, 1);
        let start = ALLOCATIONS.load(Ordering::SeqCst);
        s.forward(&toks[..8], Logits::Last).unwrap();
        // The counter sees the first call growing the buffers.
        assert!(ALLOCATIONS.load(Ordering::SeqCst) > start);
        s.forward(&toks[8..9], Logits::Last).unwrap();
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for &t in &toks[9..] {
            s.forward(&[t], Logits::Last).unwrap();
        }
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(after - before, 0, "{dtype} {kv:?} {threads} threads");
    }
}
