//! The per-message path shared by the daemon and `logtrigger test`: parse → subject → match →
//! count, reporting every match to the caller.
//!
//! Owns: rule filters (`enabled`, `file`, `program`, `source`, logtrigger's own messages), the
//! trust a frame needs to count (SPEC §2: who sent it; SPEC §6: whether it was cut), key
//! building, `ignoreip`, the trackers of the rules (kept across reloads for unchanged rules) and
//! the per-rule counters.
//! Never: allocates per message after warm-up (scratch buffers are sized at construction, the
//! match cache on the first message, a rule's key table on its first event), runs scripts (the
//! caller does, on a fired [`Hit`]), keeps a second copy of a compiled pattern (a rule's options
//! and its pattern are split at load: the rule set holds the only copy of each pattern).

use std::cell::Cell;
use std::net::IpAddr;

use crate::config::{Config, Rule, RuleOptions};
use crate::ipnet;
use crate::pattern::{Cache, Captures, Pattern, RuleSet, Subset};
use crate::syslog::{self, Message};
use crate::track::{KeyTracker, Outcome};

use crate::source::SourceKind;
pub use crate::source::{Cred, Sender, Source};

/// Size of musl's syslog() frame buffer: a longer message is cut to 1023 bytes and, unless its
/// byte 1022 is a newline, a newline is added (src/misc/syslog.c). A frame of 1023 or 1024 bytes
/// ending in a newline may be such a cut one.
pub const MUSL_SYSLOG_MAX: usize = 1024;

/// Why a match was not counted as an event, or a firing not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A unix frame for a rule with `program` whose sender is not root, PID 1 or that program.
    Untrusted,
    /// The frame was cut (by its sender's syslog() or by `max_message`) and the rule has a
    /// script: the end of the line, where the address sits, is not the daemon's.
    Truncated,
}

/// The tag of the messages logtrigger writes itself; they are never matched (no feedback loop).
pub const OWN_TAG: &[u8] = b"logtrigger";

/// One match of one rule, as reported to the caller.
pub struct Hit<'a> {
    pub index: usize,
    pub rule: &'a RuleOptions,
    /// The rule's compiled pattern.
    pub pattern: &'a Pattern,
    /// The parsed frame; `None` for file lines.
    pub msg: Option<&'a Message<'a>>,
    pub subject: &'a [u8],
    pub caps: &'a Captures,
    /// The key values joined by one space.
    pub key: &'a [u8],
    /// True when a captured value is an address in `ignoreip`: the event was not counted.
    pub ignored: bool,
    /// Set when the frame may not count for this rule (untrusted sender, cut frame): the event
    /// was not counted.
    pub refused: Option<Refusal>,
    /// Set by [`Hit::keep_history`].
    keep: Cell<bool>,
    /// The tracker's verdict (count 0 and not fired when ignored).
    pub outcome: Outcome,
    /// Keys the rule's tracker holds after this event.
    pub tracked: usize,
}

impl Hit<'_> {
    /// For the receiver of a firing that could not take it (its script could not be queued):
    /// the key keeps its history, so its next event fires again (SPEC §6).
    pub fn keep_history(&self) {
        self.keep.set(true);
    }

    /// The address a firing is about (for proof of presence): the field `ip`, or else a
    /// one-field key, read as [`ipnet::parse_addr`] reads it (port stripped, NUL removed) and
    /// IPv4-mapped IPv6 folded to IPv4. `None` when that value is not an address.
    pub fn address(&self) -> Option<IpAddr> {
        let c = match self.rule.fields.iter().position(|f| f == "ip") {
            Some(c) => c,
            None => match self.rule.key[..] {
                [c] => c,
                _ => return None,
            },
        };
        let value = (c < self.caps.len()).then(|| self.caps.get(c, self.subject))?;
        ipnet::parse_addr(value).map(|a| a.to_canonical())
    }
}

/// Counters of one rule, for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleStats {
    pub matches: u64,
    pub ignored: u64,
    pub firings: u64,
    pub keys: usize,
    pub evicted: u64,
    /// Matches from a sender that may not speak for the rule's `program`.
    pub untrusted: u64,
    /// Matches in a cut frame, for a rule with a script.
    pub truncated: u64,
    /// Firings refused because the kernel had no proof of the address (`verify`).
    pub unverified: u64,
}

#[derive(Default)]
struct Counters {
    matches: u64,
    ignored: u64,
    firings: u64,
    untrusted: u64,
    truncated: u64,
    unverified: u64,
}

struct RuleState {
    tracker: KeyTracker,
    n: Counters,
}

/// The compiled rules of one configuration and their counting state.
pub struct Pipeline {
    /// The rules' options; `set` holds their compiled patterns, in the same order.
    rules: Vec<RuleOptions>,
    set: RuleSet,
    tags: Tags,
    state: Vec<RuleState>,
    /// Match scratch, grown for every pattern on the first message after a (re)load (an idle
    /// daemon does not hold it); `None` until then.
    cache: Option<Cache>,
    subject: Vec<u8>,
    key: Vec<u8>,
    /// A frame this long may have been cut by the receive buffer.
    max_message: usize,
    /// `-D` level: at 3 and above every message and every rule tried is logged to stderr.
    trace: u8,
}

impl Pipeline {
    pub fn new(config: &Config) -> Pipeline {
        Pipeline::with_rules(config.rules.clone(), config.global.max_message)
    }

    /// A pipeline that takes ownership of `rules` (no copy of their compiled patterns).
    pub fn with_rules(rules: Vec<Rule>, max_message: usize) -> Pipeline {
        let mut p = Pipeline {
            rules: Vec::new(),
            set: RuleSet::new(Vec::new()),
            tags: Tags::default(),
            state: Vec::new(),
            cache: None,
            subject: Vec::new(),
            key: Vec::new(),
            max_message: max_message.max(1),
            trace: 0,
        };
        p.reload_rules(rules, max_message);
        p
    }

    /// Replaces the rules; a rule whose name, pattern, key, time, maxfail and max_keys are
    /// unchanged keeps its tracker and counters.
    pub fn reload(&mut self, config: &Config) {
        self.reload_rules(config.rules.clone(), config.global.max_message);
    }

    /// [`Pipeline::reload`] taking ownership of the new rules.
    pub fn reload_rules(&mut self, rules: Vec<Rule>, max_message: usize) {
        let (rules, patterns): (Vec<RuleOptions>, Vec<Pattern>) =
            rules.into_iter().map(|r| (r.options, r.pattern)).unzip();
        // The old rules' patterns are in the old set, which stays until the new one replaces it.
        let Pipeline {
            rules: old_rules,
            state,
            set: old_set,
            ..
        } = self;
        let mut old: Vec<(usize, RuleOptions, RuleState)> = old_rules
            .drain(..)
            .zip(state.drain(..))
            .enumerate()
            .map(|(i, (r, s))| (i, r, s))
            .collect();
        for (rule, pattern) in rules.iter().zip(&patterns) {
            let kept = old
                .iter()
                .position(|(i, r, _)| same_counting(r, old_set.pattern(*i), rule, pattern))
                .map(|i| old.swap_remove(i).2);
            state.push(kept.unwrap_or_else(|| RuleState {
                // Allocates nothing until the rule's first event.
                tracker: KeyTracker::new(rule.max_keys, rule.maxfail, rule.time),
                n: Counters::default(),
            }));
        }
        self.tags = Tags::new(&rules);
        self.rules = rules;
        self.set = RuleSet::new(patterns);
        self.cache = None;
        self.max_message = max_message.max(1);
        let max = max_message.max(1024);
        self.subject = Vec::with_capacity(max + 64);
        self.key = Vec::with_capacity(max + 64);
    }

    /// Adds `ip` to the `ignoreip` of every rule that names `host` there (an address found
    /// by the daemon's host lookups).
    pub fn ignore_host(&mut self, host: &str, ip: std::net::IpAddr) {
        let Ok(net) = crate::ipnet::IpNet::parse(&ip.to_string()) else {
            return;
        };
        for r in &mut self.rules {
            if r.ignore_hosts.iter().any(|h| h == host) && !r.ignoreip.contains(&net) {
                r.ignoreip.push(net);
            }
        }
    }

    /// Sets the `-D` level that decides what is traced to stderr (3: rules tried).
    pub fn set_trace(&mut self, level: u8) {
        self.trace = level;
    }

    /// The rules' options, in order; the compiled pattern of rule `i` is
    /// [`Pipeline::pattern`]`(i)`.
    pub fn rules(&self) -> &[RuleOptions] {
        &self.rules
    }

    /// The compiled pattern of rule `i`.
    pub fn pattern(&self, i: usize) -> &Pattern {
        self.set.pattern(i)
    }

    pub fn stats(&self, index: usize) -> RuleStats {
        let s = &self.state[index];
        RuleStats {
            matches: s.n.matches,
            ignored: s.n.ignored,
            firings: s.n.firings,
            keys: s.tracker.keys(),
            evicted: s.tracker.evicted(),
            untrusted: s.n.untrusted,
            truncated: s.n.truncated,
            unverified: s.n.unverified,
        }
    }

    /// Forgets `key` of rule `index` with its history: a firing whose receiver kept the history
    /// ([`Hit::keep_history`]) and took the firing later.
    pub fn forget(&mut self, index: usize, key: &[u8]) {
        if let Some(s) = self.state.get_mut(index) {
            s.tracker.forget(key);
        }
    }

    /// Counts a firing of rule `index` refused for lack of proof (`verify`).
    pub fn count_unverified(&mut self, index: usize) {
        if let Some(s) = self.state.get_mut(index) {
            s.n.unverified += 1;
        }
    }

    /// Parses a syslog frame as received and runs its subject through the rules. A frame of
    /// `max_message` bytes or more (the receive buffer may have cut it) or one that musl's
    /// syslog() may have cut ([`MUSL_SYSLOG_MAX`]) counts for no rule with a script.
    pub fn process_frame(
        &mut self,
        frame: &[u8],
        source: Source,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        let cut = self.is_cut(frame);
        self.run_message(&syslog::parse(frame), source, cut, now, on_hit);
    }

    /// Whether a received frame may have been cut: `max_message` bytes or more (the receive
    /// buffer may have cut it), or a frame musl's syslog() may have cut ([`MUSL_SYSLOG_MAX`]).
    pub fn is_cut(&self, frame: &[u8]) -> bool {
        frame.len() >= self.max_message || cut_by_musl(frame)
    }

    /// Runs an already parsed frame through the rules; `cut`: the frame may have been cut
    /// ([`Pipeline::is_cut`] of its bytes, or the kernel said so), its end is not the sender's.
    pub fn process_message(
        &mut self,
        msg: &Message,
        source: Source,
        cut: bool,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        self.run_message(msg, source, cut, now, on_hit);
    }

    fn run_message(
        &mut self,
        msg: &Message,
        source: Source,
        cut: bool,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        if msg.app_name == Some(OWN_TAG) {
            return;
        }
        let mut scratch = std::mem::take(&mut self.subject);
        let subject = msg.subject(&mut scratch);
        self.run(subject, Some(msg), source, cut, now, on_hit);
        self.subject = scratch;
    }

    /// Runs a line of a tailed file or a kernel record through the rules. A line of
    /// `max_message` bytes or more was cut by the reader (its end is not the writer's): it
    /// counts for no rule with a script.
    pub fn process_line(
        &mut self,
        line: &[u8],
        source: Source,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        let cut = line.len() >= self.max_message;
        self.run(line, None, source, cut, now, on_hit);
    }

    /// Runs one subject (a replayed line, or a frame's subject) through the rules, as whole.
    pub fn process_subject(
        &mut self,
        subject: &[u8],
        msg: Option<&Message>,
        source: Source,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        self.run(subject, msg, source, false, now, on_hit);
    }

    /// [`Pipeline::process_subject`]; `cut`: the frame was cut, its end is not the sender's.
    fn run(
        &mut self,
        subject: &[u8],
        msg: Option<&Message>,
        source: Source,
        cut: bool,
        now: i64,
        on_hit: &mut dyn FnMut(&Hit),
    ) {
        let Pipeline {
            rules,
            set,
            tags,
            state,
            cache,
            key,
            trace,
            ..
        } = self;
        let program = msg.and_then(|m| m.app_name);
        let trace = *trace >= 3;
        if trace {
            trace_line(format_args!("subject '{}'", subject.escape_ascii()));
        }
        let (subset, id) = tags.lookup(program);
        let wanted = |i: usize| {
            let ok = tags.admits(i, id, &source, &rules[i]);
            if trace && ok {
                trace_line(format_args!("[{}] tried", rules[i].name));
            }
            ok
        };
        if subset == 0 {
            return;
        }
        let cache = cache.get_or_insert_with(|| set.cache());
        set.for_each_match_in(subject, cache, subset, wanted, |i, caps| {
            let rule = &rules[i];
            let st = &mut state[i];
            st.n.matches += 1;
            let key = build_key(rule, caps, subject, key);
            let refused = refusal(rule, &source, cut);
            let ignored = refused.is_none()
                && (0..caps.len()).any(|c| ipnet::is_ignored(caps.get(c, subject), &rule.ignoreip));
            let outcome = st.count(key, now, refused, ignored);
            let hit = Hit {
                index: i,
                rule,
                pattern: set.pattern(i),
                msg,
                subject,
                caps,
                key,
                ignored,
                refused,
                keep: Cell::new(false),
                outcome,
                tracked: st.tracker.keys(),
            };
            on_hit(&hit);
            if outcome.fired {
                st.n.firings += 1;
                if !hit.keep.get() {
                    st.tracker.clear_fired();
                }
            }
        });
    }
}

impl RuleState {
    /// Counts a match of the rule: an event for `key` at `now`, unless refused or ignored (then
    /// only the reason is counted). A firing keeps its key until `clear_fired`.
    fn count(&mut self, key: &[u8], now: i64, refused: Option<Refusal>, ignored: bool) -> Outcome {
        let n = &mut self.n;
        match refused {
            _ if ignored => n.ignored += 1,
            Some(Refusal::Untrusted) => n.untrusted += 1,
            Some(Refusal::Truncated) => n.truncated += 1,
            None => return self.tracker.event_held(key, now),
        }
        NOT_COUNTED
    }
}

/// One `-D 3` line to stderr. A closed stderr is ignored: `eprintln!` would panic, and a panic
/// aborts the router build.
fn trace_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "logtrigger: {args}");
}

/// The verdict of an event that is not counted.
const NOT_COUNTED: Outcome = Outcome {
    count: 0,
    fired: false,
};

/// Why a match of `rule` in a frame from `source` may not count (SPEC §2 Trust, §6). Reads
/// `/proc` only for a unix frame matching a rule with `program` whose sender is neither root
/// nor PID 1.
fn refusal(rule: &RuleOptions, source: &Source, cut: bool) -> Option<Refusal> {
    if cut && rule.script.is_some() {
        return Some(Refusal::Truncated);
    }
    match (source, &rule.program) {
        (Source::Unix(sender), Some(p)) if !sender.may_speak_for(p.as_bytes()) => {
            Some(Refusal::Untrusted)
        }
        _ => None,
    }
}

/// Whether `frame` may be one that musl's syslog() cut at [`MUSL_SYSLOG_MAX`]: 1023 bytes, then
/// a newline added unless byte 1022 already was one. Such a frame is 1023 or 1024 bytes long
/// and ends in a newline (a whole message of that length looks the same: it is taken as cut).
pub fn cut_by_musl(frame: &[u8]) -> bool {
    (MUSL_SYSLOG_MAX - 1..=MUSL_SYSLOG_MAX).contains(&frame.len()) && frame.ends_with(b"\n")
}

/// Which rules may look at a message, by its tag and source, before a byte of it is read (most
/// router lines come from daemons no rule watches), without reading the rules themselves: a
/// `Rule` is hundreds of bytes, and after an idle gap every cache line read is a miss.
#[derive(Default)]
struct Tags {
    /// Each distinct `program` of the enabled rules, with the rules that name it.
    named: Vec<(Box<[u8]>, Subset)>,
    /// The enabled rules without a `program`.
    any: Subset,
    /// Per rule, what it asks of a message besides its pattern.
    gates: Vec<Gate>,
}

/// A rule's filters, packed: 8 bytes, so that one cache line holds those of 8 rules.
#[derive(Clone, Copy)]
struct Gate {
    /// The index in `Tags::named` of the rule's `program`, + 1; 0: no `program`.
    program: u32,
    /// One bit per [`SourceKind`] the rule takes (`source`, `file`); 0 when disabled. Only a
    /// rule bound to a `file` has the file bit.
    sources: u8,
}

fn source_bit(kind: SourceKind) -> u8 {
    1 << kind as u8
}

impl Tags {
    fn new(rules: &[RuleOptions]) -> Tags {
        let mut t = Tags::default();
        for (i, r) in rules.iter().enumerate() {
            let bit = 1 << (i % 32);
            let program = r.program.as_ref().map(|p| p.as_bytes());
            let id = match program {
                Some(p) => t.named.iter().position(|(n, _)| **n == *p).or_else(|| {
                    t.named.push((p.into(), 0));
                    Some(t.named.len() - 1)
                }),
                None => None,
            };
            // A rule with a `file` reads only that file; one without reads no file.
            let file = source_bit(SourceKind::File);
            let kinds = r.source.bits();
            let sources = match (r.enabled, r.file.is_some()) {
                (false, _) => 0,
                (true, true) => kinds & file,
                (true, false) => kinds & !file,
            };
            t.gates.push(Gate {
                program: id.map_or(0, |id| id as u32 + 1),
                sources,
            });
            match id {
                _ if !r.enabled => {}
                Some(id) => t.named[id].1 |= bit,
                None => t.any |= bit,
            }
        }
        t
    }

    /// The rules that may apply to a message tagged `program`, and that tag's index in `named`.
    fn lookup(&self, program: Option<&[u8]>) -> (Subset, Option<usize>) {
        let id = program.and_then(|p| self.named.iter().position(|(n, _)| **n == *p));
        (self.any | id.map_or(0, |id| self.named[id].1), id)
    }

    #[cfg(test)]
    fn subset(&self, program: Option<&[u8]>) -> Subset {
        self.lookup(program).0
    }

    /// Whether rule `i` (`rule`) looks at a message from `source` whose tag has index `id` in
    /// `named` ([`Tags::lookup`]). `rule` is read only for a line from a file (only rules bound
    /// to a file take those: the path must be theirs).
    fn admits(&self, i: usize, id: Option<usize>, source: &Source, rule: &RuleOptions) -> bool {
        let g = self.gates[i];
        let program_ok = g.program == 0 || Some(g.program as usize - 1) == id;
        let source_ok = g.sources & source_bit(source.kind()) != 0;
        let file_ok = match source {
            Source::File(p) => rule.file.as_deref() == Some(*p),
            _ => true,
        };
        program_ok && source_ok && file_ok
    }
}

/// The key values of `rule` joined by one space, NUL bytes removed (as `LT_key` has them):
/// written into `out` (cleared first), or, for a one-field key without NUL, the captured value
/// itself.
fn build_key<'k>(
    rule: &RuleOptions,
    caps: &Captures,
    subject: &'k [u8],
    out: &'k mut Vec<u8>,
) -> &'k [u8] {
    let value = |c: usize| {
        if c < caps.len() {
            caps.get(c, subject)
        } else {
            &[][..]
        }
    };
    if let [c] = rule.key[..]
        && memchr::memchr(0, value(c)).is_none()
    {
        return value(c);
    }
    out.clear();
    for (n, &c) in rule.key.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        out.extend(value(c).iter().filter(|&&b| b != 0));
    }
    out
}

/// Whether running rule `a` (compiled pattern `a_pattern`) may keep its state as `b`.
fn same_counting(
    a: &RuleOptions,
    a_pattern: &Pattern,
    b: &RuleOptions,
    b_pattern: &Pattern,
) -> bool {
    a.name == b.name
        && a_pattern.source() == b_pattern.source()
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
    hit.pattern.fill(hit.subject, hit.caps, &mut string);
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
        pattern: hit.pattern.source(),
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
        counted: rule.maxfail > 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A local frame whose sender may speak for any program.
    const LOCAL: Source<'static> = Source::Unix(Sender::Replayed);

    const CONF: &str = "
config logtrigger 'global'
	option socket 'none'

config rule
	option name 'pw'
	option pattern 'Bad password attempt for %b from %s:%d'
	option fields 'user ip port'
	option key 'ip'
	option maxfail '3'
	option time '60'

config rule
	option name 'prog'
	option pattern 'hello %s'
	option program 'greeter'

config rule
	option name 'udponly'
	option pattern 'hello %s'
	option source 'udp'

config rule
	option name 'tail'
	option pattern 'GET %s'
	option file '/var/log/web.log'

config rule
	option name 'off'
	option pattern 'hello %s'
	option enabled '0'
";

    fn hits(
        p: &mut Pipeline,
        frame: &[u8],
        source: Source,
        now: i64,
    ) -> Vec<(String, u32, bool, bool)> {
        let mut v = Vec::new();
        p.process_frame(frame, source, now, &mut |h| {
            v.push((
                h.rule.name.clone(),
                h.outcome.count,
                h.outcome.fired,
                h.ignored,
            ))
        });
        v
    }

    fn pipeline(text: &str) -> Pipeline {
        Pipeline::new(&Config::parse(text.as_bytes(), "test").unwrap())
    }

    #[test]
    fn counts_per_key_and_fires() {
        let mut p = pipeline(CONF);
        let f = |ip: &str| {
            format!(
                "<84>Nov  6 21:52:13 dropbear[1]: Bad password attempt for 'root' from {ip}:5555"
            )
        };
        assert_eq!(
            hits(&mut p, f("192.0.2.1").as_bytes(), LOCAL, 100),
            [("pw".into(), 1, false, false)]
        );
        assert_eq!(hits(&mut p, f("192.0.2.2").as_bytes(), LOCAL, 101)[0].1, 1);
        assert_eq!(hits(&mut p, f("192.0.2.1").as_bytes(), LOCAL, 102)[0].1, 2);
        assert_eq!(
            hits(&mut p, f("192.0.2.1").as_bytes(), LOCAL, 103),
            [("pw".into(), 3, true, false)]
        );
        assert_eq!(p.stats(0).firings, 1);
        assert_eq!(p.stats(0).keys, 1, "firing removed the fired key");
        // ignoreip: loopback is never counted.
        assert_eq!(
            hits(&mut p, f("127.0.0.1").as_bytes(), LOCAL, 104),
            [("pw".into(), 0, false, true)]
        );
    }

    #[test]
    fn filters() {
        let mut p = pipeline(CONF);
        let names =
            |v: Vec<(String, u32, bool, bool)>| v.into_iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(
            names(hits(&mut p, b"<13>greeter: hello you", LOCAL, 1)),
            ["prog"]
        );
        let udp = Source::Udp("192.168.1.2:514".parse().unwrap());
        assert_eq!(
            names(hits(&mut p, b"<13>other: hello you", udp, 1)),
            ["udponly"]
        );
        assert!(
            hits(&mut p, b"<13>logtrigger: hello you", udp, 1).is_empty(),
            "own messages"
        );
        assert!(
            hits(&mut p, b"GET /index.html", LOCAL, 1).is_empty(),
            "file rule"
        );
        let mut v = Vec::new();
        let web = Path::new("/var/log/web.log");
        p.process_subject(b"GET /index.html", None, Source::File(web), 1, &mut |h| {
            v.push(h.rule.name.clone())
        });
        assert_eq!(v, ["tail"]);
        v.clear();
        p.process_subject(
            b"GET /x",
            None,
            Source::File(Path::new("/other")),
            1,
            &mut |h| v.push(h.rule.name.clone()),
        );
        assert!(v.is_empty());
    }

    #[test]
    fn udp_frames_reach_only_rules_naming_udp() {
        let conf = "config rule\n option name 'local'\n option pattern 'hello %s'\n\
                    config rule\n option name 'both'\n option pattern 'hello %s'\n option source 'unix udp'\n";
        let mut p = pipeline(conf);
        let udp = Source::Udp("192.168.1.2:514".parse().unwrap());
        let names =
            |v: Vec<(String, u32, bool, bool)>| v.into_iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(names(hits(&mut p, b"<13>x: hello a", udp, 1)), ["both"]);
        assert_eq!(
            names(hits(&mut p, b"<13>x: hello a", LOCAL, 1)),
            ["local", "both"]
        );
        assert_eq!(
            names(hits(&mut p, b"<13>x: hello a", Source::Kmsg, 1)),
            ["local"]
        );
    }

    #[test]
    fn a_program_rule_counts_only_trusted_senders() {
        let conf = "config rule\n option name 'pw'\n option program 'dropbear'\n\
                    option pattern 'Bad password from %s'\n option fields 'ip'\n option maxfail '2'\n";
        let mut p = pipeline(conf);
        let frame = b"<84>dropbear[77]: Bad password from 198.51.100.7";
        let nobody = Sender::Cred(Cred {
            pid: std::process::id(),
            uid: 65534,
        });
        let root = Sender::Cred(Cred {
            pid: std::process::id(),
            uid: 0,
        });
        let procd = Sender::Cred(Cred { pid: 1, uid: 65534 });
        for sender in [nobody, Sender::Unknown] {
            let mut refused = Vec::new();
            p.process_frame(frame, Source::Unix(sender), 1, &mut |h| {
                refused.push((h.refused, h.outcome.count))
            });
            assert_eq!(refused, [(Some(Refusal::Untrusted), 0)]);
        }
        assert_eq!(p.stats(0).untrusted, 2);
        assert_eq!(p.stats(0).keys, 0, "nothing counted");
        assert_eq!(hits(&mut p, frame, Source::Unix(root), 2)[0].1, 1);
        assert!(
            hits(&mut p, frame, Source::Unix(procd), 3)[0].2,
            "PID 1 fires"
        );
        // A rule without `program` takes any local sender.
        let mut any = pipeline(&conf.replace("option program 'dropbear'\n", ""));
        assert_eq!(hits(&mut any, frame, Source::Unix(nobody), 1)[0].1, 1);
    }

    #[test]
    fn a_cut_frame_never_counts_for_a_rule_with_a_script() {
        let conf = "config logtrigger\n option max_message '2048'\n\
                    config rule\n option name 'ban'\n option pattern 'for %s from %s'\n option script '/bin/true'\n\
                    config rule\n option name 'count'\n option pattern 'for %s from %s'\n";
        let mut p = pipeline(conf);
        // What musl's syslog() sends for a 1200-byte message: 1023 bytes and a newline.
        let head = b"<85>Dec  7 02:00:00 uhttpd[1]: for ";
        let mut whole = head.to_vec();
        whole.resize(MUSL_SYSLOG_MAX - 1 - b" from 198.51.100.7".len(), b'x');
        whole.extend_from_slice(b" from 198.51.100.7");
        let mut cut = whole.clone();
        cut.push(b'\n');
        assert_eq!(cut.len(), MUSL_SYSLOG_MAX);
        let got = hits(&mut p, &cut, LOCAL, 1);
        assert_eq!(
            got,
            [
                ("ban".into(), 0, false, false),
                ("count".into(), 1, true, false)
            ]
        );
        assert_eq!(p.stats(0).truncated, 1);
        // The same line two bytes shorter (1022 with its newline) is whole.
        let mut short = whole[..whole.len() - 2].to_vec();
        short.push(b'\n');
        assert_eq!(
            hits(&mut p, &short, LOCAL, 1)[0],
            ("ban".into(), 1, true, false)
        );
        // 1023 bytes ending in a newline: musl's cut when byte 1022 was a newline.
        let mut cut_at_newline = whole[..MUSL_SYSLOG_MAX - 2].to_vec();
        cut_at_newline.push(b'\n');
        assert_eq!(hits(&mut p, &cut_at_newline, LOCAL, 1)[0].1, 0);
        // Cut by the receive buffer: a frame of max_message bytes.
        let mut long = head.to_vec();
        long.resize(2048 - 18, b'y');
        long.extend_from_slice(b" from 198.51.100.7");
        assert_eq!(hits(&mut p, &long, LOCAL, 1)[0].1, 0);
        assert_eq!(p.stats(0).truncated, 3);
    }

    #[test]
    fn ignoreip_and_the_key_see_the_value_without_nul() {
        let conf = "config logtrigger\n list ignoreip '192.168.0.0/16'\n\
                    config rule\n option name 'pw'\n option pattern 'from %s'\n option fields 'ip'\n option maxfail '2'\n";
        let mut p = pipeline(conf);
        let got = hits(&mut p, b"<13>x: from 192.168.1.\x0010", LOCAL, 1);
        assert_eq!(got, [("pw".into(), 0, false, true)]);
        // The key is the value a script gets: both spellings are one key.
        let mut keys = Vec::new();
        for frame in [
            &b"<13>x: from 203.0.113.\x009"[..],
            b"<13>x: from 203.0.113.9",
        ] {
            p.process_frame(frame, LOCAL, 2, &mut |h| {
                keys.push((h.key.to_vec(), h.outcome.fired))
            });
        }
        assert_eq!(
            keys,
            [
                (b"203.0.113.9".to_vec(), false),
                (b"203.0.113.9".to_vec(), true)
            ]
        );
    }

    #[test]
    fn a_firing_kept_by_its_receiver_fires_again() {
        let mut p = pipeline(CONF);
        let f = b"<84>dropbear[1]: Bad password attempt for 'root' from 192.0.2.1:5555";
        hits(&mut p, f, LOCAL, 10);
        hits(&mut p, f, LOCAL, 11);
        let mut fired = 0;
        p.process_frame(f, LOCAL, 12, &mut |h| {
            fired += h.outcome.fired as u32;
            h.keep_history();
        });
        assert_eq!(fired, 1);
        assert_eq!(hits(&mut p, f, LOCAL, 13), [("pw".into(), 3, true, false)]);
        assert_eq!(hits(&mut p, f, LOCAL, 14)[0].1, 1, "taken: cleared");
    }

    #[test]
    fn the_address_of_a_firing() {
        let conf = "config rule\n option name 'a'\n option pattern 'u %s from %s'\n option fields 'user ip'\n option key 'user'\n\
                    config rule\n option name 'b'\n option pattern 'u %s from %s'\n option fields 'user addr'\n option key 'addr'\n\
                    config rule\n option name 'c'\n option pattern 'u %s from %s'\n";
        let mut p = pipeline(conf);
        let mut got = Vec::new();
        p.process_frame(
            b"<13>x: u bob from [::ffff:203.0.113.9]:22",
            LOCAL,
            1,
            &mut |h| got.push(h.address().map(|a| a.to_string())),
        );
        let v4 = Some("203.0.113.9".to_string());
        assert_eq!(got, [v4.clone(), v4, None]);
    }

    #[test]
    fn tags_pick_the_rules_a_message_can_reach() {
        let p = pipeline(CONF);
        // 'pw', 'udponly' and 'tail' name no program, 'prog' names greeter, 'off' is disabled.
        assert_eq!(p.tags.subset(None), 0b1101);
        assert_eq!(p.tags.subset(Some(b"greeter")), 0b1111);
        assert_eq!(p.tags.subset(Some(b"greete")), 0b1101);
        let tagged = pipeline(&CONF.replace(
            "option name 'pw'",
            "option name 'pw'\n\toption program 'dropbear'",
        ));
        assert_eq!(tagged.tags.subset(Some(b"dnsmasq")), 0b1100);
    }

    #[test]
    fn rules_32_apart_share_a_tag_bit_but_not_their_matches() {
        let mut text = String::from("config logtrigger 'global'\n\toption socket 'none'\n");
        for i in 0..33 {
            let prog = if i == 32 { "b" } else { "a" };
            let pattern = if i % 32 == 0 {
                "hello %s"
            } else {
                "nothing %d here"
            };
            text += &format!(
                "config rule\n\toption name 'r{i}'\n\toption program '{prog}'\n\toption pattern '{pattern}'\n"
            );
        }
        let mut p = pipeline(&text);
        let names =
            |v: Vec<(String, u32, bool, bool)>| v.into_iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(names(hits(&mut p, b"<13>a: hello you", LOCAL, 1)), ["r0"]);
        assert_eq!(names(hits(&mut p, b"<13>b: hello you", LOCAL, 1)), ["r32"]);
        assert!(hits(&mut p, b"<13>c: hello you", LOCAL, 1).is_empty());
    }

    #[test]
    fn reload_keeps_unchanged_rules() {
        let mut p = pipeline(CONF);
        let f = b"<84>dropbear[1]: Bad password attempt for 'root' from 192.0.2.1:5555";
        hits(&mut p, f, LOCAL, 10);
        hits(&mut p, f, LOCAL, 11);
        hits(&mut p, b"<13>greeter: hello a", LOCAL, 11);
        // The 'prog' rule changes; 'pw' does not.
        let changed = CONF.replace(
            "'hello %s'\n\toption program",
            "'hello %s!'\n\toption program",
        );
        p.reload(&Config::parse(changed.as_bytes(), "test").unwrap());
        assert_eq!(p.stats(0).matches, 2);
        assert_eq!(p.stats(1).matches, 0);
        assert_eq!(hits(&mut p, f, LOCAL, 12), [("pw".into(), 3, true, false)]);
    }

    #[test]
    fn job_environment_of_a_firing() {
        let conf = "config rule\n option name 'x'\n option pattern 'from %s port %d'\n option fields 'ip port'\n option script '/bin/true'\n option bantime '60'\n";
        let mut p = pipeline(conf);
        let mut jobs = Vec::new();
        let frame = b"<38>Nov 26 21:45:37 sshd[77]: from 203.0.113.9 port 22";
        p.process_frame(frame, LOCAL, 1000, &mut |h| {
            jobs.extend(job(h, LOCAL, 1000))
        });
        assert_eq!(jobs.len(), 1);
        let env: std::collections::HashMap<_, _> = jobs[0].env.iter().cloned().collect();
        let get = |k: &str| {
            env.get(std::ffi::OsStr::new(k))
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(get("LT_ip").as_deref(), Some("203.0.113.9"));
        assert_eq!(get("LT_port").as_deref(), Some("22"));
        assert_eq!(get("LT_key").as_deref(), Some("203.0.113.9 22"));
        assert_eq!(
            get("LT_string").as_deref(),
            Some("from 203.0.113.9 port 22")
        );
        assert_eq!(
            get("LT_message").as_deref(),
            Some("Nov 26 21:45:37 sshd[77]: from 203.0.113.9 port 22")
        );
        assert_eq!(get("LT_program").as_deref(), Some("sshd"));
        assert_eq!(get("LT_pid").as_deref(), Some("77"));
        assert_eq!(get("LT_facility").as_deref(), Some("auth"));
        assert_eq!(get("LT_severity").as_deref(), Some("info"));
        assert_eq!(get("LT_bantime").as_deref(), Some("60"));
        assert_eq!(get("LT_count").as_deref(), Some("1"));
    }
}
