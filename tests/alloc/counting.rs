//! The counting global allocator of the allocation tests. Every count is kept per thread (each
//! test runs on a thread of its own, and the harness allocates on others), so tests running in
//! parallel in this binary never disturb each other's figures. Counters are const-initialised
//! thread-locals without destructors: usable from inside the allocator, and skipped (not
//! counted) once the thread is being torn down.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Calls to alloc, alloc_zeroed and realloc.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    /// Bytes asked for by those calls (a realloc asks for its new size).
    static BYTES: Cell<u64> = const { Cell::new(0) };
    /// Heap bytes held: allocations add, deallocations subtract.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

/// Counts one allocation of `size` bytes that replaces `freed` bytes (a realloc).
fn count(size: usize, freed: usize) {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = BYTES.try_with(|c| c.set(c.get() + size as u64));
    let _ = LIVE.try_with(|c| c.set(c.get() + size as i64 - freed as i64));
}

// SAFETY: every call is passed on to the system allocator unchanged; counting touches only
// this thread's const-initialised cells and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size(), 0);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(l) }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size(), 0);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc_zeroed(l) }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let _ = LIVE.try_with(|c| c.set(c.get() - l.size() as i64));
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(p, l) }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n, l.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Allocations (alloc, alloc_zeroed, realloc) this thread has made so far.
pub fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// `f`'s result with the allocations and the bytes asked for by this thread while running it.
pub fn counting<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (a0, b0) = (allocs(), BYTES.with(Cell::get));
    let r = f();
    (r, allocs() - a0, BYTES.with(Cell::get) - b0)
}

/// `f`'s result and the heap bytes this thread holds more after it than before.
pub fn held<R>(f: impl FnOnce() -> R) -> (R, i64) {
    let before = LIVE.with(Cell::get);
    let r = f();
    (r, LIVE.with(Cell::get) - before)
}
