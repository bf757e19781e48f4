//! The shipped configuration `uci/logtrigger`, read independently of the daemon's own UCI parser
//! and pattern engine: rules by a plain line scan, each pattern translated to the byte regex that
//! SPEC §5 defines and run with the `regex` crate (leftmost-first), the SPEC's own oracle.
//! Shared by the tests of the shipped rules; owns no state and never touches the host.
#![allow(dead_code)]

use logtrigger::ipnet::IpNet;
use regex::bytes::Regex;
use std::fmt::Write as _;

/// A rule as far as these tests need it.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    pub name: String,
    pub pattern: String,
    pub fields: Vec<String>,
    pub key: Vec<String>,
    pub program: Option<String>,
    pub script: Option<String>,
    pub time: Option<u32>,
    pub maxfail: u32,
    pub enabled: bool,
    pub verify: Option<String>,
    pub source: Option<String>,
}

impl Rule {
    /// A rule that bans (its script is ipblock.sh).
    pub fn bans(&self) -> bool {
        self.script
            .as_deref()
            .is_some_and(|s| s.ends_with("/ipblock.sh"))
    }

    /// The index of field `name` among the captures.
    pub fn field(&self, name: &str) -> usize {
        self.fields
            .iter()
            .position(|f| f == name)
            .unwrap_or_else(|| panic!("{}: no field {name}", self.name))
    }

    /// Whether the pattern begins with the tag of the rule's program (`NAME[%d]:`), and so
    /// matches from the start of the subject only.
    pub fn at_start(&self) -> bool {
        let Some(program) = &self.program else {
            return false;
        };
        let rest = self.pattern.strip_prefix(program.as_str());
        rest.is_some_and(|r| r.starts_with("[%d]:"))
    }

    pub fn regex(&self) -> Regex {
        let re = translate(&self.pattern);
        let re = match self.at_start() {
            true => re.replacen(r"^.*?", "^", 1),
            false => re,
        };
        Regex::new(&re).unwrap()
    }
}

/// The value of `option NAME 'VALUE'` (single-quoted, `'\''` for a quote).
fn quoted_value(rest: &str) -> String {
    let v = rest.trim();
    let v = v
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .expect("single-quoted value");
    v.replace("'\\''", "'")
}

/// The rules and the global `ignoreip` of a UCI file, by a line scan (not a UCI parser). A rule
/// is named by `option name`, else by its section name.
pub fn load(text: &str) -> (Vec<Rule>, Vec<IpNet>) {
    let mut rules: Vec<Rule> = Vec::new();
    let mut ignore = Vec::new();
    let mut in_rule = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("config ") {
            let mut words = rest.splitn(2, ' ');
            in_rule = words.next() == Some("rule");
            if in_rule {
                let name = words.next().map(quoted_value).unwrap_or_default();
                rules.push(Rule {
                    name,
                    maxfail: 1,
                    enabled: true,
                    ..Rule::default()
                });
            }
            continue;
        }
        let Some((kind, rest)) = line.split_once([' ', '\t']) else {
            continue;
        };
        let Some((name, value)) = rest.trim_start().split_once([' ', '\t']) else {
            continue;
        };
        if kind == "list" && name == "ignoreip" && !in_rule {
            ignore.push(IpNet::parse(&quoted_value(value)).unwrap());
        }
        if kind != "option" || !in_rule {
            continue;
        }
        let r = rules.last_mut().unwrap();
        let v = quoted_value(value);
        match name {
            "name" => r.name = v,
            "pattern" => r.pattern = v,
            "fields" => r.fields = v.split_whitespace().map(String::from).collect(),
            "key" => r.key = v.split_whitespace().map(String::from).collect(),
            "program" => r.program = Some(v),
            "script" => r.script = Some(v),
            "time" => r.time = Some(seconds(&v)),
            "maxfail" => r.maxfail = v.parse().unwrap(),
            "enabled" => r.enabled = v == "1",
            "verify" => r.verify = Some(v),
            "source" => r.source = Some(v),
            _ => {}
        }
    }
    (rules, ignore)
}

/// A duration in seconds: a number with an optional `s m h d w` suffix (SPEC §8).
fn seconds(v: &str) -> u32 {
    let (n, unit) = match v.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&v[..i], c),
        _ => (v, 's'),
    };
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        'w' => 604800,
        _ => panic!("bad duration {v:?}"),
    };
    n.parse::<u32>().unwrap() * mult
}

/// The shipped configuration.
pub fn shipped() -> (Vec<Rule>, Vec<IpNet>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/uci/logtrigger");
    load(&std::fs::read_to_string(path).unwrap())
}

/// One shipped rule by name.
pub fn rule(name: &str) -> Rule {
    shipped()
        .0
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no shipped rule {name}"))
}

/// A scanset `%[...]` starting at `p[i]` (the `[`): its regex class and the index after `]`.
fn scanset(p: &[u8], mut i: usize) -> (String, usize) {
    i += 1;
    let mut class = String::from("[");
    if p.get(i) == Some(&b'^') {
        class.push('^');
        i += 1;
    }
    let start = i;
    while i < p.len() && (p[i] != b']' || i == start) {
        let b = p[i];
        if b == b'-' && i > start && i + 1 < p.len() && p[i + 1] != b']' {
            class.push('-');
        } else {
            write!(class, r"\x{b:02X}").unwrap();
        }
        i += 1;
    }
    assert!(i < p.len(), "unterminated scanset");
    class.push_str("]+");
    (class, i + 1)
}

/// SPEC §5: `(?s-u)^.*?` + translation + `$`; a trailing `%s`/`%b` becomes `.+` (`\s*` kept for
/// `%s`). Each conversion is a capture group holding the value without skipped whitespace.
pub fn translate(pattern: &str) -> String {
    let p = pattern.as_bytes();
    let mut re = String::from(r"(?s-u)^.*?");
    let mut i = 0;
    while i < p.len() {
        let b = p[i];
        if b == b'%' {
            let c = *p.get(i + 1).expect("pattern ends in %");
            if c == b'[' {
                let (class, next) = scanset(p, i + 1);
                write!(re, "({class})").unwrap();
                i = next;
                continue;
            }
            let last = i + 2 == p.len();
            re.push_str(match (c, last) {
                (b'd', _) => r"\s*([+-]?[0-9]+)",
                (b'i', _) => r"\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))",
                (b'u', _) => r"\s*([0-9]+)",
                (b'f', _) => r"\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)",
                (b'o', _) => r"\s*([0-7]+)",
                (b'x' | b'X', _) => r"\s*((?:0[xX])?[0-9a-fA-F]+)",
                (b'c', _) => r"(.)",
                (b's', false) => r"\s*(\S+?)",
                (b's', true) => r"\s*(.+)",
                (b'b', false) => r"(.+?)",
                (b'b', true) => r"(.+)",
                (b'%', _) => "%",
                _ => panic!("unknown conversion %{} in {pattern:?}", c as char),
            });
            i += 2;
        } else if b.is_ascii_whitespace() {
            re.push_str(r"\s+");
            while i < p.len() && p[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            write!(re, r"\x{b:02X}").unwrap();
            i += 1;
        }
    }
    re.push('$');
    re
}

/// The captured values of a translated pattern on `subject`, or None.
pub fn captures(re: &Regex, subject: &[u8]) -> Option<Vec<Vec<u8>>> {
    let caps = re.captures(subject)?;
    Some(
        caps.iter()
            .skip(1)
            .map(|m| m.map_or(Vec::new(), |m| m.as_bytes().to_vec()))
            .collect(),
    )
}

/// The program name of a subject `tag[pid]: msg` / `tag: msg`.
pub fn program(subject: &[u8]) -> &[u8] {
    let end = subject
        .iter()
        .position(|&b| b == b'[' || b == b':' || b == b' ')
        .unwrap_or(0);
    &subject[..end]
}

/// The oracle's captures of `rule` on `subject` (its program checked first), as text.
pub fn oracle(rule: &Rule, subject: &[u8]) -> Option<Vec<String>> {
    if rule
        .program
        .as_ref()
        .is_some_and(|p| program(subject) != p.as_bytes())
    {
        return None;
    }
    captures(&rule.regex(), subject).map(|v| {
        v.iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect()
    })
}
