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
//! Patterns with a `%f`, `%i`, `%x` (alternatives inside the conversion) or `%c` (rare in log
//! rules) have no segments and go to those engines directly.

use super::nfa::{GaveUp, MAX_SLOTS, Slots};
use super::prefilter::StartScan;
use super::syntax::{ANY, ByteSet, CLASS_TABLE, Conv, DIGIT, Elem, NOT_SPACE, OCTAL, SIGN, SPACE};

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
    /// `%s` (`\s*\S+?`) or `%b` (`.+?`) before more pattern: lazy.
    Lazy { class: u16, skip: bool, cap: u8 },
    /// The trailing `%s`/`%b`: everything left, at least one byte.
    Tail { skip: bool, cap: u8 },
    /// A scanset `[set]+` ([`Segments::sets`]`[set]`): greedy, no whitespace skipping.
    Scan { set: u8, cap: u8 },
}

/// A pattern as segments, built once at compile time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Segments {
    segs: Vec<Seg>,
    /// Per segment: only its longest end can let the next segment match, so no other is tried
    /// (see [`settles`]).
    settles: Vec<bool>,
    bytes: Vec<u8>,
    /// The scansets that `Seg::Scan` names.
    sets: Vec<ByteSet>,
}

impl Segments {
    /// The segments of `elems`, or `None` for a pattern this engine does not take (`%f`, `%i`,
    /// `%x`, `%c`, or literal text too long for its `u16` ranges).
    pub(crate) fn new(elems: &[Elem]) -> Option<Segments> {
        let mut plain = Segments::default();
        let mut cap = 0u8;
        for e in elems {
            match *e {
                Elem::Lit(b) => plain.push_text(b)?,
                Elem::Space => plain.segs.push(Seg::Space),
                Elem::Conv {
                    conv: Conv::Scan(set),
                    ..
                } => {
                    // At most 16 conversions: the index fits.
                    let n = plain.sets.len() as u8;
                    plain.sets.push(set);
                    plain.segs.push(Seg::Scan { set: n, cap });
                    cap += 1;
                }
                Elem::Conv { conv, trailing } => {
                    plain.segs.push(conv_seg(conv, trailing, cap)?);
                    cap += 1;
                }
            }
        }
        plain.settle();
        // Every whitespace run that settles joins the text beside it as one `b' '`.
        let mut out = Segments {
            sets: plain.sets.clone(),
            ..Segments::default()
        };
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
            .map(|i| settles(self.segs[i], self.segs.get(i + 1).copied(), self))
            .collect();
    }

    fn text(&self, at: u16, len: u16) -> &[u8] {
        &self.bytes[usize::from(at)..usize::from(at) + usize::from(len)]
    }

    /// Runs `(?s)^.*?` + the pattern from each start `scan` gives, in order, with the slots in
    /// `out` on a match; gives up once the search would take more than `budget` steps.
    pub(crate) fn exec(
        &self,
        hay: &[u8],
        scan: &impl StartScan,
        last_start: usize,
        budget: usize,
        out: &mut Slots,
    ) -> Result<bool, GaveUp> {
        let mut run = Run {
            segs: self,
            hay,
            slots: [0; MAX_SLOTS],
            left: budget,
        };
        let mut from = 0;
        while let Some(start) = scan.next(hay, from, last_start) {
            let matched = run.charge(1).and_then(|()| run.at(0, start));
            match matched {
                None => return Err(GaveUp),
                Some(true) => {
                    *out = run.slots;
                    return Ok(true);
                }
                Some(false) => from = start + 1,
            }
        }
        Ok(false)
    }
}

/// The segment of one conversion (`None` for those left to the NFA engines).
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
        Conv::S => lazy(NOT_SPACE, true),
        Conv::B => lazy(ANY, false),
        Conv::X | Conv::I | Conv::F | Conv::C | Conv::Scan(_) => return None,
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
    /// Segments with a single way to go (text, runs that settle) are taken in a loop;
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
                Seg::Tail { skip, cap } => return self.tail(pos, skip, cap),
                Seg::Scan { set, cap } => {
                    let n = self.run_set(pos, set)?;
                    if n == 0 {
                        return Some(false);
                    }
                    self.open(cap, pos);
                    if !settles {
                        return self.longest_first(i, pos + 1, pos + n);
                    }
                    self.close(cap, pos + n);
                    pos + n
                }
            };
            i += 1;
        }
    }

    /// Text at `pos`: `Some(Some(end))` when it is there; each `b' '` takes a whole
    /// whitespace run.
    fn text(&mut self, pos: usize, at: u16, len: u16) -> Option<Option<usize>> {
        let mut end = pos;
        for &t in self.segs.text(at, len) {
            if t == b' ' {
                match self.run(end, SPACE)? {
                    0 => return Some(None),
                    n => end += n,
                }
            } else if self.hay.get(end) == Some(&t) {
                end += 1;
            } else {
                return Some(None);
            }
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

    /// Tries the segments after `i` from each end in `lo..=hi`, longest first (greedy); closes
    /// segment `i`'s capture at that end when it has one. When text follows, only the ends
    /// where its first byte stands (whitespace for a leading `b' '`) can work: the others are
    /// passed over without a step (`run` charged for them).
    fn longest_first(&mut self, i: usize, lo: usize, hi: usize) -> Option<bool> {
        let cap = self.segs.segs[i].cap();
        let next = match self.segs.segs.get(i + 1) {
            Some(&Seg::Lit { at, .. }) => Some(self.segs.bytes[usize::from(at)]),
            _ => None,
        };
        for end in (lo..=hi).rev() {
            let fits = match next {
                Some(b' ') => self.is(end, SPACE),
                Some(c) => self.hay.get(end) == Some(&c),
                None => true,
            };
            if !fits {
                continue;
            }
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
                let k = rest
                    .iter()
                    .position(|&b| starts(b) || CLASS_TABLE[usize::from(b)] & class == 0);
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

    /// Length of the run of bytes in `class` from `pos`, charged a step per byte.
    fn run(&mut self, pos: usize, class: u16) -> Option<usize> {
        let rest = self.hay.get(pos..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&b| CLASS_TABLE[usize::from(b)] & class == 0)
            .unwrap_or(rest.len());
        self.charge(n)?;
        Some(n)
    }

    /// Length of the run of bytes of scanset `set` from `pos`, charged a step per byte.
    fn run_set(&mut self, pos: usize, set: u8) -> Option<usize> {
        let set = &self.segs.sets[usize::from(set)];
        let rest = self.hay.get(pos..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&b| !set.contains(b))
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
            | Seg::Lazy { cap, .. }
            | Seg::Tail { cap, .. }
            | Seg::Scan { cap, .. } => Some(cap),
        }
    }
}

/// Whether `seg` (a greedy run, or a lazy `%s`) followed by `next` (`None`: the end) can only
/// end where its run ends. A shorter end leaves a byte of the run where `next` starts; that
/// fails when `next` cannot start with such a byte — or, after a whitespace run, when `next`
/// skips whitespace itself, so every split of the run leads to the same place. (The classes
/// here are whitespace, digits, octal digits and non-whitespace: only the last two overlap
/// others, and never whitespace; scansets are compared byte by byte.)
fn settles(seg: Seg, next: Option<Seg>, segs: &Segments) -> bool {
    let class = match seg {
        Seg::Space => SPACE,
        Seg::Num { class, .. } => class,
        Seg::Lazy {
            class: NOT_SPACE, ..
        } => NOT_SPACE,
        Seg::Scan { set, .. } => {
            let set = segs.sets[usize::from(set)];
            return next.is_none_or(|n| first_bytes(n, segs).is_some_and(|f| f.disjoint(&set)));
        }
        _ => return false,
    };
    match next {
        // Only the longest end can be the end of the subject.
        None => true,
        Some(Seg::Lit { at, .. }) => match segs.bytes[usize::from(at)] {
            b' ' => class != SPACE,
            first => CLASS_TABLE[usize::from(first)] & class == 0,
        },
        Some(Seg::Space) => class != SPACE,
        Some(Seg::Num { .. } | Seg::Lazy { skip: true, .. }) => class == SPACE,
        Some(Seg::Scan { set, .. }) => {
            segs.sets[usize::from(set)].disjoint(&ByteSet::of_class(class))
        }
        Some(_) => false,
    }
}

/// The bytes `seg` can start with (`None`: any byte).
fn first_bytes(seg: Seg, segs: &Segments) -> Option<ByteSet> {
    let mut f = ByteSet::of_class(SPACE);
    match seg {
        Seg::Lit { at, .. } => match segs.bytes[usize::from(at)] {
            b' ' => {}
            b => {
                f = ByteSet::default();
                f.insert(b);
            }
        },
        Seg::Space => {}
        Seg::Num { class, sign, .. } => {
            f = ByteSet::of_class(SPACE | class | if sign { SIGN } else { 0 });
        }
        Seg::Scan { set, .. } => f = segs.sets[usize::from(set)],
        Seg::Lazy { .. } | Seg::Tail { .. } => return None,
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::strategy::segments_budget;
    use crate::pattern::{Engine, Pattern};

    #[test]
    fn alternatives_inside_a_conversion_have_no_segments() {
        for p in [&b"took %f s"[..], b"%i", b"x%x", b"%c"] {
            let elems = super::super::syntax::parse(p).unwrap();
            assert!(Segments::new(&elems).is_none());
        }
        let elems = super::super::syntax::parse(b"x %d %o %u %s %b").unwrap();
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
                b"%d %u %o %u %u %s|",
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
            (b"%d%d", &[b"12", b"1", b"-1-2", b"+1 -2 "]),
            (b"%d%s", &[b"12", b"1", b"1 x", b"12x"]),
            (
                b"from '%[^']' failed for '%s:%d' (callid: %[^']) - Failed",
                &[
                    b"x from '\"1\" <sip:1@h>' failed for '1.2.3.4:5' (callid: a b) - Failed",
                    b"from 'a' failed for '1:2' (callid: ') - Failed",
                    b"from '' failed for '1:2' (callid: x) - Failed",
                ],
            ),
            (
                b"%[a-c]%[^ ]%[ ]%d",
                &[b"abcab  12", b"ab 1", b"a  -1", b"aaa", b"abc\t 1"],
            ),
            (b"%[0-9]%d", &[b"12345", b"1", b"12 3"]),
        ];
        for (pattern, subjects) in cases {
            let p = Pattern::compile(pattern).unwrap();
            let mut cache = p.cache();
            let mut pike = p.cache();
            pike.force(Some(Engine::Pike));
            for s in *subjects {
                let (mut a, mut b) = Default::default();
                let found = p.find(s, &mut cache, &mut a);
                assert_eq!(
                    found,
                    p.find(s, &mut pike, &mut b),
                    "{} on {}",
                    pattern.escape_ascii(),
                    s.escape_ascii()
                );
                assert_eq!(a, b, "{} on {}", pattern.escape_ascii(), s.escape_ascii());
                let mut seg = [0; MAX_SLOTS];
                let engine = p.segments.as_ref().unwrap();
                let last = s.len().checked_sub(p.prefilter.min_len());
                let budget = segments_budget(s.len());
                let went = last.map_or(Ok(false), |last| {
                    engine.exec(s, &p.start, last, budget, &mut seg)
                });
                assert_eq!(went, Ok(found), "segments ran out on {}", s.escape_ascii());
            }
        }
    }
}
