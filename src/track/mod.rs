//! Counting (SPEC §6): events per key in a sliding window, with bounded state.
//!
//! Owns: per-rule key tables, windows, firing, eviction, and the `ignoreip` test on values.
//! Never: allocates per event (storage is sized at construction), grows past `max_keys`.

use crate::ipnet::IpNet;

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
pub struct KeyTracker {}

impl KeyTracker {
    /// `window`: `time` in seconds (`None`: no window). Events exactly `window` seconds old
    /// are outside the window.
    pub fn new(max_keys: usize, maxfail: u32, window: Option<u32>) -> KeyTracker {
        let _ = (max_keys, maxfail, window);
        todo!()
    }

    /// Records an event for `key` at `now` (epoch seconds).
    pub fn event(&mut self, key: &[u8], now: i64) -> Outcome {
        let _ = (key, now);
        todo!()
    }

    /// Keys currently tracked.
    pub fn keys(&self) -> usize {
        todo!()
    }

    /// Keys evicted because the table was full, since construction.
    pub fn evicted(&self) -> u64 {
        todo!()
    }
}

/// True when `value` is an IP address (optionally `ADDR:port`, `[V6]`, `[V6]:port`, or dropbear's
/// unbracketed `V6:port`) inside one of `nets`.
pub fn is_ignored(value: &[u8], nets: &[IpNet]) -> bool {
    let _ = (value, nets);
    todo!()
}
