//! Fast rejection and start skipping, derived from a pattern's literal text.
//!
//! Owns: the checks that let a subject no rule can match cost little more than a `memchr`
//! scan (minimum length, literal suffix, required literal), and the scan for the next possible
//! match start. Never: rejects a subject that the full matcher would accept.

use super::syntax::{ByteSet, CLASS_TABLE, Conv, DIGIT, Elem, HEX, OCTAL, SIGN, SPACE};

/// Where a match may start: lets an engine skip bytes where none can.
pub(crate) trait StartScan {
    /// The first position `>= from` and `<= last` where a match could start.
    fn next(&self, hay: &[u8], from: usize, last: usize) -> Option<usize>;
}

/// Necessary conditions for a match, checked before running the VM.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    /// Every element consumes at least one byte.
    min_len: usize,
    /// Literal bytes the pattern ends with; the subject must end with them (the match reaches
    /// the end of the subject).
    suffix: Vec<u8>,
    /// The longest literal run of the pattern, which every matching subject contains.
    required: Option<Literal>,
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
        let required = (!longest.is_empty() && longest != suffix).then(|| Literal::new(&longest));
        Prefilter {
            min_len: super::syntax::min_len(elems),
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
            && self
                .required
                .as_ref()
                // Candidates that cost as many compared bytes as the subject has: linear.
                .is_none_or(|f| f.find(hay, hay.len() / f.needle.len() + 4).is_some())
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

/// A literal found by its rarest byte (`memchr`), each candidate compared whole. Its state is
/// the needle and its rarest byte's offset: memmem's searcher spread over four or five cache
/// lines, each a miss after an idle gap, for every pattern a burst of lines reaches.
///
/// An exact search by candidates is quadratic on a run of near misses (an attacker repeating
/// `ZZZZ` to a `ZZZZa` literal), so the candidates checked are bounded and the search may stop at
/// a candidate unchecked: its answer is a position where the literal *may* occur, never after its
/// leftmost occurrence. Both users only need that (the prefilter asks "may it match", the start
/// scans "where may a match start"; the engines check).
#[derive(Clone, Debug)]
pub(crate) struct Literal {
    needle: Box<[u8]>,
    /// Offset in `needle` of its rarest byte (by [`frequency`]).
    rare: usize,
}

impl Literal {
    /// `needle` is not empty.
    fn new(needle: &[u8]) -> Literal {
        let rare = (0..needle.len())
            .min_by_key(|&i| frequency(needle[i]))
            .unwrap_or(0);
        Literal {
            needle: needle.into(),
            rare,
        }
    }

    /// The leftmost occurrence of the needle in `hay`, or, after `tries` candidates that were
    /// not, the next candidate unchecked. `None`: the needle does not occur.
    pub(crate) fn find(&self, hay: &[u8], tries: usize) -> Option<usize> {
        let (n, rare) = (self.needle.len(), self.rare);
        let last = hay.len().checked_sub(n)?;
        let (mut start, mut tried) = (0, 0);
        loop {
            let at =
                start + memchr::memchr(self.needle[rare], hay.get(start + rare..=last + rare)?)?;
            if tried == tries || hay[at..at + n] == *self.needle {
                return Some(at);
            }
            (start, tried) = (at + 1, tried + 1);
        }
    }
}

/// How to find the next position where a match can start.
#[derive(Clone, Debug)]
pub(crate) enum Start {
    /// Any byte can start a match.
    Any,
    /// The pattern starts with this byte.
    Byte(u8),
    /// The pattern starts with this literal (two bytes or more).
    Literal(Literal),
    /// The first byte is in this class mask.
    Class(u16),
    /// The pattern starts with a scanset: the first byte is one of its members.
    Set(ByteSet),
}

impl Start {
    pub(crate) fn new(elems: &[Elem]) -> Start {
        let prefix = literal_runs(elems).next().unwrap_or_default();
        match (elems.first(), prefix.len()) {
            (_, 1) => Start::Byte(prefix[0]),
            (_, n) if n >= 2 => Start::Literal(Literal::new(&prefix)),
            (Some(Elem::Space), _) => Start::Class(SPACE),
            (Some(Elem::Conv { conv, trailing }), _) if !trailing => match conv {
                Conv::D | Conv::I => Start::Class(SPACE | SIGN | DIGIT),
                Conv::U => Start::Class(SPACE | DIGIT),
                Conv::O => Start::Class(SPACE | OCTAL),
                Conv::X => Start::Class(SPACE | HEX),
                Conv::Scan(set) => Start::Set(*set),
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
            Start::Literal(f) => f.find(&hay[from..], 4).map(|i| from + i),
            Start::Class(m) => hay[from..=last]
                .iter()
                .position(|&b| CLASS_TABLE[b as usize] & m != 0)
                .map(|i| from + i),
            Start::Set(set) => hay[from..=last]
                .iter()
                .position(|&b| set.contains(b))
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
    use crate::pattern::syntax::parse;

    fn naive(needle: &[u8], hay: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn literal_finds_the_leftmost_occurrence() {
        let hays: [&[u8]; 6] = [
            b"",
            b"Fre",
            b"xx Freeswitch: SIP registration failed User:1 IP:2",
            b"Freeswitch: Freeswitch: SIP registration failed",
            b"SIP SIP registration SIP registration failed",
            b"registration faile",
        ];
        for needle in [&b"SIP registration failed"[..], b"Fr", b"x", b"failed"] {
            let lit = Literal::new(needle);
            for hay in hays {
                assert_eq!(
                    lit.find(hay, 99),
                    naive(needle, hay),
                    "{needle:?} in {hay:?}"
                );
            }
        }
    }

    #[test]
    fn literal_stops_at_a_candidate_after_its_tries() {
        // Every position is a candidate (`Z` is the rarest byte) that fails on its last byte.
        let needle = [&[b'Z'; 40][..], b"a"].concat();
        let lit = Literal::new(&needle);
        assert_eq!(lit.rare, 0);
        let mut hay = vec![b'Z'; 4000];
        hay.extend_from_slice(&needle);
        assert_eq!(
            lit.find(&hay, 3),
            Some(3),
            "the fourth candidate, unchecked"
        );
        assert_eq!(lit.find(&hay, 5000), Some(4000));
        assert_eq!(lit.find(&hay[..4000], 5000), None);
        assert_eq!(lit.find(b"xxZZZZ", 0), None, "too short for the needle");
    }

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
