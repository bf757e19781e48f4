//! Which engine runs a search: every limit that chooses one, the cascade, and the [`Cache`].
//!
//! Owns: the order the engines are tried in and the limits that send a search on (subject
//! lengths, step budgets, the most NFA states a pattern may have), the caller-owned [`Cache`]
//! that holds each engine's own scratch, and the one hook that lets tests force an engine.
//! Never: matches a byte itself, or lets the choice change a result — every engine gives the
//! leftmost-first match of SPEC §5 or gives up ([`GaveUp`]), and the last one never gives up.
//!
//! The cascade, for a subject that passed the pattern's prefilter:
//! 1. `segments` on subjects up to [`SEGMENTS_MAX_LEN`], within [`SEGMENT_STEPS_PER_BYTE`]
//!    steps per byte: every ordinary line of a pattern without `%f`, `%i`, `%x`, `%c`;
//! 2. `pike` within [`PIKE_TAIL_BUDGET`] threads, for a pattern ending in `%s`/`%b` (it often
//!    matches early, where the next engine would read the whole subject);
//! 3. `reverse` (with its lazy DFA) on subjects up to [`REVERSE_MAX_LEN`]: everything else;
//! 4. `pike` without a budget: longer subjects, and placeholder patterns without tables.

use super::nfa::{GaveUp, Program, Slots};
use super::{Pattern, pike, reverse};

/// Longest subject the segment engine takes. A step there costs several of the NFA engines',
/// and a long subject that no start matches soon (64 KiB of `a a a … b` against
/// `%s a %s a %s b`) is the reverse engine's case: it finds the only start from the end in
/// microseconds, where the segment engine would spend its whole budget (milliseconds) first.
pub(crate) const SEGMENTS_MAX_LEN: usize = 1024;

/// Steps per subject byte the segment engine may take before it gives up (ordinary lines
/// take well under one).
pub(crate) const SEGMENT_STEPS_PER_BYTE: usize = 4;

/// Threads the Pike VM may step through before a search with a trailing `%s`/`%b` moves on to
/// the reverse engine (about 50 µs).
pub(crate) const PIKE_TAIL_BUDGET: usize = 4096;

/// Longest subject the reverse engine takes (its scratch is sized for it: 8 KiB of checkpoints).
/// Every subject the daemon builds is shorter (`max_message` is at most 64 KiB).
pub(crate) const REVERSE_MAX_LEN: usize = 1 << 17;

/// Most NFA states (consuming instructions) a pattern may have: what the reverse engine's
/// bitsets hold. A bigger pattern would be left to the Pike VM, whose time grows with the
/// pattern (tens of milliseconds per 8 KiB adversarial line at 300 states), so it does not
/// compile.
///
/// A pattern within it compiles only if the reverse engine's lazy DFA also holds every set
/// of states a subject can reach (`reverse::Tables::dfa_holds_all`): the DFA then never gives
/// up, and no search falls back to the bit-parallel step, which costs milliseconds per 64 KiB
/// line on wide patterns where the DFA costs a lookup per byte.
pub(crate) const MAX_STATES: usize = reverse::MAX_TARGETS;

/// The segment engine's budget for a subject of `len` bytes.
pub(crate) fn segments_budget(len: usize) -> usize {
    SEGMENT_STEPS_PER_BYTE * (len + 1) + 64
}

/// An engine that tests can force ([`Cache::force`]); results never depend on the choice.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The segment engine, the Pike VM when it gives up or has no segments for the pattern.
    Segments,
    /// The Pike VM alone, without budget.
    Pike,
    /// The reverse engine, its lazy DFA capped at `dfa_states` states (0: none; a tiny store
    /// clears and gives up), the Pike VM when it gives up.
    Reverse { dfa_states: usize },
}

/// Scratch space for matching, owned by the caller and reused across calls: each engine's own
/// cache.
///
/// It grows to fit the largest program it has run and never shrinks, so after one match per
/// pattern (warm-up) matching allocates nothing; [`Pattern::cache`] and
/// [`super::RuleSet::cache`] hand out one already grown. The reverse engine adds fixed scratch
/// on first use, its lazy DFA 84 480 bytes of it, reserved but written only as its states are
/// built (untouched pages stay non-resident).
#[derive(Clone, Debug, Default)]
pub struct Cache {
    pub(crate) pike: pike::Cache,
    pub(crate) reverse: reverse::Cache,
    forced: Option<Engine>,
}

impl Cache {
    /// Runs every search of this cache on `engine` (`None`: the cascade); for tests.
    #[doc(hidden)]
    pub fn force(&mut self, engine: Option<Engine>) {
        self.forced = engine;
        let states = match engine {
            Some(Engine::Reverse { dfa_states }) => dfa_states,
            _ => usize::MAX,
        };
        self.reverse.limit_dfa(states);
    }

    /// Grows the cache to its final size for these programs (so that no match allocates).
    pub(crate) fn reserve<'a>(&mut self, progs: impl Iterator<Item = &'a Program>) {
        for prog in progs {
            self.pike.prepare(prog);
        }
        self.reverse.prepare(REVERSE_MAX_LEN);
    }
}

/// The signature every engine is run with: the pattern, the subject (which passed the
/// prefilter), the cache, the slots to fill on a match.
type Search = fn(&Pattern, &[u8], &mut Cache, &mut Slots) -> Result<bool, GaveUp>;

/// Searches `hay` for `p` with the cascade (or the forced engine); on a match the slots are in
/// `out`.
pub(crate) fn find(p: &Pattern, hay: &[u8], cache: &mut Cache, out: &mut Slots) -> bool {
    // Spans are u32: longer subjects (far beyond any datagram) never match.
    if hay.len() >= u32::MAX as usize || !p.prefilter.may_match(hay) {
        return false;
    }
    let found = match cache.forced {
        None => segments(p, hay, cache, out)
            .or_else(|GaveUp| pike_tail(p, hay, cache, out))
            .or_else(|GaveUp| by_reverse(p, hay, cache, out)),
        Some(Engine::Segments) => segments(p, hay, cache, out),
        Some(Engine::Reverse { .. }) => by_reverse(p, hay, cache, out),
        Some(Engine::Pike) => Err(GaveUp),
    };
    found
        .or_else(|GaveUp| pike_whole(p, hay, cache, out))
        .unwrap_or(false)
}

/// The cascade's steps, each an engine under its limits; all have the signature [`Search`].
const _: [Search; 4] = [segments, pike_tail, by_reverse, pike_whole];

/// Where the last possible match start is (the prefilter checked the subject is long enough):
/// the first byte for a pattern anchored there.
fn last_start(p: &Pattern, hay: &[u8]) -> usize {
    if p.at_start {
        0
    } else {
        hay.len() - p.prefilter.min_len()
    }
}

fn segments(p: &Pattern, hay: &[u8], _: &mut Cache, out: &mut Slots) -> Result<bool, GaveUp> {
    match &p.segments {
        Some(s) if hay.len() <= SEGMENTS_MAX_LEN => {
            let budget = segments_budget(hay.len());
            s.exec(hay, &p.start, last_start(p, hay), budget, out)
        }
        _ => Err(GaveUp),
    }
}

fn pike_tail(p: &Pattern, hay: &[u8], cache: &mut Cache, out: &mut Slots) -> Result<bool, GaveUp> {
    if !p.prog.tail {
        return Err(GaveUp);
    }
    let (start, last) = (&p.start, last_start(p, hay));
    pike::exec(
        &p.prog,
        hay,
        &mut cache.pike,
        start,
        last,
        PIKE_TAIL_BUDGET,
        out,
    )
}

fn by_reverse(p: &Pattern, hay: &[u8], cache: &mut Cache, out: &mut Slots) -> Result<bool, GaveUp> {
    let tables = p.reverse.as_ref().ok_or(GaveUp)?;
    cache.reverse.prepare(REVERSE_MAX_LEN);
    reverse::exec(&p.prog, tables, hay, p.at_start, &mut cache.reverse, out)
}

fn pike_whole(p: &Pattern, hay: &[u8], cache: &mut Cache, out: &mut Slots) -> Result<bool, GaveUp> {
    let (start, last) = (&p.start, last_start(p, hay));
    pike::exec(&p.prog, hay, &mut cache.pike, start, last, usize::MAX, out)
}

#[cfg(test)]
mod tests {
    /// The layering of the module docs: the engines import `syntax`, `nfa` and `prefilter`
    /// only, never each other or the strategy (their tests aside).
    #[test]
    fn engines_import_only_the_layers_above_them() {
        let engines = [
            ("segments", include_str!("segments.rs")),
            ("pike", include_str!("pike.rs")),
            ("reverse", include_str!("reverse.rs")),
            ("reverse/dfa", include_str!("reverse/dfa.rs")),
        ];
        for (name, src) in engines {
            let code = src.split("#[cfg(test)]").next().unwrap_or_default();
            let uses = code.lines().filter(|l| l.starts_with("use "));
            for line in uses {
                let allowed = ["super::syntax", "super::nfa", "super::prefilter", "dfa::"];
                let ok = line.starts_with("use std::") || allowed.iter().any(|a| line.contains(a));
                assert!(ok, "{name}: {line}");
            }
            for other in ["segments", "pike", "reverse", "strategy"] {
                let path = format!("super::{other}");
                assert!(!code.contains(&path), "{name} names {path}");
            }
        }
    }
}
