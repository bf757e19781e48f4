//! Counting (SPEC §6): events per key in a sliding window, with bounded state.
//!
//! Owns: per-rule key tables, windows, firing and eviction.
//! Never: allocates per event (the table is one block, allocated once on the rule's first event),
//! grows past `max_keys`, panics on any key bytes or any timestamp.
//!
//! # Layout
//!
//! A [`KeyTracker`] is a fixed table of `max_keys` slots in one zeroed block of `u64` words
//! (all-zero is the empty table, so the block comes from `alloc_zeroed` and the pages no key has
//! touched yet stay non-resident):
//!
//! - an open-addressing index (linear probing, load factor ≤ 1/2, backward-shift deletion, so no
//!   tombstones) of `u32` cells, two per word, holding slot number + 1 (0: empty), addressed by a
//!   keyed SipHash of the whole key;
//! - then one record per slot: its 64-bit keyed hash; its full key length and its count (events
//!   stored with a window, or counted without one); its `prev`/`next` links (slot + 1, 0: none)
//!   in a doubly-linked recency list, most recent event first, so the key to evict (the one whose
//!   newest event is oldest) is the list's tail: O(1); its first [`KEY_PREFIX`] bytes; and up to
//!   `maxfail - 1` event timestamps (an event that would make the `maxfail`-th fires and clears
//!   the key instead of being stored), none without a window.
//!
//! A firing clears the key's history by removing the key: its slot goes on a free list threaded
//! through the `next` links, so `keys()` counts keys with events pending. A reload may keep a
//! table whose [`KeyTracker::limits`] are unchanged.
//!
//! Memory is `max_keys × (KEY_PREFIX + 24 + 8 × timestamps)` bytes plus the index
//! (`8 × max_keys` rounded up to a power of two) — 120 B per slot with a window and the default
//! maxfail 5 —, allocated on the first event, not in [`KeyTracker::new`]: a rule that never
//! matches costs no table ([`KeyTracker::memory_for`] computes the size beforehand). Nothing for
//! a rule with `maxfail` 1. For the defaults (1024 keys, maxfail 5) that is 131 072 bytes.
//!
//! # Long keys
//!
//! Keys are attacker-controlled bytes of any length. Two keys are the same when their lengths,
//! their first [`KEY_PREFIX`] bytes and their keyed 64-bit SipHash are all equal. Keys up to
//! `KEY_PREFIX` bytes are therefore compared exactly; longer keys could only be confused by a
//! 64-bit hash collision under a per-table random key, which an attacker can neither compute nor
//! observe. (A confusion would at worst merge the counts of two distinct long keys; real keys are
//! addresses, far shorter than the prefix.)
//!
//! # Time
//!
//! An event at `t` is inside the window at `now` when `now - t < window`: an event exactly
//! `window` seconds old is outside. Time may go backwards (clock adjusted, `logtrigger test`
//! replaying lines out of order): an event stamped later than `now` counts as inside the window
//! (it is not older than `window`), nothing panics, and the recency order used for eviction is the
//! order events arrived in, not their timestamps.

pub mod conntrack;

use std::hash::{BuildHasher, RandomState};

/// Address reading lives with the networks it is compared to; re-exported for callers of `track`.
pub use crate::ipnet::{is_ignored, parse_addr};

/// Bytes of a key stored verbatim; longer keys are told apart by their length and keyed hash.
pub const KEY_PREFIX: usize = 64;

/// Most keys one table holds (2^24): slot numbers, index and prefix bytes fit 32-bit `usize`.
pub const MAX_KEYS: usize = 1 << 24;

/// Marks an empty index cell, a missing link and an empty free list (slots are stored + 1).
const NONE: u32 = 0;

/// Words of a slot record before its timestamps: hash, len|count, prev|next, prefix.
const HEAD_WORDS: usize = 3 + KEY_PREFIX / 8;

/// What one event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Events for this key inside the window, this one included.
    pub count: u32,
    /// True when `count` reached `maxfail`; the key's history is then cleared.
    pub fired: bool,
}

/// The key table of one rule.
#[derive(Clone, Debug)]
pub struct KeyTracker {
    max_keys: u32,
    maxfail: u32,
    window: Option<u32>,
    hasher: RandomState,
    /// Empty until the first event (and forever with `maxfail` 1); then `index_words` words of
    /// index cells followed by `max_keys` records of `slot_words` words. All zero is empty.
    table: Vec<u64>,
    /// Index cells / 2; the cell count is a power of two ≥ 2 × max_keys.
    index_words: usize,
    /// Timestamps per record (`maxfail - 1` with a window, 0 without).
    stride: usize,
    /// Recency list over used slots (slot + 1): `head` = latest event, `tail` = the one to evict.
    head: u32,
    tail: u32,
    /// Slots never used yet are `used..max_keys`; slots freed by a firing are chained from
    /// `free` (slot + 1) through their `next` links.
    used: u32,
    free: u32,
    live: u32,
    evicted: u64,
    /// The slot (+ 1) of a key that fired and keeps its history until `clear_fired`.
    held: u32,
}

impl KeyTracker {
    /// `window`: `time` in seconds (`None`: no window). Events exactly `window` seconds old
    /// are outside the window. `max_keys` and `maxfail` of 0 are taken as 1; `max_keys` is
    /// capped at [`MAX_KEYS`] so that slot numbers and sizes fit `u32`/`usize` on 32-bit targets.
    /// Allocates nothing: the table is allocated on the first event, and never for a rule with
    /// `maxfail` 1.
    ///
    /// Panics only when the table cannot be sized on this target: validate configurations with
    /// [`KeyTracker::memory_for`] first.
    pub fn new(max_keys: usize, maxfail: u32, window: Option<u32>) -> KeyTracker {
        let (n, maxfail, stride) = Self::shape(max_keys, maxfail, window);
        Self::memory_for(n, maxfail, window)
            .expect("KeyTracker too large: check KeyTracker::memory_for");
        KeyTracker {
            max_keys: n as u32,
            maxfail,
            window,
            hasher: RandomState::new(),
            table: Vec::new(),
            index_words: (2 * n).next_power_of_two() / 2,
            stride,
            head: NONE,
            tail: NONE,
            used: 0,
            free: NONE,
            live: 0,
            evicted: 0,
            held: NONE,
        }
    }

    /// Bytes the table of these limits holds once allocated (on its first event), or None when
    /// that does not fit this target's `usize`. For config validation: refuse what the router
    /// cannot hold.
    pub fn memory_for(max_keys: usize, maxfail: u32, window: Option<u32>) -> Option<usize> {
        let (n, maxfail, stride) = Self::shape(max_keys, maxfail, window);
        if maxfail == 1 {
            return Some(0);
        }
        let slot_bytes = HEAD_WORDS.checked_add(stride)?.checked_mul(8)?;
        let index = (2 * n).checked_next_power_of_two()?.checked_mul(4)?;
        n.checked_mul(slot_bytes)?.checked_add(index)
    }

    /// Clamped `(max_keys, maxfail, timestamps stored per key)`.
    fn shape(max_keys: usize, maxfail: u32, window: Option<u32>) -> (usize, u32, usize) {
        let n = max_keys.clamp(1, MAX_KEYS);
        let maxfail = maxfail.max(1);
        // The maxfail-th event fires instead of being stored; without a window only a count.
        let stride = if window.is_some() {
            maxfail as usize - 1
        } else {
            0
        };
        (n, maxfail, stride)
    }

    /// Records an event for `key` at `now` (epoch seconds). The first event of a table with
    /// `maxfail` > 1 allocates it (zeroed); no other event allocates. A firing clears the key.
    pub fn event(&mut self, key: &[u8], now: i64) -> Outcome {
        let outcome = self.event_held(key, now);
        if outcome.fired {
            self.clear_fired();
        }
        outcome
    }

    /// [`KeyTracker::event`], except that a firing key keeps its history until
    /// [`KeyTracker::clear_fired`] (before the next event): the caller clears it once the firing
    /// was taken, and leaves it when the firing could not be queued, so that the key's next
    /// event fires again (SPEC §6). The firing event itself is never stored.
    pub fn event_held(&mut self, key: &[u8], now: i64) -> Outcome {
        self.held = NONE;
        if self.maxfail == 1 {
            // Fires on every event and clears at once: nothing to remember.
            return Outcome {
                count: 1,
                fired: true,
            };
        }
        if self.table.is_empty() {
            // The index, then `max_keys` slots: `memory_for` bytes, checked in `new`.
            // vec![0; n] allocates zeroed: untouched pages are never made resident.
            self.table = vec![0; self.base(self.max_keys)];
        }
        let hash = self.hasher.hash_one(key);
        // Most events repeat the latest key (an attacker's attempts come in a run): it is
        // already the head, and moving it would touch its neighbours' records for nothing.
        let slot = match self.find(key, hash) {
            Some(slot) if self.head == slot + 1 => slot,
            Some(slot) => {
                self.unlink(slot);
                self.push_front(slot);
                slot
            }
            None => {
                let slot = self.insert(key, hash);
                self.push_front(slot);
                slot
            }
        };
        let count = self.prune(slot, now) + 1;
        if count >= self.maxfail {
            self.held = slot + 1;
            return Outcome { count, fired: true };
        }
        if self.stride > 0 {
            let at = self.times_at(slot) + self.count(slot) as usize;
            self.table[at] = now as u64;
        }
        self.set_count(slot, count);
        Outcome {
            count,
            fired: false,
        }
    }

    /// Forgets the key of the firing [`KeyTracker::event_held`] just reported, if any.
    pub fn clear_fired(&mut self) {
        if self.held != NONE {
            self.remove(self.held - 1);
            self.held = NONE;
        }
    }

    /// Forgets `key` and its history (a firing held with [`KeyTracker::event_held`] and
    /// taken later). False when the key is not tracked.
    pub fn forget(&mut self, key: &[u8]) -> bool {
        if self.table.is_empty() {
            return false;
        }
        let hash = self.hasher.hash_one(key);
        match self.find(key, hash) {
            Some(slot) => {
                self.remove(slot);
                true
            }
            None => false,
        }
    }

    /// Keys currently tracked.
    pub fn keys(&self) -> usize {
        self.live as usize
    }

    /// Keys evicted because the table was full, since construction.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// True once the table is allocated (after the first event of a rule with `maxfail` > 1).
    pub fn allocated(&self) -> bool {
        !self.table.is_empty()
    }

    /// Bytes of heap storage this table holds: 0 before its first event, then
    /// [`KeyTracker::memory_for`] of its limits.
    pub fn memory_bytes(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<u64>()
    }

    /// The limits this table was built with: `(max_keys, maxfail, window)`, after clamping.
    /// A reload may keep the table only when these are unchanged.
    pub fn limits(&self) -> (usize, u32, Option<u32>) {
        (self.max_keys as usize, self.maxfail, self.window)
    }

    // Record accessors. `slot` is 0-based; links and cells hold slot + 1.

    fn base(&self, slot: u32) -> usize {
        self.index_words + slot as usize * (HEAD_WORDS + self.stride)
    }

    fn times_at(&self, slot: u32) -> usize {
        self.base(slot) + HEAD_WORDS
    }

    fn hash(&self, slot: u32) -> u64 {
        self.table[self.base(slot)]
    }

    fn len(&self, slot: u32) -> u32 {
        self.table[self.base(slot) + 1] as u32
    }

    fn count(&self, slot: u32) -> u32 {
        (self.table[self.base(slot) + 1] >> 32) as u32
    }

    fn set_count(&mut self, slot: u32, count: u32) {
        let at = self.base(slot) + 1;
        let w = &mut self.table[at];
        *w = (*w & 0xffff_ffff) | (u64::from(count) << 32);
    }

    /// `prev` (false) or `next` (true) link of `slot`.
    fn link(&self, slot: u32, next: bool) -> u32 {
        (self.table[self.base(slot) + 2] >> (32 * next as u32)) as u32
    }

    fn set_link(&mut self, slot: u32, next: bool, to: u32) {
        let shift = 32 * next as u32;
        let at = self.base(slot) + 2;
        let w = &mut self.table[at];
        *w = (*w & !(0xffff_ffff << shift)) | (u64::from(to) << shift);
    }

    fn cell(&self, pos: usize) -> u32 {
        (self.table[pos / 2] >> (32 * (pos % 2))) as u32
    }

    fn set_cell(&mut self, pos: usize, v: u32) {
        let shift = 32 * (pos % 2);
        let w = &mut self.table[pos / 2];
        *w = (*w & !(0xffff_ffff << shift)) | (u64::from(v) << shift);
    }

    fn cell_mask(&self) -> usize {
        2 * self.index_words - 1
    }

    /// Drops the expired timestamps of `slot` (keeping arrival order) and returns how many
    /// events are left in the window. Scans the whole slot, so it stays exact when time went
    /// backwards and the stored timestamps are not sorted.
    fn prune(&mut self, slot: u32, now: i64) -> u32 {
        let n = self.count(slot) as usize;
        let Some(window) = self.window else {
            return n as u32;
        };
        let at = self.times_at(slot);
        let times = &mut self.table[at..at + self.stride];
        let mut kept = 0;
        for i in 0..n {
            let t = times[i] as i64;
            // saturating: no overflow for any pair of i64 timestamps.
            if now.saturating_sub(t) < i64::from(window) {
                times[kept] = t as u64;
                kept += 1;
            }
        }
        self.set_count(slot, kept as u32);
        kept as u32
    }

    /// The slot holding `key`.
    fn find(&self, key: &[u8], hash: u64) -> Option<u32> {
        let mask = self.cell_mask();
        let mut pos = hash as usize & mask;
        loop {
            let cell = self.cell(pos);
            if cell == NONE {
                return None;
            }
            if self.same_key(cell - 1, key, hash) {
                return Some(cell - 1);
            }
            pos = (pos + 1) & mask;
        }
    }

    fn same_key(&self, slot: u32, key: &[u8], hash: u64) -> bool {
        if self.hash(slot) != hash || self.len(slot) != saturated_len(key) {
            return false;
        }
        // Stored prefixes are zero-padded to whole words, as `prefix_word` pads the key.
        let key = &key[..key.len().min(KEY_PREFIX)];
        let at = self.base(slot) + 3;
        (0..key.len().div_ceil(8)).all(|i| self.table[at + i] == prefix_word(key, i))
    }

    /// Takes a slot for a new key (evicting the least recent key when full) and indexes it.
    fn insert(&mut self, key: &[u8], hash: u64) -> u32 {
        let slot = if self.free != NONE {
            let slot = self.free - 1;
            self.free = self.link(slot, true);
            slot
        } else if self.used < self.max_keys {
            self.used += 1;
            self.used - 1
        } else {
            let victim = self.tail - 1;
            self.remove(victim);
            self.evicted += 1;
            // `remove` put the victim on the free list.
            self.free = self.link(victim, true);
            victim
        };
        let at = self.base(slot);
        let prefix = &key[..key.len().min(KEY_PREFIX)];
        for i in 0..KEY_PREFIX / 8 {
            self.table[at + 3 + i] = prefix_word(prefix, i);
        }
        // Keys longer than 4 GiB cannot arrive (datagrams are bounded); saturate anyway.
        self.table[at] = hash;
        self.table[at + 1] = u64::from(saturated_len(key));
        self.table[at + 2] = 0;
        let mask = self.cell_mask();
        let mut pos = hash as usize & mask;
        while self.cell(pos) != NONE {
            pos = (pos + 1) & mask;
        }
        self.set_cell(pos, slot + 1);
        self.live += 1;
        slot
    }

    /// Forgets the key in `slot`: out of the index and the recency list, onto the free list.
    fn remove(&mut self, slot: u32) {
        let mask = self.cell_mask();
        let mut hole = self.hash(slot) as usize & mask;
        while self.cell(hole) != slot + 1 {
            hole = (hole + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole unless
        // their home cell lies cyclically after the hole.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let other = self.cell(j);
            if other == NONE {
                break;
            }
            let home = self.hash(other - 1) as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.set_cell(hole, other);
                hole = j;
            }
        }
        self.set_cell(hole, NONE);
        self.unlink(slot);
        self.set_count(slot, 0);
        self.set_link(slot, true, self.free);
        self.free = slot + 1;
        self.live -= 1;
    }

    fn unlink(&mut self, slot: u32) {
        let (p, n) = (self.link(slot, false), self.link(slot, true));
        if p == NONE {
            self.head = n;
        } else {
            self.set_link(p - 1, true, n);
        }
        if n == NONE {
            self.tail = p;
        } else {
            self.set_link(n - 1, false, p);
        }
        self.set_link(slot, false, NONE);
        self.set_link(slot, true, NONE);
    }

    fn push_front(&mut self, slot: u32) {
        self.set_link(slot, false, NONE);
        self.set_link(slot, true, self.head);
        if self.head == NONE {
            self.tail = slot + 1;
        } else {
            self.set_link(self.head - 1, false, slot + 1);
        }
        self.head = slot + 1;
    }
}

/// Word `i` of a key prefix (at most [`KEY_PREFIX`] bytes), little-endian, zero-padded.
/// Byte by byte for a short tail: a variable-length copy is a `memcpy` call, which is costly
/// for a few bytes in some C libraries (musl's x86_64 one starts a `rep movsq`).
fn prefix_word(prefix: &[u8], i: usize) -> u64 {
    let chunk = prefix.get(i * 8..).unwrap_or_default();
    match chunk.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => chunk.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b)),
    }
}

fn saturated_len(key: &[u8]) -> u32 {
    u32::try_from(key.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_at_maxfail_and_clears() {
        let mut t = KeyTracker::new(8, 3, Some(60));
        assert_eq!(
            t.event(b"a", 0),
            Outcome {
                count: 1,
                fired: false
            }
        );
        assert_eq!(
            t.event(b"a", 1),
            Outcome {
                count: 2,
                fired: false
            }
        );
        assert_eq!(
            t.event(b"a", 2),
            Outcome {
                count: 3,
                fired: true
            }
        );
        assert_eq!(t.keys(), 0);
        assert_eq!(t.event(b"a", 3).count, 1);
    }

    #[test]
    fn a_held_firing_keeps_the_history_until_cleared() {
        let mut t = KeyTracker::new(8, 3, Some(60));
        t.event_held(b"a", 0);
        t.event_held(b"a", 1);
        // Not cleared (the firing could not be queued): the next event fires again.
        assert!(t.event_held(b"a", 2).fired);
        assert_eq!(t.keys(), 1);
        assert_eq!(
            t.event_held(b"a", 3),
            Outcome {
                count: 3,
                fired: true
            }
        );
        t.clear_fired();
        assert_eq!(t.keys(), 0);
        assert_eq!(t.event_held(b"a", 4).count, 1);
        // Another key's event in between forgets nothing: clear_fired applies to the last firing.
        t.event_held(b"a", 5);
        assert!(t.event_held(b"a", 6).fired);
        t.event_held(b"b", 7);
        t.clear_fired();
        assert_eq!(t.keys(), 2);
        // Taken later: forgotten by key.
        assert!(t.forget(b"a"));
        assert!(!t.forget(b"a"));
        assert_eq!(t.event_held(b"a", 8).count, 1);
    }

    #[test]
    fn window_boundary_is_exclusive() {
        let mut t = KeyTracker::new(8, 2, Some(10));
        t.event(b"k", 100);
        // 10 s old: outside.
        assert_eq!(
            t.event(b"k", 110),
            Outcome {
                count: 1,
                fired: false
            }
        );
        // 9 s old: inside.
        assert_eq!(
            t.event(b"k", 119),
            Outcome {
                count: 2,
                fired: true
            }
        );
    }

    #[test]
    fn a_repeated_latest_key_stays_most_recent() {
        let mut t = KeyTracker::new(2, 9, Some(60));
        t.event(b"a", 0);
        t.event(b"b", 1);
        t.event(b"b", 2); // b is already the latest: the list is left as it is
        t.event(b"a", 3);
        t.event(b"a", 4);
        t.event(b"c", 5); // full: evicts b, whose newest event is the oldest
        assert_eq!(t.evicted(), 1);
        assert_eq!(t.event(b"a", 6).count, 4, "a kept its history");
        assert_eq!(t.event(b"b", 7).count, 1, "b was evicted");
        assert_eq!(t.event(b"a", 8).count, 5, "c was evicted, not a");
    }

    #[test]
    fn index_survives_many_removals() {
        // Small table, many keys: exercises backward-shift deletion and eviction together.
        let mut t = KeyTracker::new(4, 2, None);
        for i in 0..1000u32 {
            let k = (i % 7).to_be_bytes();
            let o = t.event(&k, i64::from(i));
            assert!(o.count <= 2);
            assert!(t.keys() <= 4);
        }
        for k in 0..7u32 {
            // Whatever was evicted, each key now is found or inserted without looping forever.
            t.event(&k.to_be_bytes(), 0);
        }
    }
}
