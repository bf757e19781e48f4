//! Configuration (SPEC §8): the UCI file turned into a validated [`Config`].
//!
//! Owns: UCI syntax (`uci`), option types, ranges and defaults, rule compilation and validation.
//! Never: touches sockets or files other than the config file (the one exception: host names in
//! `forward_udp` are resolved at load, unless [`Config::parse_offline`] is used); a bad file is
//! refused whole, never half applied.

mod resolve;
mod rules;
pub mod uci;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::ipnet::IpNet;
use crate::pattern::Pattern;
use uci::Section;
use values::{Bad, Resolve, bad};

pub use rules::{BUILTINS, KNOWN as RULE_OPTIONS};

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

/// Where a message came from, for the rule option `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Unix,
    Udp,
    File,
    Kmsg,
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
    pub kmsg: bool,
    pub debug: u8,
    pub max_message: usize,
    pub max_jobs: usize,
    pub max_queue: usize,
    pub script_timeout: u32,
    pub max_keys: usize,
    pub ignoreip: Vec<IpNet>,
    pub control: Option<PathBuf>,
    /// Milliseconds the local socket is left unread while the logger at `forward` takes
    /// nothing (back-pressure); after that reading goes on and unforwardable frames are dropped.
    pub forward_wait: u32,
}

/// One `config rule` section, validated and compiled.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub pattern: Pattern,
    /// Field names, one per conversion of the pattern (may be fewer; unnamed ones have none).
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
    pub source: Option<SourceKind>,
    /// Global `ignoreip` followed by the rule's own.
    pub ignoreip: Vec<IpNet>,
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

impl SourceKind {
    /// The name used by the rule option `source`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Unix => "unix",
            SourceKind::Udp => "udp",
            SourceKind::File => "file",
            SourceKind::Kmsg => "kmsg",
        }
    }
}

/// Bounds of the global numbers, checked at load.
pub const RCVBUF_RANGE: (u32, u32) = (4096, 64 << 20);
pub const MAX_MESSAGE_RANGE: (u32, u32) = (480, 65536);
pub const MAX_JOBS_RANGE: (u32, u32) = (1, 64);
pub const MAX_QUEUE_RANGE: (u32, u32) = (0, 65536);
pub const SCRIPT_TIMEOUT_RANGE: (u32, u32) = (1, 86400);
pub const FORWARD_WAIT_RANGE: (u32, u32) = (0, 60_000);

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
            kmsg: false,
            debug: 0,
            max_message: 8192,
            max_jobs: 4,
            max_queue: 64,
            script_timeout: 30,
            max_keys: 1024,
            ignoreip: nets(&["127.0.0.0/8", "::1"]),
            control: Some(PathBuf::from("/var/run/logtrigger.sock")),
            forward_wait: 1000,
        }
    }
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let file = path.display().to_string();
        match std::fs::read(path) {
            Ok(text) => Config::parse(&text, &file),
            Err(e) => Err(Error {
                file,
                line: 0,
                reason: format!("cannot read configuration: {e}"),
            }),
        }
    }

    /// Validates UCI text; `file` names it in errors.
    pub fn parse(text: &[u8], file: &str) -> Result<Config, Error> {
        Config::parse_inner(text, file, Resolve::Dns)
    }

    /// Like [`Config::parse`], but never touches the network: a `forward_udp` host name (rather
    /// than an address) is an error. For fuzzing and tests.
    pub fn parse_offline(text: &[u8], file: &str) -> Result<Config, Error> {
        Config::parse_inner(text, file, Resolve::Never)
    }

    fn parse_inner(text: &[u8], file: &str, resolve: Resolve) -> Result<Config, Error> {
        let at = |b: Bad| Error {
            file: file.to_string(),
            line: b.line,
            reason: b.reason,
        };
        let doc = uci::parse(text).map_err(at)?;
        validate(&doc.sections, resolve).map_err(at)
    }

    /// The rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// The whole model: the global section first (rules inherit from it), then the rules in order.
fn validate(sections: &[Section], resolve: Resolve) -> Result<Config, Bad> {
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
                global = parse_global(sec, resolve)?;
            }
            "rule" => {}
            other => {
                return bad(
                    sec.line,
                    format!("unknown section type '{other}' (expected 'logtrigger' or 'rule')"),
                );
            }
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    for sec in sections.iter().filter(|s| s.kind == "rule") {
        let rule = rules::rule(sec, &global)?;
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
    Ok(Config { global, rules })
}

fn parse_global(sec: &Section, resolve: Resolve) -> Result<Global, Bad> {
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
            "debug" => g.debug = integer(opt, 0, 9)? as u8,
            "udp" => g.udp = addresses(opt, None)?,
            "forward_udp" => g.forward_udp = addresses(opt, Some(resolve))?,
            "udp_allow" => g.udp_allow = networks(opt)?,
            "ignoreip" => g.ignoreip = networks(opt)?,
            "rcvbuf" => g.rcvbuf = size(opt, RCVBUF_RANGE.0, RCVBUF_RANGE.1)?,
            "max_message" => g.max_message = size(opt, MAX_MESSAGE_RANGE.0, MAX_MESSAGE_RANGE.1)?,
            "max_jobs" => g.max_jobs = size(opt, MAX_JOBS_RANGE.0, MAX_JOBS_RANGE.1)?,
            "max_queue" => g.max_queue = size(opt, MAX_QUEUE_RANGE.0, MAX_QUEUE_RANGE.1)?,
            "script_timeout" => {
                g.script_timeout = integer(
                    opt,
                    SCRIPT_TIMEOUT_RANGE.0.into(),
                    SCRIPT_TIMEOUT_RANGE.1.into(),
                )? as u32
            }
            "max_keys" => g.max_keys = size(opt, 1, rules::MAX_KEYS)?,
            "forward_wait" => {
                let (min, max) = FORWARD_WAIT_RANGE;
                g.forward_wait = integer(opt, min.into(), max.into())? as u32
            }
            _ => {
                return bad(
                    opt.line,
                    format!("unknown option '{name}' in config logtrigger"),
                );
            }
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
