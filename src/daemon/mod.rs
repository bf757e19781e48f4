//! The daemon: one poll loop over the inputs, signals, the control socket and running scripts.
//!
//! Owns: the poll loop and its one timeout (the earliest deadline of the runner and of the local
//! socket's takeover and back-pressure, or none: an idle daemon sleeps), dispatching ready fds,
//! reload, applying host names looked up off the loop (`config::resolve`), and the clean exit
//! (takeover undone first, then scripts stopped).
//! Never: blocks outside `poll` (but for the pacer's naps of at most 400 µs plus timer slack,
//! under a UDP flood, and the bounded hand-back at exit; DNS runs on the lookup thread), wakes
//! up periodically, or allocates
//! per message (the poll set and scratch buffers are reused).

pub mod control;
pub mod engine;
pub mod pace;
mod report;
mod setup;
pub mod status;

use std::fmt;
use std::io::Write;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::resolve::{Found, Lookups};
use crate::config::{Config, Global, Rule};
use crate::input::udp;
use crate::input::unix::{Ready, Step};
use crate::pipeline::{Sender, Source};
use crate::sys::fd::{self as sysfd, Events, POLLIN, POLLOUT, PollFd};
use crate::sys::signals::{self, Signals};
use control::Format;
use engine::Engine;
use pace::Pacer;
use setup::{Io, err, file_paths};

/// At exit, how long frames already queued on our socket may wait for the logger to take them
/// (after `/dev/log` is the logger's again).
const HAND_BACK: Duration = Duration::from_millis(300);

/// Grace period between SIGTERM and SIGKILL for scripts still running at exit. With
/// `HAND_BACK`, the exit stays well inside procd's `term_timeout` (5 s by default).
const EXIT_GRACE_MS: u32 = 2000;

/// Writes `logtrigger: MESSAGE` to stderr (procd passes it on to the system log).
pub fn log(args: fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "logtrigger: {args}");
}

/// Runs the daemon in the foreground until SIGTERM/SIGINT; returns the exit code. `dry_run`:
/// firings print their script and environment instead of running it.
pub fn run(config: &Path, debug: Option<u8>, dry_run: bool) -> i32 {
    let cfg = match Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            log(format_args!("{e}"));
            return 1;
        }
    };
    let mut daemon = match Daemon::start(config, cfg, debug, dry_run) {
        Ok(d) => d,
        Err(e) => {
            log(format_args!("{e}"));
            return 2;
        }
    };
    daemon.run()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a polled fd is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Signal,
    Control,
    Unix(Ready),
    Udp(usize),
    Remote(usize),
    Files,
    Kmsg,
    Script,
    Lookups,
}

struct Daemon {
    path: PathBuf,
    /// The running configuration's globals and rule `file` paths; its rules live only in the
    /// engine's pipeline.
    global: Global,
    files: Vec<PathBuf>,
    debug_arg: Option<u8>,
    debug: u8,
    io: Io,
    engine: Engine,
    /// Host names of the running configuration being looked up off the loop.
    lookups: Option<Lookups>,
    signals: Signals,
    stop: bool,
    started: i64,
    reloads: u64,
    reload_errors: u64,
    /// The poll set, reused every turn.
    fds: Vec<PollFd>,
    tokens: Vec<Token>,
    script_fds: Vec<RawFd>,
    /// Scratch for reformatted frames (udp_forward).
    scratch: Vec<u8>,
    pacer: Pacer,
    /// Frames received in this turn of the loop, for the pacer.
    turn: Turn,
}

#[derive(Clone, Copy, Debug, Default)]
struct Turn {
    udp: usize,
    local: usize,
}

/// Starts looking up the host names of a configuration (before its rules go to the engine).
fn lookups(g: &Global, rules: &[Rule]) -> Option<Lookups> {
    Lookups::for_config(g, rules).unwrap_or_else(|e| {
        log(format_args!("{e}"));
        None
    })
}

/// The earlier of two optional deadlines.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Daemon {
    fn start(
        path: &Path,
        cfg: Config,
        debug_arg: Option<u8>,
        dry_run: bool,
    ) -> Result<Daemon, String> {
        let signals = Signals::new().map_err(|e| err("signals", &e))?;
        let debug = debug_arg.unwrap_or(cfg.global.debug);
        let files = file_paths(&cfg);
        let io = Io::open(&cfg.global, &files)?;
        let Config { global, rules } = cfg;
        let lookups = lookups(&global, &rules);
        let engine = Engine::new(&global, rules, debug, dry_run);
        let d = Daemon {
            path: path.to_path_buf(),
            scratch: Vec::with_capacity(global.max_message + 512),
            pacer: Pacer::default(),
            turn: Turn::default(),
            global,
            files,
            debug_arg,
            debug,
            io,
            engine,
            lookups,
            signals,
            stop: false,
            started: now(),
            reloads: 0,
            reload_errors: 0,
            fds: Vec::with_capacity(16),
            tokens: Vec::with_capacity(16),
            script_fds: Vec::with_capacity(16),
        };
        if d.debug >= 1 {
            log(format_args!("started: {}", d.describe()));
        }
        Ok(d)
    }

    fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        if let Some(u) = &self.io.unix {
            let mode = u.mode_name();
            let _ = write!(s, "{} ({mode}) ", u.socket_path().display());
        }
        for u in &self.io.udp {
            let _ = write!(s, "udp {} ", u.local_addr());
        }
        let _ = write!(s, "{} rules", self.engine.rules());
        s
    }

    /// The earliest deadline of the runner and the local socket; `None`: sleep until an event.
    fn deadline(&self) -> Option<Instant> {
        let unix = self.io.unix.as_ref().and_then(|u| u.deadline());
        earliest(self.engine.deadline(), unix)
    }

    fn run(&mut self) -> i32 {
        while !self.stop {
            self.build_poll_set();
            let timeout = self.deadline().map_or(-1, crate::input::poll_timeout);
            if let Err(e) = sysfd::poll(&mut self.fds, timeout)
                && e.kind() != std::io::ErrorKind::Interrupted
            {
                log(format_args!("poll: {e}"));
                return 2;
            }
            let (woke, now) = (Instant::now(), now());
            self.turn = Turn::default();
            for i in 0..self.fds.len() {
                let revents = self.fds[i].revents;
                if revents != 0 {
                    self.dispatch(self.tokens[i], now);
                }
            }
            self.engine.service();
            self.pacer.after_turn(woke, self.turn.udp, self.turn.local);
            if let Some(step) = self.io.unix.as_mut().map(|u| u.on_timer(Instant::now())) {
                self.unix_step(step);
            }
        }
        self.exit()
    }

    /// The clean exit: `/dev/log` goes back to the logger first, so that a script ignoring
    /// SIGTERM cannot keep local logging waiting; then scripts are stopped.
    fn exit(&mut self) -> i32 {
        if self.debug >= 1 {
            log(format_args!("exiting"));
        }
        if let Some(mut u) = self.io.unix.take() {
            u.hand_back(HAND_BACK);
        }
        self.engine.shutdown(EXIT_GRACE_MS);
        self.io = Io::default();
        0
    }

    fn add(&mut self, fd: RawFd, events: Events, token: Token) {
        self.fds.push(sysfd::poll_fd(fd, events));
        self.tokens.push(token);
    }

    fn build_poll_set(&mut self) {
        self.fds.clear();
        self.tokens.clear();
        self.add(self.signals.fd(), POLLIN, Token::Signal);
        if let Some(fd) = self.io.control.as_ref().map(|c| c.fd()) {
            self.add(fd, POLLIN, Token::Control);
        }
        if let Some(interests) = self.io.unix.as_ref().map(|u| u.interests()) {
            for (fd, events, ready) in interests.into_iter().flatten() {
                self.add(fd, events, Token::Unix(ready));
            }
        }
        for i in 0..self.io.udp.len() {
            let fd = self.io.udp[i].fd();
            self.add(fd, POLLIN, Token::Udp(i));
        }
        for i in 0..self.io.remotes.len() {
            if self.io.remotes[i].wants_write() {
                let fd = self.io.remotes[i].fd();
                self.add(fd, POLLOUT, Token::Remote(i));
            }
        }
        if let Some(fd) = self.io.files.as_ref().map(|f| f.fd()) {
            self.add(fd, POLLIN, Token::Files);
        }
        if let Some(fd) = self.io.kmsg.as_ref().map(|k| k.fd()) {
            self.add(fd, POLLIN, Token::Kmsg);
        }
        let mut script_fds = std::mem::take(&mut self.script_fds);
        script_fds.clear();
        self.engine.poll_fds(&mut script_fds);
        for &fd in &script_fds {
            self.add(fd, POLLIN, Token::Script);
        }
        self.script_fds = script_fds;
        if let Some(fd) = self.lookups.as_ref().and_then(|l| l.fd()) {
            self.add(fd, POLLIN, Token::Lookups);
        }
    }

    fn dispatch(&mut self, token: Token, now: i64) {
        match token {
            Token::Signal => self.signals_ready(),
            Token::Control => self.serve_control(),
            Token::Unix(ready) => self.unix_ready(ready, now),
            Token::Udp(i) => self.recv_udp(i, now),
            Token::Remote(i) => {
                if let Some(r) = self.io.remotes.get_mut(i) {
                    r.flush();
                }
            }
            Token::Files => self.recv_files(now),
            Token::Kmsg => self.recv_kmsg(now),
            Token::Script => {} // the runner reads its pipes in `service`
            Token::Lookups => self.apply_lookups(),
        }
    }

    fn unix_ready(&mut self, ready: Ready, now: i64) {
        let Io { unix, remotes, .. } = &mut self.io;
        let Some(u) = unix.as_mut() else { return };
        let engine = &mut self.engine;
        let debug = self.debug;
        let step = u.on_ready(ready, &mut |frame, meta| {
            for r in remotes.iter_mut() {
                r.send(frame);
            }
            if debug >= 9 {
                trace("unix", frame);
            }
            let sender = meta.cred.map_or(Sender::Unknown, Sender::Cred);
            engine.process(frame, Source::Unix(sender), now);
        });
        self.unix_step(step);
    }

    /// Applies what the host name lookups found: new collectors, addresses to ignore.
    fn apply_lookups(&mut self) {
        let Some(l) = self.lookups.as_mut() else {
            return;
        };
        let (io, engine, max) = (&mut self.io, &mut self.engine, self.global.max_message);
        l.collect(&mut |found| match found {
            Found::Forward(host, addr) => io.add_remote(&host, addr, max),
            Found::Ignore(host, ip) => engine.ignore_host(&host, ip),
            Found::Note(text) => log(format_args!("{text}")),
        });
    }

    /// Counts the local frames of a step and logs a re-takeover.
    fn unix_step(&mut self, step: Step) {
        self.turn.local += step.frames;
        let Some(u) = self.io.unix.as_ref() else {
            return;
        };
        match step.rebound {
            Some(Ok(())) if self.debug >= 1 => {
                let (path, mode) = (u.socket_path().display(), u.mode_name());
                log(format_args!("{path}: taken over again ({mode})"));
            }
            Some(Err(e)) => log(format_args!("takeover: {e}")),
            _ => {}
        }
    }

    fn recv_udp(&mut self, i: usize, now: i64) {
        let Io {
            unix, udp, remotes, ..
        } = &mut self.io;
        let Some(input) = udp.get_mut(i) else { return };
        let engine = &mut self.engine;
        let scratch = &mut self.scratch;
        let g = &self.global;
        let debug = self.debug;
        self.turn.udp += input.recv(&g.udp_allow, &mut |frame, peer, meta| {
            for r in remotes.iter_mut() {
                r.send(frame);
            }
            // Parsed once, for the logger's copy and for the rules.
            let msg = crate::syslog::parse(frame);
            if g.udp_forward
                && let Some(u) = unix.as_mut()
                && u.forwarding()
            {
                udp::format_for_logger(&msg, peer.ip(), now, scratch);
                u.forward_local(scratch);
            }
            if debug >= 9 {
                trace("udp", frame);
            }
            let cut = meta.truncated || engine.is_cut(frame);
            engine.process_message(&msg, Source::Udp(peer), cut, now);
        });
    }

    fn recv_files(&mut self, now: i64) {
        let Some(files) = self.io.files.as_mut() else {
            return;
        };
        let engine = &mut self.engine;
        files.service(&mut |line, path| engine.process_line(line, Source::File(path), now));
    }

    fn recv_kmsg(&mut self, now: i64) {
        let Some(k) = self.io.kmsg.as_mut() else {
            return;
        };
        let engine = &mut self.engine;
        k.recv(&mut |rec| engine.process_line(rec.msg, Source::Kmsg, now));
    }

    fn signals_ready(&mut self) {
        while let Some(signo) = self.signals.next() {
            match signo {
                signals::SIGHUP => self.reload(),
                signals::SIGTERM | signals::SIGINT => self.stop = true,
                signals::SIGUSR1 => {
                    let text = self.report().to_text();
                    for line in text.lines() {
                        log(format_args!("status: {line}"));
                    }
                }
                _ => {} // SIGCHLD: the runner reaps in `service`
            }
        }
    }

    fn reload(&mut self) {
        let new = match Config::load(&self.path) {
            Ok(c) => c,
            Err(e) => {
                self.reload_errors += 1;
                log(format_args!(
                    "reload refused, keeping the running configuration: {e}"
                ));
                return;
            }
        };
        let files = file_paths(&new);
        if let Err(e) = self
            .io
            .reload((&self.global, &self.files), (&new.global, &files))
        {
            self.reload_errors += 1;
            log(format_args!("reload: {e}"));
        }
        let Config { global, rules } = new;
        self.lookups = lookups(&global, &rules);
        self.debug = self.debug_arg.unwrap_or(global.debug);
        self.engine.reload(&global, rules, self.debug);
        self.scratch.reserve(global.max_message + 512);
        (self.global, self.files) = (global, files);
        self.reloads += 1;
        if self.debug >= 1 {
            log(format_args!("reloaded: {}", self.describe()));
        }
    }

    fn serve_control(&mut self) {
        let Some(c) = self.io.control.as_ref() else {
            return;
        };
        // Build the report first: `serve` needs it while `self` is borrowed.
        let report = self.report();
        c.serve(&mut |f| match f {
            Format::Text => report.to_text(),
            Format::Json => report.to_json(),
        });
    }
}

/// Prints a received frame at `-D 9`, except logtrigger's own lines: under procd they come back
/// through /dev/log, and printing them would print them again, forever.
fn trace(input: &str, frame: &[u8]) {
    // A plain window scan: the head is short, and memmem's searcher costs code on the router.
    let head = frame.get(..64 + 9).unwrap_or(frame);
    let own = head.windows(10).any(|w| w == b"logtrigger");
    if !own {
        log(format_args!("{input}: {}", frame.escape_ascii()));
    }
}
