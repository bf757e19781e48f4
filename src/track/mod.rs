//! Counting (SPEC §6): events per key in a sliding window, with bounded state.
//!
//! Owns: per-rule key tables, windows, firing, eviction, and the `ignoreip` test on values.
//! Never: allocates per event (storage is sized at construction), grows past `max_keys`,
//! panics on any key bytes or any timestamp.
//!
//! # Layout
//!
//! A [`KeyTracker`] is a fixed table of `max_keys` slots, stored as parallel arrays:
//!
//! - an open-addressing index (linear probing, load factor ≤ 1/2, backward-shift deletion, so no
//!   tombstones) of `u32` slot numbers, addressed by a keyed SipHash of the whole key;
//! - per slot: the key's full length, its 64-bit keyed hash, its first [`KEY_PREFIX`] bytes;
//! - per slot: up to `maxfail - 1` event timestamps (an event that would make the `maxfail`-th
//!   fires and clears the key instead of being stored), or only a counter when there is no window;
//! - per slot: links of a doubly-linked recency list, most recent event first, so the key to
//!   evict (the one whose newest event is oldest) is the list's tail: O(1).
//!
//! A firing clears the key's history by removing the key: its slot goes back to a free list, so
//! `keys()` counts keys with events pending. A reload may keep a table whose [`KeyTracker::limits`]
//! are unchanged.
//!
//! Memory is `max_keys × (KEY_PREFIX + 32 + 8 × (maxfail − 1))` bytes plus the index
//! (`8 × max_keys` rounded up to a power of two), all allocated in [`KeyTracker::new`]
//! ([`KeyTracker::memory_for`] computes it beforehand); nothing for a rule with `maxfail` 1.
//! For the defaults (1024 keys, maxfail 5) that is 135 168 bytes.
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

use crate::ipnet::IpNet;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;

/// Bytes of a key stored verbatim; longer keys are told apart by their length and keyed hash.
pub const KEY_PREFIX: usize = 64;

/// Most keys one table holds (2^24): slot numbers, index and prefix bytes fit 32-bit `usize`.
pub const MAX_KEYS: usize = 1 << 24;

/// Marks an empty index cell and the end of the recency list.
const NIL: u32 = u32::MAX;

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
    /// Open-addressing index: slot numbers or `NIL`. Length is a power of two ≥ 2 × max_keys.
    index: Vec<u32>,
    /// Per slot: full key length, keyed hash, first `KEY_PREFIX` bytes.
    lens: Vec<u32>,
    hashes: Vec<u64>,
    prefixes: Vec<u8>,
    /// Per slot: events stored (with a window) or counted (without one).
    counts: Vec<u32>,
    /// Per slot: `stride` timestamps, the first `counts[slot]` valid, in arrival order.
    times: Vec<i64>,
    stride: usize,
    /// Recency list over used slots: `head` = latest event, `tail` = the one to evict.
    prev: Vec<u32>,
    next: Vec<u32>,
    head: u32,
    tail: u32,
    /// Slots never used yet are `used..max_keys`; slots freed by a firing are on `free`.
    used: u32,
    free: Vec<u32>,
    live: u32,
    evicted: u64,
}

impl KeyTracker {
    /// `window`: `time` in seconds (`None`: no window). Events exactly `window` seconds old
    /// are outside the window. `max_keys` and `maxfail` of 0 are taken as 1; `max_keys` is
    /// capped at [`MAX_KEYS`] so that slot numbers and sizes fit `u32`/`usize` on 32-bit targets.
    /// A rule with `maxfail` 1 fires on every event and allocates no table at all.
    ///
    /// Panics only when the table cannot be sized on this target: validate configurations with
    /// [`KeyTracker::memory_for`] first.
    pub fn new(max_keys: usize, maxfail: u32, window: Option<u32>) -> KeyTracker {
        let (n, maxfail, stride) = Self::shape(max_keys, maxfail, window);
        let slots = if maxfail == 1 { 0 } else { n };
        let index_len = if slots == 0 {
            0
        } else {
            (2 * slots).next_power_of_two()
        };
        let times = slots
            .checked_mul(stride)
            .expect("KeyTracker too large: check KeyTracker::memory_for");
        KeyTracker {
            max_keys: n as u32,
            maxfail,
            window,
            hasher: RandomState::new(),
            index: vec![NIL; index_len],
            lens: vec![0; slots],
            hashes: vec![0; slots],
            prefixes: vec![0; slots * KEY_PREFIX],
            counts: vec![0; slots],
            times: vec![0; times],
            stride,
            prev: vec![NIL; slots],
            next: vec![NIL; slots],
            head: NIL,
            tail: NIL,
            used: 0,
            free: Vec::with_capacity(slots),
            live: 0,
            evicted: 0,
        }
    }

    /// Bytes [`KeyTracker::new`] would allocate for these limits, or None when that does not
    /// fit this target's `usize`. For config validation: refuse what the router cannot hold.
    pub fn memory_for(max_keys: usize, maxfail: u32, window: Option<u32>) -> Option<usize> {
        let (n, maxfail, stride) = Self::shape(max_keys, maxfail, window);
        if maxfail == 1 {
            return Some(0);
        }
        // Per slot: prefix, len u32, hash u64, count u32, prev/next/free u32, stride i64;
        // plus the index of u32 cells.
        let per_slot = stride
            .checked_mul(8)?
            .checked_add(KEY_PREFIX + 4 + 8 + 4 + 12)?;
        let index = (2 * n).checked_next_power_of_two()?.checked_mul(4)?;
        n.checked_mul(per_slot)?.checked_add(index)
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

    /// Records an event for `key` at `now` (epoch seconds).
    pub fn event(&mut self, key: &[u8], now: i64) -> Outcome {
        if self.maxfail == 1 {
            // Fires on every event and clears at once: nothing to remember.
            return Outcome {
                count: 1,
                fired: true,
            };
        }
        let hash = self.hasher.hash_one(key);
        let slot = match self.find(key, hash) {
            Some((slot, _)) => {
                self.unlink(slot);
                slot
            }
            None => self.insert(key, hash),
        };
        self.push_front(slot);
        let count = self.prune(slot, now) + 1;
        if count >= self.maxfail {
            self.remove(slot);
            return Outcome { count, fired: true };
        }
        let s = slot as usize;
        if self.stride > 0 {
            self.times[s * self.stride + self.counts[s] as usize] = now;
        }
        self.counts[s] = count;
        Outcome {
            count,
            fired: false,
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

    /// Bytes of heap storage this table holds (all allocated by [`KeyTracker::new`]).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.index.capacity() * size_of::<u32>()
            + self.lens.capacity() * size_of::<u32>()
            + self.hashes.capacity() * size_of::<u64>()
            + self.prefixes.capacity()
            + self.counts.capacity() * size_of::<u32>()
            + self.times.capacity() * size_of::<i64>()
            + (self.prev.capacity() + self.next.capacity() + self.free.capacity())
                * size_of::<u32>()
    }

    /// The limits this table was built with: `(max_keys, maxfail, window)`, after clamping.
    /// A reload may keep the table only when these are unchanged.
    pub fn limits(&self) -> (usize, u32, Option<u32>) {
        (self.max_keys as usize, self.maxfail, self.window)
    }

    /// Drops the expired timestamps of `slot` (keeping arrival order) and returns how many
    /// events are left in the window. Scans the whole slot, so it stays exact when time went
    /// backwards and the stored timestamps are not sorted.
    fn prune(&mut self, slot: u32, now: i64) -> u32 {
        let s = slot as usize;
        let Some(window) = self.window else {
            return self.counts[s];
        };
        let times = &mut self.times[s * self.stride..(s + 1) * self.stride];
        let mut kept = 0;
        for i in 0..self.counts[s] as usize {
            let t = times[i];
            // saturating: no overflow for any pair of i64 timestamps.
            if now.saturating_sub(t) < i64::from(window) {
                times[kept] = t;
                kept += 1;
            }
        }
        self.counts[s] = kept as u32;
        kept as u32
    }

    /// The slot holding `key` and its index cell.
    fn find(&self, key: &[u8], hash: u64) -> Option<(u32, usize)> {
        let mask = self.index.len() - 1;
        let mut pos = hash as usize & mask;
        loop {
            let slot = self.index[pos];
            if slot == NIL {
                return None;
            }
            if self.same_key(slot as usize, key, hash) {
                return Some((slot, pos));
            }
            pos = (pos + 1) & mask;
        }
    }

    fn same_key(&self, s: usize, key: &[u8], hash: u64) -> bool {
        let n = key.len().min(KEY_PREFIX);
        self.hashes[s] == hash
            && self.lens[s] as usize == key.len()
            && self.prefixes[s * KEY_PREFIX..s * KEY_PREFIX + n] == key[..n]
    }

    /// Takes a slot for a new key (evicting the least recent key when full) and indexes it.
    fn insert(&mut self, key: &[u8], hash: u64) -> u32 {
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else if self.used < self.max_keys {
            self.used += 1;
            self.used - 1
        } else {
            let victim = self.tail;
            self.remove(victim);
            self.evicted += 1;
            // `remove` pushed the victim on `free`.
            self.free.pop().unwrap_or(victim)
        };
        let s = slot as usize;
        let n = key.len().min(KEY_PREFIX);
        self.prefixes[s * KEY_PREFIX..s * KEY_PREFIX + n].copy_from_slice(&key[..n]);
        // Keys longer than 4 GiB cannot arrive (datagrams are bounded); saturate anyway.
        self.lens[s] = u32::try_from(key.len()).unwrap_or(u32::MAX);
        self.hashes[s] = hash;
        self.counts[s] = 0;
        let mask = self.index.len() - 1;
        let mut pos = hash as usize & mask;
        while self.index[pos] != NIL {
            pos = (pos + 1) & mask;
        }
        self.index[pos] = slot;
        self.live += 1;
        slot
    }

    /// Forgets the key in `slot`: out of the index and the recency list, onto `free`.
    fn remove(&mut self, slot: u32) {
        let mask = self.index.len() - 1;
        let mut hole = self.hashes[slot as usize] as usize & mask;
        while self.index[hole] != slot {
            hole = (hole + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole unless
        // their home cell lies cyclically after the hole.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let other = self.index[j];
            if other == NIL {
                break;
            }
            let home = self.hashes[other as usize] as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.index[hole] = other;
                hole = j;
            }
        }
        self.index[hole] = NIL;
        self.unlink(slot);
        self.counts[slot as usize] = 0;
        self.free.push(slot);
        self.live -= 1;
    }

    fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        let (p, n) = (self.prev[s], self.next[s]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p as usize] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n as usize] = p;
        }
        self.prev[s] = NIL;
        self.next[s] = NIL;
    }

    fn push_front(&mut self, slot: u32) {
        let s = slot as usize;
        self.prev[s] = NIL;
        self.next[s] = self.head;
        if self.head == NIL {
            self.tail = slot;
        } else {
            self.prev[self.head as usize] = slot;
        }
        self.head = slot;
    }
}

/// True when `value` is an IP address (optionally `ADDR:port`, `[V6]`, `[V6]:port`, or dropbear's
/// unbracketed `V6:port`) inside one of `nets`. An IPv6 zone (`fe80::1%br-lan`) is ignored.
/// IPv4-mapped IPv6 addresses are compared as IPv4 (see [`IpNet::contains`]).
///
/// Dropbear's `V6:port` is ambiguous (`2001:db8::1:2222` is also a valid address): both readings
/// are tried, and the value is ignored when either is inside `nets`. Both readings lie in the same
/// /64 as the real peer, so an attacker gains nothing over the admin's own network choice.
pub fn is_ignored(value: &[u8], nets: &[IpNet]) -> bool {
    if nets.is_empty() {
        return false;
    }
    let (whole, stripped) = addr_readings(value);
    let inside = |ip: Option<IpAddr>| ip.is_some_and(|ip| IpNet::any_contains(nets, &ip));
    inside(whole) || inside(stripped)
}

/// The address in a captured value, in any of the forms [`is_ignored`] accepts (the whole value
/// read as an address first, then without a trailing `:port`). No allocation.
pub fn parse_addr(value: &[u8]) -> Option<IpAddr> {
    let (whole, stripped) = addr_readings(value);
    whole.or(stripped)
}

/// The value read as an address as it stands, and read as `ADDR:port` (or `[V6]`, `[V6]:port`).
fn addr_readings(value: &[u8]) -> (Option<IpAddr>, Option<IpAddr>) {
    if let Some(rest) = value.strip_prefix(b"[") {
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return (None, None);
        };
        let after = &rest[close + 1..];
        let port_ok = after.is_empty() || after.strip_prefix(b":").is_some_and(is_port);
        let v6 = parse_plain(&rest[..close]).filter(IpAddr::is_ipv6);
        return (None, v6.filter(|_| port_ok));
    }
    let whole = parse_plain(value);
    let stripped = match value.iter().rposition(|&b| b == b':') {
        Some(colon) if is_port(&value[colon + 1..]) => parse_plain(&value[..colon]),
        _ => None,
    };
    (whole, stripped)
}

fn is_port(b: &[u8]) -> bool {
    (1..=5).contains(&b.len()) && b.iter().all(u8::is_ascii_digit)
}

/// A bare IPv4 or IPv6 address, an IPv6 zone suffix dropped.
fn parse_plain(b: &[u8]) -> Option<IpAddr> {
    let b = match b.iter().position(|&c| c == b'%') {
        Some(p) if b.contains(&b':') => &b[..p],
        _ => b,
    };
    std::str::from_utf8(b).ok()?.parse().ok()
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

    #[test]
    fn addr_forms() {
        let v = |s: &str| parse_addr(s.as_bytes()).map(|a| a.to_string());
        assert_eq!(v("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(v("1.2.3.4:22").as_deref(), Some("1.2.3.4"));
        assert_eq!(v("[::1]:22").as_deref(), Some("::1"));
        assert_eq!(v("[::1]").as_deref(), Some("::1"));
        assert_eq!(v("2001:db8::1:51234").as_deref(), Some("2001:db8::1"));
        assert_eq!(v("2001:db8::1:2222").as_deref(), Some("2001:db8::1:2222"));
        assert_eq!(v("2001:db8::1:5123x"), None);
        assert_eq!(v("fe80::1%br-lan:22").as_deref(), Some("fe80::1"));
        assert_eq!(v("[1.2.3.4]:22"), None);
        assert_eq!(v("1.2.3.4:"), None);
        assert_eq!(v("1.2.3.4:123456"), None);
        assert_eq!(v("9.9.9.9 IP:1.2.3.4"), None);
        assert_eq!(v(""), None);
        assert_eq!(v("["), None);
    }
}
