//! Pattern text → element list: the syntax of SPEC §5.
//!
//! Owns: conversions, scansets, `%%`, whitespace runs, the byte classes they name, and compile
//! errors with byte offsets (including patterns written as a regex, `lookalike`).
//! Never: builds a program or looks at a subject (`nfa` translates the elements).

mod lookalike;

use super::{CompileError, MAX_CAPTURES};

/// Byte classes, as bits of [`CLASS_TABLE`]; `\s` is exactly the regex crate's ASCII `\s`.
pub(crate) const SPACE: u16 = 1 << 0;
pub(crate) const NOT_SPACE: u16 = 1 << 1;
pub(crate) const DIGIT: u16 = 1 << 2;
pub(crate) const DIGIT19: u16 = 1 << 3;
pub(crate) const OCTAL: u16 = 1 << 4;
pub(crate) const HEX: u16 = 1 << 5;
pub(crate) const ANY: u16 = 1 << 6;
pub(crate) const SIGN: u16 = 1 << 7;
pub(crate) const XX: u16 = 1 << 8;
pub(crate) const EE: u16 = 1 << 9;

/// `\s` in the regex crate's bytes mode: `[\t\n\v\f\r ]`.
pub(crate) const fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

const fn class_bits(b: u8) -> u16 {
    let mut m = ANY;
    if is_space(b) {
        m |= SPACE;
    } else {
        m |= NOT_SPACE;
    }
    if b.is_ascii_digit() {
        m |= DIGIT | HEX;
        if b != b'0' {
            m |= DIGIT19;
        }
        if b <= b'7' {
            m |= OCTAL;
        }
    }
    if matches!(b, b'a'..=b'f' | b'A'..=b'F') {
        m |= HEX;
    }
    if b == b'+' || b == b'-' {
        m |= SIGN;
    }
    if b == b'x' || b == b'X' {
        m |= XX;
    }
    if b == b'e' || b == b'E' {
        m |= EE;
    }
    m
}

/// Class membership of every byte.
pub(crate) static CLASS_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = class_bits(i as u8);
        i += 1;
    }
    t
};

/// A set of bytes (a scanset's members), one bit per byte value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct ByteSet([u32; 8]);

impl ByteSet {
    #[inline(always)]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 5)] >> (b & 31) & 1 != 0
    }

    pub(crate) fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 5)] |= 1 << (b & 31);
    }

    /// The bytes not in the set.
    pub(crate) fn complement(self) -> ByteSet {
        ByteSet(self.0.map(|w| !w))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0 == [0; 8]
    }

    /// The bytes with a bit of `class` in [`CLASS_TABLE`].
    pub(crate) fn of_class(class: u16) -> ByteSet {
        let mut set = ByteSet::default();
        for b in 0..=255u8 {
            if CLASS_TABLE[usize::from(b)] & class != 0 {
                set.insert(b);
            }
        }
        set
    }

    /// Whether no byte is in both sets.
    pub(crate) fn disjoint(&self, other: &ByteSet) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & b == 0)
    }
}

/// One conversion of SPEC §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conv {
    D,
    I,
    U,
    F,
    O,
    X,
    C,
    S,
    B,
    /// `%[set]` / `%[^set]`: `[set]+`, greedy, no whitespace skipping.
    Scan(ByteSet),
}

/// One element of a pattern, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elem {
    /// A literal byte (`%%` gives `%`).
    Lit(u8),
    /// A run of whitespace in the pattern: `\s+`.
    Space,
    /// A conversion; `trailing` when it is the last element and a `%s`/`%b` (`.+$`).
    Conv { conv: Conv, trailing: bool },
}

/// Parses pattern text into elements; errors carry the byte offset of the offending `%`.
pub(crate) fn parse(src: &[u8]) -> Result<Vec<Elem>, CompileError> {
    if src.is_empty() {
        return Err(err(0, "empty pattern"));
    }
    lookalike::check(src)?;
    let mut elems = Vec::new();
    let mut convs = 0;
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        if is_space(b) {
            while i < src.len() && is_space(src[i]) {
                i += 1;
            }
            elems.push(Elem::Space);
            continue;
        }
        if b != b'%' {
            elems.push(Elem::Lit(b));
            i += 1;
            continue;
        }
        let Some(&letter) = src.get(i + 1) else {
            return Err(err(i, "lone '%' at the end (write %% for a literal %)"));
        };
        let mut width = 2;
        let conv = match letter {
            b'%' => None,
            b'[' => {
                let (set, len) = scanset(src, i)?;
                width = len;
                Some(Conv::Scan(set))
            }
            b'd' => Some(Conv::D),
            b'i' => Some(Conv::I),
            b'u' => Some(Conv::U),
            b'f' => Some(Conv::F),
            b'o' => Some(Conv::O),
            b'x' | b'X' => Some(Conv::X),
            b'c' => Some(Conv::C),
            b's' => Some(Conv::S),
            b'b' => Some(Conv::B),
            b'0'..=b'9'
            | b'-'
            | b'+'
            | b' '
            | b'#'
            | b'\''
            | b'.'
            | b'*'
            | b'h'
            | b'l'
            | b'L'
            | b'j'
            | b'z'
            | b't' => {
                return Err(err(i, "widths and modifiers are not supported"));
            }
            _ => return Err(err(i, "unknown conversion")),
        };
        match conv {
            None => elems.push(Elem::Lit(b'%')),
            Some(conv) => {
                convs += 1;
                if convs > MAX_CAPTURES {
                    return Err(err(i, "more than 16 conversions"));
                }
                elems.push(Elem::Conv {
                    conv,
                    trailing: false,
                });
            }
        }
        i += width;
    }
    if let Some(Elem::Conv {
        conv: Conv::S | Conv::B,
        trailing,
    }) = elems.last_mut()
    {
        *trailing = true;
    }
    Ok(elems)
}

/// The scanset whose `%` is at `src[at]` (followed by `[`): its members and the length of its
/// text, `%[` to `]`. As C scanf: a `^` first negates, a `]` first (after the `^`) is a member,
/// `a-z` is a range, a `-` first or last is a member.
fn scanset(src: &[u8], at: usize) -> Result<(ByteSet, usize), CompileError> {
    let mut i = at + 2;
    let negate = src.get(i) == Some(&b'^');
    i += usize::from(negate);
    let first = i;
    let mut set = ByteSet::default();
    loop {
        let Some(&b) = src.get(i) else {
            return Err(err(at, "unterminated scanset: no ']' closes the '%['"));
        };
        if b == b']' && i > first {
            break;
        }
        match (src.get(i + 1), src.get(i + 2)) {
            (Some(b'-'), Some(&hi)) if hi != b']' => {
                if hi < b {
                    let why = format!(
                        "reversed range '{}-{}' in scanset (write the lower byte first)",
                        b.escape_ascii(),
                        hi.escape_ascii()
                    );
                    return Err(CompileError {
                        offset: i,
                        reason: why,
                    });
                }
                (b..=hi).for_each(|x| set.insert(x));
                i += 3;
            }
            _ => {
                set.insert(b);
                i += 1;
            }
        }
    }
    if negate {
        set = set.complement();
    }
    if set.is_empty() {
        return Err(err(at, "empty scanset: it matches no byte"));
    }
    Ok((set, i + 1 - at))
}

/// Length of the conversion text at `src[0]` (a `%`): 2, or a whole scanset. Only for text
/// that [`parse`] accepted.
pub(crate) fn conv_len(src: &[u8]) -> usize {
    match src.get(1) {
        Some(b'[') => scanset(src, 0).map_or(src.len(), |(_, n)| n),
        _ => 2.min(src.len()),
    }
}

fn err(offset: usize, reason: &str) -> CompileError {
    CompileError {
        offset,
        reason: reason.to_string(),
    }
}

/// Whether a conversion skips leading whitespace (`\s*`), as scanf does.
pub(crate) fn skips_space(conv: Conv) -> bool {
    !matches!(conv, Conv::C | Conv::B | Conv::Scan(_))
}

/// The byte offset in `src` of each element [`parse`] makes of it (`src` parsed without error).
pub(crate) fn elem_offsets(src: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut i = 0;
    while i < src.len() {
        offsets.push(i);
        if is_space(src[i]) {
            i += src[i..].iter().take_while(|&&b| is_space(b)).count();
        } else if src[i] == b'%' {
            i += conv_len(&src[i..]);
        } else {
            i += 1;
        }
    }
    offsets
}

/// Smallest number of subject bytes any match of `elems` consumes.
pub(crate) fn min_len(elems: &[Elem]) -> usize {
    elems.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_offset_and_reason() {
        let e = parse(b"").unwrap_err();
        assert_eq!(e.offset, 0);
        let e = parse(b"abc %q").unwrap_err();
        assert_eq!((e.offset, e.reason.as_str()), (4, "unknown conversion"));
        let e = parse(b"x %5s").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.reason.contains("modifier"));
        assert_eq!(parse(b"%ls").unwrap_err().offset, 0);
        assert_eq!(parse(b"ab%").unwrap_err().offset, 2);
        let p17 = b"%d".repeat(17);
        assert_eq!(parse(&p17).unwrap_err().offset, 32);
        assert!(parse(&b"%d".repeat(16)).is_ok());
    }

    #[test]
    fn trailing_only_for_last_s_or_b() {
        let e = parse(b"a %s").unwrap();
        assert_eq!(
            e.last(),
            Some(&Elem::Conv {
                conv: Conv::S,
                trailing: true
            })
        );
        let e = parse(b"%s %d").unwrap();
        assert_eq!(
            e[0],
            Elem::Conv {
                conv: Conv::S,
                trailing: false
            }
        );
        assert_eq!(parse(b"a%%").unwrap().last(), Some(&Elem::Lit(b'%')));
    }

    #[test]
    fn space_class_matches_regex_crate() {
        for b in 0..=255u8 {
            let want = matches!(b, 9..=13 | 32);
            assert_eq!(is_space(b), want, "byte {b}");
        }
    }
}
