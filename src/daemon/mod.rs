//! The daemon: one poll loop over the inputs, signals, the control socket and running scripts.
//!
//! Owns: process setup (signal mask, signalfd), the poll loop and its timeout (the runner's next
//! deadline, or none: an idle daemon sleeps), reload, clean exit (takeover undone), status.
//! Never: blocks outside `poll` (but for the pacer's naps of at most 400 µs plus timer slack,
//! under a UDP flood), wakes up periodically, or allocates per message (the poll set and scratch
//! buffers are reused).

pub mod control;
pub mod engine;
pub mod pace;
pub mod status;

use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::config::resolve::{Found, Lookups};
use crate::config::{Config, Global, Rule};
use crate::input::file::Files;
use crate::input::forward::Outbox;
use crate::input::kmsg::Kmsg;
use crate::input::udp::{self, UdpInput};
use crate::input::unix::{UnixConfig, UnixInput};
use crate::pipeline::{Sender, Source};
use control::{Control, Format};
use engine::Engine;
use pace::Pacer;
use status::{Entry, Report};

/// Grace period between SIGTERM and SIGKILL for scripts still running at exit.
const EXIT_GRACE_MS: u32 = 5000;

/// Writes `logtrigger: MESSAGE` to stderr (procd passes it on to the system log).
pub fn log(args: fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "logtrigger: {args}");
}

/// Runs the daemon in the foreground until SIGTERM/SIGINT; returns the exit code.
pub fn run(config: &Path, debug: Option<u8>) -> i32 {
    let cfg = match Config::load(config) {
        Ok(c) => c,
        Err(e) => {
            log(format_args!("{e}"));
            return 1;
        }
    };
    let mut daemon = match Daemon::start(config, cfg, debug) {
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
    UnixSock,
    UnixOld,
    UnixWatch,
    UnixOut,
    Udp(usize),
    Remote(usize),
    Files,
    Kmsg,
    Script,
    Lookups,
}

/// Every input and output, rebuilt (in parts) on reload.
#[derive(Default)]
struct Io {
    unix: Option<UnixInput>,
    udp: Vec<UdpInput>,
    files: Option<Files>,
    kmsg: Option<Kmsg>,
    remotes: Vec<Outbox>,
    control: Option<Control>,
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
    /// signalfd for SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGCHLD (all blocked).
    signals: OwnedFd,
    stop: bool,
    started: i64,
    reloads: u64,
    reload_errors: u64,
    /// The poll set, reused every turn.
    fds: Vec<libc::pollfd>,
    tokens: Vec<Token>,
    script_fds: Vec<RawFd>,
    /// Scratch for reformatted frames (udp_forward, kmsg).
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

/// The rules' `file` options, deduplicated.
fn file_paths(cfg: &Config) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = Vec::new();
    for r in cfg.rules.iter().filter(|r| r.enabled) {
        if let Some(f) = &r.file
            && !v.contains(f)
        {
            v.push(f.clone());
        }
    }
    v
}

/// Whether `addr` is one of our own UDP inputs: sending there would loop every message forever.
fn own_input(udp: &[UdpInput], addr: &SocketAddr) -> bool {
    udp.iter().map(|u| u.local_addr()).any(|l| {
        l.port() == addr.port()
            && (l.ip() == addr.ip() || l.ip().is_unspecified() || addr.ip().is_loopback())
    })
}

/// Starts looking up the host names of a configuration (before its rules go to the engine).
fn lookups(g: &Global, rules: &[Rule]) -> Option<Lookups> {
    Lookups::for_config(g, rules).unwrap_or_else(|e| {
        log(format_args!("{e}"));
        None
    })
}

fn unix_config(g: &Global) -> Option<UnixConfig> {
    Some(UnixConfig {
        socket: g.socket.clone()?,
        takeover: g.takeover,
        forward: g.forward.clone(),
        max_message: g.max_message,
    })
}

fn err(what: &str, e: &dyn fmt::Display) -> String {
    format!("{what}: {e}")
}

impl Io {
    fn open_unix(g: &Global) -> Result<Option<UnixInput>, String> {
        unix_config(g)
            .map(|c| UnixInput::open(c).map_err(|e| err("socket", &e)))
            .transpose()
    }

    fn open_udp(g: &Global) -> Result<Vec<UdpInput>, String> {
        // A plain loop: collecting into `Result<Vec<_>>` costs 2 KB of code on MIPS.
        let mut v = Vec::with_capacity(g.udp.len());
        for a in &g.udp {
            v.push(UdpInput::open(*a, g.rcvbuf, g.max_message).map_err(|e| e.to_string())?);
        }
        Ok(v)
    }

    fn open_remotes(g: &Global, udp: &[UdpInput]) -> Vec<Outbox> {
        let mut v = Vec::new();
        for addr in &g.forward_udp {
            if own_input(udp, addr) {
                log(format_args!(
                    "forward_udp {addr}: is this daemon's own UDP input; ignored"
                ));
                continue;
            }
            match Outbox::udp(*addr, g.max_message) {
                Ok(o) => v.push(o),
                Err(e) => log(format_args!("forward_udp {addr}: {e}")),
            }
        }
        v
    }

    /// Adds the collector `addr` that the `forward_udp` name `host` resolved to.
    fn add_remote(&mut self, host: &str, addr: SocketAddr, max_message: usize) {
        if own_input(&self.udp, &addr) {
            log(format_args!(
                "forward_udp {host} ({addr}): is this daemon's own UDP input; ignored"
            ));
            return;
        }
        let target = crate::input::forward::Target::Udp(addr);
        if self.remotes.iter().any(|o| *o.target() == target) {
            return;
        }
        match Outbox::udp(addr, max_message) {
            Ok(o) => self.remotes.push(o),
            Err(e) => log(format_args!("forward_udp {host} ({addr}): {e}")),
        }
    }

    fn open_files(paths: &[PathBuf], max_message: usize) -> Result<Option<Files>, String> {
        if paths.is_empty() {
            return Ok(None);
        }
        Files::open(paths, max_message)
            .map(Some)
            .map_err(|e| err("file", &e))
    }

    fn open_kmsg(g: &Global) -> Result<Option<Kmsg>, String> {
        if !g.kmsg {
            return Ok(None);
        }
        Kmsg::open(Path::new("/dev/kmsg"))
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn open_control(g: &Global) -> Result<Option<Control>, String> {
        g.control
            .as_deref()
            .map(|p| Control::bind(p).map_err(|e| err("control", &e)))
            .transpose()
    }

    fn open(g: &Global, files: &[PathBuf]) -> Result<Io, String> {
        // Control first: it refuses to start a second daemon before we touch /dev/log.
        let control = Io::open_control(g)?;
        let udp = Io::open_udp(g)?;
        Ok(Io {
            remotes: Io::open_remotes(g, &udp),
            udp,
            files: Io::open_files(files, g.max_message)?,
            kmsg: Io::open_kmsg(g)?,
            unix: Io::open_unix(g)?,
            control,
        })
    }

    /// Re-opens what the new configuration changed; keeps the rest (notably the takeover).
    fn reload(
        &mut self,
        (o, old_files): (&Global, &[PathBuf]),
        (n, new_files): (&Global, &[PathBuf]),
    ) -> Result<(), String> {
        // Compared in place (no clones). Without a socket on either side the other fields
        // may differ: reopening then just yields `None` again.
        if (&o.socket, o.takeover, &o.forward, o.max_message)
            != (&n.socket, n.takeover, &n.forward, n.max_message)
        {
            self.unix = None; // restores the old takeover first
            self.unix = Io::open_unix(n)?;
        }
        if (&o.udp, o.rcvbuf, o.max_message) != (&n.udp, n.rcvbuf, n.max_message) {
            self.udp.clear(); // frees the ports
            self.udp = Io::open_udp(n)?;
        }
        if (&o.forward_udp, &o.forward_hosts, o.max_message)
            != (&n.forward_udp, &n.forward_hosts, n.max_message)
        {
            self.remotes = Io::open_remotes(n, &self.udp);
        }
        if old_files != new_files || o.max_message != n.max_message {
            self.files = Io::open_files(new_files, n.max_message)?;
        }
        if o.kmsg != n.kmsg {
            self.kmsg = Io::open_kmsg(n)?;
        }
        if o.control != n.control {
            self.control = None;
            self.control = Io::open_control(n)?;
        }
        Ok(())
    }
}

/// Blocks the daemon's signals and returns a signalfd delivering them (direct libc calls:
/// smaller than nix's wrappers).
fn signal_fd() -> Result<OwnedFd, String> {
    // SAFETY: the sigset functions only write `mask`; SIG_IGN installs no handler code (writes
    // to a gone peer then fail with EPIPE instead of killing the daemon); a non-negative
    // signalfd result is a new fd that we own.
    unsafe {
        let mut mask: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut mask);
        for s in [
            libc::SIGHUP,
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGUSR1,
            libc::SIGCHLD,
        ] {
            libc::sigaddset(&mut mask, s);
        }
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &mask, std::ptr::null_mut());
        if rc != 0 {
            return Err(err("sigprocmask", &std::io::Error::from_raw_os_error(rc)));
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let fd = libc::signalfd(-1, &mask, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
        if fd < 0 {
            return Err(err("signalfd", &std::io::Error::last_os_error()));
        }
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// The next pending signal number from a non-blocking signalfd; `None` when none is left.
fn read_signal(fd: RawFd) -> Option<i32> {
    // SAFETY: all-zero is a valid siginfo; `read` writes at most its size.
    let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
    let size = size_of::<libc::signalfd_siginfo>();
    // SAFETY: `info` is writable for `size` bytes.
    let n = unsafe { libc::read(fd, (&raw mut info).cast(), size) };
    (n == size as isize).then_some(info.ssi_signo as i32)
}

impl Daemon {
    fn start(path: &Path, cfg: Config, debug_arg: Option<u8>) -> Result<Daemon, String> {
        let signals = signal_fd()?;
        let debug = debug_arg.unwrap_or(cfg.global.debug);
        let files = file_paths(&cfg);
        let io = Io::open(&cfg.global, &files)?;
        let Config { global, rules } = cfg;
        let lookups = lookups(&global, &rules);
        let engine = Engine::new(&global, rules, debug);
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

    fn run(&mut self) -> i32 {
        while !self.stop {
            self.build_poll_set();
            let unix_timeout = self.io.unix.as_ref().map_or(-1, |u| u.timeout_ms());
            let timeout = match (self.engine.timeout_ms(), unix_timeout) {
                (-1, t) | (t, -1) => t,
                (a, b) => a.min(b),
            };
            // SAFETY: `fds` is a valid, initialised array of `len` pollfd.
            let n = unsafe {
                libc::poll(
                    self.fds.as_mut_ptr(),
                    self.fds.len() as libc::nfds_t,
                    timeout,
                )
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EINTR) {
                    log(format_args!("poll: {e}"));
                    return 2;
                }
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
            if unix_timeout >= 0 && self.io.unix.as_ref().is_some_and(|u| u.timeout_ms() <= 1) {
                self.maintain_unix();
            }
        }
        if self.debug >= 1 {
            log(format_args!("exiting"));
        }
        self.engine.shutdown(EXIT_GRACE_MS);
        self.io = Io::default(); // drops inputs: the takeover is undone
        0
    }

    fn add(&mut self, fd: RawFd, events: libc::c_short, token: Token) {
        self.fds.push(libc::pollfd {
            fd,
            events,
            revents: 0,
        });
        self.tokens.push(token);
    }

    fn build_poll_set(&mut self) {
        self.fds.clear();
        self.tokens.clear();
        let sig = self.signals.as_raw_fd();
        self.add(sig, libc::POLLIN, Token::Signal);
        if let Some(fd) = self.io.control.as_ref().map(|c| c.fd()) {
            self.add(fd, libc::POLLIN, Token::Control);
        }
        if let Some(u) = &self.io.unix {
            let [sock, old, watch] = u.read_fds();
            let out = u.write_fd();
            let pairs = [
                (sock, libc::POLLIN, Token::UnixSock),
                (old, libc::POLLIN, Token::UnixOld),
                (watch, libc::POLLIN, Token::UnixWatch),
                (out, libc::POLLOUT, Token::UnixOut),
            ];
            for (fd, ev, t) in pairs {
                if let Some(fd) = fd {
                    self.add(fd, ev, t);
                }
            }
        }
        for i in 0..self.io.udp.len() {
            let fd = self.io.udp[i].fd();
            self.add(fd, libc::POLLIN, Token::Udp(i));
        }
        for i in 0..self.io.remotes.len() {
            if self.io.remotes[i].wants_write() {
                let fd = self.io.remotes[i].fd();
                self.add(fd, libc::POLLOUT, Token::Remote(i));
            }
        }
        if let Some(fd) = self.io.files.as_ref().map(|f| f.fd()) {
            self.add(fd, libc::POLLIN, Token::Files);
        }
        if let Some(fd) = self.io.kmsg.as_ref().map(|k| k.fd()) {
            self.add(fd, libc::POLLIN, Token::Kmsg);
        }
        let mut script_fds = std::mem::take(&mut self.script_fds);
        script_fds.clear();
        self.engine.poll_fds(&mut script_fds);
        for &fd in &script_fds {
            self.add(fd, libc::POLLIN, Token::Script);
        }
        self.script_fds = script_fds;
        if let Some(fd) = self.lookups.as_ref().and_then(|l| l.fd()) {
            self.add(fd, libc::POLLIN, Token::Lookups);
        }
    }

    fn dispatch(&mut self, token: Token, now: i64) {
        match token {
            Token::Signal => self.signals_ready(),
            Token::Control => self.serve_control(),
            Token::UnixSock | Token::UnixOld => self.recv_unix(now),
            Token::UnixWatch => self.maintain_unix(),
            Token::UnixOut => {
                if let Some(u) = self.io.unix.as_mut() {
                    u.flush();
                }
            }
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

    fn maintain_unix(&mut self) {
        let Some(u) = self.io.unix.as_mut() else {
            return;
        };
        match u.maintain() {
            Ok(true) if self.debug >= 1 => {
                log(format_args!(
                    "{}: taken over again",
                    u.socket_path().display()
                ));
            }
            Ok(_) => {}
            Err(e) => log(format_args!("takeover: {e}")),
        }
    }

    fn recv_unix(&mut self, now: i64) {
        let Io { unix, remotes, .. } = &mut self.io;
        let Some(u) = unix.as_mut() else { return };
        let engine = &mut self.engine;
        let debug = self.debug;
        self.turn.local += u.recv(&mut |frame, meta| {
            for r in remotes.iter_mut() {
                r.send(frame);
            }
            if debug >= 9 {
                trace("unix", frame);
            }
            let sender = meta.cred.map_or(Sender::Unknown, Sender::Cred);
            engine.process(frame, Source::Unix(sender), now);
        });
        // A refused forward marks the takeover suspect: check it now, not on the next event.
        self.maintain_unix_if_suspect();
    }

    fn maintain_unix_if_suspect(&mut self) {
        if self.io.unix.as_ref().is_some_and(|u| u.suspect()) {
            self.maintain_unix();
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
        self.turn.udp += input.recv(&g.udp_allow, &mut |frame, peer, _meta| {
            for r in remotes.iter_mut() {
                r.send(frame);
            }
            if g.udp_forward
                && let Some(u) = unix.as_mut()
                && u.forwarding()
            {
                let msg = crate::syslog::parse(frame);
                udp::format_for_logger(&msg, peer.ip(), now, scratch);
                u.forward_local(scratch);
            }
            if debug >= 9 {
                trace("udp", frame);
            }
            engine.process(frame, Source::Udp(peer), now);
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
        while let Some(signo) = read_signal(self.signals.as_raw_fd()) {
            match signo {
                libc::SIGHUP => self.reload(),
                libc::SIGTERM | libc::SIGINT => self.stop = true,
                libc::SIGUSR1 => {
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

    /// The counters of SPEC §9.
    fn report(&self) -> Report {
        let mut r = Report::default();
        let mut d = Entry::new()
            .with("pid", std::process::id())
            .with("uptime", (now() - self.started).max(0) as u64)
            .with("config", self.path.display().to_string())
            .with("reloads", self.reloads)
            .with("reload_errors", self.reload_errors)
            .with("debug", u32::from(self.debug))
            .with("naps", self.pacer.naps());
        if let Some(u) = &self.io.unix {
            let mode = u.mode_name();
            d = d
                .with("takeover", mode)
                .with("takeovers", u.takeover.takeovers)
                .with("healed", u.takeover.healed);
        }
        r.push("daemon", false, d);
        self.report_inputs(&mut r);
        self.engine.report(&mut r);
        r
    }

    fn report_inputs(&self, r: &mut Report) {
        let input = |name: String, s: &crate::input::InputStats| {
            Entry::new()
                .with("name", name)
                .with("received", s.received)
                .with("truncated", s.truncated)
                .with("denied", s.denied)
                .with("errors", s.errors)
        };
        if let Some(u) = &self.io.unix {
            r.push(
                "inputs",
                true,
                input(format!("unix:{}", u.socket_path().display()), &u.stats),
            );
            if let Some(o) = u.outbox() {
                r.push("forwards", true, forward_entry(o));
            }
        }
        for u in &self.io.udp {
            r.push(
                "inputs",
                true,
                input(format!("udp:{}", u.local_addr()), &u.stats),
            );
        }
        if let Some(f) = &self.io.files {
            for (p, s) in f.stats() {
                r.push("inputs", true, input(format!("file:{}", p.display()), s));
            }
        }
        if let Some(k) = &self.io.kmsg {
            r.push(
                "inputs",
                true,
                input("kmsg".into(), &k.stats).with("overwritten", k.overwritten),
            );
        }
        for o in &self.io.remotes {
            r.push("forwards", true, forward_entry(o));
        }
    }
}

fn forward_entry(o: &Outbox) -> Entry {
    let target = match o.target() {
        crate::input::forward::Target::Unix(p) => format!("unix:{}", p.display()),
        crate::input::forward::Target::Udp(a) => format!("udp:{a}"),
    };
    Entry::new()
        .with("target", target)
        .with("sent", o.stats.sent)
        .with("queued", o.stats.queued)
        .with("dropped", o.stats.dropped)
        .with("errors", o.stats.errors)
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
