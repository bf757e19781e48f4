//! The memory limit (SPEC §6, §8): the most memory a configuration can make the daemon use,
//! computed at load and refused above `max_memory`.
//!
//! The worst case is every rule's key table full (`max_keys` keys, each holding `maxfail - 1`
//! timestamps: [`KeyTracker::memory_for`], the tracker's own layout) plus the buffers sized
//! from the globals: receive batches, forward queues, the script queue full of jobs, UDP
//! receive buffers (kernel memory, but the router's memory all the same), tailed files' line
//! buffers, and a fixed estimate per rule and for the matcher's scratch.
//!
//! The default limit is 16 MiB, a quarter of a 64 MB router: such a router has about 50 MB
//! left once the kernel is up, and netifd, dnsmasq, odhcpd, uhttpd/LuCI, logd and the
//! firewall's sets want most of it. The shipped configuration needs 4.5 MiB at most.
//!
//! Owns: the estimate, the limit's syntax and the refusal message.
//! Never: allocates what it counts, or overflows (sums are checked, in `u64` on every target).

use super::values::{Bad, bad, single};
use super::{Global, Rule, uci::Opt};
use crate::input::{BATCH, forward::RETRY_SLOTS};
use crate::track::KeyTracker;
use crate::track::conntrack::WAITING_MAX;

/// The default `max_memory`.
pub const DEFAULT_LIMIT: u64 = 16 << 20;

/// Bounds of `max_memory`: 1 MiB to 4 GiB.
const RANGE: (u64, u64) = (1 << 20, 4 << 30);

/// A compiled rule beside its key table: program, prefilter, names, counters. Measured: 3000
/// rules of short patterns (`failure N from %s`) take 14.4 MiB of anonymous memory, 4.5 KiB
/// each once the daemon's own 1 MiB is taken away.
const RULE_BYTES: u64 = 4608;

/// The matcher's shared scratch (lazy DFA store, reverse-search checkpoints), an upper estimate.
const MATCHER_BYTES: u64 = 256 << 10;

/// One queued script job beside its captured values: names, paths, the environment's headers.
const JOB_BYTES: u64 = 2048;

/// The unix forward queue holds frames of at least this size (reformatted remote frames).
const FORWARD_FRAME_MIN: u64 = 64 * 1024 + 512;

/// The read chunk and line buffer of tailed files, and /dev/kmsg's record buffer.
const FILE_CHUNK: u64 = 8192;
const KMSG_RECORD: u64 = 8192 + 256;

/// The worst case of one configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Every key table full, in bytes.
    pub tables: u64,
    /// Everything else, in bytes.
    pub buffers: u64,
    /// The rule with the largest table (index in the rules) and that table's size.
    pub biggest: Option<(usize, u64)>,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.tables.saturating_add(self.buffers)
    }
}

/// The worst case of `global` with `rules` (disabled rules cost nothing). A table too large to
/// be addressed on this target counts as `u64::MAX`.
pub fn worst_case(global: &Global, rules: &[Rule]) -> Usage {
    let mut usage = Usage {
        tables: 0,
        buffers: buffers(global, rules),
        biggest: None,
    };
    for (i, r) in rules.iter().enumerate().filter(|(_, r)| r.enabled) {
        let table = table_bytes(r.max_keys, r.maxfail, r.time);
        usage.tables = usage.tables.saturating_add(table);
        usage.buffers = usage.buffers.saturating_add(RULE_BYTES);
        if usage.biggest.is_none_or(|(_, b)| table > b) {
            usage.biggest = Some((i, table));
        }
    }
    usage
}

/// The size of a full key table: the tracker's own figure, or, when that does not fit this
/// target's `usize` (a 32-bit router), the same layout computed in `u64` from the tracker's size
/// of a one-key table (one record and an index of two cells).
fn table_bytes(max_keys: usize, maxfail: u32, window: Option<u32>) -> u64 {
    if let Some(n) = KeyTracker::memory_for(max_keys, maxfail, window) {
        return n as u64;
    }
    wide_table_bytes(max_keys, maxfail, window)
}

fn wide_table_bytes(max_keys: usize, maxfail: u32, window: Option<u32>) -> u64 {
    const ONE_KEY_INDEX: u64 = 2 * 4;
    let Some(one) = KeyTracker::memory_for(1, maxfail, window) else {
        return u64::MAX;
    };
    if one == 0 {
        return 0; // maxfail 1: no table
    }
    let keys = max_keys.max(1) as u64;
    let index = (2 * keys).next_power_of_two().saturating_mul(4);
    keys.saturating_mul(one as u64 - ONE_KEY_INDEX)
        .saturating_add(index)
}

/// Buffers sized from the globals.
fn buffers(g: &Global, rules: &[Rule]) -> u64 {
    let m = g.max_message as u64;
    let batch = BATCH as u64 * m;
    let retry = RETRY_SLOTS as u64;
    let mut sum = MATCHER_BYTES;
    // The pipeline's subject and key buffers, the daemon's scratch for reformatted frames.
    sum += 2 * (m + 64) + m + 512;
    if g.socket.is_some() {
        sum += batch + retry * m.max(FORWARD_FRAME_MIN);
    }
    sum += g.udp.len() as u64 * (batch + g.rcvbuf as u64);
    sum += (g.forward_udp.len() + g.forward_hosts.len()) as u64 * retry * m;
    let mut files: Vec<&std::path::Path> = Vec::new();
    for f in rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| r.file.as_deref())
    {
        if !files.contains(&f) {
            files.push(f);
        }
    }
    if !files.is_empty() {
        sum += FILE_CHUNK + files.len() as u64 * (m + 1);
    }
    if g.kmsg {
        sum += KMSG_RECORD;
    }
    // Each queued or running job holds at most one message's worth of captured values, and so
    // does each firing waiting for proof of presence (rules with `verify`).
    sum += (g.max_queue + g.max_jobs) as u64 * (m + JOB_BYTES);
    if rules.iter().any(|r| r.enabled && r.verify.is_some()) {
        sum += WAITING_MAX as u64 * (m + JOB_BYTES);
    }
    sum
}

/// Refuses `rules` under `global` when their worst case exceeds `global.max_memory`: at the
/// line of the rule with the largest table when the tables exceed the limit on their own, else
/// at `global_line`.
pub(super) fn check(global: &Global, rules: &[Rule], global_line: usize) -> Result<(), Bad> {
    let usage = worst_case(global, rules);
    let limit = global.max_memory;
    if usage.total() <= limit {
        return addressable(rules);
    }
    let (line, culprit) = match usage.biggest {
        Some((i, table)) if usage.tables > limit || table > limit / 2 => {
            let r = &rules[i];
            let what = format!(
                "rule '{}' needs up to {} for its key table (max_keys {} × maxfail {}); ",
                r.name,
                Bytes(table),
                r.max_keys,
                r.maxfail
            );
            (r.line, what)
        }
        _ => (global_line, String::new()),
    };
    bad(
        line,
        format!(
            "{culprit}the configuration needs up to {} ({} for key tables, {} for buffers), \
             above the memory limit of {} (lower max_keys or maxfail, or raise option max_memory \
             in config logtrigger)",
            Bytes(usage.total()),
            Bytes(usage.tables),
            Bytes(usage.buffers),
            Bytes(limit)
        ),
    )
}

/// One line for `check`: the worst case and the limit.
pub fn summary(global: &Global, rules: &[Rule]) -> String {
    let u = worst_case(global, rules);
    format!(
        "memory: up to {} ({} key tables, {} buffers), limit {} (option max_memory)",
        Bytes(u.total()),
        Bytes(u.tables),
        Bytes(u.buffers),
        Bytes(global.max_memory)
    )
}

/// Every rule gets a tracker, enabled or not, and a tracker's shape must fit this target's
/// `usize` (only a 32-bit router can fail this, for a disabled rule: an enabled one that large is
/// over any limit).
fn addressable(rules: &[Rule]) -> Result<(), Bad> {
    for r in rules {
        if KeyTracker::memory_for(r.max_keys, r.maxfail, r.time).is_none() {
            return bad(
                r.line,
                format!(
                    "rule '{}': a key table of max_keys {} × maxfail {} ({}) cannot be addressed on this system",
                    r.name,
                    r.max_keys,
                    r.maxfail,
                    Bytes(wide_table_bytes(r.max_keys, r.maxfail, r.time))
                ),
            );
        }
    }
    Ok(())
}

/// `option max_memory`: bytes, or a number with `K`, `M` or `G` (powers of 1024).
pub(super) fn limit(opt: &Opt) -> Result<u64, Bad> {
    let v = single(opt)?;
    let (digits, unit) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 1 << 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    let n = digits.parse::<u64>().ok().and_then(|n| n.checked_mul(unit));
    match n {
        Some(n) if (RANGE.0..=RANGE.1).contains(&n) => Ok(n),
        _ => bad(
            opt.line,
            format!(
                "max_memory '{v}' is not a size from {} to {} (bytes, or a number with K, M or G)",
                Bytes(RANGE.0),
                Bytes(RANGE.1)
            ),
        ),
    }
}

/// A byte count for people: `512 B`, `12.5 KiB`, `16.0 MiB`, `74.6 GiB` (tenths truncated).
pub struct Bytes(pub u64);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        if n == u64::MAX {
            return f.write_str("more than this system can address");
        }
        let (unit, name) = match n {
            n if n >= 1 << 30 => (1u64 << 30, "GiB"),
            n if n >= 1 << 20 => (1 << 20, "MiB"),
            n if n >= 1 << 10 => (1 << 10, "KiB"),
            _ => return write!(f, "{n} B"),
        };
        // In u64 (no 128-bit division on the router): whole units, then the remainder's tenths.
        let tenths = n / unit * 10 + n % unit * 10 / unit;
        write!(f, "{}.{} {name}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn cfg(text: &str) -> Result<Config, String> {
        Config::parse_offline(text.as_bytes(), "cfg").map_err(|e| e.to_string())
    }

    #[test]
    fn figures_for_people() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(16 << 20).to_string(), "16.0 MiB");
        assert_eq!(Bytes(3 << 29).to_string(), "1.5 GiB");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(917_504).to_string(), "896.0 KiB");
    }

    #[test]
    fn the_wide_layout_is_the_trackers() {
        for (keys, maxfail, window) in [
            (1024, 5, Some(600)),
            (1, 2, None),
            (1000, 10_000, Some(60)),
            (1_000_000, 3, Some(1)),
            (7, 1, Some(10)),
        ] {
            let want = KeyTracker::memory_for(keys, maxfail, window).unwrap() as u64;
            assert_eq!(
                wide_table_bytes(keys, maxfail, window),
                want,
                "{keys} {maxfail}"
            );
        }
    }

    #[test]
    fn the_defaults_fit_with_room() {
        let c = cfg("config rule\n\toption name 'r'\n\toption pattern 'x %s'\n\toption maxfail '5'\n\toption time '60'\n").unwrap();
        let u = worst_case(&c.global, &c.rules);
        assert_eq!(
            u.tables, 131_072,
            "the tracker's own figure for 1024 keys, maxfail 5"
        );
        assert!(u.total() < DEFAULT_LIMIT / 2, "{u:?}");
    }

    #[test]
    fn a_huge_table_is_refused_with_its_figure_and_the_limit() {
        let text = "config logtrigger\n\tlist udp 'none'\n\n\
                    config rule\n\toption name 'big'\n\toption pattern 'x %s'\n\
                    \toption max_keys '1000000'\n\toption maxfail '10000'\n\toption time '600'\n";
        let e = cfg(text).unwrap_err();
        assert!(e.starts_with("cfg:4: rule 'big' needs up to 74."), "{e}");
        assert!(
            e.contains("GiB for its key table (max_keys 1000000 × maxfail 10000)"),
            "{e}"
        );
        assert!(e.contains("above the memory limit of 16.0 MiB"), "{e}");
        assert!(e.contains("raise option max_memory"), "{e}");
    }

    #[test]
    fn max_memory_raises_the_limit() {
        let rule = "config rule\n\toption name 'r'\n\toption pattern 'x %s'\n\
                    \toption max_keys '100000'\n\toption maxfail '10'\n\toption time '600'\n";
        assert!(cfg(&format!("config logtrigger\n\tlist udp 'none'\n\n{rule}")).is_err());
        let c = cfg(&format!(
            "config logtrigger\n\tlist udp 'none'\n\toption max_memory '64M'\n\n{rule}"
        ))
        .unwrap();
        assert_eq!(c.global.max_memory, 64 << 20);
        let e = cfg("config logtrigger\n\toption max_memory '5x'\n").unwrap_err();
        assert!(e.starts_with("cfg:2: max_memory '5x' is not a size"), "{e}");
        let e = cfg("config logtrigger\n\toption max_memory '100'\n").unwrap_err();
        assert!(e.contains("from 1.0 MiB to 4.0 GiB"), "{e}");
    }

    #[test]
    fn buffers_alone_can_exceed_the_limit() {
        let e = cfg("config logtrigger\n\toption rcvbuf '67108864'\n").unwrap_err();
        assert!(e.starts_with("cfg:1: the configuration needs up to"), "{e}");
    }

    #[test]
    fn disabled_rules_cost_nothing() {
        let text = "config logtrigger\n\tlist udp 'none'\n\n\
                    config rule\n\toption name 'big'\n\toption pattern 'x %s'\n\
                    \toption max_keys '1000000'\n\toption maxfail '10000'\n\toption time '600'\n\
                    \toption enabled '0'\n";
        if cfg!(target_pointer_width = "64") {
            assert!(cfg(text).is_ok());
        } else {
            // Its tracker could not even be shaped on a 32-bit target.
            let e = cfg(text).unwrap_err();
            assert!(e.contains("cannot be addressed on this system"), "{e}");
        }
    }

    #[test]
    fn the_shipped_configuration_fits() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/uci/logtrigger");
        let c = Config::parse_offline(&std::fs::read(path).unwrap(), path).unwrap();
        let u = worst_case(&c.global, &c.rules);
        eprintln!("{}", summary(&c.global, &c.rules));
        assert!(u.total() < DEFAULT_LIMIT / 2, "{u:?}");
    }
}
