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
    /// Every literal run, in pattern order: a matching subject contains them in this order,
    /// without overlap (the earliest occurrence of each is the best place to look for the next).
    runs: Vec<Finder<'static>>,
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
        let required = (!longest.is_empty() && longest != suffix)
            .then(|| Finder::new(&longest).into_owned());
        let runs = literal_runs(elems)
            .filter(|run| !run.is_empty())
            .map(|run| Finder::new(&run).into_owned())
            .collect();
        Prefilter {
            min_len: super::compile::min_len(elems),
            suffix,
            required,
            runs,
        }
    }

    pub(crate) fn min_len(&self) -> usize {
        self.min_len
    }

    /// False when `hay` certainly does not match.
    #[inline]
    pub(crate) fn may_match(&self, hay: &[u8]) -> bool {
        hay.len() >= self.min_len
            && hay.ends_with(&self.suffix)
            && self.required.as_ref().is_none_or(|f| f.find(hay).is_some())
            && self.runs_in_order(hay)
    }

    fn runs_in_order(&self, hay: &[u8]) -> bool {
        let mut rest = hay;
        for f in &self.runs {
            match f.find(rest) {
                Some(i) => rest = &rest[i + f.needle().len()..],
                None => return false,
            }
        }
        true
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
    Literal(Finder<'static>),
    /// The first byte is in this class mask.
    Class(u16),
}

impl Start {
    pub(crate) fn new(elems: &[Elem]) -> Start {
        let prefix = literal_runs(elems).next().unwrap_or_default();
        match (elems.first(), prefix.len()) {
            (_, 1) => Start::Byte(prefix[0]),
            (_, n) if n >= 2 => Start::Literal(Finder::new(&prefix).into_owned()),
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
