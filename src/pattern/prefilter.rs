//! Fast rejection and start skipping, derived from a pattern's literal text.
//!
//! Owns: the checks that let a subject no rule can match cost little more than a SIMD substring
//! scan (minimum length, literal suffix, required literal), and the scan for the next possible
//! match start. Never: rejects a subject that the full matcher would accept.

use memchr::memmem::Finder;

use super::compile::{CLASS_TABLE, Conv, DIGIT, Elem, HEX, OCTAL, SIGN, SPACE};
use super::pike::StartScan;

/// Necessary conditions for a match, checked before running the VM.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    /// Every element consumes at least one byte.
    min_len: usize,
    /// Literal bytes the pattern ends with; the subject must end with them (the match reaches
    /// the end of the subject).
    suffix: Vec<u8>,
    /// The longest literal run of the pattern, which every matching subject contains.
    required: Option<Finder<'static>>,
}

impl Prefilter {
    pub(crate) fn new(elems: &[Elem]) -> Prefilter {
        let suffix_len = elems
            .iter()
            .rev()
            .take_while(|e| matches!(e, Elem::Lit(_)))
            .count();
        let suffix = literal_bytes(&elems[elems.len() - suffix_len..]);
        let longest = literal_runs(elems)
            .max_by_key(|run| run.len())
            .unwrap_or_default();
        // The suffix check already covers a required literal that is the suffix itself.
        let required =
            (!longest.is_empty() && longest != suffix).then(|| Finder::new(&longest).into_owned());
        Prefilter {
            min_len: super::compile::min_len(elems),
            suffix,
            required,
        }
    }

    pub(crate) fn min_len(&self) -> usize {
        self.min_len
    }

    /// False when `hay` certainly does not match.
    #[inline]
    pub(crate) fn may_match(&self, hay: &[u8]) -> bool {
        // An empty suffix is common (patterns ending in `%s`): skip the call to `memcmp`, which
        // some C libraries make costly even for zero bytes.
        hay.len() >= self.min_len
            && (self.suffix.is_empty() || hay.ends_with(&self.suffix))
            && self.required.as_ref().is_none_or(|f| f.find(hay).is_some())
    }
}

fn literal_bytes(elems: &[Elem]) -> Vec<u8> {
    elems
        .iter()
        .filter_map(|e| match e {
            Elem::Lit(b) => Some(*b),
            _ => None,
        })
        .collect()
}

/// Maximal runs of consecutive literal bytes.
fn literal_runs(elems: &[Elem]) -> impl Iterator<Item = Vec<u8>> + '_ {
    elems
        .split(|e| !matches!(e, Elem::Lit(_)))
        .map(literal_bytes)
}

/// How to find the next position where a match can start.
#[derive(Clone, Debug)]
pub(crate) enum Start {
    /// Any byte can start a match.
    Any,
    /// The pattern starts with this byte.
    Byte(u8),
    /// The pattern starts with this literal (two bytes or more).
    Literal(Box<Finder<'static>>),
    /// The first byte is in this class mask.
    Class(u16),
}

impl Start {
    pub(crate) fn new(elems: &[Elem]) -> Start {
        let prefix = literal_runs(elems).next().unwrap_or_default();
        match (elems.first(), prefix.len()) {
            (_, 1) => Start::Byte(prefix[0]),
            (_, n) if n >= 2 => Start::Literal(Box::new(Finder::new(&prefix).into_owned())),
            (Some(Elem::Space), _) => Start::Class(SPACE),
            (Some(Elem::Conv { conv, trailing }), _) if !trailing => match conv {
                Conv::D | Conv::I => Start::Class(SPACE | SIGN | DIGIT),
                Conv::U => Start::Class(SPACE | DIGIT),
                Conv::O => Start::Class(SPACE | OCTAL),
                Conv::X => Start::Class(SPACE | HEX),
                _ => Start::Any,
            },
            _ => Start::Any,
        }
    }
}

impl StartScan for Start {
    #[inline]
    fn next(&self, hay: &[u8], from: usize, last: usize) -> Option<usize> {
        if from > last || last >= hay.len() {
            return None;
        }
        let found = match self {
            Start::Any => Some(from),
            Start::Byte(b) => memchr::memchr(*b, &hay[from..=last]).map(|i| from + i),
            Start::Literal(f) => f.find(&hay[from..]).map(|i| from + i),
            Start::Class(m) => hay[from..=last]
                .iter()
                .position(|&b| CLASS_TABLE[b as usize] & m != 0)
                .map(|i| from + i),
        };
        found.filter(|&i| i <= last)
    }
}

/// Entries of the rule-set bigram table (a power of two).
const BIGRAMS: usize = 2048;

/// Hash of a byte pair into the bigram table; collisions only cost false candidates.
/// Multiplicative: the shifted-xor it replaced folded many upper-case pairs together.
#[inline]
fn bigram(a: u8, b: u8) -> usize {
    let pair = (a as u32) << 8 | b as u32;
    (pair.wrapping_mul(0x9E37_79B1) >> (32 - BIGRAMS.trailing_zeros())) as usize
}

/// Rough frequency of a byte in router log lines (higher is more common).
fn frequency(b: u8) -> u8 {
    match b {
        b' ' | b'e' => 12,
        b't' => 9,
        b'a' | b'o' => 8,
        b'i' | b'n' => 7,
        b's' | b'h' | b'r' => 6,
        b':' | b'.' => 5,
        b'd' | b'l' | b'[' | b']' => 4,
        b'c' | b'u' | b'0'..=b'9' | b'-' | b'/' | b'=' => 3,
        b'm' | b'w' | b'f' | b'g' | b'y' | b'p' | b'\'' | b'(' | b')' | b',' => 2,
        b'b' | b'v' | b'k' | b'A'..=b'Z' => 1,
        _ => 0,
    }
}

/// The two rarest distinct byte pairs of the pattern's literal runs (the same pair twice when it
/// has only one), if it has a run of two bytes or more.
pub(crate) fn anchor(elems: &[Elem]) -> Option<Anchor> {
    let mut pairs: Vec<(u8, u8)> = literal_runs(elems)
        .flat_map(|run| run.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>())
        .collect();
    // Stable: among equally rare pairs the first in the pattern wins.
    pairs.sort_by_key(|&(a, b)| frequency(a) + frequency(b));
    let first = *pairs.first()?;
    let second = pairs
        .iter()
        .find(|&&p| p != first)
        .copied()
        .unwrap_or(first);
    Some([first, second])
}

/// Two byte pairs that every subject a pattern matches contains.
pub(crate) type Anchor = [(u8, u8); 2];

/// One pass over a subject tells which patterns of a rule set may match: each pattern with an
/// anchor has two bits, pattern index mod 32 in the low half of the mask for its first pair and in
/// the high half for its second; both are set when the subject contains pairs hashing like them.
#[derive(Clone, Debug)]
pub(crate) struct SetFilter {
    table: Box<[u64; BIGRAMS]>,
    /// Patterns without an anchor: always candidates.
    always: Vec<bool>,
}

impl SetFilter {
    pub(crate) fn new(anchors: impl Iterator<Item = Option<Anchor>>) -> SetFilter {
        let mut table = Box::new([0u64; BIGRAMS]);
        let mut always = Vec::new();
        for (i, a) in anchors.enumerate() {
            if let Some([(a0, a1), (b0, b1)]) = a {
                table[bigram(a0, a1)] |= 1 << (i % 32);
                table[bigram(b0, b1)] |= 1 << (32 + i % 32);
            }
            always.push(a.is_none());
        }
        SetFilter { table, always }
    }

    /// Candidate bits of `hay`.
    #[inline]
    pub(crate) fn scan(&self, hay: &[u8]) -> u64 {
        let mut mask = 0;
        if let Some((&first, rest)) = hay.split_first() {
            let mut prev = first;
            for &b in rest {
                mask |= self.table[bigram(prev, b)];
                prev = b;
            }
        }
        mask
    }

    #[inline]
    pub(crate) fn candidate(&self, mask: u64, i: usize) -> bool {
        let both = 1 << (i % 32) | 1 << (32 + i % 32);
        mask & both == both || self.always.get(i).copied().unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::compile::parse;

    fn filter(patterns: &[&[u8]]) -> SetFilter {
        SetFilter::new(patterns.iter().map(|p| anchor(&parse(p).unwrap())))
    }

    #[test]
    fn a_pattern_is_a_candidate_only_with_both_anchor_pairs() {
        // Upper-case pairs are the rarest: "DH" and "HC" anchor the first pattern.
        let set = filter(&[b"dnsmasq-dhcp[%d]: DHCPACK(%s) %s", b"%s %d"]);
        let hit = set.scan(b"dnsmasq-dhcp[1]: DHCPACK(br-lan) 10.0.0.2");
        assert!(set.candidate(hit, 0));
        // Only one of the two pairs: ruled out (one pair alone was a candidate before).
        assert!(!set.candidate(set.scan(b"dnsmasq-dhcp[1]: DH only"), 0));
        assert!(!set.candidate(set.scan(b"no pairs of it here"), 0));
        // Without a literal run of two bytes a pattern is always a candidate.
        assert!(set.candidate(0, 1));
    }

    #[test]
    fn a_single_pair_counts_twice() {
        assert_eq!(
            anchor(&parse(b"%s ab %s").unwrap()),
            Some([(b'a', b'b'); 2])
        );
        let set = filter(&[b"%s ab %s"]);
        assert!(set.candidate(set.scan(b"x ab y"), 0));
        assert!(!set.candidate(set.scan(b"x a b y"), 0));
    }
}
