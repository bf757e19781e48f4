//! `config rule` sections: validation and compilation of one rule (SPEC §6, §7, §8).
//!
//! Owns: the rule options, their types and ranges, field/key/extra names and their clashes with
//! the built-in `LT_*` variables. Never: checks that scripts exist (that is `check`'s warning),
//! looks at other rules (uniqueness is checked by the caller).

use super::uci::{Section, Value};
use super::values::{
    Bad, abs_path, bad, boolean, duration, integer, is_identifier, items, single, size, typo_of,
};
use super::{Global, Rule, RuleOptions, SourceKind, Sources, Verify};
use crate::pattern::Pattern;

/// Script options the shipped ban script reads as durations (`s m h d w`): checked here, so
/// that a typo is an error instead of the script's default.
const SCRIPT_DURATIONS: [&str; 3] = ["bantime", "bantime_max", "bantime_memory"];

/// The longest of those the script takes (its 8-digit seconds: about three years).
const MAX_SCRIPT_DURATION: u64 = 99_999_999;

/// Environment variables every firing sets (`LT_<name>`); field and extra names must not clash.
/// The action module owns the list, in the order it emits them.
pub const BUILTINS: &[&str] = &crate::action::BUILTIN_NAMES;

/// Options with a meaning; any other option of a rule is exported as `LT_<option>`.
pub const KNOWN: &[&str] = &[
    "name", "pattern", "fields", "key", "script", "time", "maxfail", "enabled", "file", "program",
    "source", "ignoreip", "max_keys", "verify",
];

/// Largest `time` window: one year.
pub const MAX_TIME: u32 = 365 * 24 * 3600;
pub const MAX_MAXFAIL: u32 = 10_000;
pub const MAX_KEYS: u32 = 1_000_000;

/// Validates and compiles one `config rule` section.
/// `index` is the section's position among the `config rule` sections (uci's `@rule[index]`).
pub(super) fn rule(sec: &Section, index: usize, global: &Global) -> Result<Rule, Bad> {
    // A typo first: `option patern` is the reason there is no pattern.
    for opt in sec
        .options
        .iter()
        .filter(|o| !KNOWN.contains(&o.name.as_str()))
    {
        check_not_typo(&opt.name, opt.line)?;
    }
    let name = rule_name(sec, index)?;
    let Some(popt) = sec.get("pattern") else {
        return bad(sec.line, format!("rule '{name}' has no pattern"));
    };
    let psrc = single(popt)?;
    let pattern = Pattern::compile(psrc.as_bytes()).or_else(|e| bad(popt.line, e.to_string()))?;
    let captures = pattern.captures_len();
    let fields = fields(sec, captures)?;
    let (key, key_src) = key(sec, &fields, captures)?;
    let mut rule = RuleOptions {
        name,
        fields,
        key,
        key_src,
        script: None,
        time: None,
        maxfail: 1,
        enabled: true,
        file: None,
        program: None,
        source: Sources::LOCAL,
        verify: None,
        ignoreip: global.ignoreip.clone(),
        ignore_hosts: global.ignore_hosts.clone(),
        max_keys: global.max_keys,
        extra: Vec::new(),
        line: sec.line,
    };
    for opt in &sec.options {
        match opt.name.as_str() {
            "name" | "pattern" | "fields" | "key" => {}
            "script" => rule.script = Some(abs_path(opt)?),
            "time" => rule.time = Some(duration(opt, 1, MAX_TIME.into())? as u32),
            "maxfail" => rule.maxfail = integer(opt, 1, MAX_MAXFAIL.into())? as u32,
            "enabled" => rule.enabled = boolean(opt)?,
            "file" => rule.file = Some(abs_path(opt)?),
            "program" => rule.program = Some(non_empty(single(opt)?, "program", opt.line)?),
            "source" => rule.source = sources(opt)?,
            "verify" => rule.verify = Some(verify(single(opt)?, &rule, opt.line)?),
            "max_keys" => rule.max_keys = size(opt, 1, MAX_KEYS)?,
            "ignoreip" => ignoreip(&mut rule, opt)?,
            other => {
                let value = extra_value(&opt.value);
                check_extra(other, &rule.fields, opt.line)?;
                if SCRIPT_DURATIONS.contains(&other) {
                    // Reaches the script as written; the shipped ban script reads it so.
                    duration(opt, 1, MAX_SCRIPT_DURATION)?;
                }
                rule.extra.push((other.to_string(), value));
            }
        }
    }
    let pattern = match leading_tag(psrc) {
        Some(tag) if rule.program.as_deref() == Some(tag) => pattern.at_start(),
        Some(tag) if let Some(program) = &rule.program => {
            return bad(
                popt.line,
                format!(
                    "the pattern begins with the tag '{tag}[…]' but program is '{program}': the rule \
                     sees only {program}'s messages, so it could match only a copy of the line inside \
                     another message; write the same name in both"
                ),
            );
        }
        _ => pattern,
    };
    Ok(Rule {
        options: rule,
        pattern,
    })
}

/// The program name a pattern begins with as a tag, `NAME[%d]:` (`sshd-session[%d]: `). A rule
/// with that `program` is anchored at the start of the subject, where SPEC §4 puts the tag: the
/// rule sees only that program's messages, so every genuine line still matches, and a copy of
/// the line inside text the daemon quotes from a caller (a SIP Call-ID, an SSH disconnect
/// reason) cannot. (`NAME: ` is not taken as a tag: programs whose stderr procd relays print it
/// after their own `NAME[pid]: `.)
fn leading_tag(pattern: &str) -> Option<&str> {
    let (name, rest) = pattern.split_once('[')?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b'%');
    (plain && rest.starts_with("%d]:")).then_some(name)
}

/// `option name`, else the section's own name (`config rule 'NAME'`), else the name `uci show`
/// prints for an anonymous section, `@rule[N]`.
fn rule_name(sec: &Section, index: usize) -> Result<String, Bad> {
    let Some(opt) = sec.get("name") else {
        return Ok(match &sec.name {
            Some(n) => n.clone(),
            None => format!("@rule[{index}]"),
        });
    };
    let name = single(opt)?;
    if name.trim().is_empty() {
        return bad(opt.line, "rule name is empty");
    }
    if name.chars().any(char::is_control) {
        return bad(opt.line, "rule name contains control characters");
    }
    Ok(name.to_string())
}

/// `option fields 'a b c'` (or a `list`): names for the first captures, in order.
fn fields(sec: &Section, captures: usize) -> Result<Vec<String>, Bad> {
    let Some(opt) = sec.get("fields") else {
        return Ok(Vec::new());
    };
    let mut out: Vec<String> = Vec::new();
    for (v, line) in items(opt) {
        for f in v.split_ascii_whitespace() {
            if !is_identifier(f) {
                return bad(
                    line,
                    format!("field name '{f}' is not valid (use [A-Za-z_][A-Za-z0-9_]*)"),
                );
            }
            if BUILTINS.contains(&f) {
                return bad(
                    line,
                    format!("field '{f}' would overwrite the built-in LT_{f}"),
                );
            }
            if out.iter().any(|o| o == f) {
                return bad(line, format!("field '{f}' is named twice"));
            }
            out.push(f.to_string());
        }
    }
    // A partial list would shift every name: `fields 'ip port'` on `for %s from %s:%d` gives
    // `ip` the user name.
    if !out.is_empty() && out.len() != captures {
        return bad(
            opt.line,
            format!(
                "fields names {} value(s) but the pattern has {captures} conversion(s): name every conversion in pattern order, or none",
                out.len()
            ),
        );
    }
    Ok(out)
}

/// `option key 'ip'`: the indices of the named fields; all captures when absent.
fn key(sec: &Section, fields: &[String], captures: usize) -> Result<(Vec<usize>, String), Bad> {
    let Some(opt) = sec.get("key") else {
        return Ok(((0..captures).collect(), String::new()));
    };
    let mut key = Vec::new();
    let mut words = Vec::new();
    for (v, line) in items(opt) {
        for k in v.split_ascii_whitespace() {
            let Some(i) = fields.iter().position(|f| f == k) else {
                if fields.is_empty() {
                    return bad(
                        line,
                        format!("key '{k}' is not a field: the rule has no option fields"),
                    );
                }
                return bad(
                    line,
                    format!(
                        "key '{k}' is not one of the rule's fields ({})",
                        fields.join(" ")
                    ),
                );
            };
            if key.contains(&i) {
                return bad(line, format!("key '{k}' is named twice"));
            }
            key.push(i);
            words.push(k);
        }
    }
    if key.is_empty() {
        return bad(opt.line, "key names no field");
    }
    Ok((key, words.join(" ")))
}

fn ignoreip(rule: &mut RuleOptions, opt: &super::uci::Opt) -> Result<(), Bad> {
    let items = items(opt);
    for (v, line) in items {
        // `list ignoreip 'none'` in a rule drops the global list: a logging rule may want to
        // see logins from 127.0.0.1 too.
        if v == "none" {
            rule.ignoreip.clear();
            rule.ignore_hosts.clear();
            continue;
        }
        match super::resolve::ignore("ignoreip", v, line)? {
            super::resolve::Ignore::Net(n) => rule.ignoreip.push(n),
            super::resolve::Ignore::Host(h) => rule.ignore_hosts.push(h),
        }
    }
    Ok(())
}

/// `option source 'unix udp'` (or a `list`): the inputs a rule takes.
fn sources(opt: &super::uci::Opt) -> Result<Sources, Bad> {
    let mut set = Sources::NONE;
    for (v, line) in items(opt) {
        for word in v.split_ascii_whitespace() {
            let Some(kind) = SourceKind::from_name(word) else {
                return bad(
                    line,
                    format!("source '{word}' is not one of unix, udp, file, kmsg"),
                );
            };
            set = set.with(kind);
        }
    }
    if set == Sources::NONE {
        return bad(opt.line, "source names no input (unix, udp, file, kmsg)");
    }
    Ok(set)
}

/// `option verify 'conntrack'`: the proof needs an address, the field `ip` or a one-field key.
fn verify(v: &str, rule: &RuleOptions, line: usize) -> Result<Verify, Bad> {
    if v != "conntrack" {
        return bad(
            line,
            format!("verify '{v}' is not known (the only proof is 'conntrack')"),
        );
    }
    if !rule.fields.iter().any(|f| f == "ip") && rule.key.len() != 1 {
        return bad(
            line,
            "verify needs the address a firing is about: name a field 'ip' or key on one field",
        );
    }
    Ok(Verify::Conntrack)
}

fn non_empty(v: &str, name: &str, line: usize) -> Result<String, Bad> {
    if v.trim().is_empty() {
        return bad(line, format!("{name} is empty"));
    }
    Ok(v.to_string())
}

/// An unknown option's value for `LT_<option>`: list items joined by one space.
fn extra_value(v: &Value) -> String {
    match v {
        Value::Single(s) => s.clone(),
        Value::List(items) => {
            let words: Vec<&str> = items.iter().map(|(s, _)| s.as_str()).collect();
            words.join(" ")
        }
    }
}

/// An unknown option close to a known one is a typo, not a value for the script: `maxfial`
/// would otherwise leave `maxfail` at 1 and fire on the first match. Global options have no
/// meaning in a rule.
fn check_not_typo(name: &str, line: usize) -> Result<(), Bad> {
    if let Some(known) = typo_of(name, KNOWN) {
        return bad(
            line,
            format!("unknown option '{name}': did you mean '{known}'?"),
        );
    }
    if super::GLOBAL_OPTIONS.contains(&name) {
        return bad(
            line,
            format!("'{name}' is a global option: set it in 'config logtrigger', not in a rule"),
        );
    }
    Ok(())
}

fn check_extra(name: &str, fields: &[String], line: usize) -> Result<(), Bad> {
    if !is_identifier(name) {
        return bad(
            line,
            format!("option '{name}' cannot be exported as LT_{name} (not a variable name)"),
        );
    }
    if BUILTINS.contains(&name) {
        return bad(
            line,
            format!("option '{name}' would overwrite the built-in LT_{name}"),
        );
    }
    if fields.iter().any(|f| f == name) {
        return bad(
            line,
            format!("option '{name}' would overwrite the field LT_{name}"),
        );
    }
    Ok(())
}
