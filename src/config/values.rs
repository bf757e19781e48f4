//! Typed option values: booleans, bounded integers, paths, addresses and networks.
//!
//! Owns: turning one UCI value into one typed value, with a reason a router administrator
//! understands when it does not fit. Never: decides defaults or which option takes which type.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::uci::{Opt, ParseError, Value};
use crate::ipnet::IpNet;

/// An error on a line of the file; `config` adds the file name.
pub(super) type Bad = ParseError;

pub(super) fn bad<T>(line: usize, reason: impl Into<String>) -> Result<T, Bad> {
    Err(Bad {
        line,
        reason: reason.into(),
    })
}

/// The value of an option that takes one value (not a `list`).
pub(super) fn single(opt: &Opt) -> Result<&str, Bad> {
    match &opt.value {
        Value::Single(s) => Ok(s),
        Value::List(_) => bad(
            opt.line,
            format!(
                "'{}' takes one value: use 'option {}', not 'list'",
                opt.name, opt.name
            ),
        ),
    }
}

/// The values of an option that takes a list. Each value is split at blanks, so
/// `option ignoreip '10.0.0.0/8 fc00::/7'` means the same as two `list ignoreip` lines (LuCI and
/// admins write both shapes); no list value of ours can contain a blank.
pub(super) fn items(opt: &Opt) -> Vec<(&str, usize)> {
    let values: Vec<(&str, usize)> = match &opt.value {
        Value::Single(s) => vec![(s.as_str(), opt.line)],
        Value::List(items) => items.iter().map(|(s, l)| (s.as_str(), *l)).collect(),
    };
    values
        .into_iter()
        .flat_map(|(v, line)| v.split_ascii_whitespace().map(move |w| (w, line)))
        .collect()
}

/// UCI booleans, as OpenWrt's shell and C helpers accept them.
pub(super) fn boolean(opt: &Opt) -> Result<bool, Bad> {
    let v = single(opt)?;
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" | "enabled" => Ok(true),
        "0" | "no" | "off" | "false" | "disabled" => Ok(false),
        _ => bad(
            opt.line,
            format!(
                "{} '{v}' is not a boolean (use 1/0, yes/no, on/off, true/false)",
                opt.name
            ),
        ),
    }
}

/// A decimal integer within `min..=max`.
pub(super) fn integer(opt: &Opt, min: u64, max: u64) -> Result<u64, Bad> {
    let v = single(opt)?;
    let t = v.trim();
    let n = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>().ok()
    } else {
        None
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(_) => bad(
            opt.line,
            format!("{} '{v}' is out of range {min}..={max}", opt.name),
        ),
        None => bad(
            opt.line,
            format!("{} '{v}' is not a whole number", opt.name),
        ),
    }
}

/// Seconds per duration suffix (`10m`, `1h`, as fail2ban and banIP write them).
const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86400),
    ('d', 86400),
    ('h', 3600),
    ('m', 60),
    ('s', 1),
];

/// A duration in seconds within `min..=max`: a whole number of seconds, or a number with one
/// of the suffixes `s m h d w`.
pub(super) fn duration(opt: &Opt, min: u64, max: u64) -> Result<u64, Bad> {
    let v = single(opt)?;
    let t = v.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let unit = UNITS.iter().find(|(u, _)| *u == c.to_ascii_lowercase());
            (&t[..i], unit.map(|(_, secs)| *secs))
        }
        _ => (t, Some(1)),
    };
    let number = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u64>().ok())
        .flatten();
    let (Some(n), Some(unit)) = (number, unit) else {
        return bad(
            opt.line,
            format!(
                "{} '{v}' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)",
                opt.name
            ),
        );
    };
    match n.checked_mul(unit) {
        Some(secs) if (min..=max).contains(&secs) => Ok(secs),
        _ => bad(
            opt.line,
            format!(
                "{} '{v}' is out of range {}..={}",
                opt.name,
                human_duration(min),
                human_duration(max)
            ),
        ),
    }
}

/// Seconds in the largest unit that divides them exactly: `600` → `10m`, `90` → `90s`.
pub fn human_duration(secs: u64) -> String {
    for (unit, size) in UNITS {
        if secs >= size && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

/// Edits between two names (insert, delete, replace, or swap two neighbours), ASCII case ignored.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<u8> = a.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    // d[i][j]: edits between a[..i] and b[..j] (optimal string alignment).
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The known name `name` is probably a typo of: one or two edits away (one for known names of
/// four letters or fewer, where two edits reach unrelated words such as `set` from `key`), or
/// the same name in other case. The closest wins; the first of equals.
pub(super) fn typo_of<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        // Names whose lengths differ by more than two are more than two edits apart (and a
        // long name never costs a large table).
        .filter(|k| name.len().abs_diff(k.len()) <= 2)
        .map(|k| (edits(name, k), *k))
        .filter(|(n, k)| *n <= if k.len() <= 4 { 1 } else { 2 })
        .min_by_key(|(n, _)| *n)
        .map(|(_, k)| k)
}

/// An integer that fits `usize` on every target (the bounds are below 2^32).
pub(super) fn size(opt: &Opt, min: u32, max: u32) -> Result<usize, Bad> {
    integer(opt, min.into(), max.into()).map(|n| n as usize)
}

/// An absolute path.
pub(super) fn abs_path(opt: &Opt) -> Result<PathBuf, Bad> {
    let v = single(opt)?;
    path_value(&opt.name, v, opt.line)
}

pub(super) fn path_value(name: &str, v: &str, line: usize) -> Result<PathBuf, Bad> {
    if !v.starts_with('/') {
        return bad(line, format!("{name} '{v}' must be an absolute path"));
    }
    Ok(PathBuf::from(v))
}

/// An absolute path, or `none` (turned off).
pub(super) fn path_or_none(opt: &Opt) -> Result<Option<PathBuf>, Bad> {
    if single(opt)? == "none" {
        return Ok(None);
    }
    abs_path(opt).map(Some)
}

/// The items of a list whose single item may be `none` (no items). `none` among other values is
/// an error.
fn list_or_none(opt: &Opt) -> Result<Vec<(&str, usize)>, Bad> {
    let items = items(opt);
    if items.len() > 1 && items.iter().any(|(v, _)| *v == "none") {
        return bad(
            opt.line,
            format!("{} 'none' cannot be combined with other values", opt.name),
        );
    }
    Ok(items.into_iter().filter(|(v, _)| *v != "none").collect())
}

/// A list of networks (`udp_allow`, `ignoreip`), or `none`.
pub(super) fn networks(opt: &Opt) -> Result<Vec<IpNet>, Bad> {
    let mut out = Vec::new();
    for (v, line) in list_or_none(opt)? {
        out.push(network(&opt.name, v, line)?);
    }
    Ok(out)
}

/// A list of socket addresses to listen on, or `none`.
pub(super) fn addresses(opt: &Opt) -> Result<Vec<SocketAddr>, Bad> {
    let mut out = Vec::new();
    for (v, line) in list_or_none(opt)? {
        out.push(listen_addr(&opt.name, v, line)?);
    }
    Ok(out)
}

/// A listening address: `ADDR:PORT` or `[V6]:PORT`.
pub(super) fn listen_addr(name: &str, v: &str, line: usize) -> Result<SocketAddr, Bad> {
    v.parse::<SocketAddr>().or_else(|_| {
        bad(
            line,
            format!("{name} '{v}' is not ADDR:PORT or [IPV6]:PORT"),
        )
    })
}

/// A network in CIDR notation, or a single address.
pub(super) fn network(name: &str, v: &str, line: usize) -> Result<IpNet, Bad> {
    IpNet::parse(v).or_else(|e| {
        if v.contains(',') {
            return bad(
                line,
                format!("{name}: '{v}': separate several values with blanks, not commas"),
            );
        }
        bad(line, format!("{name}: {e}"))
    })
}

/// A shell-style identifier, `[A-Za-z_][A-Za-z0-9_]*`, usable after `LT_` in the environment.
pub(super) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(name: &str, v: &str) -> Opt {
        Opt {
            name: name.into(),
            value: Value::Single(v.into()),
            line: 7,
        }
    }

    #[test]
    fn booleans() {
        for v in ["1", "yes", "on", "true", "enabled", "TRUE"] {
            assert_eq!(boolean(&opt("kmsg", v)), Ok(true), "{v}");
        }
        for v in ["0", "no", "off", "false", "disabled"] {
            assert_eq!(boolean(&opt("kmsg", v)), Ok(false), "{v}");
        }
        let e = boolean(&opt("kmsg", "2")).unwrap_err();
        assert_eq!(e.line, 7);
        assert_eq!(
            e.reason,
            "kmsg '2' is not a boolean (use 1/0, yes/no, on/off, true/false)"
        );
    }

    #[test]
    fn integers() {
        assert_eq!(integer(&opt("time", "600"), 1, 1000), Ok(600));
        assert_eq!(
            integer(&opt("time", "0"), 1, 1000).unwrap_err().reason,
            "time '0' is out of range 1..=1000"
        );
        for v in ["-1", "1.5", "", "0x10", "ten", "99999999999999999999999"] {
            let e = integer(&opt("time", v), 1, 1000).unwrap_err();
            assert_eq!(e.reason, format!("time '{v}' is not a whole number"), "{v}");
        }
    }

    #[test]
    fn durations() {
        let d = |v: &str| duration(&opt("time", v), 1, 365 * 86400);
        for (v, secs) in [
            ("600", 600),
            ("30s", 30),
            ("10m", 600),
            ("1h", 3600),
            ("1d", 86400),
            ("2w", 14 * 86400),
            ("10M", 600),
            (" 5m ", 300),
        ] {
            assert_eq!(d(v), Ok(secs), "{v}");
        }
        for v in ["10x", "m", "1.5h", "-1m", "1h30m", "", "ten"] {
            assert_eq!(
                d(v).unwrap_err().reason,
                format!(
                    "time '{v}' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)"
                ),
                "{v}"
            );
        }
        assert_eq!(
            d("0m").unwrap_err().reason,
            "time '0m' is out of range 1s..=365d"
        );
        assert_eq!(
            d("99999999999999999w").unwrap_err().reason,
            "time '99999999999999999w' is out of range 1s..=365d"
        );
        assert_eq!(human_duration(90), "90s");
        assert_eq!(human_duration(7200), "2h");
        assert_eq!(human_duration(0), "0s");
    }

    #[test]
    fn typos() {
        let known = [
            "name", "time", "maxfail", "enabled", "key", "fields", "file",
        ];
        for (typo, want) in [
            ("maxfial", Some("maxfail")),
            ("maxfai", Some("maxfail")),
            ("enable", Some("enabled")),
            ("Enabled", Some("enabled")),
            ("tiem", Some("time")),
            ("fileds", Some("fields")),
            ("kye", Some("key")),
            ("set", None),
            ("bantime", None),
            ("tag", None),
            ("maxretry", None),
        ] {
            assert_eq!(typo_of(typo, &known), want, "{typo}");
        }
    }

    #[test]
    fn list_items_split_at_blanks() {
        let o = opt("ignoreip", " 10.0.0.0/8\t fc00::/7 ");
        assert_eq!(items(&o), [("10.0.0.0/8", 7), ("fc00::/7", 7)]);
        let l = Opt {
            name: "ignoreip".into(),
            value: Value::List(vec![("a b".into(), 3), ("".into(), 4), ("c".into(), 5)]),
            line: 5,
        };
        assert_eq!(items(&l), [("a", 3), ("b", 3), ("c", 5)]);
    }

    #[test]
    fn list_given_to_single_option() {
        let o = Opt {
            name: "time".into(),
            value: Value::List(vec![("1".into(), 3)]),
            line: 3,
        };
        assert_eq!(
            single(&o).unwrap_err().reason,
            "'time' takes one value: use 'option time', not 'list'"
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            listen_addr("udp", "[::]:514", 1).unwrap(),
            "[::]:514".parse().unwrap()
        );
        assert_eq!(
            listen_addr("udp", "0.0.0.0", 1).unwrap_err().reason,
            "udp '0.0.0.0' is not ADDR:PORT or [IPV6]:PORT"
        );
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("ip") && is_identifier("_x1") && is_identifier("A_b"));
        assert!(!is_identifier("") && !is_identifier("1a") && !is_identifier("a-b"));
    }
}
