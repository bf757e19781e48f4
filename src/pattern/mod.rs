//! The pattern language of SPEC §5: compile once, match many times.
//!
//! Owns: compiling a pattern, matching it against a subject in time linear in the subject,
//! the per-rule-set prefilter, and filling a pattern with its captured values (`LT_string`).
//! Never: allocates while matching (captures go to caller-owned [`Captures`], scratch space to a
//! caller-owned [`Cache`] that only grows during warm-up), backtracks exponentially.

use std::fmt;

/// At most this many conversions per pattern.
pub const MAX_CAPTURES: usize = 16;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: Vec<u8>,
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

    /// The `i`th captured value, as a slice of the subject that was matched.
    pub fn get<'s>(&self, i: usize, subject: &'s [u8]) -> &'s [u8] {
        let (a, b) = self.spans[..self.len][i];
        &subject[a as usize..b as usize]
    }
}

/// Scratch space for matching, owned by the caller and reused across calls.
#[derive(Clone, Debug, Default)]
pub struct Cache {}

impl Pattern {
    /// Compiles a pattern.
    pub fn compile(src: &[u8]) -> Result<Pattern, CompileError> {
        let _ = src;
        todo!()
    }

    /// The pattern text.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// Number of conversions (captured values) of a match.
    pub fn captures_len(&self) -> usize {
        todo!()
    }

    /// Matches the whole rule of SPEC §5 against `subject`; on a match fills `caps` and returns true.
    pub fn find(&self, subject: &[u8], cache: &mut Cache, caps: &mut Captures) -> bool {
        let _ = (subject, cache, caps);
        todo!()
    }

    /// Appends the pattern with each conversion replaced by its captured value (`LT_string`).
    pub fn fill(&self, subject: &[u8], caps: &Captures, out: &mut Vec<u8>) {
        let _ = (subject, caps, out);
        todo!()
    }
}

/// All patterns of a configuration, with a shared prefilter that rejects most subjects cheaply.
#[derive(Clone, Debug)]
pub struct RuleSet {
    patterns: Vec<Pattern>,
}

impl RuleSet {
    pub fn new(patterns: Vec<Pattern>) -> RuleSet {
        RuleSet { patterns }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
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
        mut wanted: impl FnMut(usize) -> bool,
        mut on_match: impl FnMut(usize, &Captures),
    ) {
        let _ = (subject, cache, &mut wanted, &mut on_match);
        todo!()
    }
}
