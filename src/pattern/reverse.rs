//! The reverse engine for long subjects: a bit-parallel reverse pass, then a forward walk.
//!
//! Owns: per-pattern transition tables and byte classes (built once, at compile time) and the
//! matching of long subjects in O(subject × program / 64) for the pass plus O(subject +
//! program) for the walk.
//! Never: allocates while matching (its scratch, lazy DFA included, has a fixed size reserved
//! once), backtracks, or lets the lazy DFA change a result (it only caches steps).
//!
//! Every match reaches the end of the subject (SPEC §5), so one pass from the end tells
//! everything: `V[p]`, the set of NFA *targets* from which the rest of the program can succeed
//! at position `p`, is computed for `p = len, len-1, …, 0` as bitsets. A target is a consuming
//! instruction (`Byte`/`Class`) whose byte matches at `p` and whose successors are viable at
//! `p + 1`, or the pseudo-targets END (`Match`, viable only at `len`) and TAIL (`MatchTail`,
//! viable below `len`). An instruction `pc` is viable at `p` when its epsilon closure meets `V[p]`.
//!
//! The leftmost start is the smallest `p` where instruction 0 is viable. From there a forward walk
//! follows the program, taking the first viable branch of every `Split`: that is exactly the
//! first successful path in priority order, i.e. the leftmost-first match, found without ever
//! backtracking. The walk needs `V[p]` in increasing `p`: the pass keeps one checkpoint every
//! [`BLOCK`] positions and the walk recomputes one block at a time from the checkpoint above it.
//!
//! Both the pass and the block refills step through `dfa`, a lazy DFA whose states are
//! the sets `V` and whose transitions are per byte class: on a known transition a step is one
//! table lookup instead of shifts over up to four words. When the DFA gives up (too many
//! distinct sets for its fixed store) the search goes on with the bit-parallel step; a pattern
//! compiles only if the store holds every set a subject can reach ([`Tables::dfa_holds_all`]),
//! so that happens only when tests shrink the store.

use std::sync::atomic::{AtomicUsize, Ordering};

mod dfa;

use super::nfa::{GaveUp, Inst, MAX_SLOTS, Program, Slots, set_tail};
use dfa::{DEAD, Dfa, START};

/// Whether bit-sets of one and two words get their own code. On 32-bit targets (the routers'
/// MIPS and ARM) every pattern uses the four-word code: one copy instead of three keeps the
/// binary within its flash budget, and the lazy DFA makes the wider sets cost little.
const SPECIALISE: bool = cfg!(target_pointer_width = "64");

/// Largest bitset, in 64-bit words (patterns with more targets do not compile).
pub(crate) const MAX_WORDS: usize = 4;
/// Most targets a pattern may have: the bitsets also hold END and TAIL.
pub(crate) const MAX_TARGETS: usize = 64 * MAX_WORDS - 2;
/// Positions per checkpoint.
const BLOCK: usize = 128;

/// The tables of one pattern.
#[derive(Clone, Debug)]
pub(crate) struct Tables {
    /// Words per bitset: 1, 2 or 4.
    words: usize,
    /// Bit of the END target (`Match`); bit `end + 1` is TAIL (`MatchTail`).
    end: usize,
    /// The program has a `MatchTail` (every `V[p]` below `len` holds TAIL).
    tail: bool,
    /// Per instruction: the targets of its epsilon closure.
    closure: Vec<u64>,
    /// Per byte value: the consuming targets that accept it.
    bytes: Vec<u64>,
    /// Offsets `k = t - q` of the edges from a consuming target `q` to a target `t` of the
    /// closure of its successor instruction (`t` viable at `p + 1` makes `q` viable at `p`):
    /// per offset `k`: `(k, 0)` or `(0, -k)`, the right and left shifts of `S >> k`.
    shifts: Vec<(u32, u32)>,
    /// Per offset: the targets `q` that have an edge with that offset.
    masks: Vec<u64>,
    /// Unique per built table (clones share it): the lazy DFA's states belong to one owner.
    id: usize,
    /// Byte → class: bytes of one class are accepted by the same targets, so they step every
    /// set alike (the lazy DFA's transitions are per class, not per byte).
    class_of: Box<[u8; 256]>,
    /// Number of classes.
    classes: usize,
}

/// Source of [`Tables::id`] (0 means "no owner"). `usize`, not `u64`: 32-bit MIPS has no 64-bit
/// atomics. It wraps only after 2^32 compilations there, and a cache would have to keep one
/// pattern's states across all of them to mistake another pattern for it.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl Tables {
    /// Builds the tables; `None` when the program has too many targets for [`MAX_WORDS`].
    pub(crate) fn new(prog: &Program) -> Option<Tables> {
        let insts = &prog.insts;
        let mut target = vec![usize::MAX; insts.len()];
        let mut states = Vec::new();
        for (pc, inst) in insts.iter().enumerate() {
            if consumes(*inst) {
                target[pc] = states.len();
                states.push(pc);
            }
        }
        let end = states.len();
        let bits = end + 2;
        let words = match bits.div_ceil(64) {
            1 if SPECIALISE => 1,
            2 if SPECIALISE => 2,
            1..=4 => 4,
            _ => return None,
        };
        let mut closure = vec![0u64; insts.len() * words];
        for pc in 0..insts.len() {
            for t in closure_targets(insts, &target, end, pc) {
                closure[pc * words + t / 64] |= 1 << (t % 64);
            }
        }
        let mut bytes = vec![0u64; 256 * words];
        for (t, &pc) in states.iter().enumerate() {
            for b in 0..256 {
                if prog.accepts(insts[pc], b as u8) {
                    bytes[b * words + t / 64] |= 1 << (t % 64);
                }
            }
        }
        // pred_of[t]: consuming targets q with t in closure(q + 1).
        let mut pred_of = vec![0u64; bits * words];
        for (q, &pc) in states.iter().enumerate() {
            let succ = &closure[(pc + 1) * words..(pc + 2) * words];
            for t in 0..bits {
                if succ[t / 64] & (1 << (t % 64)) != 0 {
                    pred_of[t * words + q / 64] |= 1 << (q % 64);
                }
            }
        }
        // Group the edges q -> t by offset t - q: Pred(S) is the union over offsets k of
        // (S >> k) & mask_k, a few shifts per step (loops give k = 0, sequences k = 1).
        let mut offsets: Vec<i32> = Vec::new();
        let mut masks: Vec<u64> = Vec::new();
        for t in 0..bits {
            for q in 0..end {
                if pred_of[t * words + q / 64] & (1 << (q % 64)) == 0 {
                    continue;
                }
                let k = t as i32 - q as i32;
                let i = match offsets.iter().position(|&o| o == k) {
                    Some(i) => i,
                    None => {
                        offsets.push(k);
                        masks.resize(masks.len() + words, 0);
                        offsets.len() - 1
                    }
                };
                masks[i * words + q / 64] |= 1 << (q % 64);
            }
        }
        let (class_of, classes) = byte_classes(&bytes, words);
        Some(Tables {
            words,
            end,
            tail: prog.tail,
            closure,
            bytes,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            class_of,
            classes,
            shifts: offsets
                .iter()
                .map(|&k| (k.max(0) as u32, (-k).max(0) as u32))
                .collect(),
            masks,
        })
    }
}

impl Tables {
    /// Whether the lazy DFA holds every set `V` a search of this pattern can reach, whatever
    /// the subject: then it is never cleared, never gives up, and every step of every search
    /// is a lookup or builds one of at most that many states. Explores the sets from `V[len]`
    /// by every byte class (compile time only: at most [`dfa::MAX_TRANS`] steps).
    pub(crate) fn dfa_holds_all(&self) -> bool {
        self.dfa_sets() <= dfa::capacity(self.classes)
    }

    /// The number of sets a search can reach, counted up to one more than the DFA holds.
    fn dfa_sets(&self) -> usize {
        match self.words {
            1 if SPECIALISE => self.reachable::<1>(),
            2 if SPECIALISE => self.reachable::<2>(),
            _ => self.reachable::<4>(),
        }
    }

    fn reachable<const W: usize>(&self) -> usize {
        let cap = dfa::capacity(self.classes);
        let step = Step::<W>::of(self);
        let mut reps = vec![0u8; self.classes];
        for b in (0..=255u8).rev() {
            reps[self.class_of[b as usize] as usize] = b;
        }
        let at_end: Set<W> = bit(self.end);
        let mut seen = std::collections::HashSet::from([at_end]);
        let mut todo = vec![at_end];
        while let Some(v) = todo.pop() {
            // A search stops at the empty set.
            if v == [0; W] {
                continue;
            }
            for &b in &reps {
                let next = step.step(&v, b);
                if seen.insert(next) {
                    if seen.len() > cap {
                        return seen.len();
                    }
                    todo.push(next);
                }
            }
        }
        seen.len()
    }
}

/// The most sets the lazy DFA holds for the pattern of `t`.
pub(crate) fn dfa_capacity(t: &Tables) -> usize {
    dfa::capacity(t.classes)
}

/// Numbers the distinct byte masks in order of first appearance (compile time only).
fn byte_classes(bytes: &[u64], words: usize) -> (Box<[u8; 256]>, usize) {
    let mut class_of = Box::new([0u8; 256]);
    let mut reps: Vec<usize> = Vec::new();
    for b in 0..256 {
        let mask = &bytes[b * words..(b + 1) * words];
        let same = reps
            .iter()
            .position(|&r| &bytes[r * words..(r + 1) * words] == mask);
        class_of[b] = same.unwrap_or_else(|| {
            reps.push(b);
            reps.len() - 1
        }) as u8;
    }
    (class_of, reps.len())
}

/// The targets reachable from `pc` through epsilon moves (depth-first; compile time only).
fn closure_targets(insts: &[Inst], target: &[usize], end: usize, pc: usize) -> Vec<usize> {
    let mut seen = vec![false; insts.len()];
    let mut stack = vec![pc];
    let mut out = Vec::new();
    while let Some(pc) = stack.pop() {
        if pc >= insts.len() || std::mem::replace(&mut seen[pc], true) {
            continue;
        }
        match insts[pc] {
            Inst::Byte(_) | Inst::Class(_) | Inst::Set(_) => out.push(target[pc]),
            Inst::Split(a, b) => stack.extend([a as usize, b as usize]),
            Inst::Jmp(a) => stack.push(a as usize),
            Inst::Save(_) => stack.push(pc + 1),
            Inst::Match => out.push(end),
            Inst::MatchTail => out.push(end + 1),
        }
    }
    out
}

/// The engine's scratch space: fixed size (for subjects up to the length it was prepared for),
/// allocated zeroed on first use; the lazy DFA's store (84 480 bytes) is only reserved, its
/// pages written as states are built (see `dfa.rs`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cache {
    /// `V[k × BLOCK]` for every block `k` the pass reached.
    checkpoints: Vec<u64>,
    /// `V[lo..=lo + BLOCK]` of the block the walk is in, word-major (`BLOCK + 1` per word).
    block: Vec<u64>,
    /// The lazy DFA that replaces most steps by a lookup.
    pub(crate) dfa: Dfa,
}

impl Cache {
    /// Sizes the scratch for subjects up to `max_len` bytes (once: later calls keep the size).
    pub(crate) fn prepare(&mut self, max_len: usize) {
        if self.checkpoints.is_empty() {
            self.checkpoints = vec![0; (max_len / BLOCK + 1) * MAX_WORDS];
            self.block = vec![0; (BLOCK + 1) * MAX_WORDS];
        }
        self.dfa.prepare();
    }

    /// Caps the states of the lazy DFA at `n` (0: no DFA); results never depend on it.
    pub(crate) fn limit_dfa(&mut self, n: usize) {
        self.dfa.set_limit(n);
    }

    /// Longest subject the scratch holds checkpoints for.
    fn max_len(&self) -> usize {
        (self.checkpoints.len() / MAX_WORDS).saturating_sub(1) * BLOCK
    }
}

/// Runs `(?s)^.*?` + prog (`^` + prog when `at_start`); on a match writes the slots to `out`.
/// Gives up on a subject longer than the cache was prepared for.
pub(crate) fn exec(
    prog: &Program,
    tables: &Tables,
    hay: &[u8],
    at_start: bool,
    sc: &mut Cache,
    out: &mut Slots,
) -> Result<bool, GaveUp> {
    if hay.len() > sc.max_len() {
        return Err(GaveUp);
    }
    Ok(match tables.words {
        1 if SPECIALISE => Run::<1>::new(prog, tables, hay, sc).find(at_start, out),
        2 if SPECIALISE => Run::<2>::new(prog, tables, hay, sc).find(at_start, out),
        _ => Run::<4>::new(prog, tables, hay, sc).find(at_start, out),
    })
}

fn consumes(inst: Inst) -> bool {
    matches!(inst, Inst::Byte(_) | Inst::Class(_) | Inst::Set(_))
}

type Set<const W: usize> = [u64; W];

/// The reverse step, with the tables of one pattern.
#[derive(Clone, Copy)]
struct Step<'a, const W: usize> {
    shifts: &'a [(u32, u32)],
    masks: &'a [Set<W>],
    bytes: &'a [Set<W>; 256],
    tail: Set<W>,
}

impl<'a, const W: usize> Step<'a, W> {
    /// The step of `t` (its sets `W` words wide).
    fn of(t: &'a Tables) -> Self {
        Step {
            shifts: &t.shifts,
            masks: t.masks.as_chunks::<W>().0,
            bytes: t
                .bytes
                .as_chunks::<W>()
                .0
                .try_into()
                .expect("256 byte masks"),
            tail: if t.tail { bit(t.end + 1) } else { [0; W] },
        }
    }

    /// `V[p]` from `V[p + 1]` and the byte at `p < len`.
    #[inline(always)]
    fn step(&self, next: &Set<W>, byte: u8) -> Set<W> {
        let mut acc = [0u64; W];
        for (&(r, l), m) in self.shifts.iter().zip(self.masks) {
            let s = if W == 1 {
                let mut s = [0; W];
                s[0] = next[0] >> r << l;
                s
            } else if l == 0 && r < 64 {
                shift_right_small(next, r)
            } else {
                shift(next, r as i32 - l as i32)
            };
            for w in 0..W {
                acc[w] |= s[w] & m[w];
            }
        }
        let b = &self.bytes[byte as usize];
        for w in 0..W {
            acc[w] = acc[w] & b[w] | self.tail[w];
        }
        acc
    }
}

/// One search, with the bitset width as a constant.
struct Run<'a, const W: usize> {
    prog: &'a Program,
    t: &'a Tables,
    hay: &'a [u8],
    sc: &'a mut Cache,
    /// `V[len]`: END alone.
    at_end: Set<W>,
    /// The closure of instruction 0: a match can start where it meets `V`.
    start: Set<W>,
    /// Steps go through the lazy DFA (false once it gave up for this search).
    lazy: bool,
}

#[inline(always)]
fn load<const W: usize>(v: &[u64], i: usize) -> Set<W> {
    let mut s = [0; W];
    s.copy_from_slice(&v[i * W..i * W + W]);
    s
}

#[inline(always)]
fn meets<const W: usize>(a: &Set<W>, b: &Set<W>) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

/// `s >> k` for `0 <= k < 64`, the common case (offsets come from short forward edges).
#[inline(always)]
fn shift_right_small<const W: usize>(s: &Set<W>, k: u32) -> Set<W> {
    let mut out = [0; W];
    for i in 0..W {
        let hi = if i + 1 < W { s[i + 1] } else { 0 };
        // `hi << (64 - k)`, which is 0 for k = 0, without an out-of-range shift.
        out[i] = s[i] >> k | (hi << 1) << (63 - k);
    }
    out
}

/// `s >> k` as one `64 × W`-bit number (bit `q` of the result is bit `q + k` of `s`); a
/// negative `k` shifts the other way. `|k| < 64 × W` (offsets are between targets).
#[inline(always)]
fn shift<const W: usize>(s: &Set<W>, k: i32) -> Set<W> {
    if W == 1 {
        let mut out = [0; W];
        out[0] = if k >= 0 { s[0] >> k } else { s[0] << -k };
        return out;
    }
    let mut out = [0; W];
    let n = k.unsigned_abs() as usize;
    let (ws, bs) = (n / 64, n % 64);
    for (i, o) in out.iter_mut().enumerate() {
        // Bit q of out is bit q + k of s.
        let (lo, hi) = if k >= 0 {
            (i.checked_add(ws), i.checked_add(ws + 1))
        } else {
            (i.checked_sub(ws), i.checked_sub(ws + 1))
        };
        let get = |j: Option<usize>| j.and_then(|j| s.get(j)).copied().unwrap_or(0);
        *o = if bs == 0 {
            get(lo)
        } else if k >= 0 {
            get(lo) >> bs | get(hi) << (64 - bs)
        } else {
            get(lo) << bs | get(hi) >> (64 - bs)
        };
    }
    out
}

fn bit<const W: usize>(t: usize) -> Set<W> {
    let mut s = [0; W];
    s[t / 64] = 1 << (t % 64);
    s
}

/// The flags of a state with set `v`.
fn flags_of<const W: usize>(start: &Set<W>, v: &Set<W>) -> u8 {
    let mut f = 0;
    if meets(start, v) {
        f |= START;
    }
    if *v == [0; W] {
        f |= DEAD;
    }
    f
}

/// The state of `v` (added if new); `None` when the DFA gave up for this search.
fn state<const W: usize>(dfa: &mut Dfa, start: &Set<W>, v: &Set<W>) -> Option<usize> {
    dfa.state(v, flags_of(start, v), &mut false)
}

/// The state of `v`, the step from state `s` on class `c`, recorded as its transition unless
/// adding it cleared the store (then `s` is gone); `None` when the DFA gave up.
#[inline(never)]
fn next_state<const W: usize>(
    dfa: &mut Dfa,
    start: &Set<W>,
    s: usize,
    c: usize,
    v: &Set<W>,
) -> Option<usize> {
    let mut cleared = false;
    let n = dfa.state(v, flags_of(start, v), &mut cleared)?;
    if !cleared {
        dfa.link(s, c, n);
    }
    Some(n)
}

/// Fills `block[..][..hay.len()]` (the row above, `V[lo + hay.len()]`, is stored) on the DFA.
/// `Err((i, V[lo + i]))`: it gave up at offset `i`, whose row is stored, rows below are not.
fn fill_lazy<const W: usize>(
    dfa: &mut Dfa,
    start: &Set<W>,
    step: &Step<'_, W>,
    class_of: &[u8; 256],
    hay: &[u8],
    block: &mut [[u64; BLOCK + 1]],
) -> Result<(), (usize, Set<W>)> {
    let mut top = [0; W];
    for w in 0..W {
        top[w] = block[w][hay.len()];
    }
    let Some(mut s) = state(dfa, start, &top) else {
        return Err((hay.len(), top));
    };
    let shift = dfa.shift();
    let mut row = s << shift;
    for (i, &byte) in hay.iter().enumerate().rev() {
        let c = class_of[byte as usize] as usize;
        match dfa.trans()[row + c] {
            0 => {
                let v = step.step(&dfa.set(s), byte);
                match next_state(dfa, start, s, c, &v) {
                    Some(n) => s = n,
                    None => {
                        for w in 0..W {
                            block[w][i] = v[w];
                        }
                        return Err((i, v));
                    }
                }
                row = s << shift;
            }
            n => {
                row = n as usize - 1;
                s = row >> shift;
            }
        }
        let v: Set<W> = dfa.set(s);
        for w in 0..W {
            block[w][i] = v[w];
        }
    }
    Ok(())
}

impl<'a, const W: usize> Run<'a, W> {
    fn new(prog: &'a Program, t: &'a Tables, hay: &'a [u8], sc: &'a mut Cache) -> Self {
        let lazy = sc.dfa.begin(t.id, t.classes);
        Run {
            prog,
            t,
            hay,
            sc,
            at_end: bit(t.end),
            start: load(&t.closure, 0),
            lazy,
        }
    }

    /// The stepping function, its tables borrowed apart from the scratch it writes.
    fn stepper(&self) -> Step<'a, W> {
        Step::of(self.t)
    }

    fn find(mut self, at_start: bool, out: &mut [u32; MAX_SLOTS]) -> bool {
        // The leftmost start: when a match must start at 0, there is one only if it is 0.
        match self.pass() {
            Some(start) if start == 0 || !at_start => self.walk(start, out),
            _ => false,
        }
    }

    /// The reverse pass: fills the checkpoints and returns the leftmost start, if any.
    fn pass(&mut self) -> Option<usize> {
        let mut best = None;
        let mut p = self.hay.len();
        let mut v = self.at_end;
        if self.lazy {
            match self.pass_lazy(&mut p, &mut best) {
                Some(at_p) => v = at_p,
                None => return best,
            }
        }
        let step = self.stepper();
        loop {
            if p.is_multiple_of(BLOCK) {
                let at = p / BLOCK * W;
                self.sc.checkpoints[at..at + W].copy_from_slice(&v);
            }
            if meets(&self.start, &v) {
                best = Some(p);
            }
            // Nothing viable here: nothing is viable further left either.
            if p == 0 || v == [0; W] {
                return best;
            }
            p -= 1;
            v = step.step(&v, self.hay[p]);
        }
    }

    /// The pass on the lazy DFA, from `V[*p]` = `V[len]` down. `None`: the pass is done;
    /// `Some(V[*p])`: the DFA gave up at `*p` (its checkpoint and start are not recorded yet),
    /// the caller continues with the bit-parallel step.
    fn pass_lazy(&mut self, at: &mut usize, found: &mut Option<usize>) -> Option<Set<W>> {
        let step = self.stepper();
        let (hay, class_of, start) = (self.hay, &*self.t.class_of, self.start);
        let Cache {
            checkpoints, dfa, ..
        } = &mut *self.sc;
        let Some(mut s) = state(dfa, &start, &self.at_end) else {
            self.lazy = false;
            return Some(self.at_end);
        };
        let shift = dfa.shift();
        // Locals, not the out-parameters: they stay in registers.
        let (mut p, mut best) = (*at, *found);
        // `row` is `s << shift`: the step is `row = trans[row + class] - 1`.
        let mut row = s << shift;
        let gave_up = loop {
            let f = dfa.flags(s);
            if p.is_multiple_of(BLOCK) {
                let at = p / BLOCK * W;
                checkpoints[at..at + W].copy_from_slice(&dfa.set::<W>(s));
            }
            if f & START != 0 {
                best = Some(p);
            }
            if p == 0 || f & DEAD != 0 {
                break None;
            }
            p -= 1;
            let byte = hay[p];
            let c = class_of[byte as usize] as usize;
            match dfa.trans()[row + c] {
                0 => {
                    let v = step.step(&dfa.set(s), byte);
                    match next_state(dfa, &start, s, c, &v) {
                        Some(n) => s = n,
                        None => break Some(v),
                    }
                    row = s << shift;
                }
                n => {
                    row = n as usize - 1;
                    s = row >> shift;
                }
            }
        };
        (*at, *found) = (p, best);
        self.lazy &= gave_up.is_none();
        gave_up
    }

    /// Recomputes `V` over block `k` from the checkpoint (or `V[len]`) above it.
    fn fill_block(&mut self, k: usize) {
        let lo = k * BLOCK;
        let top = (lo + BLOCK).min(self.hay.len());
        let mut v: Set<W> = if top == self.hay.len() {
            self.at_end
        } else {
            load(&self.sc.checkpoints, top / BLOCK)
        };
        let step = self.stepper();
        let start = self.start;
        let Cache { block, dfa, .. } = &mut *self.sc;
        // Word-major (`block[w][i]`): storing a whole `Set` at once goes through the stack and
        // stalls on store forwarding.
        let (block, _) = block.as_chunks_mut::<{ BLOCK + 1 }>();
        let hay = &self.hay[lo..top];
        for w in 0..W {
            block[w][top - lo] = v[w];
        }
        let mut i = hay.len();
        if self.lazy {
            match fill_lazy(dfa, &start, &step, &self.t.class_of, hay, block) {
                Ok(()) => return,
                // `V[lo + at]` is stored: continue below it without the DFA.
                Err((at, at_v)) => (i, v) = (at, at_v),
            }
            self.lazy = false;
        }
        for (i, &byte) in hay[..i].iter().enumerate().rev() {
            v = step.step(&v, byte);
            for w in 0..W {
                block[w][i] = v[w];
            }
        }
    }

    /// `V` at offset `i` into the current block.
    #[inline(always)]
    fn at(&self, i: usize) -> Set<W> {
        let mut v = [0; W];
        for (w, x) in v.iter_mut().enumerate() {
            *x = self.sc.block[w * (BLOCK + 1) + i];
        }
        v
    }

    /// Consumes bytes (by the loop's instruction) while `mask` meets `V[pos]` exactly when
    /// `stay`: a lazy loop leaves as soon as its exit is viable, a greedy one as soon as its
    /// own instruction is not. Moves `block` along with `pos`.
    #[inline(always)]
    fn repeat(&mut self, pos: &mut usize, block: &mut usize, mask: &Set<W>, stay: bool) {
        let len = self.hay.len();
        while *pos < len {
            // Scan the rest of the current block (`pos` is in it) without crossing blocks.
            let lo = *block * BLOCK;
            let end = (lo + BLOCK).min(len) - lo;
            let (rows, _) = self.sc.block.as_chunks::<{ BLOCK + 1 }>();
            let rows = &rows[..W];
            let mut i = *pos - lo;
            while i < end {
                let mut hit = false;
                for w in 0..W {
                    hit |= rows[w][i] & mask[w] != 0;
                }
                if hit != stay {
                    *pos = lo + i;
                    return;
                }
                i += 1;
            }
            *pos = lo + end;
            if *pos / BLOCK != *block {
                *block = *pos / BLOCK;
                self.fill_block(*block);
            }
        }
    }

    /// Follows the first viable branch at every split from `start` (where instruction 0 is
    /// viable) to the match, recording captures. Always true: the pass proved the match exists
    /// (false only if that invariant were broken, rather than reading past the subject).
    fn walk(&mut self, start: usize, out: &mut [u32; MAX_SLOTS]) -> bool {
        let insts = &self.prog.insts;
        let mut slots = [u32::MAX; MAX_SLOTS];
        let mut pos = start;
        let mut block = pos / BLOCK;
        self.fill_block(block);
        let mut pc = 0;
        loop {
            match insts[pc] {
                Inst::Byte(_) | Inst::Class(_) | Inst::Set(_) => {
                    if pos >= self.hay.len() {
                        return false;
                    }
                    pc += 1;
                    pos += 1;
                    if pos / BLOCK != block {
                        block = pos / BLOCK;
                        self.fill_block(block);
                    }
                }
                // A one-instruction loop `L: consume; Split` (`x+`, lazy or greedy): run it in
                // a tight loop over `V` instead of dispatching two instructions per byte.
                Inst::Split(a, b) if b as usize + 1 == pc && consumes(insts[b as usize]) => {
                    let exit: Set<W> = load(&self.t.closure, a as usize);
                    self.repeat(&mut pos, &mut block, &exit, false);
                    pc = a as usize;
                }
                Inst::Split(a, b) if a as usize + 1 == pc && consumes(insts[a as usize]) => {
                    let stay: Set<W> = load(&self.t.closure, a as usize);
                    self.repeat(&mut pos, &mut block, &stay, true);
                    pc = b as usize;
                }
                Inst::Split(a, b) => {
                    let v: Set<W> = self.at(pos - block * BLOCK);
                    let ca: Set<W> = load(&self.t.closure, a as usize);
                    pc = if meets(&ca, &v) { a } else { b } as usize;
                }
                Inst::Jmp(a) => pc = a as usize,
                Inst::Save(s) => {
                    slots[s as usize] = pos as u32;
                    pc += 1;
                }
                Inst::Match | Inst::MatchTail => break,
            }
        }
        *out = slots;
        if self.prog.tail {
            set_tail(self.prog, self.hay, pos, out);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::nfa::build;
    use crate::pattern::syntax::parse;

    fn tables(pattern: &[u8]) -> Option<Tables> {
        Tables::new(&build(&parse(pattern).unwrap()))
    }

    #[test]
    fn bitset_width_follows_the_program() {
        let w = |n| if SPECIALISE { n } else { 4 };
        assert_eq!(tables(b"%s a %s a %s b").unwrap().words, w(1));
        let long = b"x".repeat(100);
        assert_eq!(tables(&long).unwrap().words, w(2));
        let longer = b"x".repeat(200);
        assert_eq!(tables(&longer).unwrap().words, 4);
        assert!(tables(&b"x".repeat(300)).is_none());
    }

    #[test]
    fn shifts_cross_words() {
        // Bits 63, 64 and 197.
        let s: Set<4> = [1 << 63, 1, 0, 1 << 5];
        // Bit q of the result is bit q + k of s.
        assert_eq!(shift(&s, 1), [3 << 62, 0, 0, 1 << 4]);
        assert_eq!(shift(&s, 64), [1, 0, 1 << 5, 0]);
        assert_eq!(shift(&s, 70), [0, 1 << 63, 0, 0]);
        assert_eq!(shift(&s, -1), [0, 3, 0, 1 << 6]);
        assert_eq!(shift(&s, -65), [0, 0, 3, 0]);
        assert_eq!(shift(&[1u64 << 3], 3), [1]);
        for k in 0..64 {
            assert_eq!(shift_right_small(&s, k), shift(&s, k as i32), "k = {k}");
        }
        assert_eq!(shift(&[1u64 << 3], -3), [1 << 6]);
    }

    /// Wide bitsets against the Pike VM, on subjects that match and that nearly match.
    #[test]
    fn wide_patterns_agree_with_pike() {
        use crate::pattern::{Cache, Captures, Engine, Pattern};
        let mut cache = Cache::default();
        cache.force(Some(Engine::Reverse {
            dfa_states: usize::MAX,
        }));
        let mut pike = Cache::default();
        pike.force(Some(Engine::Pike));
        let (mut a, mut b) = (Captures::default(), Captures::default());
        let head = "literal text that is long enough to need two words ".repeat(2);
        for (tail, subject_tail, want) in [
            ("%d %s x %b!", "12   word x any : thing!", true),
            ("%d %s x %b!", "12   word x any : thing?", false),
            ("%f:%x %i %s", "1.5e3:0x1f 017 rest of it", true),
            ("%c%u %o", "q7 9", false),
        ] {
            for prefix in ["", "noise ", &head[..10]] {
                let pattern = format!("{head}{tail}");
                let subject = format!("{prefix}{head}{subject_tail}");
                let p = Pattern::compile(pattern.as_bytes()).unwrap();
                assert!(p.reverse.as_ref().is_some_and(|t| t.words > 1));
                let got = p.find(subject.as_bytes(), &mut cache, &mut a);
                assert_eq!(got, p.find(subject.as_bytes(), &mut pike, &mut b));
                assert_eq!(got, want, "{pattern:?} on {subject:?}");
                if got {
                    assert_eq!(a, b);
                }
            }
        }
    }

    /// A tiny lazy DFA clears and gives up mid-search (in the pass and in the walk's blocks);
    /// the matches and captures stay those of the Pike VM and of the bit-parallel step alone.
    #[test]
    fn dfa_clears_and_gives_up_without_changing_results() {
        use crate::pattern::{Cache, Captures, Engine, Pattern};
        let patterns = [
            "%s a %s a %s b",
            "%d %d %d %dx",
            "%b:%b:%b!",
            "%f %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx",
            "x=%x i=%i o=%o %c%u%%",
            "from %s",
            "%s %b",
        ];
        let alphabet = b"aab 1.5e3 x:-+0x7f\t!%iou=E9X8A\n";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut pike = Cache::default();
        pike.force(Some(Engine::Pike));
        let mut plain = Cache::default();
        plain.force(Some(Engine::Reverse { dfa_states: 0 }));
        // Tiny stores, then the full-size one.
        let mut tiny: Vec<Cache> = [1, 2, 3, 8, dfa::MAX_STATES]
            .map(|n| {
                let mut c = Cache::default();
                c.force(Some(Engine::Reverse { dfa_states: n }));
                c
            })
            .into();
        let mut hits = 0;
        for round in 0..300 {
            let p = Pattern::compile(patterns[round % patterns.len()].as_bytes()).unwrap();
            let len = [0, 1, 5, 127, 128, 129, 700, 3000][rand(8)];
            let mut subject: Vec<u8> = (0..len).map(|_| alphabet[rand(alphabet.len())]).collect();
            // Then an instance of the pattern (values picked at random), often spoilt by one
            // byte, so that about half the subjects match.
            let mut src = patterns[round % patterns.len()].bytes();
            while let Some(b) = src.next() {
                let values: &[&[u8]] = match (b, b == b'%').1.then(|| src.next()).flatten() {
                    None if b == b' ' => &[b" ", b"\t ", b"  "],
                    None => &[&[b]],
                    Some(b'd' | b'i' | b'u' | b'o') => &[b"17", b"-3", b"+0", b"0x1f", b"09"],
                    Some(b'f') => &[b"1.5e3", b"-.5", b"7", b"2.", b"3E-2", b"1e"],
                    Some(b'x') => &[b"0x1f", b"ff", b"7", b"0X", b"g"],
                    Some(b's' | b'b') => &[b"w", b"a b", b"1.5e3", b"x:y!", b" "],
                    Some(b'c') => &[b"c", b" ", b"%"],
                    Some(_) => &[b"%"],
                };
                subject.extend_from_slice(values[rand(values.len())]);
            }
            if rand(2) == 0 {
                let at = rand(subject.len());
                subject[at] = alphabet[rand(alphabet.len())];
            }
            let mut want = Captures::default();
            let matched = p.find(&subject, &mut pike, &mut want);
            hits += matched as usize;
            for cache in tiny.iter_mut().chain([&mut plain]) {
                let mut got = Captures::default();
                assert_eq!(p.find(&subject, cache, &mut got), matched);
                if matched {
                    assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&subject));
                }
            }
        }
        assert!((90..210).contains(&hits), "{hits} of 300 match");
        let dfa = &tiny[0].reverse.dfa;
        assert!(dfa.total_clears > 0 && dfa.total_give_ups > 0);
        let dfa = &tiny[3].reverse.dfa;
        assert!(dfa.total_clears > 0, "8 states clear too");
        // Full size: compiled patterns never fill the store (`Tables::dfa_holds_all`).
        assert_eq!(tiny[4].reverse.dfa.total_give_ups, 0);
        assert_eq!(tiny[4].reverse.dfa.total_clears, 0);
        assert_eq!(plain.reverse.dfa.total_clears, 0);
    }

    /// The exploration counts the sets a search reaches: a pattern within the store's size
    /// is under it, ten `%i` in a row (which do not compile) are over it.
    #[test]
    fn reachable_sets_against_the_store() {
        let cap = |t: &Tables| dfa::capacity(t.classes);
        let t = tables(b"%s a %s a %s b").unwrap();
        assert!(t.dfa_sets() < 64 && t.dfa_holds_all());
        let t = tables(b"%b %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx").unwrap();
        assert!(t.dfa_holds_all());
        let t = tables("%i".repeat(10).as_bytes()).unwrap();
        assert!(t.dfa_sets() > cap(&t) && !t.dfa_holds_all());
    }

    #[test]
    fn dfa_store_size() {
        // What the lazy DFA reserves in a `Cache` (reserved, not written).
        assert_eq!(dfa::BYTES, 84_480);
    }
}
