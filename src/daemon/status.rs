//! The status report of SPEC §9: counters grouped by section, rendered as text or JSON.
//!
//! Owns: the report's shape and its two renderings.
//! Never: runs on the per-message path (a report is built only when asked for).

use std::fmt::Write;

/// One value of a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Num(u64),
    Text(String),
    Bool(bool),
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Num(n)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Num(n as u64)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Num(u64::from(n))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

/// One entry: an input, a forward target, a rule…
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    pub fields: Vec<(&'static str, Value)>,
}

impl Entry {
    pub fn new() -> Entry {
        Entry::default()
    }

    pub fn with(self, key: &'static str, value: impl Into<Value>) -> Entry {
        self.put(key, value.into())
    }

    /// The non-generic part of [`Entry::with`], kept out of line: reports chain many `with`s,
    /// and inlining the push into each costs code on the router.
    #[inline(never)]
    fn put(mut self, key: &'static str, value: Value) -> Entry {
        self.fields.push((key, value));
        self
    }
}

/// A named group of entries (`inputs`, `forwards`, `rules`) or a single object (`daemon`).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: &'static str,
    /// Rendered as a JSON array (else as one object: the first entry).
    pub list: bool,
    pub entries: Vec<Entry>,
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub groups: Vec<Group>,
}

impl Report {
    /// Adds `entry` to the group `name`, creating it (as a list when `list`).
    pub fn push(&mut self, name: &'static str, list: bool, entry: Entry) {
        match self.groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.entries.push(entry),
            None => self.groups.push(Group {
                name,
                list,
                entries: vec![entry],
            }),
        }
    }

    /// Human text: one line per entry, `group: key value, key value`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for g in &self.groups {
            for e in &g.entries {
                let _ = write!(out, "{}:", g.name);
                for (i, (k, v)) in e.fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    let _ = match v {
                        Value::Num(n) => write!(out, "{sep}{k} {n}"),
                        Value::Bool(b) => write!(out, "{sep}{k} {}", if *b { "yes" } else { "no" }),
                        Value::Text(t) => write!(out, "{sep}{k} {}", Printable(t)),
                    };
                }
                out.push('\n');
            }
        }
        out
    }

    /// One JSON object: `{"daemon":{…},"inputs":[{…},…],…}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (gi, g) in self.groups.iter().enumerate() {
            if gi > 0 {
                out.push(',');
            }
            json_str(&mut out, g.name);
            out.push(':');
            if g.list {
                out.push('[');
                for (i, e) in g.entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_entry(&mut out, e);
                }
                out.push(']');
            } else {
                json_entry(&mut out, g.entries.first().unwrap_or(&Entry::default()));
            }
        }
        out.push('}');
        out
    }
}

/// Text with control characters shown as `\xNN` (one report line stays one line).
struct Printable<'a>(&'a str);

impl std::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "\\x{:02x}", c as u32)?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

fn json_entry(out: &mut String, e: &Entry) {
    out.push('{');
    for (i, (k, v)) in e.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, k);
        out.push(':');
        match v {
            Value::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Text(t) => json_str(out, t),
        }
    }
    out.push('}');
}

/// `s` as a JSON string, escaped as every JSON logtrigger prints (`syslog::json::quote`).
fn json_str(out: &mut String, s: &str) {
    let mut quoted = Vec::with_capacity(s.len() + 2);
    crate::syslog::json::quote(s.as_bytes(), &mut quoted);
    out.push_str(&String::from_utf8_lossy(&quoted));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut r = Report::default();
        r.push(
            "daemon",
            false,
            Entry::new().with("pid", 42u32).with("takeover", true),
        );
        r.push(
            "inputs",
            true,
            Entry::new()
                .with("name", "unix:/dev/log")
                .with("received", 3u64),
        );
        r.push(
            "inputs",
            true,
            Entry::new()
                .with("name", "udp:\"x\"\n")
                .with("received", 0u64),
        );
        r
    }

    #[test]
    fn json_shape_and_escaping() {
        assert_eq!(
            sample().to_json(),
            r#"{"daemon":{"pid":42,"takeover":true},"inputs":[{"name":"unix:/dev/log","received":3},{"name":"udp:\"x\"\n","received":0}]}"#
        );
    }

    #[test]
    fn text_has_one_line_per_entry() {
        let t = sample().to_text();
        assert_eq!(t.lines().count(), 3);
        assert!(t.starts_with("daemon: pid 42, takeover yes\n"));
        assert!(t.contains("inputs: name unix:/dev/log, received 3\n"));
    }
}
