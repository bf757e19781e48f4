//! Adapts the shipped default configuration (uci/logtrigger) to the lab, changing only what a
//! test on a shared machine must: where the sockets live, no takeover, the lab's UDP addresses and
//! allowed senders, the admin LAN in `ignoreip`, the scripts' paths (the repository's copies), and
//! a short `bantime` on the rules that ban. Every rule, pattern and count is kept as shipped.
//!
//! Line-based on purpose: the shipped file writes one statement per line, and the result is
//! checked by `logtrigger check` before use.

/// What the lab changes.
pub struct Lab<'a> {
    /// Global options replaced (any shipped value dropped), e.g. `("socket", "/tmp/x/log.sock")`.
    pub options: &'a [(&'a str, &'a str)],
    /// Global lists whose shipped items are dropped before ours are added (e.g. `udp`).
    pub replace_lists: &'a [&'a str],
    /// Global list items added, e.g. `("ignoreip", "10.99.2.0/24")`.
    pub lists: &'a [(&'a str, &'a str)],
    /// Script directory of the shipped paths (`/etc/logtrigger/`) and its replacement.
    pub script_dir: (&'a str, &'a str),
    /// `option bantime` of the rules whose script is ipblock.sh: the first (rule-name prefix,
    /// seconds) whose prefix the name starts with (`""` matches every name); none: as shipped.
    pub bantimes: &'a [(&'a str, &'a str)],
    /// Rule options set (`Some`) or removed (`None`) on every rule whose name starts with the
    /// prefix, e.g. `("asterisk_", "source", Some("unix udp"))` for a PBX on another box.
    pub rule_options: &'a [(&'a str, &'a str, Option<&'a str>)],
}

/// The words of a UCI statement line: keyword, name, value (unquoted; one value per line).
fn statement(line: &str) -> Option<(&str, &str, String)> {
    let t = line.trim_start();
    let mut words = t.splitn(3, [' ', '\t']);
    let kw = words.next()?;
    let name = words.next()?.trim();
    let value = words.next().unwrap_or("").trim();
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(value);
    Some((kw, name, value.to_string()))
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// One `config` section: its header line and body lines (comments included).
struct Section {
    header: String,
    kind: String,
    body: Vec<String>,
}

fn sections(text: &str) -> (Vec<String>, Vec<Section>) {
    let mut preamble = Vec::new();
    let mut out: Vec<Section> = Vec::new();
    for line in text.lines() {
        match statement(line) {
            Some(("config", kind, _)) => out.push(Section {
                header: line.to_string(),
                kind: kind.to_string(),
                body: Vec::new(),
            }),
            _ => match out.last_mut() {
                Some(s) => s.body.push(line.to_string()),
                None => preamble.push(line.to_string()),
            },
        }
    }
    (preamble, out)
}

/// The shipped configuration adapted to the lab.
pub fn adapt(shipped: &str, lab: &Lab) -> String {
    let (preamble, mut secs) = sections(shipped);
    if !secs.iter().any(|s| s.kind == "logtrigger") {
        secs.insert(
            0,
            Section {
                header: "config logtrigger 'global'".into(),
                kind: "logtrigger".into(),
                body: Vec::new(),
            },
        );
    }
    let mut out = preamble.join("\n");
    out.push('\n');
    for sec in &mut secs {
        if sec.kind == "logtrigger" {
            adapt_global(sec, lab);
        } else if sec.kind == "rule" {
            adapt_rule(sec, lab);
        }
        out += &sec.header;
        out.push('\n');
        for l in &sec.body {
            out += l;
            out.push('\n');
        }
    }
    out
}

fn adapt_global(sec: &mut Section, lab: &Lab) {
    sec.body.retain(|l| match statement(l) {
        Some(("option", name, _)) => !lab.options.iter().any(|(n, _)| *n == name),
        Some(("list", name, _)) => !lab.replace_lists.contains(&name),
        _ => true,
    });
    let at = sec
        .body
        .iter()
        .rposition(|l| statement(l).is_some_and(|(kw, _, _)| kw == "option" || kw == "list"))
        .map_or(0, |i| i + 1);
    let mut ours = vec!["\t# --- end-to-end lab ---".to_string()];
    ours.extend(
        lab.options
            .iter()
            .map(|(n, v)| format!("\toption {n} {}", quote(v))),
    );
    ours.extend(
        lab.lists
            .iter()
            .map(|(n, v)| format!("\tlist {n} {}", quote(v))),
    );
    sec.body.splice(at..at, ours);
}

fn adapt_rule(sec: &mut Section, lab: &Lab) {
    let (from, to) = lab.script_dir;
    // The rule's name: `option name`, else the section's own (`config rule 'NAME'`).
    let mut name = statement(&sec.header).map_or(String::new(), |(_, _, v)| v);
    let mut bans = false;
    for l in &mut sec.body {
        match statement(l) {
            Some(("option", "script", path)) => {
                bans = path.ends_with("/ipblock.sh");
                if let Some(file) = path.strip_prefix(from) {
                    *l = format!("\toption script {}", quote(&format!("{to}{file}")));
                }
            }
            Some(("option", "name", n)) => name = n,
            _ => {}
        }
    }
    let bantime = lab
        .bantimes
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, b)| *b);
    if let (true, Some(bantime)) = (bans, bantime) {
        set_option(sec, "bantime", Some(bantime));
    }
    for (prefix, option, value) in lab.rule_options {
        if name.starts_with(prefix) {
            set_option(sec, option, *value);
        }
    }
}

/// Replaces (or removes, `None`) `option NAME` of a section.
fn set_option(sec: &mut Section, option: &str, value: Option<&str>) {
    sec.body
        .retain(|l| !matches!(statement(l), Some(("option", o, _)) if o == option));
    let Some(value) = value else {
        return;
    };
    let at = sec
        .body
        .iter()
        .rposition(|l| statement(l).is_some_and(|(kw, _, _)| kw == "option" || kw == "list"))
        .map_or(0, |i| i + 1);
    sec.body
        .insert(at, format!("\toption {option} {}", quote(value)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapts_only_what_the_lab_needs() {
        let shipped = "# c\nconfig logtrigger 'global'\n\toption socket '/dev/log'\n\
                       \tlist udp '0.0.0.0:514'\n\tlist udp_allow '10.0.0.0/8'\n\n\
                       config rule\n\toption name 'Dropbear_BadPass'\n\
                       \toption script '/etc/logtrigger/ipblock.sh'\n\toption bantime '3600'\n\
                       config rule 'sip'\n\toption script '/etc/logtrigger/ipblock.sh'\n\
                       config rule\n\toption name 'Log'\n\toption script '/etc/logtrigger/logit.sh'\n";
        let lab = Lab {
            options: &[("socket", "/t/log.sock")],
            replace_lists: &["udp"],
            lists: &[("udp", "10.1.1.1:514")],
            script_dir: ("/etc/logtrigger/", "/r/files/"),
            bantimes: &[("Dropbear", "4"), ("", "60")],
            rule_options: &[("si", "source", Some("unix udp")), ("si", "verify", None)],
        };
        let got = adapt(shipped, &lab);
        assert!(!got.contains("'/dev/log'") && got.contains("option socket '/t/log.sock'"));
        assert!(!got.contains("0.0.0.0:514") && got.contains("list udp '10.1.1.1:514'"));
        assert!(got.contains("list udp_allow '10.0.0.0/8'"));
        assert!(got.contains("'/r/files/ipblock.sh'") && got.contains("'/r/files/logit.sh'"));
        assert!(!got.contains("'3600'") && got.matches("option bantime '4'").count() == 1);
        assert_eq!(got.matches("option bantime '60'").count(), 1, "{got}");
        assert_eq!(got.matches("option source 'unix udp'").count(), 1, "{got}");
    }
}
