//! A lazy DFA over the reverse engine's step: the state sets `V[p]` become numbered states,
//! built on demand, and a step becomes one table lookup per byte.
//!
//! Owns: the fixed-size state store (sets, flags, transitions by byte class, a hash index) that
//! lives in the reverse engine's [`super::Cache`], and the rule that decides when it is worth using.
//! Never: allocates after [`Dfa::prepare`] (it reserves the full capacity once and then only
//! grows its vectors' lengths within it), or computes anything the bit-parallel step would not:
//! a state *is* the set, and a transition is the step's result cached. When the store is full
//! it is cleared; a search that clears it too often gives up on it (the caller steps the sets
//! itself), so the results never depend on the store's size.

/// Most states held at once (ids fit in `u16`, with 0 meaning "no state" in the tables).
pub(crate) const MAX_STATES: usize = 512;
/// Most transitions held at once: a pattern with `c` byte classes gets `MAX_TRANS / c'`
/// states, `c'` being `c` rounded up to a power of two (a row is found by a shift).
/// Entries are `u16`: `MAX_TRANS` must fit.
pub(crate) const MAX_TRANS: usize = 32768;
/// Words stored per state (the widest set of the reverse engine).
pub(crate) const STRIDE: usize = super::MAX_WORDS;
const _: () = assert!(MAX_TRANS <= u16::MAX as usize);
/// Slots of the hash index: a power of two, twice [`MAX_STATES`] so probes stay short.
const SLOTS: usize = 2 * MAX_STATES;
/// Clears one search may make before it stops using the store (the pattern's sets do not
/// repeat enough for caching to pay, and each clear throws away all the work).
const MAX_CLEARS: u32 = 3;

/// States the store holds for a pattern with `classes` byte classes (see [`MAX_TRANS`]).
pub(crate) fn capacity(classes: usize) -> usize {
    MAX_STATES.min(MAX_TRANS >> classes.next_power_of_two().trailing_zeros())
}

/// State flag: instruction 0 is viable (a match can start here).
pub(crate) const START: u8 = 1;
/// State flag: the empty set (nothing is viable here or further left).
pub(crate) const DEAD: u8 = 2;

/// The state store. Its memory is reserved (not written) up front: a page becomes resident
/// only when states or transitions reach it, so an idle daemon does not pay for the store.
#[derive(Debug)]
pub(crate) struct Dfa {
    /// Id of the tables whose states are stored (0: none).
    owner: usize,
    /// log2 of the stride of `trans`: the owner's byte classes, rounded up to a power of two.
    shift: u32,
    /// States the owner may hold: `min(limit, MAX_TRANS >> shift)`.
    cap: usize,
    /// States in use: ids `0..len` (`sets`, `flags` and `trans` have lengths to match).
    len: usize,
    /// Upper bound on states set by tests (`MAX_STATES` otherwise); 0 disables the store.
    limit: usize,
    /// Clears made by the current search; at `MAX_CLEARS` the search stops using the store.
    clears: u32,
    /// The set of state `s`: `sets[s * STRIDE..][..words]` (the rest of the stride is 0).
    sets: Vec<u64>,
    /// [`START`] / [`DEAD`] per state.
    flags: Vec<u8>,
    /// `trans[(s << shift) + c]`: 0 unknown, else `1 + (n << shift)` for the state `n` after
    /// a byte of class `c` — the row of `n` premultiplied, so that a step is an add and a load.
    /// Its length is `len << shift`.
    trans: Vec<u16>,
    /// Hash index of the sets: 0 empty, else 1 + a state id (`SLOTS` long once in use).
    slots: Vec<u16>,
    /// Totals over the store's life, for tests: clears, searches that gave up.
    pub(crate) total_clears: u64,
    pub(crate) total_give_ups: u64,
}

/// A clone reserves the full store too (a plain `Vec` clone keeps only the length), so that
/// it never allocates while matching either.
impl Clone for Dfa {
    fn clone(&self) -> Self {
        let mut d = Dfa {
            sets: self.sets.clone(),
            flags: self.flags.clone(),
            trans: self.trans.clone(),
            slots: self.slots.clone(),
            ..*self
        };
        if self.slots.capacity() > 0 {
            d.reserve();
        }
        d
    }
}

impl Default for Dfa {
    fn default() -> Self {
        Dfa {
            owner: 0,
            shift: 0,
            cap: 0,
            len: 0,
            limit: MAX_STATES,
            clears: 0,
            sets: Vec::new(),
            flags: Vec::new(),
            trans: Vec::new(),
            slots: Vec::new(),
            total_clears: 0,
            total_give_ups: 0,
        }
    }
}

/// Bytes a prepared store reserves (what it adds to the reverse engine's cache): 84 480.
#[cfg(test)]
pub(crate) const BYTES: usize = MAX_STATES * STRIDE * 8 + MAX_STATES + MAX_TRANS * 2 + SLOTS * 2;

impl Dfa {
    /// Reserves the store once, without writing it.
    pub(crate) fn prepare(&mut self) {
        if self.slots.capacity() == 0 {
            self.reserve();
        }
    }

    fn reserve(&mut self) {
        let full = |v: usize, cap: usize| cap.saturating_sub(v);
        self.sets
            .reserve_exact(full(self.sets.len(), MAX_STATES * STRIDE));
        self.flags.reserve_exact(full(self.flags.len(), MAX_STATES));
        self.trans.reserve_exact(full(self.trans.len(), MAX_TRANS));
        self.slots.reserve_exact(full(self.slots.len(), SLOTS));
    }

    /// Caps the states held (tests force tiny stores with it); 0 turns the store off.
    pub(crate) fn set_limit(&mut self, n: usize) {
        self.limit = n.min(MAX_STATES);
        self.owner = 0;
    }

    /// Starts a search for the tables `owner` with `classes` byte classes: keeps the states
    /// when they belong to the same tables, else empties the store. False: do not use it.
    pub(crate) fn begin(&mut self, owner: usize, classes: usize) -> bool {
        self.clears = 0;
        if self.limit == 0 || self.slots.capacity() < SLOTS {
            return false;
        }
        // First use: within the reserved capacity, no allocation.
        self.slots.resize(SLOTS, 0);
        if self.owner != owner {
            self.clear();
            self.owner = owner;
            self.shift = classes.next_power_of_two().trailing_zeros();
            self.cap = self.limit.min(capacity(classes));
        }
        self.cap > 0
    }

    /// Forgets every state (keeps the owner).
    fn clear(&mut self) {
        self.sets.clear();
        self.flags.clear();
        self.trans.clear();
        self.slots.fill(0);
        self.len = 0;
    }

    pub(crate) fn shift(&self) -> u32 {
        self.shift
    }

    /// The transition table, see `trans`.
    #[inline(always)]
    pub(crate) fn trans(&self) -> &[u16] {
        &self.trans
    }

    #[inline(always)]
    pub(crate) fn flags(&self, s: usize) -> u8 {
        self.flags[s]
    }

    /// The set of state `s`, `W` words.
    #[inline(always)]
    pub(crate) fn set<const W: usize>(&self, s: usize) -> [u64; W] {
        let mut v = [0; W];
        v.copy_from_slice(&self.sets[s * STRIDE..s * STRIDE + W]);
        v
    }

    /// Records that state `s` goes to `next` on class `c` (both valid ids).
    #[inline(always)]
    pub(crate) fn link(&mut self, s: usize, c: usize, next: usize) {
        self.trans[(s << self.shift) + c] = ((next << self.shift) + 1) as u16;
    }

    /// The id of `set`, adding it (with `flags`) when new. `None`: the search gave up on the
    /// store (it is full and was cleared too often); every id handed out before a clear is
    /// invalid after it, which `cleared` reports.
    pub(crate) fn state<const W: usize>(
        &mut self,
        set: &[u64; W],
        flags: u8,
        cleared: &mut bool,
    ) -> Option<usize> {
        let mut i = hash(set);
        loop {
            match self.slots[i] {
                0 => break,
                id if self.set::<W>(id as usize - 1) == *set => return Some(id as usize - 1),
                _ => i = (i + 1) % SLOTS,
            }
        }
        if self.len == self.cap {
            if self.clears == MAX_CLEARS {
                self.total_give_ups += 1;
                return None;
            }
            self.clears += 1;
            self.total_clears += 1;
            self.clear();
            *cleared = true;
            i = hash(set);
        }
        let id = self.len;
        self.len += 1;
        // Within capacity: `len <= cap <= MAX_STATES` and `len << shift <= MAX_TRANS`.
        self.sets.extend_from_slice(set);
        self.sets.resize(self.len * STRIDE, 0);
        self.flags.push(flags);
        self.trans.resize(self.len << self.shift, 0);
        self.slots[i] = id as u16 + 1;
        Some(id)
    }
}

/// Slot of a set in the index (multiplicative hashing of its words).
fn hash<const W: usize>(set: &[u64; W]) -> usize {
    let mut h = 0u64;
    for &w in set {
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}
