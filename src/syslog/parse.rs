//! The nom parser of SPEC §3: PRI, then RFC5424, falling back to RFC3164 on the same bytes.
//!
//! Every parser here works on `&[u8]` and only ever returns sub-slices of its input, so a
//! [`Message`] borrows the frame and parsing never allocates. Nothing here may panic on input:
//! the only indexing is on slices whose length has just been checked.

use super::{Format, Message, StructuredData};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n, take_while1};
use nom::combinator::{consumed, eof, opt, peek, verify};
use nom::{IResult, Parser};

type Res<'a, T> = IResult<&'a [u8], T>;

/// Wall-clock fields of a sender's timestamp, as written (no time-zone conversion).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Clock {
    /// 1 = January.
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// Parses one frame. Never fails: a frame without a valid header is all MSG.
pub fn parse(frame: &[u8]) -> Message<'_> {
    let frame = strip_trailer(frame);
    let (facility, severity, rest) = match frame.first() {
        Some(b'<') => match pri(frame) {
            Ok((rest, v)) => (Some(v >> 3), Some(v & 7), rest),
            // Starts like a PRI but is not one: no header at all (SPEC §3 step 2).
            Err(_) => return headerless(frame),
        },
        _ => (None, None, frame),
    };
    let mut msg = match rfc5424(rest) {
        Some(m) => m,
        None => rfc3164(rest),
    };
    msg.facility = facility;
    msg.severity = severity;
    msg
}

/// Step 1: every trailing `\0`, `\n` and `\r` goes.
fn strip_trailer(frame: &[u8]) -> &[u8] {
    let keep = frame
        .iter()
        .rposition(|&b| !matches!(b, b'\0' | b'\n' | b'\r'))
        .map_or(0, |p| p + 1);
    &frame[..keep]
}

fn headerless(frame: &[u8]) -> Message<'_> {
    Message {
        format: Format::Rfc3164,
        facility: None,
        severity: None,
        version: None,
        timestamp: None,
        hostname: None,
        app_name: None,
        procid: None,
        msgid: None,
        sd: None,
        msg: frame,
        bom: false,
        subject3164: frame,
    }
}

fn trim_spaces(i: &[u8]) -> &[u8] {
    &i[run_of(i, |b| b == b' ')..]
}

/// Value of a run of at most 4 ASCII digits (nom has checked they are digits).
fn value(digits: &[u8]) -> u16 {
    digits
        .iter()
        .fold(0u16, |v, &d| v * 10 + u16::from(d.wrapping_sub(b'0')))
}

/// `min..=max` ASCII digits and their value (`max` ≤ 4, so it fits). Hand-written rather than
/// nom's generic `take_while_m_n`: it is the hottest primitive and this is several times faster.
fn digits(min: usize, max: usize) -> impl Fn(&[u8]) -> Res<'_, u16> {
    move |i| {
        let n = i
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return Err(error(i));
        }
        Ok((&i[n..], value(&i[..n])))
    }
}

fn error(i: &[u8]) -> nom::Err<nom::error::Error<&[u8]>> {
    nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify))
}

/// `<` 1–3 digits `>`, value ≤ 191.
fn pri(i: &[u8]) -> Res<'_, u8> {
    let (i, _) = tag(&b"<"[..])(i)?;
    let (i, v) = verify(digits(1, 3), |v| *v <= 191).parse(i)?;
    let (i, _) = tag(&b">"[..])(i)?;
    Ok((i, v as u8))
}

fn sp(i: &[u8]) -> Res<'_, &[u8]> {
    tag(&b" "[..])(i)
}

/// Exactly the byte `c`.
fn byte(c: u8) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| match i.first() {
        Some(&b) if b == c => Ok((&i[1..], &i[..1])),
        _ => Err(error(i)),
    }
}

/// One byte out of `set`.
fn one_of(set: &'static [u8]) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| match i.first() {
        Some(b) if set.contains(b) => Ok((&i[1..], &i[..1])),
        _ => Err(error(i)),
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/// `hh:mm:ss` with two digits each.
fn hms(i: &[u8]) -> Res<'_, (u8, u8, u8)> {
    let (i, h) = verify(digits(2, 2), |v| *v <= 23).parse(i)?;
    let (i, _) = byte(b':')(i)?;
    let (i, m) = verify(digits(2, 2), |v| *v <= 59).parse(i)?;
    let (i, _) = byte(b':')(i)?;
    let (i, s) = verify(digits(2, 2), |v| *v <= 60).parse(i)?;
    Ok((i, (h as u8, m as u8, s as u8)))
}

/// `.digits`, optional.
fn frac(i: &[u8]) -> Res<'_, Option<&[u8]>> {
    opt((byte(b'.'), take_while1(|b: u8| b.is_ascii_digit())))
        .map(|o| o.map(|(_, d)| d))
        .parse(i)
}

/// RFC3339 `YYYY-MM-DD(T|t)hh:mm:ss[.frac][Z|±hh:mm]`. The offset is optional: some senders
/// omit it, and a sender's offset is never used (no time-zone conversion).
fn rfc3339(i: &[u8]) -> Res<'_, Clock> {
    let (i, _year) = digits(4, 4)(i)?;
    let (i, _) = byte(b'-')(i)?;
    let (i, month) = verify(digits(2, 2), |v| (1..=12).contains(v)).parse(i)?;
    let (i, _) = byte(b'-')(i)?;
    let (i, day) = verify(digits(2, 2), |v| (1..=31).contains(v)).parse(i)?;
    let (i, _) = one_of(b"Tt")(i)?;
    let (i, (hour, minute, second)) = hms(i)?;
    let (i, _) = frac(i)?;
    let offset = (one_of(b"+-"), digits(2, 2), byte(b':'), digits(2, 2));
    let (i, _) = opt(alt((one_of(b"Zz").map(|_| ()), offset.map(|_| ())))).parse(i)?;
    let clock = Clock {
        month: month as u8,
        day: day as u8,
        hour,
        minute,
        second,
    };
    Ok((i, clock))
}

/// A three-letter English month, any case; 1 = January.
fn month(i: &[u8]) -> Res<'_, u8> {
    match i {
        [a, b, c, rest @ ..] => match month_number([*a, *b, *c]) {
            Some(m) => Ok((rest, m)),
            None => Err(error(i)),
        },
        _ => Err(error(i)),
    }
}

/// The month named by three letters, any case. `| 0x20` lowercases a letter and turns no other
/// byte into one, so a word compare per name decides.
fn month_number(m: [u8; 3]) -> Option<u8> {
    const NAMES: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let word = |m: [u8; 3]| u32::from_le_bytes([m[0], m[1], m[2], 0]);
    let lower = word(m) | 0x0020_2020;
    (1..=12u8).find(|&n| word(*NAMES[usize::from(n) - 1]) == lower)
}

/// Succeeds, consuming nothing, at SP or at the end of input.
fn at_boundary(i: &[u8]) -> Res<'_, ()> {
    peek(alt((eof, sp))).map(|_| ()).parse(i)
}

/// `Mmm{1,2 SP}d{1,2} hh:mm:ss[.frac][ yyyy]` or `Mmm dd yyyy hh:mm:ss`.
fn bsd_stamp(i: &[u8]) -> Res<'_, Clock> {
    let (i, month) = month(i)?;
    let (i, _) = take_while_m_n(1, 2, |b: u8| b == b' ')(i)?;
    let (i, day) = verify(digits(1, 2), |v| (1..=31).contains(v)).parse(i)?;
    let (i, _) = sp(i)?;
    let time_first = (
        hms,
        frac,
        opt((sp, digits(4, 4), peek(alt((at_boundary, colon))))),
    );
    let year_first = (digits(4, 4), sp, hms);
    let (i, (hour, minute, second)) =
        alt((time_first.map(|(t, _, _)| t), year_first.map(|(_, _, t)| t))).parse(i)?;
    let clock = Clock {
        month,
        day: day as u8,
        hour,
        minute,
        second,
    };
    Ok((i, clock))
}

fn colon(i: &[u8]) -> Res<'_, ()> {
    byte(b':').map(|_| ()).parse(i)
}

/// A timestamp's raw bytes and clock.
type Stamp<'a> = (&'a [u8], Clock);

/// A 3164 TIMESTAMP: its raw bytes and clock, one optional `:` after it skipped, and
/// followed by SP or the end.
fn timestamp3164(i: &[u8]) -> Res<'_, Stamp<'_>> {
    match fixed_stamp(i) {
        Some(done) => Ok(done),
        None => any_stamp(i),
    }
}

/// The stamp `syslog(3)` and logd write, [`fixed_clock`], then SP: most frames have it, and
/// reading it by position is several times faster than [`any_stamp`]. Anything else (a year or
/// fraction after the time, other layouts) is left to [`any_stamp`], which accepts every stamp
/// this does, with the same result.
fn fixed_stamp(i: &[u8]) -> Option<(&[u8], Stamp<'_>)> {
    // Four digits after the time may be a year, which belongs to the stamp.
    let year = i
        .get(16..20)
        .is_some_and(|y| y.iter().all(u8::is_ascii_digit));
    if i.get(15) != Some(&b' ') || year {
        return None;
    }
    let (stamp, rest) = i.split_at(15);
    Some((rest, (stamp, fixed_clock(stamp)?)))
}

/// Exactly `Mmm dd hh:mm:ss` (day padded with a space or a zero), read by position.
pub(crate) fn fixed_clock(stamp: &[u8]) -> Option<Clock> {
    let [
        m0,
        m1,
        m2,
        b' ',
        d0,
        d1,
        b' ',
        h0,
        h1,
        b':',
        n0,
        n1,
        b':',
        s0,
        s1,
    ] = *stamp
    else {
        return None;
    };
    let two = |a: u8, b: u8| {
        let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
        // Not `then_some`: its argument is computed first, and `a * 10` overflows for a letter.
        if a < 10 && b < 10 {
            Some(a * 10 + b)
        } else {
            None
        }
    };
    let day = two(if d0 == b' ' { b'0' } else { d0 }, d1)?;
    let (hour, minute, second) = (two(h0, h1)?, two(n0, n1)?, two(s0, s1)?);
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let month = month_number([m0, m1, m2])?;
    Some(Clock {
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// [`timestamp3164`] for every layout SPEC §3 accepts.
fn any_stamp(i: &[u8]) -> Res<'_, Stamp<'_>> {
    let (i, stamp) = consumed(alt((bsd_stamp, rfc3339))).parse(i)?;
    let (i, _) = opt(colon).parse(i)?;
    let (i, _) = at_boundary(i)?;
    Ok((i, stamp))
}

/// The clock of a timestamp this parser accepted (either convention), for the human line.
pub(crate) fn clock(stamp: &[u8]) -> Option<Clock> {
    alt((rfc3339, bsd_stamp)).parse(stamp).ok().map(|(_, c)| c)
}

// ---------------------------------------------------------------------------------------------
// RFC5424

/// A header field: non-space bytes, `-` meaning absent.
fn field(i: &[u8]) -> Res<'_, Option<&[u8]>> {
    let (i, t) = take_while1(|b: u8| b != b' ')(i)?;
    Ok((i, nil_or(t)))
}

fn nil_or(t: &[u8]) -> Option<&[u8]> {
    if t == b"-" { None } else { Some(t) }
}

/// An SD-ID or PARAM-NAME.
fn sd_name(i: &[u8]) -> Res<'_, &[u8]> {
    take_while1(|b: u8| !matches!(b, b'=' | b' ' | b']' | b'"'))(i)
}

/// A PARAM-VALUE without its quotes: up to the first `"` not preceded by an escaping `\`.
fn sd_value(i: &[u8]) -> Res<'_, &[u8]> {
    let mut escaped = false;
    for (n, &b) in i.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Ok((&i[n..], &i[..n])),
            _ => {}
        }
    }
    Err(error(i))
}

/// ` NAME="VALUE"` → (name, raw value).
pub(crate) fn sd_param(i: &[u8]) -> Res<'_, (&[u8], &[u8])> {
    let (i, _) = sp(i)?;
    let (i, name) = sd_name(i)?;
    let (i, _) = tag(&b"=\""[..])(i)?;
    let (i, val) = sd_value(i)?;
    let (i, _) = byte(b'"')(i)?;
    Ok((i, (name, val)))
}

/// `[ID PARAM*]` → (id, the raw params between the id and the `]`).
pub(crate) fn sd_element(i: &[u8]) -> Res<'_, (&[u8], &[u8])> {
    let (i, _) = byte(b'[')(i)?;
    let (mut i, id) = sd_name(i)?;
    let start = i;
    while let Ok((rest, _)) = sd_param(i) {
        i = rest;
    }
    let params = &start[..start.len() - i.len()];
    let (i, _) = byte(b']')(i)?;
    Ok((i, (id, params)))
}

/// `-` or one or more SD-ELEMENTs (the raw bytes of all of them).
fn structured_data(i: &[u8]) -> Res<'_, Option<&[u8]>> {
    if let Ok((rest, _)) = byte(b'-')(i) {
        return Ok((rest, None));
    }
    let (mut rest, _) = sd_element(i)?;
    while let Ok((r, _)) = sd_element(rest) {
        rest = r;
    }
    Ok((rest, Some(&i[..i.len() - rest.len()])))
}

/// `VERSION SP TIMESTAMP SP HOSTNAME SP APP SP PROCID SP MSGID SP SD [SP MSG]`, or `None`
/// when the header or the SD does not parse (the caller then falls back to RFC3164).
fn rfc5424(i: &[u8]) -> Option<Message<'_>> {
    let version = verify(digits(1, 3), |_| i.first() != Some(&b'0'));
    let stamp = alt((
        byte(b'-').map(|_| None),
        consumed(rfc3339).map(|(r, _)| Some(r)),
    ));
    let mut header = (
        version, sp, stamp, sp, field, sp, field, sp, field, sp, field, sp,
    );
    let (i, (version, _, timestamp, _, hostname, _, app_name, _, procid, _, msgid, _)) =
        header.parse(i).ok()?;
    let (i, sd) = structured_data(i).ok()?;
    let msg = match i.split_first() {
        None => i,
        Some((b' ', rest)) => trim_spaces(rest),
        Some(_) => return None,
    };
    let (msg, bom) = match msg.strip_prefix(b"\xEF\xBB\xBF") {
        Some(m) => (m, true),
        None => (msg, false),
    };
    Some(Message {
        format: Format::Rfc5424,
        facility: None,
        severity: None,
        version: Some(version),
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        sd: sd.map(|raw| StructuredData { raw }),
        msg,
        bom,
        subject3164: msg,
    })
}

// ---------------------------------------------------------------------------------------------
// RFC3164

/// Length of the longest prefix of `i` whose bytes all satisfy `keep`.
fn run_of(i: &[u8], keep: impl Fn(u8) -> bool) -> usize {
    i.iter().position(|&b| !keep(b)).unwrap_or(i.len())
}

/// A token that is a HOSTNAME: `[A-Za-z0-9._:-]+`, not ending in `:`, followed by SP.
fn hostname(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let host = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-');
    let (h, rest) = i.split_at(run_of(i, host));
    match (h.last(), rest.split_first()) {
        (Some(&last), Some((b' ', rest))) if last != b':' => Some((rest, h)),
        _ => None,
    }
}

/// A TAG's name (None when empty) and pid.
type Tag<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// `name[pid]:` or `name:`.
fn tag3164(i: &[u8]) -> Option<(&[u8], Tag<'_>)> {
    let (name, mut i) = i.split_at(run_of(i, |b| !matches!(b, b' ' | b':' | b'[')));
    let mut pid = None;
    if let Some(rest) = i.strip_prefix(b"[") {
        let n = rest.iter().position(|&b| b == b']' || b == b' ');
        if let Some(n) = n.filter(|&n| rest[n] == b']') {
            pid = Some(&rest[..n]);
            i = &rest[n + 1..];
        }
    }
    let i = i.strip_prefix(b":")?;
    let name = if name.is_empty() { None } else { Some(name) };
    let pid = pid.filter(|p| !p.is_empty());
    Some((i, (name, pid)))
}

fn rfc3164(i: &[u8]) -> Message<'_> {
    let i = i.strip_prefix(b" ").unwrap_or(i);
    let (i, timestamp) = match timestamp3164(i) {
        Ok((rest, (raw, _))) => (trim_spaces(rest), Some(raw)),
        Err(_) => (trim_spaces(i), None),
    };
    // Step 5: no timestamp, no hostname.
    let (i, hostname) = match timestamp.and_then(|_| hostname(i)) {
        Some((rest, h)) => (trim_spaces(rest), Some(h)),
        _ => (i, None),
    };
    let (msg, app_name, procid) = match tag3164(i) {
        Some((rest, (name, pid))) => (trim_spaces(rest), name, pid),
        None => (i, None, None),
    };
    Message {
        format: Format::Rfc3164,
        facility: None,
        severity: None,
        version: None,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid: None,
        sd: None,
        msg,
        bom: false,
        subject3164: i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_number_agrees_with_lowercasing() {
        let names = b"janfebmaraprmayjunjulaugsepoctnovdec";
        let reference = |m: [u8; 3]| {
            let lower = m.map(|b| b.to_ascii_lowercase());
            names
                .chunks(3)
                .position(|n| *n == lower)
                .map(|p| p as u8 + 1)
        };
        // Every byte at every position of every name, in both cases.
        for name in names.chunks(3) {
            for upper in [false, true] {
                let base: [u8; 3] = [name[0], name[1], name[2]]
                    .map(|b| if upper { b.to_ascii_uppercase() } else { b });
                for pos in 0..3 {
                    for b in 0..=255u8 {
                        let mut m = base;
                        m[pos] = b;
                        assert_eq!(month_number(m), reference(m), "{}", m.escape_ascii());
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_stamp_agrees_with_the_combinators() {
        let mut accepted = 0;
        let mut check = |i: &[u8]| {
            if let Some(fast) = fixed_stamp(i) {
                accepted += 1;
                assert_eq!(any_stamp(i).ok(), Some(fast), "{}", i.escape_ascii());
            }
        };
        // Every position of a few stamps changed to each byte of a small alphabet, one and two
        // at a time.
        let alphabet = b" 0123456789:.-+TZaMrNvoxy";
        for base in [
            &b"Mar  1 00:00:00 dnsmasq[1]: x"[..],
            b"nov 16 23:59:60 host",
            b"Dec 31 09:05:07 2024 host",
            b"Jan 09 12:00:00.123 x",
        ] {
            let mut v = base.to_vec();
            check(&v);
            for p in 0..base.len().min(21) {
                for &a in alphabet {
                    v[p] = a;
                    check(&v);
                    for q in p + 1..base.len().min(21) {
                        for &b in alphabet {
                            v[q] = b;
                            check(&v);
                        }
                        v[q] = base[q];
                    }
                }
                v[p] = base[p];
            }
        }
        assert!(accepted > 1000, "only {accepted} stamps took the fast path");
        // Fuzz findings: a letter or `)` where a digit goes overflowed `a * 10` (debug builds).
        for i in [
            &b"Nov  2) 21:45:37 root: h=ello"[..],
            b"Nmv 270.1:03:19:1( 1:54103",
        ] {
            assert!(fixed_stamp(i).is_none(), "{}", i.escape_ascii());
        }
        // What it leaves to the combinators: a year, a fraction, a one-space day, the end.
        for i in [
            &b"Dec 31 09:05:07 2024 host"[..],
            b"Jan 09 12:00:00.123 x",
            b"Jan 9 12:00:00 x",
            b"Jan  9 12:00:00",
        ] {
            assert!(fixed_stamp(i).is_none(), "{}", i.escape_ascii());
            assert!(any_stamp(i).is_ok(), "{}", i.escape_ascii());
        }
    }
}
