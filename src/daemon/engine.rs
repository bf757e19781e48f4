//! The daemon's view of the per-message work: the pipeline (parse → match → count) and the
//! script runner. This file is the only place that knows their APIs, so the poll loop stays
//! independent of them.
//!
//! Owns: the pipeline, the runner, turning a fired hit into a job, proof of presence for rules
//! with `verify` (firings wait for the next pass over the connection tracking table), the `-D`
//! lines about matches.
//! Never: blocks (the runner is polled), allocates per message (only a firing, a debug line at
//! `-D 2` and above, and once after each (re)load the first message (match cache) and each
//! rule's first event (its key table) may).

use std::io;
use std::net::IpAddr;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::log;
use super::status::{Entry, Report};
use crate::action::{Job, Limits, Runner, Submitted};
use crate::config::{Global, Rule};
use crate::pipeline::{self, Hit, Pipeline, Refusal, Source};
use crate::track::conntrack::{self, Conntrack};

/// Pipeline and runner together.
pub struct Engine {
    debug: u8,
    /// Firings print their script and environment instead of running it (`--dry-run`).
    dry_run: bool,
    pipeline: Pipeline,
    runner: Runner,
    proof: Proof,
    frames: u64,
}

/// Firings of rules with `verify 'conntrack'`, waiting for the next pass over the connection
/// tracking table. A pass costs in proportion to the table (thousands of lines on a busy
/// router), and whoever can write log lines can make rules fire: so one pass answers every
/// firing waiting when it starts, passes are spaced so that they take at most a tenth of the
/// time, and a pass is read a chunk per turn of the loop, which receives in between.
struct Proof {
    table: Conntrack,
    waiting: Vec<Awaiting>,
    /// The firings the pass under way answers, their addresses, what it has found so far and
    /// the time its steps have taken.
    batch: Vec<Awaiting>,
    addrs: Vec<IpAddr>,
    found: Vec<bool>,
    busy: Duration,
    /// No pass before this.
    next: Option<Instant>,
    passes: u64,
}

/// One firing waiting for proof. Its key keeps its history meanwhile (further events of the
/// key fire again and find it waiting); the pass forgets the key once the firing is taken or
/// refused, and leaves it when the proven firing's script cannot be queued.
struct Awaiting {
    rule: usize,
    name: String,
    /// The address the firing is about; `None`: its value is not an address (refused).
    addr: Option<IpAddr>,
    key: Vec<u8>,
    job: Option<Job>,
}

/// Least time between two passes over the table.
const MIN_GAP: Duration = Duration::from_millis(100);

fn limits(g: &Global, debug: u8) -> Limits {
    Limits {
        max_jobs: g.max_jobs,
        max_queue: g.max_queue,
        timeout: Duration::from_secs(u64::from(g.script_timeout)),
        debug,
    }
}

impl Engine {
    /// Takes the rules: the pipeline holds the daemon's only copy of them.
    pub fn new(g: &Global, rules: Vec<Rule>, debug: u8, dry_run: bool) -> Engine {
        let mut pipeline = Pipeline::with_rules(rules, g.max_message);
        pipeline.set_trace(debug);
        Engine {
            debug,
            dry_run,
            pipeline,
            runner: Runner::new(limits(g, debug)),
            proof: Proof {
                table: Conntrack::new(conntrack::TABLE),
                waiting: Vec::new(),
                batch: Vec::new(),
                addrs: Vec::new(),
                found: Vec::new(),
                busy: Duration::ZERO,
                next: None,
                passes: 0,
            },
            frames: 0,
        }
    }

    /// Swaps in a new configuration; unchanged rules keep their state.
    pub fn reload(&mut self, g: &Global, rules: Vec<Rule>, debug: u8) {
        // Waiting firings name rules by index: answer them before the rules change.
        let now = Instant::now();
        while self.proof.table.in_pass() || !self.proof.waiting.is_empty() {
            self.verify_step(now);
        }
        self.debug = debug;
        self.pipeline.reload_rules(rules, g.max_message);
        self.pipeline.set_trace(debug);
        self.runner.set_limits(limits(g, debug));
    }

    /// An address of an `ignoreip` host name, found after load.
    pub fn ignore_host(&mut self, host: &str, ip: std::net::IpAddr) {
        self.pipeline.ignore_host(host, ip);
    }

    /// One received syslog frame (unix or UDP).
    pub fn process(&mut self, frame: &[u8], source: Source<'_>, now: i64) {
        self.feed(source, now, |p, hit| {
            p.process_frame(frame, source, now, hit)
        });
    }

    /// Whether a received frame may have been cut (its end is not the sender's).
    pub fn is_cut(&self, frame: &[u8]) -> bool {
        self.pipeline.is_cut(frame)
    }

    /// One UDP frame already parsed (the daemon parsed it for the logger's copy); `cut`: it may
    /// have been cut ([`Engine::is_cut`], or the kernel truncated it).
    pub fn process_message(
        &mut self,
        msg: &crate::syslog::Message<'_>,
        source: Source<'_>,
        cut: bool,
        now: i64,
    ) {
        self.feed(source, now, |p, hit| {
            p.process_message(msg, source, cut, now, hit)
        });
    }

    /// One line without a syslog header: a file line or a kernel message.
    pub fn process_line(&mut self, line: &[u8], source: Source<'_>, now: i64) {
        self.feed(source, now, |p, hit| p.process_line(line, source, now, hit));
    }

    /// Counts one input and lets `run` drive the pipeline, with every hit going to [`on_hit`].
    fn feed(
        &mut self,
        source: Source<'_>,
        now: i64,
        run: impl FnOnce(&mut Pipeline, &mut dyn FnMut(&Hit)),
    ) {
        self.frames += 1;
        let Engine {
            debug,
            dry_run,
            pipeline,
            runner,
            proof,
            ..
        } = self;
        let (debug, dry_run) = (*debug, *dry_run);
        run(pipeline, &mut |hit| {
            on_hit(hit, source, now, (debug, dry_run), runner, proof)
        });
    }

    /// Timers, children and firings waiting for proof: call after every wake-up.
    pub fn service(&mut self) {
        let now = Instant::now();
        self.runner.service(now);
        let due = !self.proof.waiting.is_empty() && self.proof.next.is_none_or(|t| now >= t);
        if due || self.proof.table.in_pass() {
            self.verify_step(now);
        }
    }

    /// When `service` is needed again (the runner's timers, the next proof pass); `None` when
    /// nothing is pending.
    pub fn deadline(&self) -> Option<Instant> {
        let proof = if self.proof.table.in_pass() {
            Some(Instant::now())
        } else if self.proof.waiting.is_empty() {
            None
        } else {
            Some(self.proof.next.unwrap_or_else(Instant::now))
        };
        match (self.runner.next_deadline(), proof) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// One step of the pass over the connection tracking table, starting one for every waiting
    /// firing when none is under way; at its end, the proven firings are submitted, the others
    /// refused, counted and logged with the reason.
    fn verify_step(&mut self, now: Instant) {
        let start = Instant::now();
        let p = &mut self.proof;
        let step = if p.table.in_pass() {
            p.table.step(&p.addrs, &mut p.found)
        } else {
            p.batch = std::mem::take(&mut p.waiting);
            let unspecified = IpAddr::from([0u8; 4]);
            p.addrs.clear();
            p.addrs
                .extend(p.batch.iter().map(|w| w.addr.unwrap_or(unspecified)));
            p.found.clear();
            p.found.resize(p.addrs.len(), false);
            p.busy = Duration::ZERO;
            p.table
                .begin()
                .and_then(|()| p.table.step(&p.addrs, &mut p.found))
        };
        p.busy += start.elapsed();
        if let Ok(false) = step {
            return;
        }
        p.passes += 1;
        p.next = Some(Instant::now() + MIN_GAP.max(p.busy * 10));
        let result = step.map(|_| ());
        let batch = std::mem::take(&mut p.batch);
        let found = std::mem::take(&mut p.found);
        for (w, proven) in batch.into_iter().zip(found) {
            match (w.addr, &result) {
                (Some(addr), Ok(())) if proven => {
                    if self.debug >= 1 {
                        log(format_args!("[{}] {addr} is tracked: proven", w.name));
                    }
                    let dropped = w
                        .job
                        .is_some_and(|job| submit(&mut self.runner, job, self.dry_run, now));
                    // Not run: the key keeps its history, its next event fires again.
                    if !dropped {
                        self.pipeline.forget(w.rule, &w.key);
                    }
                }
                (addr, result) => {
                    // Refused: the history goes, so that each refusal costs maxfail more lines.
                    self.pipeline.forget(w.rule, &w.key);
                    self.pipeline.count_unverified(w.rule);
                    log(format_args!(
                        "[{}] refused for '{}': {}",
                        w.name,
                        w.key.escape_ascii(),
                        refusal_reason(addr, result)
                    ));
                }
            }
        }
    }

    /// Fds of running scripts (their output pipes) to poll for reading.
    pub fn poll_fds(&self, out: &mut Vec<RawFd>) {
        out.extend(self.runner.poll_fds());
    }

    /// Number of rules.
    pub fn rules(&self) -> usize {
        self.pipeline.rules().len()
    }

    /// Adds the rule and script counters to a status report.
    pub fn report(&self, r: &mut Report) {
        for (i, rule) in self.pipeline.rules().iter().enumerate() {
            let s = self.pipeline.stats(i);
            r.push(
                "rules",
                true,
                Entry::new()
                    .with("name", rule.name.as_str())
                    .with("enabled", rule.enabled)
                    .with("matches", s.matches)
                    .with("ignored", s.ignored)
                    .with("firings", s.firings)
                    .with("keys", s.keys)
                    .with("evicted", s.evicted)
                    .with("untrusted", s.untrusted)
                    .with("truncated", s.truncated)
                    .with("unverified", s.unverified),
            );
        }
        let s = self.runner.stats();
        r.push(
            "scripts",
            false,
            Entry::new()
                .with("running", self.runner.running())
                .with("queued", self.runner.queued())
                .with("started", s.started)
                .with("succeeded", s.succeeded)
                .with("failed", s.failed)
                .with("timed_out", s.timed_out)
                .with("killed", s.killed)
                .with("dropped", s.dropped)
                .with(
                    "awaiting_proof",
                    self.proof.waiting.len() + self.proof.batch.len(),
                )
                .with("proof_passes", self.proof.passes),
        );
        r.push("pipeline", false, Entry::new().with("frames", self.frames));
    }

    /// Stops: running scripts get SIGTERM, then SIGKILL after `grace_ms`; all are reaped.
    pub fn shutdown(&mut self, grace_ms: u32) {
        self.runner
            .shutdown(Duration::from_millis(u64::from(grace_ms)));
    }
}

/// Why a firing was refused for lack of proof.
fn refusal_reason(addr: Option<IpAddr>, scan: &io::Result<()>) -> String {
    match (addr, scan) {
        (None, _) => "its value is not an address (verify conntrack)".to_string(),
        (Some(a), Err(e)) => format!(
            "cannot read the connection tracking table {} to prove {a}: {e}",
            conntrack::TABLE
        ),
        (Some(a), Ok(())) => {
            format!("no connection from {a} in the connection tracking table (verify conntrack)")
        }
    }
}

/// Hands `job` to the runner, or with `dry_run` prints what would run instead. True when the
/// job was dropped (its rule's queue is full): the key then keeps its history (SPEC §6).
fn submit(runner: &mut Runner, job: Job, dry_run: bool, now: Instant) -> bool {
    if !dry_run {
        return runner.submit(job, now) == Submitted::Dropped;
    }
    crate::action::log_dry_run(&job);
    false
}

fn on_hit(
    hit: &Hit<'_>,
    source: Source<'_>,
    now: i64,
    (debug, dry_run): (u8, bool),
    runner: &mut Runner,
    proof: &mut Proof,
) {
    let (name, key, count) = (&hit.rule.name, hit.key.escape_ascii(), hit.outcome.count);
    if hit.outcome.fired {
        if debug >= 1 {
            log(format_args!("[{name}] fired for '{key}' ({count} events)"));
        }
        if hit.rule.verify.is_some() {
            await_proof(hit, source, now, proof);
        } else if let Some(job) = pipeline::job(hit, source, now)
            && submit(runner, job, dry_run, Instant::now())
        {
            // Not run: the key's next event fires again (SPEC §6).
            hit.keep_history();
        }
    } else if debug >= 5 {
        let why = why_not_counted(hit);
        let window = hit
            .rule
            .time
            .map_or("no window".to_string(), |t| format!("window {t} s"));
        log(format_args!(
            "[{name}] matched '{key}' ({count} of {}, {window}, {} keys tracked{why})",
            hit.rule.maxfail, hit.tracked
        ));
    } else if debug >= 2 {
        let why = why_not_counted(hit);
        log(format_args!(
            "[{name}] matched '{key}' ({count} of {}{why})",
            hit.rule.maxfail
        ));
    }
}

/// The `-D` note on a match that did not count.
fn why_not_counted(hit: &Hit) -> &'static str {
    match hit.refused {
        Some(Refusal::Untrusted) => ", sender may not speak for the program",
        Some(Refusal::Truncated) => ", frame cut",
        None if hit.ignored => ", ignoreip",
        None => "",
    }
}

/// Puts a firing of a rule with `verify` in line for the next pass over the table. Its key
/// keeps its history until the pass; a key already waiting, or a full line, takes nothing more
/// (the key's next event fires again).
fn await_proof(hit: &Hit<'_>, source: Source<'_>, now: i64, proof: &mut Proof) {
    hit.keep_history();
    let same = |w: &Awaiting| w.rule == hit.index && w.key == hit.key;
    let queued = proof.waiting.len() + proof.batch.len();
    if queued >= conntrack::WAITING_MAX || proof.waiting.iter().chain(&proof.batch).any(same) {
        return;
    }
    proof.waiting.push(Awaiting {
        rule: hit.index,
        name: hit.rule.name.clone(),
        addr: hit.address(),
        key: hit.key.to_vec(),
        job: pipeline::job(hit, source, now),
    });
}
