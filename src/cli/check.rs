//! `logtrigger check [-c FILE]` (SPEC §9): parse and compile, print each rule as understood.
//!
//! Owns: the human report of a configuration and its warnings: scripts that cannot run, and rules
//! that are legal but probably not what the administrator meant (a ban keyed by something that is
//! not an address, a ban without proof of presence). Never: starts anything, binds sockets or
//! runs scripts.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config::budget::Bytes;
use crate::config::{Config, Global, Rule, human_duration};
use crate::ipnet::IpNet;

/// Parse and compile the configuration; print each rule as understood.
pub struct Args {
    /// configuration file (default /etc/config/logtrigger)
    pub config: PathBuf,
}

pub fn run(args: Args) -> i32 {
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let file = args.config.display().to_string();
    for w in warnings(&config, &file) {
        eprintln!("{w}");
    }
    super::print(report(&config, &file).as_bytes());
    0
}

/// Problems that do not refuse the file: a script that is missing or not executable now may be
/// installed later, and a rule may be meant as written, but the administrator should know.
pub fn warnings(config: &Config, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    for rule in &config.rules {
        let Some(script) = &rule.script else { continue };
        let mut warn = |what: String| {
            out.push(format!(
                "{file}:{}: warning: rule '{}': {what}",
                rule.line, rule.name
            ));
        };
        if let Some(problem) = script_problem(script) {
            warn(format!("script {} {problem}", script.display()));
        }
        for what in intent_problems(rule) {
            warn(what);
        }
    }
    out
}

/// The script the package ships for banning; it bans the address in `LT_ip`.
const BAN_SCRIPT: &str = "ipblock.sh";

/// A rule that bans: its script is the shipped ban script.
pub fn is_ban_rule(rule: &Rule) -> bool {
    rule.script
        .as_deref()
        .and_then(Path::file_name)
        .is_some_and(|n| n == BAN_SCRIPT)
}

/// Whether the rule asks for proof of presence (`option verify`).
fn verifies(rule: &Rule) -> bool {
    rule.verify.is_some()
}

/// Words that make a field name an address: `ip`, `src_ip`, `remote_addr`, `peer`…
const ADDRESS_WORDS: &[&str] = &[
    "ip", "ip4", "ip6", "ipv4", "ipv6", "ipaddr", "srcip", "addr", "address", "src", "client",
    "peer", "remote", "rhost",
];

/// A field name that says it holds an address: one of [`ADDRESS_WORDS`], alone or as a part of
/// a name joined with `_`.
pub fn is_address_name(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split('_')
        .any(|part| ADDRESS_WORDS.contains(&part))
}

/// Why a rule with a script is probably not what was meant.
fn intent_problems(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    let key: Vec<&str> = rule
        .key
        .iter()
        .filter_map(|&i| rule.fields.get(i).map(String::as_str))
        .collect();
    let key_is_address = key.iter().any(|k| is_address_name(k));
    if is_ban_rule(rule) {
        if !rule.fields.iter().any(|f| f == "ip") {
            out.push(format!(
                "{BAN_SCRIPT} bans the address in LT_ip, but the rule has no field 'ip' (name the address conversion ip in option fields)"
            ));
        } else if !key.contains(&"ip") {
            out.push(format!(
                "{BAN_SCRIPT} bans LT_ip, but failures are counted per {}: add option key 'ip' so that they are counted per address",
                key_words(rule, &key)
            ));
        }
        if !verifies(rule) {
            out.push(
                "a ban without option verify 'conntrack': any line naming an address can ban it, even one that never connected"
                    .to_string(),
            );
        }
    } else if rule.maxfail > 1 && !key_is_address {
        out.push(format!(
            "failures are counted per {}, which is not an address field (ip, addr, src, …): one sender trying many values is never caught",
            key_words(rule, &key)
        ));
    }
    out
}

/// The key for a warning: its field names, or what it is when the fields have no names.
fn key_words(rule: &Rule, key: &[&str]) -> String {
    if rule.key.is_empty() {
        return "rule (the pattern captures nothing)".to_string();
    }
    if key.is_empty() {
        return "all captured values (the rule has no option fields)".to_string();
    }
    format!("'{}'", key.join(" "))
}

fn script_problem(script: &Path) -> Option<&'static str> {
    match std::fs::metadata(script) {
        Err(_) => Some("does not exist"),
        Ok(m) if !m.is_file() => Some("is not a regular file"),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => Some("is not executable"),
        Ok(_) => None,
    }
}

/// The configuration as understood: the global settings, then every rule.
pub fn report(config: &Config, file: &str) -> String {
    let enabled = config.rules.iter().filter(|r| r.enabled).count();
    let mut s = format!(
        "{file}: OK, {} rule(s), {enabled} enabled\n{}\n\n",
        config.rules.len(),
        crate::config::budget::summary(&config.global, &config.rules)
    );
    if !config.rules.is_empty() {
        s.push_str(&summary(config));
        s.push('\n');
    }
    global(&mut s, &config.global);
    for rule in &config.rules {
        s.push('\n');
        rule_report(&mut s, rule);
    }
    s
}

/// One line per rule: what it does at a glance.
fn summary(config: &Config) -> String {
    let rows: Vec<Vec<String>> = config
        .rules
        .iter()
        .map(|r| {
            let fires = match r.time {
                Some(t) => format!("{} in {}", r.maxfail, human_duration(t.into())),
                None => r.maxfail.to_string(),
            };
            let script = r
                .script
                .as_deref()
                .and_then(Path::file_name)
                .map_or_else(|| "-".to_string(), |n| n.to_string_lossy().into_owned());
            vec![
                r.name.clone(),
                yes(r.enabled).to_string(),
                fires,
                key_names(r).join(" "),
                script,
            ]
        })
        .collect();
    super::table(
        &["rule", "enabled", "fires after", "key", "script"],
        &rows,
        &[],
    )
}

/// The key's field names (`#N` for a capture without a name).
fn key_names(r: &Rule) -> Vec<String> {
    r.key
        .iter()
        .map(|&i| match r.fields.get(i) {
            Some(f) => f.clone(),
            None => format!("#{}", i + 1),
        })
        .collect()
}

fn or_none(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "none".to_string(), |p| p.display().to_string())
}

/// One `  NAME           VALUE` line of the report (one formatting call for all of them).
fn line(s: &mut String, name: &str, value: &dyn std::fmt::Display) {
    let _ = writeln!(s, "  {name:<15}{value}");
}

/// The items separated by blanks, or `none`.
fn join<T: std::fmt::Display>(items: &[T]) -> String {
    join_dyn(&mut items.iter().map(|i| i as &dyn std::fmt::Display))
}

/// The one body of [`join`] for every item type.
fn join_dyn(items: &mut dyn Iterator<Item = &dyn std::fmt::Display>) -> String {
    let mut out = String::new();
    let mut empty = true;
    for item in items {
        if !empty {
            out.push(' ');
        }
        empty = false;
        let _ = write!(out, "{item}");
    }
    if empty { "none".to_string() } else { out }
}

fn nets(items: &[IpNet]) -> String {
    join(items)
}

/// `base` (a `join`) followed by host names that the daemon looks up when it runs.
fn and_hosts(base: String, hosts: &mut dyn Iterator<Item = String>) -> String {
    let hosts: Vec<String> = hosts.map(|h| format!("{h} (host name)")).collect();
    match (base.as_str(), hosts.is_empty()) {
        (_, true) => base,
        ("none", false) => hosts.join(" "),
        _ => format!("{base} {}", hosts.join(" ")),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn global(s: &mut String, g: &Global) {
    let rows: [(&str, String); 18] = [
        ("socket", or_none(&g.socket)),
        ("takeover", yes(g.takeover).into()),
        ("forward", g.forward.display().to_string()),
        ("udp", join(&g.udp)),
        ("udp_allow", nets(&g.udp_allow)),
        ("udp_forward", yes(g.udp_forward).into()),
        ("rcvbuf", g.rcvbuf.to_string()),
        (
            "forward_udp",
            and_hosts(
                join(&g.forward_udp),
                &mut g.forward_hosts.iter().map(|(h, p)| format!("{h}:{p}")),
            ),
        ),
        ("kmsg", yes(g.kmsg).into()),
        ("debug", g.debug.to_string()),
        ("max_message", g.max_message.to_string()),
        ("max_jobs", g.max_jobs.to_string()),
        ("max_queue", g.max_queue.to_string()),
        ("script_timeout", format!("{} s", g.script_timeout)),
        ("max_keys", g.max_keys.to_string()),
        (
            "ignoreip",
            and_hosts(nets(&g.ignoreip), &mut g.ignore_hosts.iter().cloned()),
        ),
        ("control", or_none(&g.control)),
        ("max_memory", Bytes(g.max_memory).to_string()),
    ];
    s.push_str("global\n");
    for (k, v) in rows {
        line(s, k, &v);
    }
}

fn rule_report(s: &mut String, r: &Rule) {
    let pattern = String::from_utf8_lossy(r.pattern.source());
    let captures = r.pattern.captures_len();
    let _ = writeln!(s, "rule '{}' (line {})", r.name, r.line);
    line(s, "enabled", &yes(r.enabled));
    line(s, "pattern", &format_args!("'{pattern}'"));
    let from = match r.pattern.is_at_start() {
        true => "the start of the message (the pattern begins with its program's tag)",
        false => "anywhere in the message",
    };
    line(s, "matches from", &from);
    line(s, "conversions", &captures);
    let fields = if r.fields.is_empty() {
        "none".to_string()
    } else {
        r.fields.join(" ")
    };
    line(s, "fields", &fields);
    let key = key_names(r);
    let key = if r.key_src.is_empty() {
        format!("{} (all values)", join(&key))
    } else {
        join(&key)
    };
    line(s, "key", &key);
    let script = r.script.as_ref().map_or_else(
        || "none (count only)".to_string(),
        |p| p.display().to_string(),
    );
    line(s, "script", &script);
    let window = match r.time {
        Some(t) if t % 60 == 0 => format!(
            "{} match(es) within {t} s ({})",
            r.maxfail,
            human_duration(t.into())
        ),
        Some(t) => format!("{} match(es) within {t} s", r.maxfail),
        None => format!("{} match(es), no time window", r.maxfail),
    };
    line(s, "fires after", &window);
    line(s, "max_keys", &r.max_keys);
    let ignoreip = and_hosts(nets(&r.ignoreip), &mut r.ignore_hosts.iter().cloned());
    line(s, "ignoreip", &ignoreip);
    if let Some(p) = &r.program {
        line(s, "program", &p);
    }
    let sources: Vec<&str> = r.source.kinds().map(|k| k.as_str()).collect();
    line(s, "source", &sources.join(" "));
    if let Some(crate::config::Verify::Conntrack) = r.verify {
        line(s, "verify", &"conntrack");
    }
    if let Some(f) = &r.file {
        line(s, "file", &f.display());
    }
    for (k, v) in &r.extra {
        // A long option name still leaves a blank before its value.
        let label = format!("LT_{k}");
        let _ = writeln!(s, "  {label:<14} {v}");
    }
}
