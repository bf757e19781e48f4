//! A backtracker over whole segments: the fast engine for ordinary patterns and lines.
//!
//! Owns: matching a pattern as a sequence of segments — a phrase (literal text, where a space
//! stands for a whitespace run that can only be taken whole), a whitespace run, one conversion —
//! where each segment tries the positions it may end at in the priority order of its regex
//! (greedy runs longest first, lazy ones shortest first). A segment's own choices never change
//! what the rest of the pattern sees except through that end position (a conversion's leading
//! `\s*` can only take the whole whitespace run: what follows it cannot start on whitespace),
//! so trying ends in that order is the leftmost-first search of SPEC §5, a run of bytes at a
//! time instead of one instruction per byte.
//! Never: allocates, or works past its budget — a search that would answers `None` and the
//! caller moves to the instruction-level engines, which are linear in the subject.
//! Patterns with a `%f` (nested choices) have no segments and go to those engines directly.

use super::compile::{
    ANY, CLASS_TABLE, Conv, DIGIT, DIGIT19, Elem, HEX, NOT_SPACE, OCTAL, SIGN, SPACE, XX,
};
use super::pike::{MAX_SLOTS, StartScan};

/// One segment, with the capture number of a conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg {
    /// `len` bytes of [`Segments::bytes`] from `at`: literal bytes, and `b' '` for a `\s+` that
    /// settles (pattern whitespace always becomes `\s+`, so a literal space cannot occur).
    Lit { at: u16, len: u16 },
    /// `\s+` that may have to give bytes back.
    Space,
    /// `%d` (`sign`), `%u`, `%o`: `\s*[+-]?class+`, greedy.
    Num { class: u16, sign: bool, cap: u8 },
    /// `%x`: `\s*(0[xX])?[0-9a-fA-F]+`.
    Hex { cap: u8 },
    /// `%i`: `\s*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)`.
    Int { cap: u8 },
    /// `%c`: one byte.
    Char { cap: u8 },
    /// `%s` (`\s*\S+?`) or `%b` (`.+?`) before more pattern: lazy.
    Lazy { class: u16, skip: bool, cap: u8 },
    /// The trailing `%s`/`%b`: everything left, at least one byte.
    Tail { skip: bool, cap: u8 },
}

/// A pattern as segments, built once at compile time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Segments {
    segs: Vec<Seg>,
    /// Per segment: only its longest end can let the next segment match, so no other is tried
    /// (see [`settles`]).
    settles: Vec<bool>,
    bytes: Vec<u8>,
}

/// Searches whose segments would take more steps than this per subject byte go to the
/// instruction-level engines (ordinary lines take well under one).
const STEPS_PER_BYTE: usize = 4;

/// Longer subjects go straight to the instruction-level engines. A step here costs several
/// of theirs, and a long subject that no start matches soon (64 KiB of `a a a … b` against
/// `%s a %s a %s b`) is the reverse engine's case: it finds the only start from the end in
/// microseconds, where this engine would spend its whole budget (milliseconds) first.
pub(crate) const MAX_LEN: usize = 1024;

impl Segments {
    /// The segments of `elems`, or `None` for a pattern this engine does not take (`%f`, or
    /// literal text too long for its `u16` ranges).
    pub(crate) fn new(elems: &[Elem]) -> Option<Segments> {
        let mut plain = Segments::default();
        let mut cap = 0u8;
        for e in elems {
            match *e {
                Elem::Lit(b) => plain.push_text(b)?,
                Elem::Space => plain.segs.push(Seg::Space),
                Elem::Conv { conv, trailing } => {
                    plain.segs.push(conv_seg(conv, trailing, cap)?);
                    cap += 1;
                }
            }
        }
        plain.settle();
        // Every whitespace run that settles joins the text beside it as one `b' '`.
        let mut out = Segments::default();
        for (i, &seg) in plain.segs.iter().enumerate() {
            let beside_text = matches!(out.segs.last(), Some(Seg::Lit { .. }))
                || matches!(plain.segs.get(i + 1), Some(Seg::Lit { .. }));
            match seg {
                Seg::Lit { at, len } => {
                    for &b in plain.text(at, len) {
                        out.push_text(b)?;
                    }
                }
                Seg::Space if plain.settles[i] && beside_text => out.push_text(b' ')?,
                _ => out.segs.push(seg),
            }
        }
        out.settle();
        Some(out)
    }

    /// Appends a byte of text, to the last segment when that is text.
    fn push_text(&mut self, b: u8) -> Option<()> {
        self.bytes.push(b);
        if let Some(Seg::Lit { len, .. }) = self.segs.last_mut() {
            *len = u16::try_from(usize::from(*len) + 1).ok()?;
        } else {
            let at = u16::try_from(self.bytes.len() - 1).ok()?;
            self.segs.push(Seg::Lit { at, len: 1 });
        }
        Some(())
    }

    fn settle(&mut self) {
        self.settles = (0..self.segs.len())
            .map(|i| settles(self.segs[i], self.segs.get(i + 1).copied(), &self.bytes))
            .collect();
    }

    fn text(&self, at: u16, len: u16) -> &[u8] {
        &self.bytes[usize::from(at)..usize::from(at) + usize::from(len)]
    }

    /// Runs `(?s)^.*?` + the pattern from each start `scan` gives, in order; `Some(matched)` with
    /// the slots in `out`, or `None` when the search outgrew its budget.
    pub(crate) fn exec(
        &self,
        hay: &[u8],
        scan: &impl StartScan,
        last_start: usize,
        out: &mut [u32; MAX_SLOTS],
    ) -> Option<bool> {
        let mut run = Run {
            segs: self,
            hay,
            slots: [0; MAX_SLOTS],
            left: STEPS_PER_BYTE * (hay.len() + 1) + 64,
        };
        let mut from = 0;
        while let Some(start) = scan.next(hay, from, last_start) {
            run.charge(1)?;
            if run.at(0, start)? {
                *out = run.slots;
                return Some(true);
            }
            from = start + 1;
        }
        Some(false)
    }
}

/// The segment of one conversion (`None` for `%f`).
fn conv_seg(conv: Conv, trailing: bool, cap: u8) -> Option<Seg> {
    let num = |class, sign| Seg::Num { class, sign, cap };
    let lazy = |class, skip| Seg::Lazy { class, skip, cap };
    Some(match conv {
        _ if trailing => Seg::Tail {
            skip: conv == Conv::S,
            cap,
        },
        Conv::D => num(DIGIT, true),
        Conv::U => num(DIGIT, false),
        Conv::O => num(OCTAL, false),
        Conv::X => Seg::Hex { cap },
        Conv::I => Seg::Int { cap },
        Conv::C => Seg::Char { cap },
        Conv::S => lazy(NOT_SPACE, true),
        Conv::B => lazy(ANY, false),
        Conv::F => return None,
    })
}

/// One search: the subject, the slots of the path being tried, the steps left. Steps are
/// charged per start, per end tried and per byte scanned; between two charged choices a path
/// takes at most one step per segment, so the work stays within a constant of the budget.
struct Run<'a> {
    segs: &'a Segments,
    hay: &'a [u8],
    slots: [u32; MAX_SLOTS],
    left: usize,
}

impl Run<'_> {
    /// Whether segments `i..` match from `pos` to the end of the subject; `None`: out of budget.
    /// Segments with a single way to go (text, `%c`, runs that settle) are taken in a loop;
    /// only real choices recurse.
    fn at(&mut self, mut i: usize, mut pos: usize) -> Option<bool> {
        loop {
            let Some(&seg) = self.segs.segs.get(i) else {
                return Some(pos == self.hay.len());
            };
            let settles = self.segs.settles[i];
            pos = match seg {
                Seg::Lit { at, len } => match self.text(pos, at, len)? {
                    Some(end) => end,
                    None => return Some(false),
                },
                Seg::Char { cap } => {
                    if pos >= self.hay.len() {
                        return Some(false);
                    }
                    self.open(cap, pos);
                    self.close(cap, pos + 1);
                    pos + 1
                }
                Seg::Space => {
                    let n = self.run(pos, SPACE)?;
                    if n == 0 || !settles {
                        return self.longest_first(i, pos + 1, pos + n);
                    }
                    pos + n
                }
                Seg::Num { class, sign, cap } => {
                    let p = pos + self.run(pos, SPACE)?;
                    let q = p + usize::from(sign && self.is(p, SIGN));
                    let n = self.run(q, class)?;
                    self.open(cap, p);
                    if n == 0 || !settles {
                        return self.longest_first(i, q + 1, q + n);
                    }
                    self.close(cap, q + n);
                    q + n
                }
                Seg::Lazy { class, skip, cap } => {
                    let p = if skip {
                        pos + self.run(pos, SPACE)?
                    } else {
                        pos
                    };
                    self.open(cap, p);
                    if !settles {
                        return self.shortest_first(i, cap, p, class);
                    }
                    let n = self.run(p, class)?;
                    if n == 0 {
                        return Some(false);
                    }
                    self.close(cap, p + n);
                    p + n
                }
                Seg::Hex { cap } => return self.hex(i, pos, cap),
                Seg::Int { cap } => return self.int(i, pos, cap),
                Seg::Tail { skip, cap } => return self.tail(pos, skip, cap),
            };
            i += 1;
        }
    }

    /// Text at `pos`: `Some(Some(end))` when it is there. Most subjects have single spaces where
    /// the pattern has whitespace, and one compare decides; otherwise word by word.
    fn text(&mut self, pos: usize, at: u16, len: u16) -> Option<Option<usize>> {
        let text = self.segs.text(at, len);
        let mut end = pos;
        if starts_with(&self.hay[pos..], text) {
            end += text.len();
        } else {
            for (k, word) in text.split(|&b| b == b' ').enumerate() {
                if k > 0 {
                    match self.run(end, SPACE)? {
                        0 => return Some(None),
                        n => end += n,
                    }
                }
                if !starts_with(&self.hay[end..], word) {
                    return Some(None);
                }
                end += word.len();
            }
            return Some(Some(end));
        }
        // A whitespace run at the end of the text takes the whole run.
        if text.last() == Some(&b' ') {
            end += self.run(end, SPACE)?;
        }
        Some(Some(end))
    }

    /// The trailing `\s*(.+)$` or `(.+)$`: the whitespace gives back its last byte when nothing
    /// else is left.
    fn tail(&mut self, pos: usize, skip: bool, cap: u8) -> Option<bool> {
        let len = self.hay.len();
        if pos >= len {
            return Some(false);
        }
        let mut start = pos;
        if skip {
            start = (pos + self.run(pos, SPACE)?).min(len - 1);
        }
        self.open(cap, start);
        self.close(cap, len);
        Some(true)
    }

    /// `%x`: with a `0x` prefix first (when there is one), then without; digits longest first.
    fn hex(&mut self, i: usize, pos: usize, cap: u8) -> Option<bool> {
        let p = pos + self.run(pos, SPACE)?;
        self.open(cap, p);
        if self.hay.get(p) == Some(&b'0') && self.is(p + 1, XX) {
            let n = self.run(p + 2, HEX)?;
            if self.longest_first(i, p + 3, p + 2 + n)? {
                return Some(true);
            }
        }
        let n = self.run(p, HEX)?;
        self.longest_first(i, p + 1, p + n)
    }

    /// `%i`: the three alternatives in order (hex, octal, decimal), each longest first.
    fn int(&mut self, i: usize, pos: usize, cap: u8) -> Option<bool> {
        let p = pos + self.run(pos, SPACE)?;
        let q = p + usize::from(self.is(p, SIGN));
        self.open(cap, p);
        if self.hay.get(q) == Some(&b'0') {
            if self.is(q + 1, XX) {
                let n = self.run(q + 2, HEX)?;
                if self.longest_first(i, q + 3, q + 2 + n)? {
                    return Some(true);
                }
            }
            let n = self.run(q + 1, OCTAL)?;
            return self.longest_first(i, q + 1, q + 1 + n);
        }
        if !self.is(q, DIGIT19) {
            return Some(false);
        }
        let n = self.run(q + 1, DIGIT)?;
        self.longest_first(i, q + 1, q + 1 + n)
    }

    /// Tries the segments after `i` from each end in `lo..=hi`, longest first (greedy); closes
    /// segment `i`'s capture at that end when it has one.
    fn longest_first(&mut self, i: usize, lo: usize, hi: usize) -> Option<bool> {
        let cap = self.segs.segs[i].cap();
        for end in (lo..=hi).rev() {
            self.charge(1)?;
            if let Some(c) = cap {
                self.close(c, end);
            }
            if self.at(i + 1, end)? {
                return Some(true);
            }
        }
        Some(false)
    }

    /// Tries the segments after lazy segment `i` (its value starts at `p`, bytes of `class`)
    /// from each end, shortest first. When text follows, only the ends where its first byte
    /// stands (any whitespace for a leading `b' '`) can work, and one pass finds them.
    fn shortest_first(&mut self, i: usize, cap: u8, p: usize, class: u16) -> Option<bool> {
        let next = match self.segs.segs.get(i + 1) {
            Some(&Seg::Lit { at, .. }) => Some(self.segs.bytes[usize::from(at)]),
            _ => None,
        };
        let hay = self.hay;
        let mut end = p + 1;
        loop {
            if end > hay.len() || !self.is(end - 1, class) {
                return Some(false);
            }
            if let Some(c) = next {
                // The first byte from `end` that can start the text, unless a byte outside
                // `class` (which ends the value) comes first.
                let starts = |b: u8| match c {
                    b' ' => CLASS_TABLE[usize::from(b)] & SPACE != 0,
                    _ => b == c,
                };
                let rest = &hay[end..];
                let k = match (c, class) {
                    (b' ', _) | (_, NOT_SPACE) => rest
                        .iter()
                        .position(|&b| starts(b) || CLASS_TABLE[usize::from(b)] & class == 0),
                    _ => memchr::memchr(c, rest),
                };
                match k {
                    Some(k) if starts(rest[k]) => {
                        self.charge(k / 4)?;
                        end += k;
                    }
                    _ => return Some(false),
                }
            }
            self.charge(1)?;
            self.close(cap, end);
            if self.at(i + 1, end)? {
                return Some(true);
            }
            end += 1;
        }
    }

    /// Length of the run of bytes in `class` from `pos`, charged a step per byte (every byte is
    /// in `ANY`: that run is the rest, free).
    fn run(&mut self, pos: usize, class: u16) -> Option<usize> {
        let rest = self.hay.get(pos..).unwrap_or_default();
        if class == ANY {
            return Some(rest.len());
        }
        let n = rest
            .iter()
            .position(|&b| CLASS_TABLE[usize::from(b)] & class == 0)
            .unwrap_or(rest.len());
        self.charge(n)?;
        Some(n)
    }

    /// Whether the byte at `pos` is in `class`.
    fn is(&self, pos: usize, class: u16) -> bool {
        self.hay
            .get(pos)
            .is_some_and(|&b| CLASS_TABLE[usize::from(b)] & class != 0)
    }

    fn charge(&mut self, steps: usize) -> Option<()> {
        self.left = self.left.checked_sub(steps)?;
        Some(())
    }

    fn open(&mut self, cap: u8, pos: usize) {
        self.slots[2 * usize::from(cap)] = pos as u32;
    }

    fn close(&mut self, cap: u8, pos: usize) {
        self.slots[2 * usize::from(cap) + 1] = pos as u32;
    }
}

impl Seg {
    fn cap(self) -> Option<u8> {
        match self {
            Seg::Lit { .. } | Seg::Space => None,
            Seg::Num { cap, .. }
            | Seg::Hex { cap }
            | Seg::Int { cap }
            | Seg::Char { cap }
            | Seg::Lazy { cap, .. }
            | Seg::Tail { cap, .. } => Some(cap),
        }
    }
}

/// Whether `seg` (a greedy run, or a lazy `%s`) followed by `next` (`None`: the end) can only
/// end where its run ends. A shorter end leaves a byte of the run where `next` starts; that
/// fails when `next` cannot start with such a byte — or, after a whitespace run, when `next`
/// skips whitespace itself, so every split of the run leads to the same place.
fn settles(seg: Seg, next: Option<Seg>, bytes: &[u8]) -> bool {
    let class = match seg {
        Seg::Space => SPACE,
        Seg::Num { class, .. } => class,
        Seg::Lazy {
            class: NOT_SPACE, ..
        } => NOT_SPACE,
        _ => return false,
    };
    let Some(next) = next else {
        // Only the longest end can be the end of the subject.
        return true;
    };
    let skips = matches!(
        next,
        Seg::Num { .. } | Seg::Hex { .. } | Seg::Int { .. } | Seg::Lazy { skip: true, .. }
    );
    if seg == Seg::Space && skips {
        return true;
    }
    (0..=255u8).all(|b| CLASS_TABLE[usize::from(b)] & class == 0 || !can_start(next, b, bytes))
}

/// Whether a match of `seg` can start with byte `b`.
fn can_start(seg: Seg, b: u8, bytes: &[u8]) -> bool {
    let in_class = |m: u16| CLASS_TABLE[usize::from(b)] & m != 0;
    match seg {
        Seg::Lit { at, .. } => match bytes[usize::from(at)] {
            b' ' => in_class(SPACE),
            first => first == b,
        },
        Seg::Space => in_class(SPACE),
        Seg::Num { class, sign, .. } => in_class(SPACE | class) || (sign && in_class(SIGN)),
        Seg::Hex { .. } => in_class(SPACE | HEX),
        Seg::Int { .. } => in_class(SPACE | SIGN | DIGIT),
        Seg::Char { .. } | Seg::Lazy { .. } | Seg::Tail { .. } => true,
    }
}

/// `hay.starts_with(lit)` a word at a time: literals are short, and a C library's `memcmp` call
/// costs more than the compare. The last word may overlap the one before.
fn starts_with(hay: &[u8], lit: &[u8]) -> bool {
    let n = lit.len();
    let Some(hay) = hay.get(..n) else {
        return false;
    };
    let w8 = |c: &[u8], at: usize| u64::from_ne_bytes(c[at..at + 8].try_into().unwrap_or_default());
    let w4 = |c: &[u8], at: usize| u32::from_ne_bytes(c[at..at + 4].try_into().unwrap_or_default());
    match n {
        8.. => {
            (0..n / 8).all(|k| w8(hay, 8 * k) == w8(lit, 8 * k)) && w8(hay, n - 8) == w8(lit, n - 8)
        }
        4.. => w4(hay, 0) == w4(lit, 0) && w4(hay, n - 4) == w4(lit, n - 4),
        _ => hay.iter().zip(lit).all(|(a, b)| a == b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;

    #[test]
    fn starts_with_agrees_with_std() {
        let hay = b"Bad password attempt for 'root' from 10.0.0.1:22";
        for n in 0..=hay.len() {
            for lit in [&hay[..n], b"Bad password attempt for 'x'"] {
                assert_eq!(starts_with(hay, lit), hay.starts_with(lit), "{n}");
            }
        }
        assert!(!starts_with(b"Bad", b"Bad password"));
    }

    #[test]
    fn f_patterns_have_no_segments() {
        let elems = super::super::compile::parse(b"took %f s").unwrap();
        assert!(Segments::new(&elems).is_none());
        let elems = super::super::compile::parse(b"x %d %i %x %o %u %c %s %b").unwrap();
        assert!(Segments::new(&elems).is_some());
    }

    /// The segment engine (through `find`) and the Pike VM agree on real lines and edge cases.
    #[test]
    fn agrees_with_the_pike_vm() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (
                b"Bad password attempt for '%b' from %s:%d",
                &[
                    b"Bad password attempt for 'root' from 45.241.188.126:64479",
                    b"Bad password attempt for 'a' from ' from 1.2.3.4:5' from 9.9.9.9:1",
                    b"Bad password attempt for '' from 1.2.3.4:5",
                    b"Bad password attempt for 'x' from [::1]:22:33",
                    b"Bad password attempt for 'x' from 1.2.3.4:",
                ],
            ),
            (
                b"[WARNING] sofia_reg.c:%d SIP auth failure (%s) on sofia profile '%s' for [%s] from ip %s",
                &[
                    b"[WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile 'internal' for [1050@198.51.100.7] from ip 2a01:4f8::1",
                    b"[WARNING] sofia_reg.c:-12 SIP auth failure (REGISTER) on sofia profile 'a' b' for [x] from ip   y z",
                ],
            ),
            (
                b"%d %u %o %x %i %c|",
                &[
                    b" -12 34 0777 0x1F 0x10 z|",
                    b"+1 2 3 0 0 z|",
                    b"1 2 3 0x 07 z|",
                    b"1 2 3 ff -9 z|",
                    b"1 2 8 ff 9 z|",
                    b"1 2 3 0xg 0x z|",
                ],
            ),
            (
                b"a %s  b %b",
                &[b"xa y b z", b"a  q   b   ", b"a q b  \t", b"a q b", b"a a a b b b"],
            ),
            (b"%s", &[b"   ", b" ", b"", b"  x  ", b"x"]),
            (b"%b%b", &[b"ab", b"a", b"abc"]),
            (b"%i%i", &[b"0x1f7", b"123", b"007", b"-0x"]),
            (b"%x%x", &[b"0x1f", b"0xx1", b"00x1"]),
        ];
        for (pattern, subjects) in cases {
            let p = Pattern::compile(pattern).unwrap();
            let mut cache = p.cache();
            for s in *subjects {
                let (mut a, mut b) = Default::default();
                let found = p.find(s, &mut cache, &mut a);
                assert_eq!(
                    found,
                    p.find_pike(s, &mut cache, &mut b),
                    "{} on {}",
                    pattern.escape_ascii(),
                    s.escape_ascii()
                );
                assert_eq!(a, b, "{} on {}", pattern.escape_ascii(), s.escape_ascii());
                let mut seg = [0; MAX_SLOTS];
                let engine = p.segments.as_ref().unwrap();
                let last = s.len().checked_sub(p.prefilter.min_len());
                let went =
                    last.map_or(Some(false), |last| engine.exec(s, &p.start, last, &mut seg));
                assert_eq!(
                    went,
                    Some(found),
                    "segments ran out on {}",
                    s.escape_ascii()
                );
            }
        }
    }
}
