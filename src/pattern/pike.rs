//! The Pike VM: runs a compiled program over a subject in O(subject × program) time.
//!
//! Owns: the thread lists, leftmost-first priorities, capture slots, and its scratch [`Cache`].
//! Never: allocates once the cache has grown to the largest program it has run, recurses,
//! or backtracks. Every thread is a program counter plus fixed capture slots; a program counter
//! is live at most once per position, which bounds the work per byte by the program size.

use super::nfa::{GaveUp, Inst, MAX_SLOTS, Program, Slots, set_tail};
use super::prefilter::StartScan;
use super::syntax::CLASS_TABLE;

/// Value of a capture slot not yet set.
const NONE: u32 = u32::MAX;

/// The VM's scratch space: thread lists and the closure's stack.
///
/// It grows to fit the largest program it has run and never shrinks, so after one match per
/// pattern (warm-up) matching allocates nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cache {
    clist: Threads,
    nlist: Threads,
    stack: Vec<Frame>,
}

/// Depth-first work items of the epsilon closure: explore a pc, or undo a `Save` on the way back.
#[derive(Clone, Copy, Debug)]
enum Frame {
    Explore(u32),
    Restore(u32, u32),
}

/// An ordered set of threads (by priority) with their capture slots.
#[derive(Clone, Debug, Default)]
struct Threads {
    /// Program counters in priority order; `dense[..len]` is the set.
    dense: Vec<u32>,
    /// `sparse[pc]` indexes `dense` when `pc` is in the set (stale values are harmless).
    sparse: Vec<u32>,
    len: usize,
    /// `stride` slots per pc.
    slots: Vec<u32>,
    stride: usize,
}

impl Threads {
    fn prepare(&mut self, insts: usize, stride: usize) {
        if self.dense.len() < insts {
            self.dense.resize(insts, 0);
            self.sparse.resize(insts, 0);
        }
        if self.slots.len() < insts * stride {
            self.slots.resize(insts * stride, NONE);
        }
        self.stride = stride;
        self.len = 0;
    }

    /// Inserts `pc`; false when it was already there.
    fn insert(&mut self, pc: u32) -> bool {
        let i = self.sparse[pc as usize] as usize;
        if i < self.len && self.dense[i] == pc {
            return false;
        }
        self.dense[self.len] = pc;
        self.sparse[pc as usize] = self.len as u32;
        self.len += 1;
        true
    }

    fn slots(&self, pc: u32) -> &[u32] {
        let at = pc as usize * self.stride;
        &self.slots[at..at + self.stride]
    }

    fn slots_mut(&mut self, pc: u32) -> &mut [u32] {
        let at = pc as usize * self.stride;
        &mut self.slots[at..at + self.stride]
    }
}

impl Cache {
    /// Grows the cache to its final size for `prog` (so that no match of it allocates).
    pub(crate) fn prepare(&mut self, prog: &Program) {
        let n = prog.insts.len();
        self.clist.prepare(n, prog.slots);
        self.nlist.prepare(n, prog.slots);
        // The closure pushes at most one frame per instruction (Split or Save), plus the root.
        let need = n + 1;
        if self.stack.capacity() < need {
            self.stack.reserve(need - self.stack.len());
        }
        self.stack.clear();
    }
}

/// Runs `prog` as `(?s)^.*?` + prog, leftmost-first; on a match writes the slots to `out`.
///
/// No match can start after `last_start` (the subject is too short past it). Gives up once it
/// has stepped more than `budget` threads (`usize::MAX`: never).
pub(crate) fn exec(
    prog: &Program,
    hay: &[u8],
    cache: &mut Cache,
    scan: &impl StartScan,
    last_start: usize,
    budget: usize,
    out: &mut Slots,
) -> Result<bool, GaveUp> {
    cache.prepare(prog);
    let Cache {
        clist,
        nlist,
        stack,
    } = cache;
    let ns = prog.slots;
    let len = hay.len();
    let mut tmp = [NONE; MAX_SLOTS];
    let mut matched = false;
    let mut steps = 0usize;
    let mut p = 0;
    // The next position where a match can start (None: no more starts).
    let mut next_start = scan.next(hay, 0, last_start);
    loop {
        if next_start.is_some_and(|q| q < p) {
            next_start = scan.next(hay, p, last_start);
        }
        if clist.len == 0 {
            // No thread alive: jump to the next start (always >= p).
            match next_start {
                Some(q) if !matched => p = q,
                _ => break,
            }
        }
        // The `.*?` prefix: a thread starting here ranks below every thread started earlier.
        if !matched && next_start == Some(p) {
            tmp[..ns].fill(NONE);
            add(&prog.insts, stack, clist, 0, p as u32, &mut tmp[..ns]);
        }
        steps = steps.saturating_add(clist.len);
        if steps > budget {
            return Err(GaveUp);
        }
        let byte = hay.get(p).copied();
        for i in 0..clist.len {
            let pc = clist.dense[i];
            let ok = match prog.insts[pc as usize] {
                Inst::Byte(b) => byte == Some(b),
                Inst::Class(m) => byte.is_some_and(|b| CLASS_TABLE[b as usize] & m != 0),
                Inst::Set(n) => byte.is_some_and(|b| prog.sets[n as usize].contains(b)),
                Inst::Match | Inst::MatchTail => {
                    let done = if prog.insts[pc as usize] == Inst::Match {
                        p == len
                    } else {
                        p < len
                    };
                    if done {
                        out[..ns].copy_from_slice(clist.slots(pc));
                        if prog.tail {
                            set_tail(prog, hay, p, out);
                        }
                        matched = true;
                        // Every thread after this one has lower priority: cut them.
                        break;
                    }
                    false
                }
                _ => false,
            };
            if ok {
                tmp[..ns].copy_from_slice(clist.slots(pc));
                add(
                    &prog.insts,
                    stack,
                    nlist,
                    pc + 1,
                    p as u32 + 1,
                    &mut tmp[..ns],
                );
            }
        }
        if p >= len {
            break;
        }
        std::mem::swap(clist, nlist);
        nlist.len = 0;
        p += 1;
    }
    Ok(matched)
}

/// Adds the epsilon closure of `pc0` at `pos` to `list`, in priority order.
fn add(
    insts: &[Inst],
    stack: &mut Vec<Frame>,
    list: &mut Threads,
    pc0: u32,
    pos: u32,
    caps: &mut [u32],
) {
    stack.push(Frame::Explore(pc0));
    while let Some(frame) = stack.pop() {
        let mut pc = match frame {
            Frame::Restore(slot, old) => {
                caps[slot as usize] = old;
                continue;
            }
            Frame::Explore(pc) => pc,
        };
        while list.insert(pc) {
            match insts[pc as usize] {
                Inst::Split(a, b) => {
                    stack.push(Frame::Explore(b));
                    pc = a;
                }
                Inst::Jmp(a) => pc = a,
                Inst::Save(s) => {
                    stack.push(Frame::Restore(s, caps[s as usize]));
                    caps[s as usize] = pos;
                    pc += 1;
                }
                _ => {
                    list.slots_mut(pc).copy_from_slice(caps);
                    break;
                }
            }
        }
    }
}
