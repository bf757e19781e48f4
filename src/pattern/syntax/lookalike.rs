//! Patterns written as a regex or a fail2ban filter: refused with how to write them here.
//!
//! Owns: the list of regex and fail2ban constructs that SPEC §5 refuses (`<HOST>`, a leading
//! `^`, `.*`, `\d`, `(?P<`, `[0-9]+` …), each with the message that says what to write instead.
//! Never: refuses text inside a scanset or a conversion, or text a log line commonly holds —
//! every construct here needs two or more bytes that log messages almost never put together
//! (a regex escape letter after a backslash and not before a letter or digit, as in a Windows
//! path, a dot before a repeat, a tag in capitals), except the anchors, which are refused only
//! where an anchor would stand: `^` first, `$` last.
//!
//! Each message also says how to write the text when a log line really holds it, so that no
//! line is out of reach: a leading `^` can be left out (a match may start anywhere), and any
//! other byte can be taken by a one-byte scanset (`%[$]`, `%[\]`, `%[.]`).

use super::super::CompileError;

/// fail2ban's tags for the address (its `<HOST>` family).
const HOST_TAGS: &[&[u8]] = &[
    b"HOST", b"ADDR", b"IP4", b"IP6", b"DNS", b"CIDR", b"SUBNET", b"HOST6", b"HOST4",
];

/// The first regex or fail2ban construct in the literal text of `src`, as a compile error.
/// Scansets and conversions are skipped (malformed ones are left for the parser to report).
pub(crate) fn check(src: &[u8]) -> Result<(), CompileError> {
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'%' {
            match src.get(i + 1) {
                Some(b'(') => return Err(err(i, interpolation())),
                Some(b'[') => match scanset_end(src, i + 2) {
                    Some(end) => i = end,
                    None => return Ok(()),
                },
                _ => i += 2,
            }
            continue;
        }
        if let Some(reason) = at(src, i) {
            return Err(err(i, reason));
        }
        i += 1;
    }
    Ok(())
}

/// The construct starting at `src[i]` (a literal byte), if any.
fn at(src: &[u8], i: usize) -> Option<String> {
    let rest = &src[i..];
    let next = rest.get(1).copied();
    match rest[0] {
        b'^' if i == 0 => Some(
            "a leading '^' is a regex anchor: a pattern may start matching anywhere, so leave \
             it out (the text after it then starts the match; a pattern that begins with its \
             rule's program as a tag, NAME[%d]:, matches from the start of the message)"
                .into(),
        ),
        b'$' if i + 1 == src.len() && i > 0 => Some(
            "a trailing '$' is a regex anchor: a pattern always matches through to the end of \
             the message, so leave it out (a line that really ends in '$': write %[$])"
                .into(),
        ),
        b'.' if matches!(next, Some(b'*' | b'+')) => Some(format!(
            "'{}' is regex: write %b for any text, or %s for one word (a real '.{}' in the \
             line: write %[.]{})",
            rest[..2].escape_ascii(),
            char::from(rest[1]),
            char::from(rest[1])
        )),
        // A letter escape followed by a letter or digit is a path (`C:\data`, `\\srv\share`).
        b'\\'
            if next.is_some_and(|c| c.is_ascii_alphabetic())
                && rest.get(2).is_some_and(|c| c.is_ascii_alphanumeric()) =>
        {
            None
        }
        b'\\' => next.and_then(backslash),
        b'(' if next == Some(b'?') => Some(
            "'(?' starts a regex group: conversions capture by themselves (%s a word, %d a \
             number, %[^'] text up to a quote, %b any text), and 'option fields' names them"
                .into(),
        ),
        b'<' => fail2ban_tag(rest),
        b'[' => regex_class(rest),
        _ => None,
    }
}

/// A regex escape `\c`: the conversion or literal to write instead.
fn backslash(c: u8) -> Option<String> {
    let instead = match c {
        b'd' => "%d (a number, or %u without a sign)",
        b's' => "a space (any whitespace run in the pattern matches one or more whitespace bytes)",
        b'S' | b'w' => "%s (one word)",
        b'D' | b'W' => "a scanset such as %[^0-9]",
        b'b' | b'B' | b'A' | b'z' | b'Z' => {
            "nothing: word boundaries and anchors do not exist here"
        }
        b'.' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'*' | b'+' | b'?' | b'|' | b'^'
        | b'$' => {
            return Some(format!(
                "'\\{}' is a regex escape: every byte other than '%' and whitespace is literal, \
                 write '{}' alone (a real backslash in the line: write %[\\]{})",
                char::from(c),
                char::from(c),
                char::from(c)
            ));
        }
        _ => return None,
    };
    Some(format!(
        "'\\{}' is a regex escape: write {instead} (a real backslash in the line: write %[\\]{})",
        char::from(c),
        char::from(c)
    ))
}

/// `<HOST>`, `<F-USER>` and the like at the start of `rest`.
fn fail2ban_tag(rest: &[u8]) -> Option<String> {
    let close = rest.iter().position(|&b| b == b'>')?;
    let name = &rest[1..close];
    let tag = HOST_TAGS.contains(&name)
        || name.len() > 2
            && name.starts_with(b"F-")
            && name[2..]
                .iter()
                .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        || name == b"SKIPLINES";
    tag.then(|| {
        let what = if HOST_TAGS.contains(&name) {
            "capture the address with %s (or %[0-9a-fA-F.:] for its bytes)"
        } else {
            "capture the value with a conversion (%s a word, %[^'] text up to a quote) and \
             name it in 'option fields'"
        };
        format!("'<{}>' is a fail2ban tag: {what}", name.escape_ascii())
    })
}

/// A regex class followed by a repeat (`[0-9]+`, `[^ ]*`) at the start of `rest`.
fn regex_class(rest: &[u8]) -> Option<String> {
    // A `]` right after `[` or `[^` is a member, as in a regex.
    let body = 1 + usize::from(rest.get(1) == Some(&b'^'));
    let close = body + 1 + rest.get(body + 1..)?.iter().position(|&b| b == b']')?;
    // A conversion inside is pattern text between brackets (`[%d]+`), not a class.
    if !matches!(rest.get(close + 1), Some(b'+' | b'*' | b'{')) || rest[..close].contains(&b'%') {
        return None;
    }
    let class = &rest[..=close];
    Some(format!(
        "'{}{}' is a regex class: write the scanset %{} (one or more of its bytes)",
        class.escape_ascii(),
        char::from(rest[close + 1]),
        class.escape_ascii()
    ))
}

/// `%(name)s` is fail2ban's interpolation of another definition.
fn interpolation() -> String {
    "'%(' is fail2ban's interpolation ('%(__prefix_line)s'): write the text itself; the \
     pattern matches the message from anywhere, so a prefix can be left out"
        .into()
}

/// The offset just past the scanset whose members start at `src[i]`, if it is closed.
fn scanset_end(src: &[u8], mut i: usize) -> Option<usize> {
    i += usize::from(src.get(i) == Some(&b'^'));
    let first = i;
    loop {
        match src.get(i)? {
            b']' if i > first => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn err(offset: usize, reason: String) -> CompileError {
    CompileError { offset, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: &str) -> Option<(usize, String)> {
        check(p.as_bytes()).err().map(|e| (e.offset, e.reason))
    }

    #[test]
    fn regex_and_fail2ban_constructs_are_refused_with_advice() {
        for (p, off, advice) in [
            ("Failed password for .* from <HOST>", 20, "%b"),
            ("Failed password for %s from <HOST> port %d", 28, "%s"),
            ("^Failed password", 0, "anywhere"),
            ("session closed$", 14, "end"),
            ("port \\d+", 5, "%d"),
            ("user\\s+root", 4, "space"),
            ("user \\w+ from", 5, "%s"),
            ("(?P<host>\\S+)", 0, "capture"),
            ("from (?:ip )?%s", 5, "capture"),
            ("port [0-9]+ x", 5, "%[0-9]"),
            ("name [^ ]* x", 5, "%[^ ]"),
            ("a.+b", 1, "%b"),
            ("user <F-USER> from %s", 5, "fields"),
            ("%(__prefix_line)sFailed", 0, "interpolation"),
            ("1\\.2", 1, "'.' alone"),
            ("id \\d{3}", 3, "%d"),
            ("\\bword\\b", 6, "boundaries"),
            ("a\\s*b", 1, "space"),
        ] {
            let (o, why) = refused(p).unwrap_or_else(|| panic!("{p} accepted"));
            assert_eq!(o, off, "{p}: {why}");
            assert!(why.contains(advice), "{p}: {why}");
        }
    }

    #[test]
    fn ordinary_log_text_is_accepted() {
        for p in [
            "dropbear[%d]: Exit before auth from <%s:%d>: %b",
            "Call from '%b' (%s) to extension '%s' rejected",
            "kernel: [%f] DROP IN=%s",
            "user <root> logged in from %s",
            "a ^ b costs $5 (total) [x] ... done. *",
            "price: 5$ each",
            "C:\\Users\\%s",
            "C:\\data\\%s",
            "\\\\server\\share\\docs",
            "at C:\\windows\\system32",
            "from '%[^']' failed for '%s:%d' (callid: %[^']) - Failed",
            "%[.*^$\\]+x",
            "[%d]+ items",
            "1.2.3.4",
            "$",
        ] {
            assert_eq!(refused(p), None, "{p}");
        }
    }
}
