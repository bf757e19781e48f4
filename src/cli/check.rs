//! `logtrigger check [-c FILE]` (SPEC §9): parse and compile, print each rule as understood.
//!
//! Owns: the human report of a configuration and the warnings about scripts that cannot run.
//! Never: starts anything, binds sockets or runs scripts.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config::{Config, Global, Rule};
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
/// installed later, but the administrator should know.
pub fn warnings(config: &Config, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    for rule in &config.rules {
        let Some(script) = &rule.script else { continue };
        if let Some(problem) = script_problem(script) {
            out.push(format!(
                "{file}:{}: warning: rule '{}': script {} {problem}",
                rule.line,
                rule.name,
                script.display()
            ));
        }
    }
    out
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
    global(&mut s, &config.global);
    for rule in &config.rules {
        s.push('\n');
        rule_report(&mut s, rule);
    }
    s
}

fn or_none(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "none".to_string(), |p| p.display().to_string())
}

fn join<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    items.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

fn nets(items: &[IpNet]) -> String {
    join(items)
}

/// `base` (a `join`) followed by host names that the daemon looks up when it runs.
fn and_hosts(base: String, hosts: impl Iterator<Item = String>) -> String {
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
    let rows: [(&str, String); 17] = [
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
                g.forward_hosts.iter().map(|(h, p)| format!("{h}:{p}")),
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
            and_hosts(nets(&g.ignoreip), g.ignore_hosts.iter().cloned()),
        ),
        ("control", or_none(&g.control)),
    ];
    s.push_str("global\n");
    for (k, v) in rows {
        let _ = writeln!(s, "  {k:<15}{v}");
    }
}

fn rule_report(s: &mut String, r: &Rule) {
    let pattern = String::from_utf8_lossy(r.pattern.source());
    let captures = r.pattern.captures_len();
    let _ = writeln!(s, "rule '{}' (line {})", r.name, r.line);
    let _ = writeln!(s, "  {:<15}{}", "enabled", yes(r.enabled));
    let _ = writeln!(s, "  {:<15}'{pattern}'", "pattern");
    let _ = writeln!(s, "  {:<15}{captures}", "conversions");
    let fields = if r.fields.is_empty() {
        "none".to_string()
    } else {
        r.fields.join(" ")
    };
    let _ = writeln!(s, "  {:<15}{fields}", "fields");
    let key: Vec<String> = r
        .key
        .iter()
        .map(|&i| match r.fields.get(i) {
            Some(f) => f.clone(),
            None => format!("#{}", i + 1),
        })
        .collect();
    let key = if r.key_src.is_empty() {
        format!("{} (all values)", join(&key))
    } else {
        join(&key)
    };
    let _ = writeln!(s, "  {:<15}{key}", "key");
    let script = r.script.as_ref().map_or_else(
        || "none (count only)".to_string(),
        |p| p.display().to_string(),
    );
    let _ = writeln!(s, "  {:<15}{script}", "script");
    let window = match r.time {
        Some(t) => format!("{} match(es) within {t} s", r.maxfail),
        None => format!("{} match(es), no time window", r.maxfail),
    };
    let _ = writeln!(s, "  {:<15}{window}", "fires after");
    let _ = writeln!(s, "  {:<15}{}", "max_keys", r.max_keys);
    let ignoreip = and_hosts(nets(&r.ignoreip), r.ignore_hosts.iter().cloned());
    let _ = writeln!(s, "  {:<15}{ignoreip}", "ignoreip");
    if let Some(p) = &r.program {
        let _ = writeln!(s, "  {:<15}{p}", "program");
    }
    if let Some(k) = r.source {
        let _ = writeln!(s, "  {:<15}{}", "source", k.as_str());
    }
    if let Some(f) = &r.file {
        let _ = writeln!(s, "  {:<15}{}", "file", f.display());
    }
    for (k, v) in &r.extra {
        let _ = writeln!(s, "  {:<15}{v}", format!("LT_{k}"));
    }
}
