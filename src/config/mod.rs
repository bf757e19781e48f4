//! Configuration (SPEC §8): the UCI file turned into a validated [`Config`].
//!
//! Owns: UCI syntax (`uci`), option types, ranges and defaults, rule compilation and validation.
//! Never: touches sockets or files other than the config file (host names in `forward_udp` and
//! `ignoreip` are kept as names: the daemon looks them up off its loop, see `resolve`); a bad
//! file is refused whole, never half applied.

pub mod budget;
pub mod resolve;
mod rules;
pub mod uci;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::ipnet::IpNet;
use crate::pattern::Pattern;
use uci::Section;
use values::{Bad, bad};

pub use rules::{BUILTINS, KNOWN as RULE_OPTIONS};
pub use values::human_duration;

/// A configuration error: `file:line: reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: the file as a whole (it cannot be read).
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

impl std::error::Error for Error {}

pub use crate::source::{SourceKind, Sources};

/// A proof the kernel must give before a rule fires (`option verify`, SPEC §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// The connection tracking table holds a connection whose original source is the key's
    /// address.
    Conntrack,
}

/// The `config logtrigger` section. `None` for a socket/control means `none` (turned off).
#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    pub socket: Option<PathBuf>,
    pub takeover: bool,
    pub forward: PathBuf,
    pub udp: Vec<SocketAddr>,
    /// Senders allowed on UDP; empty (`list udp_allow 'none'`) drops every remote message.
    pub udp_allow: Vec<IpNet>,
    pub udp_forward: bool,
    pub rcvbuf: usize,
    pub forward_udp: Vec<SocketAddr>,
    /// `forward_udp` host names with their ports, looked up by the daemon (`resolve`).
    pub forward_hosts: Vec<(String, u16)>,
    pub kmsg: bool,
    pub debug: u8,
    pub max_message: usize,
    pub max_jobs: usize,
    pub max_queue: usize,
    pub script_timeout: u32,
    pub max_keys: usize,
    pub ignoreip: Vec<IpNet>,
    /// `ignoreip` host names, looked up by the daemon (`resolve`).
    pub ignore_hosts: Vec<String>,
    pub control: Option<PathBuf>,
    /// Bytes the worst case of the configuration may reach (`budget`).
    pub max_memory: u64,
}

/// One `config rule` section, validated and compiled: its options and its compiled pattern,
/// two values (the daemon keeps the options per rule and the patterns in one rule set). Reads
/// as its options (`rule.name`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub options: RuleOptions,
    pub pattern: Pattern,
}

impl std::ops::Deref for Rule {
    type Target = RuleOptions;
    fn deref(&self) -> &RuleOptions {
        &self.options
    }
}

impl std::ops::DerefMut for Rule {
    fn deref_mut(&mut self) -> &mut RuleOptions {
        &mut self.options
    }
}

/// The options of one rule, everything but its compiled pattern.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    pub name: String,
    /// Field names, one per conversion of the pattern, or none at all.
    pub fields: Vec<String>,
    /// Indices of the captures that form the key; all captures when the rule has no `key`.
    pub key: Vec<usize>,
    /// The `key` option as written (empty when absent), for reload identity.
    pub key_src: String,
    pub script: Option<PathBuf>,
    pub time: Option<u32>,
    pub maxfail: u32,
    pub enabled: bool,
    pub file: Option<PathBuf>,
    pub program: Option<String>,
    /// The inputs the rule takes (`source`; default the local ones, SPEC §2 Trust).
    pub source: Sources,
    /// `verify`: what the kernel must confirm before the rule fires.
    pub verify: Option<Verify>,
    /// Global `ignoreip` followed by the rule's own.
    pub ignoreip: Vec<IpNet>,
    /// Host names of the global and the rule's `ignoreip`; their addresses are added to
    /// `ignoreip` once looked up.
    pub ignore_hosts: Vec<String>,
    pub max_keys: usize,
    /// Options that are not known options, exported as `LT_<option>`.
    pub extra: Vec<(String, String)>,
    /// Line of the `config rule` header.
    pub line: usize,
}

/// A whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub global: Global,
    pub rules: Vec<Rule>,
}

/// The options of `config logtrigger`.
pub const GLOBAL_OPTIONS: &[&str] = &[
    "socket",
    "takeover",
    "forward",
    "udp",
    "udp_allow",
    "udp_forward",
    "rcvbuf",
    "forward_udp",
    "kmsg",
    "debug",
    "max_message",
    "max_jobs",
    "max_queue",
    "script_timeout",
    "max_keys",
    "ignoreip",
    "control",
    "max_memory",
];

/// Bounds of the global numbers, checked at load.
pub const RCVBUF_RANGE: (u32, u32) = (4096, 64 << 20);
pub const MAX_MESSAGE_RANGE: (u32, u32) = (480, 65536);
pub const MAX_JOBS_RANGE: (u32, u32) = (1, 64);
pub const MAX_QUEUE_RANGE: (u32, u32) = (0, 65536);
pub const SCRIPT_TIMEOUT_RANGE: (u32, u32) = (1, 86400);

impl Default for Global {
    /// The defaults of SPEC §8.
    fn default() -> Global {
        let nets = |list: &[&str]| -> Vec<IpNet> {
            list.iter()
                .map(|s| IpNet::parse(s).expect("default network"))
                .collect()
        };
        Global {
            socket: Some(PathBuf::from("/dev/log")),
            takeover: true,
            forward: PathBuf::from("/dev/log.logd"),
            udp: vec![
                SocketAddr::from(([0, 0, 0, 0], 514)),
                SocketAddr::from(([0u16; 8], 514)),
            ],
            udp_allow: nets(&[
                "127.0.0.0/8",
                "::1",
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "fc00::/7",
                "169.254.0.0/16",
                "fe80::/10",
            ]),
            udp_forward: true,
            rcvbuf: 1 << 20,
            forward_udp: Vec::new(),
            forward_hosts: Vec::new(),
            kmsg: false,
            debug: 0,
            max_message: 8192,
            max_jobs: 4,
            max_queue: 64,
            script_timeout: 30,
            max_keys: 1024,
            ignoreip: nets(&["127.0.0.0/8", "::1"]),
            ignore_hosts: Vec::new(),
            control: Some(PathBuf::from("/var/run/logtrigger.sock")),
            max_memory: budget::DEFAULT_LIMIT,
        }
    }
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let file = path.display().to_string();
        match crate::input::file::read_regular(path) {
            Ok(text) => Config::parse(&text, &file),
            Err(e) => Err(Error {
                file,
                line: 0,
                reason: format!("cannot read configuration: {e}"),
            }),
        }
    }

    /// Validates UCI text; `file` names it in errors. Never touches the network.
    pub fn parse(text: &[u8], file: &str) -> Result<Config, Error> {
        let at = |b: Bad| Error {
            file: file.to_string(),
            line: b.line,
            reason: b.reason,
        };
        let doc = uci::parse(text).map_err(at)?;
        validate(&doc.sections).map_err(at)
    }

    /// The same as [`Config::parse`] (kept for fuzzing and tests: neither touches the network).
    pub fn parse_offline(text: &[u8], file: &str) -> Result<Config, Error> {
        Config::parse(text, file)
    }

    /// The rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// The whole model: the global section first (rules inherit from it), then the rules in order.
fn validate(sections: &[Section]) -> Result<Config, Bad> {
    let mut global_line = None;
    let mut global = Global::default();
    for sec in sections {
        match sec.kind.as_str() {
            "logtrigger" => {
                if let Some(first) = global_line {
                    return bad(
                        sec.line,
                        format!(
                            "only one 'config logtrigger' section is allowed (first at line {first})"
                        ),
                    );
                }
                global_line = Some(sec.line);
                global = parse_global(sec)?;
            }
            "rule" => {}
            other => {
                let reason = match values::typo_of(other, &["logtrigger", "rule"]) {
                    Some(known) => {
                        format!("unknown section type '{other}': did you mean '{known}'?")
                    }
                    None => {
                        format!("unknown section type '{other}' (expected 'logtrigger' or 'rule')")
                    }
                };
                return bad(sec.line, reason);
            }
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    // `index` counts sections of type rule as libuci does for `@rule[N]`, named ones included.
    for (index, sec) in sections.iter().filter(|s| s.kind == "rule").enumerate() {
        let rule = rules::rule(sec, index, &global)?;
        if let Some(first) = rules.iter().find(|r| r.name == rule.name) {
            return bad(
                sec.line,
                format!(
                    "duplicate rule name '{}' (first at line {})",
                    rule.name, first.line
                ),
            );
        }
        rules.push(rule);
    }
    budget::check(&global, &rules, global_line.unwrap_or(1))?;
    Ok(Config { global, rules })
}

fn parse_global(sec: &Section) -> Result<Global, Bad> {
    use values::*;
    let mut g = Global::default();
    for opt in &sec.options {
        let name = opt.name.as_str();
        match name {
            "socket" => g.socket = path_or_none(opt)?,
            "control" => g.control = path_or_none(opt)?,
            "forward" => {
                if single(opt)? == "none" {
                    return bad(
                        opt.line,
                        "forward cannot be 'none' (use option takeover '0' to not take over the socket)",
                    );
                }
                g.forward = abs_path(opt)?;
            }
            "takeover" => g.takeover = boolean(opt)?,
            "udp_forward" => g.udp_forward = boolean(opt)?,
            "kmsg" => g.kmsg = boolean(opt)?,
            // 9 and above mean everything (`-D 999`, as the seed manual has it).
            "debug" => g.debug = integer(opt, 0, u64::from(u32::MAX))?.min(9) as u8,
            "udp" => g.udp = addresses(opt)?,
            "forward_udp" => (g.forward_udp, g.forward_hosts) = resolve::remotes(opt)?,
            "udp_allow" => g.udp_allow = networks(opt)?,
            "ignoreip" => (g.ignoreip, g.ignore_hosts) = resolve::ignore_list(opt)?,
            "rcvbuf" => g.rcvbuf = size(opt, RCVBUF_RANGE.0, RCVBUF_RANGE.1)?,
            "max_message" => g.max_message = size(opt, MAX_MESSAGE_RANGE.0, MAX_MESSAGE_RANGE.1)?,
            "max_jobs" => g.max_jobs = size(opt, MAX_JOBS_RANGE.0, MAX_JOBS_RANGE.1)?,
            "max_queue" => g.max_queue = size(opt, MAX_QUEUE_RANGE.0, MAX_QUEUE_RANGE.1)?,
            "script_timeout" => {
                g.script_timeout = duration(
                    opt,
                    SCRIPT_TIMEOUT_RANGE.0.into(),
                    SCRIPT_TIMEOUT_RANGE.1.into(),
                )? as u32
            }
            "max_keys" => g.max_keys = size(opt, 1, rules::MAX_KEYS)?,
            "max_memory" => g.max_memory = budget::limit(opt)?,
            _ => return bad(opt.line, unknown_global(name)),
        }
    }
    if g.socket.as_ref() == Some(&g.forward) {
        return bad(
            sec.line,
            "forward must be another path than socket (it is where the real logger's socket is moved)",
        );
    }
    Ok(g)
}

/// Why an option is not a global one, with the option meant when it looks like a typo.
fn unknown_global(name: &str) -> String {
    if let Some(known) = values::typo_of(name, GLOBAL_OPTIONS) {
        return format!("unknown option '{name}' in config logtrigger: did you mean '{known}'?");
    }
    if RULE_OPTIONS.contains(&name) {
        return format!("'{name}' is a rule option: set it in a 'config rule' section");
    }
    format!("unknown option '{name}' in config logtrigger")
}
