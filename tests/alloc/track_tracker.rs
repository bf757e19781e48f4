//! KeyTracker and is_ignored (SPEC §6): windows, firing, eviction, bounded memory, no allocation
//! per event (a counting global allocator, per thread so parallel tests do not disturb it).

use logtrigger::ipnet::IpNet;
use logtrigger::track::{KeyTracker, Outcome, is_ignored};
use proptest::prelude::*;

use crate::counting::counting;

fn out(count: u32, fired: bool) -> Outcome {
    Outcome { count, fired }
}

#[test]
fn event_exactly_time_seconds_old_is_outside_the_window() {
    let mut t = KeyTracker::new(16, 3, Some(600));
    assert_eq!(t.event(b"1.2.3.4", 1000), out(1, false));
    assert_eq!(t.event(b"1.2.3.4", 1300), out(2, false));
    // 1000 is exactly 600 s old at 1600: outside; 1300 is inside.
    assert_eq!(t.event(b"1.2.3.4", 1600), out(2, false));
    // 1599 s: 1300 and 1600 inside -> third event fires.
    assert_eq!(t.event(b"1.2.3.4", 1899), out(3, true));
}

#[test]
fn one_second_before_the_boundary_is_inside() {
    let mut t = KeyTracker::new(16, 2, Some(600));
    t.event(b"k", 0);
    assert_eq!(t.event(b"k", 599), out(2, true));
}

#[test]
fn firing_clears_the_history_of_that_key_only() {
    let mut t = KeyTracker::new(16, 2, Some(60));
    t.event(b"a", 0);
    t.event(b"b", 0);
    assert_eq!(t.event(b"a", 1), out(2, true));
    assert_eq!(t.keys(), 1, "a forgotten, b kept");
    assert_eq!(t.event(b"a", 2), out(1, false));
    assert_eq!(t.event(b"b", 2), out(2, true));
}

#[test]
fn maxfail_one_fires_on_every_event_and_keeps_nothing() {
    let mut t = KeyTracker::new(16, 1, Some(60));
    for i in 0..5 {
        assert_eq!(t.event(b"x", i), out(1, true));
    }
    assert_eq!(t.keys(), 0);
    let mut t = KeyTracker::new(16, 1, None);
    assert_eq!(t.event(b"x", 0), out(1, true));
}

#[test]
fn without_window_events_never_expire() {
    let mut t = KeyTracker::new(16, 3, None);
    assert_eq!(t.event(b"k", 0), out(1, false));
    assert_eq!(t.event(b"k", 1_000_000), out(2, false));
    assert_eq!(t.event(b"k", 2_000_000_000), out(3, true));
    assert_eq!(t.event(b"k", 0), out(1, false));
}

#[test]
fn zero_limits_are_taken_as_one() {
    let mut t = KeyTracker::new(0, 0, Some(10));
    assert_eq!(t.event(b"a", 0), out(1, true));
    let mut t = KeyTracker::new(0, 2, Some(10));
    t.event(b"a", 0);
    t.event(b"b", 0);
    assert_eq!(t.keys(), 1);
    assert_eq!(t.evicted(), 1);
}

#[test]
fn eviction_takes_the_key_whose_newest_event_is_oldest() {
    let mut t = KeyTracker::new(3, 3, Some(1000));
    t.event(b"a", 1);
    t.event(b"b", 2);
    t.event(b"c", 3);
    t.event(b"a", 4); // a is now the most recent; b the least.
    t.event(b"d", 5); // full: evicts b.
    assert_eq!(t.evicted(), 1);
    assert_eq!(t.keys(), 3);
    assert_eq!(t.event(b"a", 6), out(3, true), "a kept its two events");
    assert_eq!(t.event(b"c", 7), out(2, false), "c kept its event");
    assert_eq!(
        t.event(b"b", 8),
        out(1, false),
        "b was evicted and starts over"
    );
    assert_eq!(
        t.evicted(),
        1,
        "a fired and freed a slot, so b needed no eviction"
    );
}

#[test]
fn flood_of_distinct_keys_is_bounded_and_allocation_free() {
    let max_keys = 1024;
    let (mut t, allocs, _) = counting(|| KeyTracker::new(max_keys, 5, Some(600)));
    assert_eq!(allocs, 0, "no table before the first event");
    assert!(!t.allocated());
    assert_eq!(t.memory_bytes(), 0);
    let (_, allocs, bytes) = counting(|| t.event(b"198.51.100.1", 0));
    let mem = t.memory_bytes();
    assert_eq!(
        allocs, 1,
        "the first event allocates the table, in one block"
    );
    assert!(t.allocated());
    assert_eq!(bytes as usize, mem);
    // Bound: max_keys × (key prefix + bookkeeping + (maxfail-1) timestamps) + index.
    assert!(
        mem <= max_keys * (64 + 24 + 4 * 8) + 8 * max_keys,
        "memory {mem}"
    );

    // A victim key with 4 events, then a flood of 100 000 distinct keys.
    for i in 1..4 {
        t.event(b"198.51.100.1", i);
    }
    let mut key = [0u8; 40];
    let ((), allocs, _) = counting(|| {
        for i in 0..100_000u32 {
            let n = write_key(&mut key, i);
            let o = t.event(&key[..n], 10 + i64::from(i / 1000));
            assert!(!o.fired && o.count == 1);
            assert!(t.keys() <= max_keys);
        }
    });
    assert_eq!(allocs, 0, "no allocation per event");
    assert_eq!(t.memory_bytes(), mem, "memory does not grow");
    assert_eq!(t.keys(), max_keys);
    assert_eq!(t.evicted(), 100_000 + 1 - max_keys as u64);
    // The victim was evicted: its count starts over (what a flood can do, and all it can do).
    assert_eq!(t.event(b"198.51.100.1", 200), out(1, false));
    // The most recent flood keys are still counted.
    let n = write_key(&mut key, 99_999);
    assert_eq!(t.event(&key[..n], 200), out(2, false));
}

/// Writes a distinct address-like key for `i` into `buf`; returns its length.
fn write_key(buf: &mut [u8; 40], i: u32) -> usize {
    use std::io::Write;
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    write!(cur, "2001:db8::{:x}:{:x}", i >> 16, i & 0xffff).unwrap();
    cur.position() as usize
}

#[test]
fn long_keys_are_told_apart_and_counted_together() {
    let mut t = KeyTracker::new(16, 2, Some(60));
    let mut a = vec![b'x'; 300];
    let mut b = a.clone();
    b[299] = b'y';
    assert_eq!(t.event(&a, 0), out(1, false));
    assert_eq!(
        t.event(&b, 0),
        out(1, false),
        "differs after the stored prefix"
    );
    // Same 64-byte prefix, different lengths.
    assert_eq!(t.event(&a[..64], 0), out(1, false));
    assert_eq!(t.event(&a[..65], 0), out(1, false));
    assert_eq!(t.keys(), 4);
    assert_eq!(t.event(&a, 1), out(2, true));
    a.truncate(64);
    assert_eq!(t.event(&a, 1), out(2, true));
    // Empty and binary keys are keys like any other.
    assert_eq!(t.event(b"", 0), out(1, false));
    assert_eq!(t.event(&[0, 255, 10, 13], 0), out(1, false));
    assert_eq!(t.event(b"", 0), out(2, true));
}

#[test]
fn time_going_backwards_neither_panics_nor_loses_events() {
    let mut t = KeyTracker::new(16, 3, Some(60));
    assert_eq!(t.event(b"k", 1000), out(1, false));
    // Clock stepped back 10 minutes: the event "in the future" is not older than 60 s: inside.
    assert_eq!(t.event(b"k", 400), out(2, false));
    // Back to normal time: 400 is now 601 s old (outside), 1000 is 1 s old (inside).
    assert_eq!(t.event(b"k", 1001), out(2, false));
    assert_eq!(t.event(b"k", 1002), out(3, true));
    // Extreme timestamps: no overflow panic.
    let mut t = KeyTracker::new(4, 3, Some(u32::MAX));
    t.event(b"k", i64::MIN);
    t.event(b"k", i64::MAX);
    t.event(b"k", 0);
    t.event(b"j", i64::MAX);
    assert_eq!(t.event(b"j", i64::MIN).count, 2);
}

// ---- a reference model: the SPEC §6 semantics written the obvious way -------------------------

/// Keys in recency order (most recent first), each with its events in the window.
struct Model {
    max_keys: usize,
    maxfail: u32,
    window: Option<u32>,
    keys: Vec<(Vec<u8>, Vec<i64>)>,
    evicted: u64,
}

impl Model {
    fn event(&mut self, key: &[u8], now: i64) -> Outcome {
        if self.maxfail <= 1 {
            return out(1, true);
        }
        let mut times = match self.keys.iter().position(|(k, _)| k == key) {
            Some(i) => self.keys.remove(i).1,
            None => {
                if self.keys.len() == self.max_keys {
                    self.keys.pop();
                    self.evicted += 1;
                }
                Vec::new()
            }
        };
        if let Some(w) = self.window {
            times.retain(|&t| now.saturating_sub(t) < i64::from(w));
        }
        let count = times.len() as u32 + 1;
        if count >= self.maxfail {
            return out(count, true);
        }
        times.push(now);
        self.keys.insert(0, (key.to_vec(), times));
        out(count, false)
    }
}

proptest! {
    #[test]
    fn tracker_agrees_with_the_model(
        max_keys in 1usize..6,
        maxfail in 1u32..5,
        window in prop::option::of(1u32..50),
        events in prop::collection::vec((0u8..8, -20i64..200), 0..300),
    ) {
        let mut t = KeyTracker::new(max_keys, maxfail, window);
        let mut m = Model { max_keys, maxfail, window, keys: Vec::new(), evicted: 0 };
        let mut now = 0i64;
        for (k, dt) in events {
            // Mostly forward, sometimes backwards (dt < 0).
            now += dt / 10;
            let key = [b'k', k];
            prop_assert_eq!(t.event(&key, now), m.event(&key, now));
            prop_assert_eq!(t.keys(), m.keys.len());
            prop_assert_eq!(t.evicted(), m.evicted);
        }
    }
}

// ---- ignoreip ---------------------------------------------------------------------------------

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|s| IpNet::parse(s).unwrap()).collect()
}

#[test]
fn ignoreip_accepts_every_address_form() {
    let n = nets(&[
        "127.0.0.0/8",
        "::1",
        "192.168.0.0/16",
        "fd00::/8",
        "2001:db8::1",
    ]);
    let yes: &[&str] = &[
        "127.0.0.1",
        "127.0.0.1:22",
        "192.168.1.5:51234",
        "::1",
        "[::1]",
        "[::1]:5060",
        "::1:22",             // dropbear: unbracketed v6:port
        "fd12:3456::1:51234", // dropbear: 51234 is not a hextet, so it is the port
        "2001:db8::1:2222",   // ambiguous: read as address 2001:db8::1:2222 or as ::1 port 2222
        "::ffff:127.0.0.1",   // IPv4-mapped
        "::ffff:192.168.1.1:22",
        "[::ffff:127.0.0.1]:22",
        "fd00::1%br-lan", // zone id dropped
    ];
    for v in yes {
        assert!(is_ignored(v.as_bytes(), &n), "{v} should be ignored");
    }
    let no: &[&str] = &[
        "8.8.8.8",
        "8.8.8.8:22",
        "[2001:db8::2]:22",
        "2001:db8::2",
        "::2",
        "203.0.113.9 from 127.0.0.1", // text containing an ignored address is no address
        "127.0.0.1 ",
        " 127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:123456",
        "127.0.0.1:22:22",
        "[127.0.0.1]:22",
        "[::1",
        "[::1]x",
        "[::1]:",
        "localhost",
        "",
        "\u{0}\u{ff}",
    ];
    for v in no {
        assert!(!is_ignored(v.as_bytes(), &n), "{v:?} should not be ignored");
    }
    assert!(!is_ignored(b"127.0.0.1", &[]));
    assert!(
        !is_ignored(&[0xff, 0xfe, b':', b'1'], &n),
        "invalid UTF-8 is no address"
    );
}

#[test]
fn ignoreip_does_not_allocate() {
    let n = nets(&["127.0.0.0/8", "::1"]);
    let ((), allocs, _) = counting(|| {
        for v in [
            "127.0.0.1:22",
            "[::1]:22",
            "2001:db8::1:5555",
            "garbage value",
            "::1:22",
        ] {
            std::hint::black_box(is_ignored(v.as_bytes(), &n));
        }
    });
    assert_eq!(allocs, 0);
}

#[test]
fn memory_for_predicts_memory_bytes() {
    for (k, f, w) in [
        (1024, 5, Some(600)),
        (1, 2, None),
        (100, 1, Some(10)),
        (3000, 20, Some(1)),
    ] {
        let mut t = KeyTracker::new(k, f, w);
        t.event(b"first", 0);
        assert_eq!(
            KeyTracker::memory_for(k, f, w),
            Some(t.memory_bytes()),
            "{k} {f} {w:?}"
        );
    }
    assert_eq!(KeyTracker::memory_for(1024, 5, Some(600)), Some(131_072));
    assert_eq!(
        KeyTracker::memory_for(1 << 24, 1, None),
        Some(0),
        "logging rules cost nothing"
    );
    if usize::BITS == 32 {
        assert_eq!(KeyTracker::memory_for(1 << 24, u32::MAX, Some(1)), None);
    }
}

#[test]
fn table_is_allocated_once_on_the_first_event() {
    let (mut t, allocs, _) = counting(|| KeyTracker::new(64, 3, Some(60)));
    assert_eq!((allocs, t.allocated(), t.memory_bytes()), (0, false, 0));
    let (_, allocs, bytes) = counting(|| t.event(b"a", 0));
    assert_eq!(allocs, 1);
    assert_eq!(
        Some(bytes as usize),
        KeyTracker::memory_for(64, 3, Some(60))
    );
    // Firing, freeing, reusing and evicting slots allocate nothing more.
    let ((), allocs, _) = counting(|| {
        for i in 0..1000u32 {
            t.event(&i.to_le_bytes()[..(i % 4) as usize + 1], i64::from(i));
        }
    });
    assert_eq!(allocs, 0, "no allocation after the first event");
    assert!(t.evicted() > 0 && t.keys() <= 64);
}

#[test]
fn logging_rules_never_allocate_a_table() {
    let mut t = KeyTracker::new(1024, 1, Some(60));
    let ((), allocs, _) = counting(|| {
        for i in 0..10 {
            assert_eq!(t.event(b"k", i), out(1, true));
        }
    });
    assert_eq!((allocs, t.allocated(), t.memory_bytes()), (0, false, 0));
}
