//! The daemon's view of the per-message work: the pipeline (parse → match → count) and the
//! script runner. This file is the only place that knows their APIs, so the poll loop stays
//! independent of them.
//!
//! Owns: the pipeline, the runner, turning a fired hit into a job, the `-D` lines about matches.
//! Never: blocks (the runner is polled), allocates per message (only a firing, a debug line at
//! `-D 2` and above, and once after each (re)load the first message (match cache) and each
//! rule's first event (its key table) may).

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::log;
use super::status::{Entry, Report};
use crate::action::{Limits, Runner};
use crate::config::{Global, Rule};
use crate::pipeline::{self, Hit, Pipeline, Source};

/// Pipeline and runner together.
pub struct Engine {
    debug: u8,
    pipeline: Pipeline,
    runner: Runner,
    frames: u64,
}

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
    pub fn new(g: &Global, rules: Vec<Rule>, debug: u8) -> Engine {
        let mut pipeline = Pipeline::with_rules(rules, g.max_message);
        pipeline.set_trace(debug);
        Engine {
            debug,
            pipeline,
            runner: Runner::new(limits(g, debug)),
            frames: 0,
        }
    }

    /// Swaps in a new configuration; unchanged rules keep their state.
    pub fn reload(&mut self, g: &Global, rules: Vec<Rule>, debug: u8) {
        self.debug = debug;
        self.pipeline.reload_rules(rules, g.max_message);
        self.pipeline.set_trace(debug);
        self.runner.set_limits(limits(g, debug));
    }

    /// One received syslog frame (unix or UDP).
    pub fn process(&mut self, frame: &[u8], source: Source<'_>, now: i64) {
        self.feed(source, now, |p, hit| {
            p.process_frame(frame, source, now, hit)
        });
    }

    /// One UDP frame already parsed (the daemon parsed it for the logger's copy).
    pub fn process_message(
        &mut self,
        msg: &crate::syslog::Message<'_>,
        source: Source<'_>,
        now: i64,
    ) {
        self.feed(source, now, |p, hit| {
            p.process_message(msg, source, now, hit)
        });
    }

    /// One line without a syslog header: a file line or a kernel message.
    pub fn process_line(&mut self, line: &[u8], source: Source<'_>, now: i64) {
        self.feed(source, now, |p, hit| {
            p.process_subject(line, None, source, now, hit)
        });
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
            pipeline,
            runner,
            ..
        } = self;
        run(pipeline, &mut |hit| {
            on_hit(hit, source, now, *debug, runner)
        });
    }

    /// Timers and children: call after every wake-up.
    pub fn service(&mut self) {
        self.runner.service(Instant::now());
    }

    /// When the runner needs `service` again; `None` when nothing is pending.
    pub fn deadline(&self) -> Option<Instant> {
        self.runner.next_deadline()
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
                    .with("evicted", s.evicted),
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
                .with("dropped", s.dropped),
        );
        r.push("pipeline", false, Entry::new().with("frames", self.frames));
    }

    /// Stops: running scripts get SIGTERM, then SIGKILL after `grace_ms`; all are reaped.
    pub fn shutdown(&mut self, grace_ms: u32) {
        self.runner
            .shutdown(Duration::from_millis(u64::from(grace_ms)));
    }
}

fn on_hit(hit: &Hit<'_>, source: Source<'_>, now: i64, debug: u8, runner: &mut Runner) {
    let (name, key, count) = (&hit.rule.name, hit.key.escape_ascii(), hit.outcome.count);
    if hit.outcome.fired {
        if debug >= 1 {
            log(format_args!("[{name}] fired for '{key}' ({count} events)"));
        }
        if let Some(job) = pipeline::job(hit, source, now) {
            runner.submit(job, Instant::now());
        }
    } else if debug >= 5 {
        let why = if hit.ignored { ", ignoreip" } else { "" };
        let window = hit
            .rule
            .time
            .map_or("no window".to_string(), |t| format!("window {t} s"));
        log(format_args!(
            "[{name}] matched '{key}' ({count} of {}, {window}, {} keys tracked{why})",
            hit.rule.maxfail, hit.tracked
        ));
    } else if debug >= 2 {
        let why = if hit.ignored { ", ignoreip" } else { "" };
        log(format_args!(
            "[{name}] matched '{key}' ({count} of {}{why})",
            hit.rule.maxfail
        ));
    }
}
