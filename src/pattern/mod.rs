//! The pattern language of SPEC §5: compile once, match many times.
//!
//! Owns: compiling a pattern, matching it against a subject in time linear in the subject,
//! the per-rule-set prefilter, and filling a pattern with its captured values (`LT_string`).
//! Never: allocates while matching (captures go to caller-owned [`Captures`], scratch space to a
//! caller-owned [`Cache`] that only grows during warm-up), backtracks exponentially.
//!
//! A pattern means the byte regex `(?s-u)^.*?` + translation + `$` under leftmost-first
//! semantics (SPEC §5). The layers, each importing only those above it:
//! - `syntax`: pattern text → elements (conversions, scansets, whitespace runs), compile errors,
//!   regex and fail2ban lookalikes refused;
//! - `nfa`: elements → the NFA program (Thompson construction), capture slots, `GaveUp`;
//! - `prefilter`: necessary conditions from the literal text (rule-set byte pairs, minimum
//!   length, literal suffix, longest literal) and where a match may start;
//! - the engines, which import only the three layers above, never each other:
//!   `segments` (a backtracker over whole segments: phrases, whitespace runs, conversions,
//!   within a step budget), `pike` (the Pike VM), `reverse` (a bit-parallel pass from the end
//!   of the subject then a forward walk along the first viable branch, its steps cached by a
//!   lazy DFA, `reverse::dfa`);
//! - `strategy`: every limit that chooses an engine, the cascade, and the [`Cache`] that holds
//!   each engine's own scratch.
//!
//! All engines are O(subject × pattern), give identical results (tests and fuzz check it) or
//! give up, and the cascade always ends with one that does not.

mod nfa;
mod pike;
mod prefilter;
mod reverse;
mod segments;
mod strategy;
mod syntax;

use std::fmt;

use nfa::{MAX_SLOTS, Program};
use prefilter::{Prefilter, SetFilter, Start};
pub use strategy::Cache;
#[doc(hidden)]
pub use strategy::Engine;

/// At most this many conversions per pattern.
pub const MAX_CAPTURES: usize = 16;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: Vec<u8>,
    prog: Program,
    /// The pattern as whole segments (`None` with a `%f`, `%i`, `%x` or `%c`): the first engine
    /// tried.
    segments: Option<segments::Segments>,
    /// Tables of the reverse engine (`None`: too many states, long subjects use the Pike VM).
    reverse: Option<reverse::Tables>,
    prefilter: Prefilter,
    start: Start,
    /// The two rarest literal byte pairs, for the rule-set prefilter.
    anchor: Option<prefilter::Anchor>,
    /// A match must start at the first byte of the subject ([`Pattern::at_start`]).
    at_start: bool,
}

/// Why a pattern does not compile, and where (byte offset into the pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pattern offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for CompileError {}

/// Spans of the captured values of one match, without the skipped leading whitespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Captures {
    spans: [(u32, u32); MAX_CAPTURES],
    len: usize,
}

impl Captures {
    /// Number of captured values (the pattern's conversions).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`th captured value, as a slice of the subject that was matched (empty when `i` is
    /// out of range or `subject` is not the one matched).
    pub fn get<'s>(&self, i: usize, subject: &'s [u8]) -> &'s [u8] {
        let Some(&(a, b)) = self.spans[..self.len].get(i) else {
            return &[];
        };
        subject.get(a as usize..b as usize).unwrap_or_default()
    }

    /// The `i`th span `(start, end)` as byte offsets into the subject.
    pub fn span(&self, i: usize) -> Option<(u32, u32)> {
        self.spans[..self.len].get(i).copied()
    }
}

impl Pattern {
    /// Compiles a pattern.
    pub fn compile(src: &[u8]) -> Result<Pattern, CompileError> {
        let elems = syntax::parse(src)?;
        let prog = nfa::build(&elems);
        let Some(tables) = reverse::Tables::new(&prog) else {
            return Err(too_big(src, &elems));
        };
        if !tables.dfa_holds_all() {
            return Err(too_ambiguous(src, &elems, &tables));
        }
        Ok(Pattern {
            source: src.to_vec(),
            reverse: Some(tables),
            segments: segments::Segments::new(&elems),
            prog,
            prefilter: Prefilter::new(&elems),
            start: Start::new(&elems),
            anchor: prefilter::anchor(&elems),
            at_start: false,
        })
    }

    /// The same pattern, matching only from the first byte of the subject: the byte regex
    /// `(?s-u)^` + translation + `$`, without the leading `.*?` of SPEC §5. A rule whose
    /// pattern begins with its program's tag is anchored so (`config::rules`): the tag is only
    /// ever at the start of the subject, so genuine lines match as before, and a copy of the
    /// line inside text the daemon quotes (a caller's Call-ID, user name) can no longer match.
    pub fn at_start(mut self) -> Pattern {
        self.at_start = true;
        self
    }

    /// Whether a match must start at the first byte of the subject.
    pub fn is_at_start(&self) -> bool {
        self.at_start
    }

    /// A cache already grown to its final size for this pattern: no match will allocate.
    pub fn cache(&self) -> Cache {
        let mut cache = Cache::default();
        cache.reserve(std::iter::once(&self.prog));
        cache
    }

    /// The pattern text.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// Number of conversions (captured values) of a match.
    pub fn captures_len(&self) -> usize {
        self.prog.slots / 2
    }

    /// Matches the whole rule of SPEC §5 against `subject`; on a match fills `caps` and returns true.
    pub fn find(&self, subject: &[u8], cache: &mut Cache, caps: &mut Captures) -> bool {
        let mut slots = [0u32; MAX_SLOTS];
        if !strategy::find(self, subject, cache, &mut slots) {
            return false;
        }
        caps.len = self.captures_len();
        for (k, span) in caps.spans[..caps.len].iter_mut().enumerate() {
            *span = (slots[2 * k], slots[2 * k + 1]);
        }
        true
    }

    /// Appends the pattern with each conversion replaced by its captured value (`LT_string`).
    pub fn fill(&self, subject: &[u8], caps: &Captures, out: &mut Vec<u8>) {
        let mut k = 0;
        let mut src = &self.source[..];
        while let Some((&b, rest)) = src.split_first() {
            src = rest;
            if b != b'%' {
                out.push(b);
            } else if let Some((&b'%', rest)) = src.split_first() {
                out.push(b'%');
                src = rest;
            } else {
                // A conversion (compile checked the syntax): skip its letter or scanset.
                let n = syntax::conv_len(&self.source[self.source.len() - src.len() - 1..]);
                src = src.get(n - 1..).unwrap_or_default();
                out.extend_from_slice(caps.get(k, subject));
                k += 1;
            }
        }
    }
}

/// The error for a pattern whose lazy DFA could give up: a log line could make it track more
/// distinct sets of matcher states than the DFA holds, and every byte would then cost a
/// bit-parallel step (milliseconds per 64 KiB line for a `%b` followed by many `%f`). At the
/// shortest prefix that goes over.
fn too_ambiguous(src: &[u8], elems: &[syntax::Elem], tables: &reverse::Tables) -> CompileError {
    let over = |n: usize| {
        reverse::Tables::new(&nfa::build(&elems[..n])).is_some_and(|t| !t.dfa_holds_all())
    };
    let at = (1..elems.len()).find(|&n| over(n)).unwrap_or(elems.len());
    let offset = syntax::elem_offsets(src).get(at - 1).copied().unwrap_or(0);
    let reason = format!(
        "pattern too ambiguous: a log line could make the matcher track more than {} \
         different sets of positions in it, so that a line could cost more than a millisecond; \
         put literal text (a space, a separator) between conversions that can match the same \
         text, such as %i%i or %x%x, or match such values with %s",
        reverse::dfa_capacity(tables),
    );
    CompileError { offset, reason }
}

/// The error for a pattern with more states than the reverse engine takes, at the element
/// that goes over. Such a pattern would run on the Pike VM alone, whose time grows with the
/// pattern: a few hundred states cost tens of milliseconds per 8 KiB of an adversarial line.
fn too_big(src: &[u8], elems: &[syntax::Elem]) -> CompileError {
    let limit = strategy::MAX_STATES;
    let mut total = 0;
    let mut offset = 0;
    for (&e, at) in elems.iter().zip(syntax::elem_offsets(src)) {
        total += nfa::states_of(e);
        if total > limit && offset == 0 {
            offset = at;
        }
    }
    let reason = format!(
        "pattern too long: it needs {total} matcher states, at most {limit} (one per literal \
         byte, whitespace run or scanset, 1 to 10 per other conversion), so that no log line \
         can make it cost more than a millisecond; shorten its literal text (a match may start \
         anywhere, so leading text can go, unless it is the program's tag that anchors the match)"
    );
    CompileError { offset, reason }
}

/// Patterns of a [`RuleSet`] by index: bit `i % 32` stands for pattern `i` (and for every 32nd
/// after it, so a set of any size has a subset of every pattern, [`Subset::MAX`]).
pub type Subset = u32;

/// Subsets of at most this many patterns skip the set's scan: on 100-byte lines the scan costs
/// about as much as three patterns' own prefilters.
const DIRECT: usize = 4;

/// All patterns of a configuration, with a shared prefilter that rejects most subjects cheaply.
#[derive(Clone, Debug)]
pub struct RuleSet {
    patterns: Vec<Pattern>,
    filter: SetFilter,
}

impl RuleSet {
    pub fn new(patterns: Vec<Pattern>) -> RuleSet {
        let filter = SetFilter::new(patterns.iter().map(|p| p.anchor));
        RuleSet { patterns, filter }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// A cache already grown to its final size for every pattern of the set: with it, no match
    /// allocates, not even the first (a `Cache::default()` grows during its first matches).
    pub fn cache(&self) -> Cache {
        let mut cache = Cache::default();
        cache.reserve(self.patterns.iter().map(|p| &p.prog));
        cache
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn pattern(&self, i: usize) -> &Pattern {
        &self.patterns[i]
    }

    /// Calls `on_match(i, caps)` for every pattern `i` (in order) that matches `subject` and for
    /// which `wanted(i)` is true. No allocation after warm-up.
    pub fn for_each_match(
        &self,
        subject: &[u8],
        cache: &mut Cache,
        wanted: impl FnMut(usize) -> bool,
        on_match: impl FnMut(usize, &Captures),
    ) {
        self.for_each_match_in(subject, cache, Subset::MAX, wanted, on_match);
    }

    /// [`RuleSet::for_each_match`] over the patterns of `subset` only (a caller that knows which
    /// rules can apply to a message, by its tag, says so before any byte is read).
    pub fn for_each_match_in(
        &self,
        subject: &[u8],
        cache: &mut Cache,
        subset: Subset,
        mut wanted: impl FnMut(usize) -> bool,
        mut on_match: impl FnMut(usize, &Captures),
    ) {
        if subset == 0 {
            return;
        }
        let mut caps = Captures::default();
        // One pass over the subject rules out most patterns at once; for a few patterns their
        // own checks (a `memchr` for the longest literal's rarest byte) cost less than that pass.
        let mask = if subset.count_ones() as usize <= DIRECT && self.patterns.len() <= 32 {
            u64::MAX
        } else {
            self.filter.scan(subject) & (u64::from(subset) * (1 << 32 | 1))
        };
        for (i, p) in self.patterns.iter().enumerate() {
            if subset & 1 << (i % 32) != 0
                && self.filter.candidate(mask, i)
                && wanted(i)
                && p.find(subject, cache, &mut caps)
            {
                on_match(i, &caps);
            }
        }
    }
}
