//! The shipped configuration through OpenWrt's real `uci` (built from the unmodified sources by
//! `shared/tools/openwrt-build.sh`), edited the way LuCI and admins edit it: `show`, `set`, `add`,
//! `add_list`, `delete`, `rename`, `commit`. After every commit the file must still load, and
//! logtrigger must read exactly what `uci show` says is there (sections, their names — `@rule[N]`
//! for anonymous ones — options and list items), and mean it (rule names, counts, windows).
//!
//! Runs in a private `-c CONFDIR`; never touches /etc/config.

use crate::shared;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use logtrigger::config::uci::{self, Value};
use logtrigger::config::{Config, Rule};

/// A private copy of the shipped file and the real `uci` pointed at it.
struct Uci {
    bin: PathBuf,
    dir: PathBuf,
}

impl Uci {
    fn new(tag: &str) -> Uci {
        let prefix = shared::openwrt_prefix()
            .expect("OpenWrt's uci is needed (scripts/deps.sh builds it with openwrt-build.sh)");
        let dir = shared::temp_dir(&format!("uci-{tag}"));
        std::fs::copy(
            shared::repo().join("uci/logtrigger"),
            dir.join("logtrigger"),
        )
        .unwrap();
        Uci {
            bin: prefix.join("sbin/uci"),
            dir,
        }
    }

    /// Runs `uci -c DIR -t DIR/.staged ARGS…` (changes staged privately too); its stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .arg("-c")
            .arg(&self.dir)
            .arg("-t")
            .arg(self.dir.join(".staged"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "uci {args:?}: {}", shared::text(&out));
        shared::stdout(&out)
    }

    fn file(&self) -> PathBuf {
        self.dir.join("logtrigger")
    }

    fn text(&self) -> Vec<u8> {
        std::fs::read(self.file()).unwrap()
    }
}

impl Drop for Uci {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `uci show` as a map: `section` → its type, `section.option` → its values (an option is a list
/// of one; `uci show` prints both alike). Keys in uci's spelling (`@rule[3]` when anonymous).
type View = BTreeMap<String, Vec<String>>;

/// Reads `uci show` lines: `pkg.sec=type`, `pkg.sec.opt='v'` or `pkg.sec.opt='a' 'b'`, values
/// in shell single quotes with `'\''` for a quote.
fn uci_view(show: &str) -> View {
    let mut view = View::new();
    for line in show.lines() {
        let (key, value) = line.split_once('=').expect("key=value");
        let key = key.strip_prefix("logtrigger.").expect("package prefix");
        view.insert(key.to_string(), shell_words(value));
    }
    view
}

fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            '\\' if !quoted => {
                word.extend(chars.next());
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The same view from logtrigger's own reading of the file.
fn logtrigger_view(text: &[u8]) -> View {
    let doc = uci::parse(text).expect("logtrigger reads the committed file");
    let mut view = View::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for sec in &doc.sections {
        let n = seen.entry(sec.kind.as_str()).or_default();
        let name = sec.name.clone().unwrap_or(format!("@{}[{n}]", sec.kind));
        *n += 1;
        view.insert(name.clone(), vec![sec.kind.clone()]);
        for opt in &sec.options {
            let values = match &opt.value {
                Value::Single(v) => vec![v.clone()],
                Value::List(items) => items.iter().map(|(v, _)| v.clone()).collect(),
            };
            view.insert(format!("{name}.{}", opt.name), values);
        }
    }
    view
}

/// What a rule section means, from `uci show` alone: the rule's name (option name, else the
/// section's name or `@rule[N]`) and the numbers that decide when it fires.
fn rules_by_uci(view: &View) -> Vec<(String, u32, Option<u32>, bool)> {
    let mut out = Vec::new();
    for (key, value) in view {
        if key.contains('.') || value != &["rule"] {
            continue;
        }
        let get = |opt: &str| view.get(&format!("{key}.{opt}")).map(|v| v.join(" "));
        let name = get("name").unwrap_or(key.clone());
        let maxfail = get("maxfail").map_or(1, |v| v.parse().unwrap());
        let time = get("time").map(|v| seconds(&v));
        let enabled = get("enabled").is_none_or(|v| v == "1");
        out.push((name, maxfail, time, enabled));
    }
    out.sort();
    out
}

/// `600`, `10m`, `1h` in seconds.
fn seconds(v: &str) -> u32 {
    let (n, unit) = match v.strip_suffix('m') {
        Some(n) => (n, 60),
        None => match v.strip_suffix('h') {
            Some(n) => (n, 3600),
            None => (v, 1),
        },
    };
    n.parse::<u32>().unwrap() * unit
}

fn rules_by_logtrigger(rules: &[Rule]) -> Vec<(String, u32, Option<u32>, bool)> {
    let mut out: Vec<_> = rules
        .iter()
        .map(|r| (r.name.clone(), r.maxfail, r.time, r.enabled))
        .collect();
    out.sort();
    out
}

/// The committed file loads, logtrigger reads what `uci show` shows, and `logtrigger check`
/// accepts it; returns the configuration.
fn agree(u: &Uci, when: &str) -> Config {
    let view = uci_view(&u.run(&["show", "logtrigger"]));
    let text = u.text();
    assert_eq!(
        logtrigger_view(&text),
        view,
        "{when}: logtrigger reads another file than uci shows:\n{}",
        String::from_utf8_lossy(&text)
    );
    let config = Config::parse_offline(&text, "logtrigger")
        .unwrap_or_else(|e| panic!("{when}: {e}\n{}", String::from_utf8_lossy(&text)));
    assert_eq!(
        rules_by_logtrigger(&config.rules),
        rules_by_uci(&view),
        "{when}"
    );
    let check = Command::new(env!("CARGO_BIN_EXE_logtrigger"))
        .args(["check", "-c"])
        .arg(u.file())
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{when}: {}",
        shared::text(&check)
    );
    config
}

/// uci's name of every `config rule` section, in file order (`uci show` prints that order).
fn rule_sections(u: &Uci) -> Vec<String> {
    u.run(&["show", "logtrigger"])
        .lines()
        .filter_map(|l| l.strip_prefix("logtrigger.")?.strip_suffix("=rule"))
        .filter(|key| !key.contains('.'))
        .map(String::from)
        .collect()
}

/// Whether `uci get` finds `key` (`section.option`).
fn has(u: &Uci, key: &str) -> bool {
    Command::new(&u.bin)
        .arg("-c")
        .arg(&u.dir)
        .args(["-t"])
        .arg(u.dir.join(".staged"))
        .args(["-q", "get", &format!("logtrigger.{key}")])
        .status()
        .unwrap()
        .success()
}

/// What LuCI does to a rule and to the global section, then `uci commit`.
fn edit_like_luci(u: &Uci, first: &str, second: &str) {
    u.run(&["set", &format!("logtrigger.{first}.maxfail=10")]);
    u.run(&["set", &format!("logtrigger.{first}.time=1h")]);
    u.run(&["set", &format!("logtrigger.{second}.enabled=0")]);
    if has(u, &format!("{second}.bantime")) {
        u.run(&["delete", &format!("logtrigger.{second}.bantime")]);
    }
    u.run(&["add_list", "logtrigger.global.ignoreip=192.0.2.0/24"]);
    u.run(&["set", "logtrigger.global.debug=2"]);
    // A new anonymous rule, as `uci add` makes it (no option name), with a quote in a value.
    let id = u.run(&["add", "logtrigger", "rule"]);
    assert!(id.trim().starts_with("cfg"), "uci add printed {id:?}");
    let new = "logtrigger.@rule[-1]";
    u.run(&[
        "set",
        &format!("{new}.pattern=Bad password for '%s' from %s:%d"),
    ]);
    u.run(&["set", &format!("{new}.fields=user ip port")]);
    u.run(&["set", &format!("{new}.key=ip")]);
    u.run(&["set", &format!("{new}.maxfail=3")]);
    u.run(&["add_list", &format!("{new}.ignoreip=10.0.0.0/8")]);
    u.run(&["add_list", &format!("{new}.ignoreip=fd00::/8")]);
    u.run(&["set", &format!("{new}.note=it's mine")]);
    u.run(&["commit", "logtrigger"]);
}

fn check_edits(config: &Config, first: &str, second: &str, added: &str) {
    let r = config.rule(first).expect("first rule");
    assert_eq!((r.maxfail, r.time), (10, Some(3600)));
    let r = config.rule(second).expect("second rule");
    assert!(!r.enabled);
    assert!(r.extra.iter().all(|(k, _)| k != "bantime"), "{:?}", r.extra);
    let r = config.rule(added).expect("the added anonymous rule");
    assert_eq!(r.pattern.source(), b"Bad password for '%s' from %s:%d");
    assert_eq!(
        (r.fields.len(), r.key.as_slice(), r.maxfail),
        (3, &[1][..], 3)
    );
    assert!(r.extra.contains(&("note".into(), "it's mine".into())));
    let nets: Vec<String> = r.ignoreip.iter().map(|n| n.to_string()).collect();
    assert!(
        nets.ends_with(&["10.0.0.0/8".into(), "fd00::/8".into()]),
        "{nets:?}"
    );
    let g: Vec<String> = config
        .global
        .ignoreip
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(g.contains(&"192.0.2.0/24".to_string()), "{g:?}");
    assert_eq!(config.global.debug, 2);
}

/// The shipped file as it is (named or anonymous sections), edited by position as LuCI does.
#[test]
fn shipped_file_survives_luci_edits() {
    let u = Uci::new("shipped");
    let before = agree(&u, "as shipped");
    let sections = rule_sections(&u);
    assert_eq!(sections.len(), before.rules.len());
    let name = |i: usize| before.rules[i].name.clone();
    edit_like_luci(&u, "@rule[0]", "@rule[1]");
    let after = agree(&u, "after uci commit");
    let added = format!("@rule[{}]", sections.len());
    check_edits(&after, &name(0), &name(1), &added);
    assert_eq!(after.rules.len(), before.rules.len() + 1);
    // Deleting a rule renumbers the anonymous ones after it, for uci and logtrigger alike.
    u.run(&["delete", "logtrigger.@rule[0]"]);
    u.run(&["commit", "logtrigger"]);
    let config = agree(&u, "after deleting the first rule");
    assert!(config.rule(&name(0)).is_none());
    assert_eq!(config.rules.len(), before.rules.len());
}

/// Every rule section named (as `uci rename` does it), then edited by name:
/// `uci set logtrigger.NAME.maxfail=10` works.
#[test]
fn named_sections_are_rule_names() {
    let u = Uci::new("named");
    let before = agree(&u, "as shipped");
    for (i, rule) in before.rules.iter().enumerate() {
        // Rule names are valid section names in the shipped file; uci refuses anything else.
        let section = rule.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        if rule_sections(&u)[i] != section {
            u.run(&["rename", &format!("logtrigger.@rule[{i}]={section}")]);
        }
    }
    // A named section without option name takes the section's name.
    let first = before.rules[0].name.clone();
    if has(&u, &format!("{first}.name")) {
        u.run(&["delete", &format!("logtrigger.{first}.name")]);
    }
    u.run(&["commit", "logtrigger"]);
    let named = agree(&u, "after naming every section");
    assert_eq!(
        rules_by_logtrigger(&named.rules),
        rules_by_logtrigger(&before.rules),
        "naming sections changes no rule"
    );
    let second = before.rules[1].name.clone();
    edit_like_luci(&u, &first, &second);
    let after = agree(&u, "after uci commit");
    check_edits(
        &after,
        &first,
        &second,
        &format!("@rule[{}]", before.rules.len()),
    );
}
