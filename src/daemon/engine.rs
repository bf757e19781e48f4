//! The daemon's view of the per-message work: the pipeline (parse → match → count) and the
//! script runner. This file is the only place that knows their APIs, so the poll loop stays
//! independent of them.
//!
//! Owns: the pipeline, the runner, turning a fired hit into a job.
//! Never: blocks (the runner is polled), allocates per message (only a firing may).

use std::os::fd::RawFd;

use super::status::{Entry, Report};
use crate::config::Config;
use crate::pipeline::Source;

/// Pipeline and runner together.
pub struct Engine {
    debug: u8,
    frames: u64,
}

impl Engine {
    pub fn new(cfg: &Config, debug: u8) -> Engine {
        let _ = cfg;
        Engine { debug, frames: 0 }
    }

    /// Swaps in a new configuration; unchanged rules keep their state.
    pub fn reload(&mut self, cfg: &Config, debug: u8) {
        let _ = cfg;
        self.debug = debug;
    }

    /// One received frame.
    pub fn process(&mut self, frame: &[u8], source: Source<'_>, now: i64) {
        let _ = (frame, source, now);
        self.frames += 1;
    }

    /// Timers and children: call after every wake-up.
    pub fn service(&mut self, now: i64) {
        let _ = now;
    }

    /// Milliseconds until the runner needs `service` again; -1 when nothing is pending.
    pub fn timeout_ms(&self) -> i32 {
        -1
    }

    /// Fds of running scripts (their output pipes) to poll for reading.
    pub fn poll_fds(&self, out: &mut Vec<RawFd>) {
        let _ = out;
    }

    /// Adds the rule and script counters to a status report.
    pub fn report(&self, r: &mut Report) {
        r.push("pipeline", false, Entry::new().with("frames", self.frames));
    }

    /// Stops: running scripts get SIGTERM, then SIGKILL after `grace_ms`; all are reaped.
    pub fn shutdown(&mut self, grace_ms: u32) {
        let _ = grace_ms;
    }
}
