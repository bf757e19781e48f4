//! The bounded script runner (SPEC §7): at most `max_jobs` scripts at once, at most `max_queue`
//! waiting jobs in per-rule FIFO queues served round-robin, TERM at `script_timeout` then KILL
//! 5 s later, every child reaped.
//!
//! # Fairness
//!
//! A rule that fires on every line (a logging rule) must never delay or drop another rule's
//! firing (a ban). So each rule has its own queue, and the `max_queue` waiting jobs are shared:
//! when they are all taken, a firing of a rule that counts ([`Job::counted`], a ban) takes the
//! place of the newest job of the longest queue of a rule that fires on every match (a logging
//! rule); between rules of one kind, a job of a rule with fewer waiting jobs than the longest
//! queue takes the place of that queue's newest job (a flood of one rule's firings only ever
//! crowds out its own). Otherwise the new job is dropped. A free slot goes to the rules with waiting jobs in turn
//! (round-robin), oldest job first within a rule. And a rule that already runs a script never
//! takes the last free slot: that one is kept for a rule running nothing, so a ban starts at
//! once even while a logging rule's scripts hold the other slots (with `max_jobs` 1 there is
//! nothing to keep).
//!
//! Owns: spawning (direct exec, clean environment, own process group, default signal state),
//! the queues, timeouts, reaping its own children, draining their output at debug ≥ 2, counters.
//! Never: blocks (except [`Runner::shutdown`]), waits for a child it did not start, holds more
//! than one bounded line of a script's output in memory.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

use crate::sys::process::{self, Child};

/// Grace between SIGTERM and SIGKILL of a script that outlived its timeout.
pub const KILL_GRACE: Duration = Duration::from_secs(5);

/// Longest line of script output shown; the rest of a longer line is cut (and marked).
const LINE_MAX: usize = 1024;

/// Bytes read from one pipe per `service()` call, so a chatty script cannot starve the daemon.
const READ_BUDGET: usize = 64 * 1024;

/// One firing to run.
#[derive(Clone, Debug)]
pub struct Job {
    pub rule: String,
    pub script: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    /// The firing of a rule that counts (`maxfail` above 1: a ban), not of one that fires on
    /// every match (a logging rule): when the queue is full it takes the place of a waiting
    /// job of a rule that fires on every match.
    pub counted: bool,
}

/// The runner's configuration (global options `max_jobs`, `max_queue`, `script_timeout`, `debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Scripts running at once; 0 is taken as 1.
    pub max_jobs: usize,
    /// Jobs waiting for a slot, all rules together (shared fairly: see the module doc).
    pub max_queue: usize,
    /// Running time before SIGTERM; `Duration::ZERO` means no timeout.
    pub timeout: Duration,
    /// 1: log start/exit/timeout/drop; 2: also the environment and the scripts' output.
    pub debug: u8,
}

/// What [`Runner::submit`] did with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// It left for execution now. A spawn failure (missing or non-executable script) is also
    /// reported here: it is logged and counted in [`Stats::failed`].
    Started,
    /// All slots are busy; it waits in the queue.
    Queued,
    /// `max_queue` jobs wait and its rule's queue is the longest; it was discarded and counted
    /// in [`Stats::dropped`].
    Dropped,
}

/// Counters since the runner was created. Every finished job is counted in exactly one of
/// `succeeded`, `failed` and `timed_out`; so `started = succeeded + failed − spawn failures
/// + timed_out + running`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Processes spawned.
    pub started: u64,
    /// Exited with status 0 before any timeout.
    pub succeeded: u64,
    /// Could not be spawned, exited non-zero, died of a signal not sent for a timeout, or was
    /// stopped by [`Runner::shutdown`].
    pub failed: u64,
    /// Outlived the timeout and got SIGTERM (whatever happened next).
    pub timed_out: u64,
    /// Of those, the process group that also needed the SIGKILL after [`KILL_GRACE`].
    pub killed: u64,
    /// Discarded because the queue was full (or at shutdown).
    pub dropped: u64,
}

/// Runs jobs within [`Limits`]. Call [`Runner::service`] when SIGCHLD arrives, when one of
/// [`Runner::poll_fds`] is readable, and at [`Runner::next_deadline`].
#[derive(Debug)]
pub struct Runner {
    limits: Limits,
    running: Vec<Running>,
    /// One FIFO per rule that has fired, served round-robin.
    queues: Vec<RuleQueue>,
    /// The queue served last: the search for the next job starts after it.
    last: usize,
    stats: Stats,
}

/// The waiting jobs of one rule.
#[derive(Debug)]
struct RuleQueue {
    rule: String,
    /// Its rule counts before it fires ([`Job::counted`]).
    counted: bool,
    jobs: VecDeque<Job>,
}

/// A spawned script. Its pid is also its process group id (the child calls `setpgid(0, 0)`).
#[derive(Debug)]
struct Running {
    rule: String,
    child: Child,
    started: Instant,
    /// When SIGTERM was sent (the job timed out).
    termed: Option<Instant>,
    /// SIGKILL was sent to the group.
    killed: bool,
    /// SIGTERM was sent by `shutdown`.
    stopping: bool,
    /// stdout and stderr at debug ≥ 2.
    output: [Option<Capture>; 2],
}

/// The read end of a script's stdout or stderr, non-blocking, with its current partial line.
#[derive(Debug)]
struct Capture {
    pipe: File,
    lines: Lines,
}

enum Drain {
    Open,
    Closed,
}

impl Runner {
    pub fn new(limits: Limits) -> Runner {
        Runner {
            limits,
            running: Vec::with_capacity(limits.max_jobs.max(1)),
            queues: Vec::new(),
            last: 0,
            stats: Stats::default(),
        }
    }

    /// Takes new limits (reload). Running jobs keep running; their timeout becomes the new one,
    /// counted from their start. Queued jobs stay queued even if the queue is now smaller.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        // Rules that have nothing waiting may be gone with the old configuration.
        self.queues.retain(|q| !q.jobs.is_empty());
        self.last = 0;
    }

    /// Starts `job` if a slot is free for its rule and nothing of its rule waits, else queues it
    /// behind its rule's other jobs (making room by dropping the newest job of a longer queue
    /// when `max_queue` jobs wait), else (its rule's queue is the longest) drops it. Never
    /// blocks.
    pub fn submit(&mut self, job: Job, now: Instant) -> Submitted {
        self.start_queued(now);
        let q = self.queue_of(&job.rule, job.counted);
        if self.queues[q].jobs.is_empty() && self.may_start(&job.rule) {
            // Its turn is taken: the other rules' waiting jobs come next.
            self.last = q;
            self.start(job, now);
            return Submitted::Started;
        }
        let waiting = self.queues[q].jobs.len();
        if self.queued() >= self.limits.max_queue {
            self.make_room(waiting, job.counted);
        }
        if self.queued() < self.limits.max_queue {
            if self.limits.debug >= 1 {
                log(format_args!(
                    "[{}] queued ({} waiting)",
                    job.rule,
                    waiting + 1
                ));
            }
            self.queues[q].jobs.push_back(job);
            return Submitted::Queued;
        }
        self.stats.dropped += 1;
        if self.limits.debug >= 1 {
            log(format_args!(
                "[{}] queue full, dropped {}",
                job.rule,
                job.script.display()
            ));
        }
        Submitted::Dropped
    }

    /// Drains script output, reaps exited scripts, enforces timeouts and starts queued jobs.
    /// Never blocks.
    pub fn service(&mut self, now: Instant) {
        let debug = self.limits.debug;
        let mut i = 0;
        while i < self.running.len() {
            let job = &mut self.running[i];
            job.drain_output(debug);
            if job.has_exited() {
                let job = self.running.swap_remove(i);
                self.finish(job);
                continue;
            }
            job.enforce_timeout(self.limits.timeout, now, debug, &mut self.stats);
            i += 1;
        }
        self.start_queued(now);
    }

    /// The next time [`Runner::service`] must run to send a SIGTERM or SIGKILL; `None` when no
    /// running job has a pending timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.running
            .iter()
            .filter_map(|job| job.deadline(self.limits.timeout))
            .min()
    }

    /// Read ends of the running scripts' output pipes (empty below debug 2): poll them for
    /// readability and call [`Runner::service`] when one is readable.
    pub fn poll_fds(&self) -> Vec<RawFd> {
        let pipes = self
            .running
            .iter()
            .flat_map(|job| job.output.iter().flatten());
        pipes.map(|capture| capture.pipe.as_raw_fd()).collect()
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }

    pub fn queued(&self) -> usize {
        self.queues.iter().map(|q| q.jobs.len()).sum()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// On daemon exit: drops the queue (counted), sends SIGTERM to every running script's
    /// group, waits up to `grace` for them, then SIGKILLs the rest and reaps everything.
    /// Blocks for at most about `grace`.
    pub fn shutdown(&mut self, grace: Duration) {
        self.stats.dropped += self.queued() as u64;
        self.queues.clear();
        let start = Instant::now();
        for job in &mut self.running {
            job.signal(Signal::SIGTERM);
            job.stopping = true;
        }
        while !self.running.is_empty() {
            self.service(Instant::now());
            if start.elapsed() >= grace {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        for mut job in std::mem::take(&mut self.running) {
            job.signal(Signal::SIGKILL);
            // After SIGKILL the leader exits promptly; this wait cannot hang on a live script.
            let status = job.child.wait();
            job.drain_output(self.limits.debug);
            self.count_exit(&job, status);
        }
    }

    /// Makes room for a job of a rule with `than` waiting jobs: drops the newest job of the
    /// longest queue of a rule that fires on every match when the job is `counted`, else of the
    /// longest queue of its own kind when that holds more than `than`.
    fn make_room(&mut self, than: usize, counted: bool) {
        let every_match = |q: &&mut RuleQueue| !q.counted && !q.jobs.is_empty();
        let victim = match self.queues.iter_mut().filter(every_match).count() {
            n if counted && n > 0 => self
                .queues
                .iter_mut()
                .filter(|q| !q.counted)
                .max_by_key(|q| q.jobs.len()),
            _ => self
                .queues
                .iter_mut()
                .filter(|q| q.counted == counted)
                .max_by_key(|q| q.jobs.len())
                .filter(|q| q.jobs.len() > than),
        };
        let Some(longest) = victim else {
            return;
        };
        if let Some(job) = longest.jobs.pop_back() {
            self.stats.dropped += 1;
            if self.limits.debug >= 1 {
                log(format_args!(
                    "[{}] queue full, dropped {} to make room for another rule",
                    job.rule,
                    job.script.display()
                ));
            }
        }
    }

    /// Fills free slots from the rules' queues in turn, oldest job of a rule first.
    fn start_queued(&mut self, now: Instant) {
        while let Some(q) = self.next_queue() {
            self.last = q;
            if let Some(job) = self.queues[q].jobs.pop_front() {
                self.start(job, now);
            }
        }
    }

    /// The first queue after `last` (round the list) whose oldest job may start now.
    fn next_queue(&self) -> Option<usize> {
        let n = self.queues.len();
        (1..=n).map(|k| (self.last + k) % n).find(|&q| {
            let queue = &self.queues[q];
            !queue.jobs.is_empty() && self.may_start(&queue.rule)
        })
    }

    /// Whether a job of `rule` may take a slot now: one is free, and it is not the last free
    /// one while `rule` already runs a script (that one is kept for another rule).
    fn may_start(&self, rule: &str) -> bool {
        let free = self.max_jobs() - self.running.len().min(self.max_jobs());
        match free {
            0 => false,
            1 => self.max_jobs() == 1 || !self.running.iter().any(|r| r.rule == rule),
            _ => true,
        }
    }

    /// The index of `rule`'s queue, created empty on its first firing.
    fn queue_of(&mut self, rule: &str, counted: bool) -> usize {
        match self.queues.iter().position(|q| q.rule == rule) {
            Some(q) => {
                self.queues[q].counted = counted;
                q
            }
            None => {
                self.queues.push(RuleQueue {
                    rule: rule.to_string(),
                    counted,
                    jobs: VecDeque::new(),
                });
                self.queues.len() - 1
            }
        }
    }

    fn max_jobs(&self) -> usize {
        self.limits.max_jobs.max(1)
    }

    /// Spawns `job`; a failure is logged once and counted, never fatal.
    fn start(&mut self, job: Job, now: Instant) {
        let debug = self.limits.debug;
        if debug >= 2 {
            log_env(&job);
        }
        match process::spawn(&job.script, &job.env, debug >= 2) {
            Ok((child, [stdout, stderr])) => {
                self.stats.started += 1;
                if debug >= 1 {
                    let pid = child.id();
                    log(format_args!(
                        "[{}] started {} (pid {pid})",
                        job.rule,
                        job.script.display()
                    ));
                }
                let output = [stdout.and_then(Capture::new), stderr.and_then(Capture::new)];
                self.running.push(Running {
                    rule: job.rule,
                    child,
                    started: now,
                    termed: None,
                    killed: false,
                    stopping: false,
                    output,
                });
            }
            Err(err) => {
                self.stats.failed += 1;
                log(format_args!(
                    "[{}] cannot run {}: {err}",
                    job.rule,
                    job.script.display()
                ));
            }
        }
    }

    /// Reaps a job whose leader has exited (it is a zombie, so its pid and group id are still
    /// ours) and counts it.
    fn finish(&mut self, mut job: Running) {
        if job.termed.is_some() || job.stopping {
            // Members of a timed-out group that survived the leader (trapped TERM) go now.
            job.signal(Signal::SIGKILL);
        }
        let status = job.child.wait();
        job.drain_output(self.limits.debug);
        self.count_exit(&job, status);
    }

    fn count_exit(&mut self, job: &Running, status: io::Result<ExitStatus>) {
        let outcome = match status {
            Ok(status) if job.stopping && job.termed.is_none() => {
                self.stats.failed += 1;
                format!("stopped at shutdown, {}", describe(status))
            }
            Ok(status) if job.termed.is_some() => {
                self.stats.timed_out += 1;
                format!("timed out, {}", describe(status))
            }
            Ok(status) if status.success() => {
                self.stats.succeeded += 1;
                describe(status)
            }
            Ok(status) => {
                self.stats.failed += 1;
                describe(status)
            }
            Err(err) => {
                self.stats.failed += 1;
                format!("wait failed: {err}")
            }
        };
        if self.limits.debug >= 1 {
            log(format_args!(
                "[{}] pid {} {outcome}",
                job.rule,
                job.child.id()
            ));
        }
    }
}

impl Running {
    /// The script's pid, which is also its process group id.
    fn pgid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Sends `signal` to the whole process group (the script and anything it started). The
    /// group id is the pid of our own child, which is not reaped yet (callers reap after
    /// signalling), so the id cannot have been reused.
    fn signal(&self, signal: Signal) {
        let _ = killpg(self.pgid(), signal);
    }

    /// Whether the leader has exited, without reaping it (WNOWAIT): the zombie keeps the pid
    /// and the group id reserved until `finish` has signalled the group.
    fn has_exited(&self) -> bool {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        // An error (ECHILD) means there is nothing left to wait for, which `finish` handles
        // through `Child::wait`.
        !matches!(
            waitid(Id::Pid(self.pgid()), flags),
            Ok(WaitStatus::StillAlive)
        )
    }

    /// The next SIGTERM or SIGKILL time, if one is pending.
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.termed {
            Some(_) if self.killed => None,
            Some(termed) => Some(termed + KILL_GRACE),
            None if timeout.is_zero() => None,
            None => Some(self.started + timeout),
        }
    }

    fn enforce_timeout(&mut self, timeout: Duration, now: Instant, debug: u8, stats: &mut Stats) {
        let Some(deadline) = self.deadline(timeout) else {
            return;
        };
        if now < deadline {
            return;
        }
        let pid = self.child.id();
        if self.termed.is_none() {
            self.signal(Signal::SIGTERM);
            self.termed = Some(now);
            if debug >= 1 {
                log(format_args!("[{}] pid {pid} timed out, SIGTERM", self.rule));
            }
        } else {
            self.signal(Signal::SIGKILL);
            self.killed = true;
            stats.killed += 1;
            if debug >= 1 {
                log(format_args!(
                    "[{}] pid {pid} still running, SIGKILL",
                    self.rule
                ));
            }
        }
    }

    /// Prints what the script wrote so far; closes a pipe at end of file.
    fn drain_output(&mut self, debug: u8) {
        for slot in &mut self.output {
            let Some(capture) = slot else { continue };
            if let Drain::Closed = capture.drain(&self.rule, debug) {
                *slot = None;
            }
        }
    }
}

impl Drop for Running {
    /// A `Running` is only dropped after reaping, except when the `Runner` itself is dropped
    /// without `shutdown`: kill and reap then, rather than leave a zombie or an orphan.
    fn drop(&mut self) {
        if self.child.try_wait().is_ok_and(|s| s.is_none()) {
            self.signal(Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

impl Capture {
    fn new(fd: OwnedFd) -> Option<Capture> {
        set_nonblocking(&fd).ok()?;
        Some(Capture {
            pipe: File::from(fd),
            lines: Lines::new(),
        })
    }

    /// Reads what is available (up to `READ_BUDGET`) and logs each complete line.
    /// At end of file (or error) logs the last partial line and reports `Closed`.
    fn drain(&mut self, rule: &str, debug: u8) -> Drain {
        let mut show = |line: &[u8]| {
            if debug >= 2 {
                log_bytes(rule, "script: ", line);
            }
        };
        let mut buf = [0u8; 4096];
        let mut budget = READ_BUDGET;
        while budget > 0 {
            match self.pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    self.lines.push(&buf[..n], &mut show);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Drain::Open,
                Err(_) => break,
            }
        }
        if budget == 0 {
            return Drain::Open;
        }
        self.lines.finish(&mut show);
        Drain::Closed
    }
}

/// Splits a byte stream into lines of at most `LINE_MAX` bytes: the rest of a longer line is
/// dropped and the kept part marked with `…`. Memory stays one line, whatever the input.
#[derive(Debug)]
struct Lines {
    line: Vec<u8>,
    /// The current line passed `LINE_MAX`: the rest of it is being discarded.
    cut: bool,
}

impl Lines {
    const MARK: &'static [u8] = "…".as_bytes();

    fn new() -> Lines {
        Lines {
            line: Vec::with_capacity(LINE_MAX + Self::MARK.len()),
            cut: false,
        }
    }

    /// Feeds `bytes`, calling `show` with each completed line (without its `\n`).
    fn push(&mut self, mut bytes: &[u8], show: &mut impl FnMut(&[u8])) {
        while !bytes.is_empty() {
            let end = memchr::memchr(b'\n', bytes);
            let chunk = &bytes[..end.unwrap_or(bytes.len())];
            if !self.cut {
                let room = LINE_MAX - self.line.len();
                self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
                self.cut = chunk.len() > room;
            }
            let Some(end) = end else { break };
            self.emit(show);
            bytes = &bytes[end + 1..];
        }
    }

    /// Shows the last line if it did not end in `\n`.
    fn finish(&mut self, show: &mut impl FnMut(&[u8])) {
        if !self.line.is_empty() {
            self.emit(show);
        }
    }

    fn emit(&mut self, show: &mut impl FnMut(&[u8])) {
        if self.cut {
            self.line.extend_from_slice(Self::MARK);
        }
        show(&self.line);
        self.line.clear();
        self.cut = false;
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "ended".to_string(),
    }
}

/// One line to the daemon's log (stderr); a broken stderr is ignored, never a panic.
fn log(args: std::fmt::Arguments) {
    let _ = writeln!(io::stderr().lock(), "logtrigger: {args}");
}

/// What a dry run prints instead of running `job`: its script, then its environment as a
/// started job's is shown at debug 2.
pub fn log_dry_run(job: &Job) {
    log(format_args!(
        "[{}] dry run: would run {}",
        job.rule,
        job.script.display()
    ));
    log_env(job);
}

/// `[RULE] env NAME=VALUE` for each variable of `job`'s environment.
fn log_env(job: &Job) {
    for (name, value) in &job.env {
        let mut line = Vec::with_capacity(name.len() + value.len() + 1);
        line.extend_from_slice(name.as_bytes());
        line.push(b'=');
        line.extend_from_slice(value.as_bytes());
        log_bytes(&job.rule, "env ", &line);
    }
}

/// `logtrigger: [RULE] PREFIXbytes` with control bytes escaped, so that attacker-controlled
/// values cannot forge log lines.
fn log_bytes(rule: &str, prefix: &str, bytes: &[u8]) {
    let mut line = Vec::with_capacity(bytes.len() + rule.len() + 32);
    line.extend_from_slice(b"logtrigger: [");
    line.extend_from_slice(rule.as_bytes());
    line.extend_from_slice(b"] ");
    line.extend_from_slice(prefix.as_bytes());
    for &b in bytes {
        if b < 0x20 && b != b'\t' || b == 0x7f {
            let _ = write!(line, "\\x{b:02x}");
        } else {
            line.push(b);
        }
    }
    line.push(b'\n');
    let _ = io::stderr().lock().write_all(&line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, usize) {
        let mut lines = Lines::new();
        let mut out = Vec::new();
        let mut show = |line: &[u8]| out.push(line.to_vec());
        let mut most = 0;
        for chunk in chunks {
            lines.push(chunk, &mut show);
            most = most.max(lines.line.capacity());
        }
        lines.finish(&mut show);
        (out, most)
    }

    #[test]
    fn lines_split_across_chunks() {
        let (out, _) = split(&[b"ab", b"c\nd", b"\n\nlast"]);
        assert_eq!(out, [&b"abc"[..], b"d", b"", b"last"]);
        let (out, _) = split(&[b"one\n"]);
        assert_eq!(out, [b"one"]);
    }

    #[test]
    fn long_lines_are_cut_and_memory_stays_bounded() {
        let big = vec![b'x'; 10 * LINE_MAX];
        let (out, most) = split(&[&big, &big, b"\nshort\n", &big[..LINE_MAX], b"\n"]);
        let mut cut = vec![b'x'; LINE_MAX];
        cut.extend_from_slice(Lines::MARK);
        assert_eq!(out, [cut.clone(), b"short".to_vec(), vec![b'x'; LINE_MAX]]);
        assert_eq!(
            most,
            LINE_MAX + Lines::MARK.len(),
            "the line buffer never grew"
        );
    }
}
