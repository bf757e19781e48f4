//! The per-message path shared by the daemon and `logtrigger test`: parse → subject → match →
//! count, reporting every match to the caller.
//!
//! Owns: rule filters (`enabled`, `file`, `program`, `source`, logtrigger's own messages), key
//! building, `ignoreip`, the trackers of the rules (kept across reloads for unchanged rules) and
//! the per-rule counters.
//! Never: allocates per message after warm-up (scratch buffers are sized at construction),
//! runs scripts (the caller does, on a fired [`Hit`]).

use std::net::SocketAddr;
use std::path::Path;

use crate::config::{Config, Rule, SourceKind};
use crate::pattern::{Cache, Captures, RuleSet};
use crate::syslog::{self, Message};
use crate::track::{self, KeyTracker, Outcome};

/// Where a frame came from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Unix,
    Udp(SocketAddr),
    File(&'a Path),
    Kmsg,
}

impl Source<'_> {
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Unix => SourceKind::Unix,
            Source::Udp(_) => SourceKind::Udp,
            Source::File(_) => SourceKind::File,
            Source::Kmsg => SourceKind::Kmsg,
        }
    }
}

/// The tag of the messages logtrigger writes itself; they are never matched (no feedback loop).
pub const OWN_TAG: &[u8] = b"logtrigger";

/// One match of one rule, as reported to the caller.
pub struct Hit<'a> {
    pub index: usize,
    pub rule: &'a Rule,
    /// The parsed frame; `None` for file lines.
    pub msg: Option<&'a Message<'a>>,
    pub subject: &'a [u8],
    pub caps: &'a Captures,
    /// The key values joined by one space.
    pub key: &'a [u8],
    /// True when a captured value is an address in `ignoreip`: the event was not counted.
    pub ignored: bool,
    /// The tracker's verdict (count 0 and not fired when ignored).
    pub outcome: Outcome,
}

/// Counters of one rule, for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleStats {
    pub matches: u64,
    pub ignored: u64,
    pub firings: u64,
    pub keys: usize,
    pub evicted: u64,
}

struct RuleState {
    tracker: KeyTracker,
    matches: u64,
    ignored: u64,
    firings: u64,
}

/// The compiled rules of one configuration and their counting state.
pub struct Pipeline {
    rules: Vec<Rule>,
    set: RuleSet,
    state: Vec<RuleState>,
    cache: Cache,
    subject: Vec<u8>,
    key: Vec<u8>,
}

impl Pipeline {
    pub fn new(config: &Config) -> Pipeline {
        let mut p = Pipeline {
            rules: Vec::new(),
            set: RuleSet::new(Vec::new()),
            state: Vec::new(),
            cache: Cache::default(),
            subject: Vec::new(),
            key: Vec::new(),
        };
        p.reload(config);
        p
    }

    /// Replaces the rules; a rule whose name, pattern, key, time, maxfail and max_keys are
    /// unchanged keeps its tracker and counters.
    pub fn reload(&mut self, config: &Config) {
        let mut old: Vec<(Rule, RuleState)> = self.rules.drain(..).zip(self.state.drain(..)).collect();
        for rule in &config.rules {
            let kept = old
                .iter()
                .position(|(r, _)| same_counting(r, rule))
                .map(|i| old.swap_remove(i).1);
            self.state.push(kept.unwrap_or_else(|| RuleState {
                tracker: KeyTracker::new(rule.max_keys, rule.maxfail, rule.time),
                matches: 0,
                ignored: 0,
                firings: 0,
            }));
            self.rules.push(rule.clone());
        }
        self.set = RuleSet::new(self.rules.iter().map(|r| r.pattern.clone()).collect());
        let max = config.global.max_message.max(1024);
        self.subject = Vec::with_capacity(max + 64);
        self.key = Vec::with_capacity(max + 64);
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn stats(&self, index: usize) -> RuleStats {
        let s = &self.state[index];
        RuleStats {
            matches: s.matches,
            ignored: s.ignored,
            firings: s.firings,
            keys: s.tracker.keys(),
            evicted: s.tracker.evicted(),
        }
    }

    /// Parses a syslog frame and runs its subject through the rules.
    pub fn process_frame(
        &mut self,
        frame: &[u8],
        source: Source,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        let msg = syslog::parse(frame);
        if msg.app_name == Some(OWN_TAG) {
            return;
        }
        let mut scratch = std::mem::take(&mut self.subject);
        let subject = msg.subject(&mut scratch);
        self.process_subject(subject, Some(&msg), source, now, on_hit);
        self.subject = scratch;
    }

    /// Runs one subject (a file line, a kernel message, or a frame's subject) through the rules.
    pub fn process_subject(
        &mut self,
        subject: &[u8],
        msg: Option<&Message>,
        source: Source,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        let Pipeline {
            rules,
            set,
            state,
            cache,
            key,
            ..
        } = self;
        let program = msg.and_then(|m| m.app_name);
        let wanted = |i: usize| applies(&rules[i], program, &source);
        set.for_each_match(subject, cache, wanted, |i, caps| {
            let rule = &rules[i];
            let st = &mut state[i];
            st.matches += 1;
            build_key(rule, caps, subject, key);
            let ignored = (0..caps.len()).any(|c| track::is_ignored(caps.get(c, subject), &rule.ignoreip));
            let outcome = if ignored {
                st.ignored += 1;
                Outcome { count: 0, fired: false }
            } else {
                st.tracker.event(key, now)
            };
            if outcome.fired {
                st.firings += 1;
            }
            on_hit(&Hit {
                index: i,
                rule,
                msg,
                subject,
                caps,
                key,
                ignored,
                outcome,
            });
        });
    }
}

/// Whether a rule looks at a message from `source` with tag `program`.
fn applies(rule: &Rule, program: Option<&[u8]>, source: &Source) -> bool {
    if !rule.enabled {
        return false;
    }
    let file_ok = match (source, &rule.file) {
        (Source::File(p), Some(f)) => *p == f.as_path(),
        (Source::File(_), None) | (_, Some(_)) => false,
        _ => true,
    };
    let program_ok = match &rule.program {
        Some(want) => program == Some(want.as_bytes()),
        None => true,
    };
    let source_ok = rule.source.is_none_or(|k| k == source.kind());
    file_ok && program_ok && source_ok
}

/// Writes the key values of `rule`, joined by one space, into `out` (cleared first).
fn build_key(rule: &Rule, caps: &Captures, subject: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for (n, &c) in rule.key.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        if c < caps.len() {
            out.extend_from_slice(caps.get(c, subject));
        }
    }
}

fn same_counting(a: &Rule, b: &Rule) -> bool {
    a.name == b.name
        && a.pattern.source() == b.pattern.source()
        && a.key_src == b.key_src
        && a.time == b.time
        && a.maxfail == b.maxfail
        && a.max_keys == b.max_keys
}

/// The script job of a fired hit (`None` when the rule has no script). Allocates: firing only.
pub fn job(hit: &Hit, source: Source, when: i64) -> Option<crate::action::Job> {
    let rule = hit.rule;
    let script = rule.script.clone()?;
    let mut string = Vec::new();
    rule.pattern.fill(hit.subject, hit.caps, &mut string);
    let mut message = Vec::new();
    let (host, program, pid) = match hit.msg {
        Some(m) => {
            m.human_line(hit.subject, when, &mut message);
            (m.hostname, m.app_name, m.procid)
        }
        None => {
            message.extend_from_slice(hit.subject);
            (None, None, None)
        }
    };
    let fields: Vec<(&str, &[u8])> = rule
        .fields
        .iter()
        .enumerate()
        .filter(|(c, _)| *c < hit.caps.len())
        .map(|(c, name)| (name.as_str(), hit.caps.get(c, hit.subject)))
        .collect();
    let info = crate::action::FireInfo {
        name: &rule.name,
        pattern: rule.pattern.source(),
        string: &string,
        message: &message,
        key: hit.key,
        count: hit.outcome.count,
        fields: &fields,
        host: host.unwrap_or_default(),
        program: program.unwrap_or_default(),
        pid: pid.unwrap_or_default(),
        facility: hit.msg.and_then(|m| m.facility),
        severity: hit.msg.and_then(|m| m.severity),
        source,
        when,
        extra: &rule.extra,
    };
    Some(crate::action::Job {
        rule: rule.name.clone(),
        script,
        env: crate::action::build_env(&info),
    })
}
