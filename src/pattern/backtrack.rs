//! A bounded backtracker: the fast engine for ordinary subjects.
//!
//! Owns: depth-first matching in leftmost-first priority order, with a visited bit per
//! (instruction, position) so that no pair is explored twice — O(subject × program) like the
//! Pike VM, but without copying capture slots between threads.
//! Never: grows its memory. The visited bits and the stack have fixed sizes (allocated once, on
//! the first use of a [`super::Cache`]); when a search would need more it answers `None`, and
//! the caller runs the Pike VM instead.

use super::compile::{CLASS_TABLE, Inst, Program};
use super::pike::{MAX_SLOTS, StartScan, set_tail};

/// Visited bits available: subjects with `(len + 1) × instructions` above this use the Pike VM.
pub(crate) const VISITED_BITS: usize = 1 << 18;
/// Frames available on the explicit stack.
const STACK_FRAMES: usize = 2048;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Frame {
    Step(u32, u32),
    Restore(u32, u32),
}

/// The backtracker's share of the cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    visited: Vec<u32>,
    stack: Vec<Frame>,
}

impl Scratch {
    pub(crate) fn prepare(&mut self, words: usize) {
        if self.visited.is_empty() {
            self.visited = vec![0; VISITED_BITS / 32];
            self.stack = Vec::with_capacity(STACK_FRAMES);
        }
        self.visited[..words].fill(0);
        self.stack.clear();
    }
}

/// Whether the backtracker can take this search.
pub(crate) fn fits(prog: &Program, len: usize) -> bool {
    (len + 1).saturating_mul(prog.insts.len()) <= VISITED_BITS
}

/// Runs `(?s)^.*?` + prog; `Some(matched)`, or `None` when the stack ran out or the search
/// took more than `budget` steps (adversarial input: the reverse engine is cheaper there).
pub(crate) fn exec(
    prog: &Program,
    hay: &[u8],
    sc: &mut Scratch,
    scan: &impl StartScan,
    last_start: usize,
    mut budget: usize,
    out: &mut [u32; MAX_SLOTS],
) -> Option<bool> {
    let n = prog.insts.len();
    sc.prepare(((hay.len() + 1) * n).div_ceil(32));
    let mut from = 0;
    // Starts in increasing order: `.*?` prefers the leftmost. A (pc, pos) that failed from an
    // earlier start fails from this one too, so the visited bits are shared.
    while let Some(start) = scan.next(hay, from, last_start) {
        if run(prog, hay, sc, start, &mut budget, out)? {
            return Some(true);
        }
        from = start + 1;
    }
    Some(false)
}

fn run(
    prog: &Program,
    hay: &[u8],
    sc: &mut Scratch,
    start: usize,
    budget: &mut usize,
    out: &mut [u32; MAX_SLOTS],
) -> Option<bool> {
    let n = prog.insts.len();
    let len = hay.len();
    let mut slots = [u32::MAX; MAX_SLOTS];
    // A local copy of the budget stays in a register.
    let mut left = *budget;
    sc.stack.push(Frame::Step(0, start as u32));
    while let Some(frame) = sc.stack.pop() {
        let (mut pc, mut pos) = match frame {
            Frame::Restore(s, v) => {
                slots[s as usize] = v;
                continue;
            }
            Frame::Step(pc, pos) => (pc as usize, pos as usize),
        };
        loop {
            left = left.checked_sub(1)?;
            match prog.insts[pc] {
                Inst::Byte(b) => {
                    if hay.get(pos) != Some(&b) {
                        break;
                    }
                    pc += 1;
                    pos += 1;
                }
                Inst::Class(m) => match hay.get(pos) {
                    Some(&b) if CLASS_TABLE[b as usize] & m != 0 => {
                        pc += 1;
                        pos += 1;
                    }
                    _ => break,
                },
                Inst::Split(a, b) => {
                    if let Some((m, c)) = prog.lazy[pc] {
                        // Step over the loop's bytes that cannot start its exit, counting
                        // the three steps each would have taken.
                        let skip = hay[pos..]
                            .iter()
                            .take_while(|&&h| h != c && CLASS_TABLE[h as usize] & m != 0)
                            .count();
                        left = left.checked_sub(3 * skip)?;
                        pos += skip;
                    }
                    // Paths meet only after a choice: a (choice, position) explored once needs
                    // no second visit, and between choices the code is straight (each step
                    // consumes a byte or moves on), so marking the choices alone is enough.
                    let bit = pos * n + pc;
                    let word = &mut sc.visited[bit / 32];
                    if *word & (1 << (bit % 32)) != 0 {
                        break;
                    }
                    *word |= 1 << (bit % 32);
                    push(&mut sc.stack, Frame::Step(b, pos as u32))?;
                    pc = a as usize;
                }
                Inst::Jmp(a) => pc = a as usize,
                Inst::Save(s) => {
                    push(&mut sc.stack, Frame::Restore(s, slots[s as usize]))?;
                    slots[s as usize] = pos as u32;
                    pc += 1;
                }
                Inst::Match | Inst::MatchTail => {
                    let done = if prog.insts[pc] == Inst::Match {
                        pos == len
                    } else {
                        pos < len
                    };
                    if !done {
                        break;
                    }
                    *out = slots;
                    if prog.tail {
                        set_tail(prog, hay, pos, out);
                    }
                    return Some(true);
                }
            }
        }
    }
    *budget = left;
    Some(false)
}

/// Pushes without ever growing the stack.
#[inline]
fn push(stack: &mut Vec<Frame>, f: Frame) -> Option<()> {
    if stack.len() == stack.capacity() {
        return None;
    }
    stack.push(f);
    Some(())
}
