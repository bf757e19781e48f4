//! The local socket (`/dev/log`) and its inline takeover (SPEC §2).
//!
//! Takeover: when a logger already owns `socket`, bind our socket at a temporary path in the same
//! directory, hard-link the logger's socket to `forward`, and rename ours onto `socket` (atomic:
//! clients always find a live socket). Every datagram is then forwarded byte for byte to
//! `forward`. An inotify watch on the directory wakes us when the logger rebinds `socket`; we then
//! take over again. On exit `forward` is renamed back onto `socket`.
//!
//! Back-pressure: while the logger's queue is full, frames wait in the outbox and the socket is
//! not read, so senders block as they would writing to the logger directly. Only when the
//! logger has taken nothing for `forward_wait`, or is gone, does reading go on (rules keep
//! working) and what cannot be forwarded is dropped and counted.
//!
//! The daemon drives it through [`UnixInput::interests`] (what to poll), [`UnixInput::deadline`]
//! (when to call [`UnixInput::on_timer`]) and [`UnixInput::on_ready`].
//!
//! Owns: the listening socket(s), the takeover state machine, the forward outbox to the local
//! logger and its back-pressure.
//! Never: sends to its own socket (no loops), blocks (but in [`UnixInput::hand_back`] at exit),
//! or allocates per datagram.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

use super::forward::{ForwardStats, Outbox, Sent};
use super::sys::Inotify;
use super::{Batch, InputStats, Meta};
use crate::sys::fd::{self as sysfd, Events, POLLIN, POLLOUT};

/// Datagrams up to this size are forwarded whole even when `max_message` is smaller.
pub const FORWARD_MAX: usize = 64 * 1024;

/// How long a vanished `socket` is left to the logger to rebind before we bind it ourselves.
pub const REBIND_DELAY: Duration = Duration::from_millis(1000);

/// How soon a socket file at `socket` that is not ours and refuses connections is probed again:
/// the logger may be inside its bind (the file exists, and inotify reports it, before the socket
/// accepts connections), and no further inotify event tells when the bind is complete.
pub const RECHECK: Duration = Duration::from_millis(10);

/// How the local socket is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// We bound `socket` ourselves; nobody else was there.
    Owner,
    /// We sit in front of another logger, whose socket lives on at `forward`.
    Inline,
}

/// Settings of the local socket input.
#[derive(Clone, Debug)]
pub struct UnixConfig {
    pub socket: PathBuf,
    pub takeover: bool,
    pub forward: PathBuf,
    pub max_message: usize,
    /// How long the socket is left unread while the logger takes nothing.
    pub forward_wait: Duration,
}

/// Which of the input's fds is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ready {
    /// The socket at `socket`: datagrams.
    Sock,
    /// Our previous socket, draining after the logger replaced it.
    Old,
    /// The inotify watch on the socket's directory.
    Watch,
    /// The forward socket has room again.
    Out,
}

/// What a call into the input did.
#[derive(Debug, Default)]
pub struct Step {
    /// Frames received (and handed to the caller's function).
    pub frames: usize,
    /// `Some(Ok(()))` when the socket was taken over (or bound) again, `Some(Err)` when a
    /// takeover failed.
    pub rebound: Option<io::Result<()>>,
}

/// Takeover counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TakeoverStats {
    /// Takeovers done (the first one included).
    pub takeovers: u64,
    /// Crashed takeovers repaired at start (`forward` renamed back to `socket`).
    pub healed: u64,
}

/// What lives at a socket path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    Absent,
    /// A socket file nobody listens on (ECONNREFUSED) or not a socket.
    Dead,
    Alive,
}

/// Connects a throwaway datagram socket to `path` to see whether someone listens there.
pub fn probe(path: &Path) -> Probe {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Probe::Absent;
    };
    use std::os::unix::fs::FileTypeExt;
    if !meta.file_type().is_socket() {
        return Probe::Dead;
    }
    let alive = Socket::new(Domain::UNIX, Type::DGRAM, None)
        .and_then(|s| s.connect(&SockAddr::unix(path)?))
        .is_ok();
    if alive { Probe::Alive } else { Probe::Dead }
}

/// The local socket input.
pub struct UnixInput {
    cfg: UnixConfig,
    sock: Socket,
    /// Our previous socket after the logger replaced it: drained, then closed.
    old: Option<Socket>,
    /// Inode of our socket file, to notice when `socket` is no longer ours.
    inode: u64,
    mode: Mode,
    outbox: Option<Outbox>,
    watch: Option<Inotify>,
    batch: Batch,
    pub stats: InputStats,
    pub takeover: TakeoverStats,
    /// Frames that could not be forwarded because no logger listened at `forward` while we were
    /// meant to sit in front of one (it was restarting, or gone).
    pub unforwarded: u64,
    /// The forward counters of outboxes closed since (a logger that restarted or went away).
    forwarded_before: ForwardStats,
    /// Set when the forward target refused a frame: re-check on the next `maintain`.
    suspect: bool,
    /// Since when frames wait in the outbox and the logger has taken none of them.
    stalled_since: Option<Instant>,
    /// When `socket` was first seen gone (the logger restarting, or stopped).
    absent_since: Option<Instant>,
    /// When to probe again a socket file that is not ours and not listening yet.
    recheck_at: Option<Instant>,
}

impl UnixInput {
    /// Binds `socket`, taking it over from a live logger when `takeover` is on, after repairing
    /// a crashed takeover. Errors name the path.
    pub fn open(cfg: UnixConfig) -> io::Result<UnixInput> {
        let mut healed = 0;
        if cfg.takeover && probe(&cfg.socket) != Probe::Alive && probe(&cfg.forward) == Probe::Alive
        {
            fs::rename(&cfg.forward, &cfg.socket).map_err(|e| ctx(e, "restore", &cfg.forward))?;
            healed = 1;
        }
        let (sock, inode, mode) = match probe(&cfg.socket) {
            Probe::Alive if cfg.takeover => {
                let (s, ino) = take_over(&cfg)?;
                (s, ino, Mode::Inline)
            }
            Probe::Alive => {
                let e = io::Error::from_raw_os_error(libc::EADDRINUSE);
                return Err(ctx(
                    e,
                    "bind (another logger owns it; takeover is off)",
                    &cfg.socket,
                ));
            }
            Probe::Dead | Probe::Absent => {
                let (s, ino) = bind_fresh(&cfg.socket)?;
                (s, ino, Mode::Owner)
            }
        };
        // Receive slots hold whole datagrams up to FORWARD_MAX so that forwarding stays byte for
        // byte; the pipeline still sees at most max_message. Big zeroed buffers come from
        // fresh mmap'd pages: only the bytes datagrams really use become resident.
        let batch = Batch::new(cfg.max_message.max(FORWARD_MAX), true);
        let watch = if cfg.takeover {
            Some(watch_dir(&cfg.socket)?)
        } else {
            None
        };
        let mut input = UnixInput {
            cfg,
            sock,
            old: None,
            inode,
            mode,
            outbox: None,
            watch,
            batch,
            stats: InputStats::default(),
            takeover: TakeoverStats {
                takeovers: (mode == Mode::Inline) as u64,
                healed,
            },
            unforwarded: 0,
            forwarded_before: ForwardStats::default(),
            suspect: false,
            stalled_since: None,
            absent_since: None,
            recheck_at: None,
        };
        input.connect_forward();
        Ok(input)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The mode as status and logs spell it.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Mode::Inline => "inline",
            Mode::Owner => "owner",
        }
    }

    /// A reload's new `forward_wait`: it applies at once (the socket is not re-taken for it).
    pub fn set_forward_wait(&mut self, wait: Duration) {
        self.cfg.forward_wait = wait;
    }

    pub fn socket_path(&self) -> &Path {
        &self.cfg.socket
    }

    /// True while frames are forwarded to the logger at `forward`.
    pub fn forwarding(&self) -> bool {
        self.outbox.is_some()
    }

    pub fn outbox(&self) -> Option<&Outbox> {
        self.outbox.as_ref()
    }

    /// The forward to the logger at `forward` and its counters over every logger we sat in
    /// front of; `None` when we never did.
    pub fn forward_stats(&self) -> Option<(&Path, ForwardStats)> {
        let s = self
            .outbox
            .as_ref()
            .map_or(self.forwarded_before, |o| o.stats);
        let ever = self.outbox.is_some() || self.takeover.takeovers > 0;
        ever.then_some((self.cfg.forward.as_path(), s))
    }

    /// True while the socket is left unread: frames wait for the logger, which took one less
    /// than `forward_wait` ago (or has not been waited for that long yet).
    pub fn held(&self) -> bool {
        self.stalled_since
            .is_some_and(|t| t.elapsed() < self.cfg.forward_wait)
    }

    /// The fds to poll now, with their events: the socket and the old one (unless held), the
    /// inotify watch, and the forward socket while frames wait for room.
    pub fn interests(&self) -> [Option<(RawFd, Events, Ready)>; 4] {
        let read = !self.held();
        let fd = |s: &Socket| s.as_raw_fd();
        [
            read.then(|| (fd(&self.sock), POLLIN, Ready::Sock)),
            self.old
                .as_ref()
                .filter(|_| read)
                .map(|s| (fd(s), POLLIN, Ready::Old)),
            self.watch.as_ref().map(|w| (w.fd(), POLLIN, Ready::Watch)),
            self.outbox
                .as_ref()
                .filter(|o| o.wants_write())
                .map(|o| (o.fd(), POLLOUT, Ready::Out)),
        ]
    }

    /// When [`UnixInput::on_timer`] must run: the end of a back-pressure wait, a pending rebind
    /// of a vanished socket, or a re-probe of one that is not listening yet. `None`: no timer.
    pub fn deadline(&self) -> Option<Instant> {
        // Only a wait still running: past it the forward socket's POLLOUT is what wakes us.
        let hold = self
            .stalled_since
            .map(|t| t + self.cfg.forward_wait)
            .filter(|&t| t > Instant::now());
        let rebind = self.absent_since.map(|t| t + REBIND_DELAY);
        [hold, rebind, self.recheck_at].into_iter().flatten().min()
    }

    /// Serves a ready fd; frames received are forwarded, then handed to `f`.
    pub fn on_ready(&mut self, ready: Ready, f: &mut dyn FnMut(&[u8], &Meta)) -> Step {
        let mut step = Step::default();
        match ready {
            Ready::Sock | Ready::Old => step.frames = self.recv(f),
            Ready::Watch => step.rebound = self.maintain(),
            Ready::Out => self.flush(),
        }
        // A refused forward marks the takeover suspect: check it now, not on the next event.
        if self.suspect && step.rebound.is_none() {
            step.rebound = self.maintain();
        }
        step
    }

    /// Acts on the timers that are due (see [`UnixInput::deadline`]).
    pub fn on_timer(&mut self, now: Instant) -> Step {
        let mut step = Step::default();
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.absent_since.map(|t| t + REBIND_DELAY)) || due(self.recheck_at) {
            step.rebound = self.maintain();
        }
        // A finished back-pressure wait needs nothing here: `interests` reads the socket again.
        step
    }

    /// Retries queued forwards (the forward socket became writable).
    fn flush(&mut self) {
        let Some(o) = self.outbox.as_mut() else {
            return;
        };
        let sent = o.stats.sent;
        if o.flush() == Sent::Refused {
            self.suspect = true;
        }
        self.track_stall(sent);
    }

    /// Keeps `stalled_since` true to the outbox after sends: cleared when nothing waits, reset
    /// when the logger took a frame since the count `sent_before`, set when frames start waiting.
    fn track_stall(&mut self, sent_before: u64) {
        match &self.outbox {
            Some(o) if o.wants_write() => {
                if self.stalled_since.is_none() || o.stats.sent != sent_before {
                    self.stalled_since = Some(Instant::now());
                }
            }
            _ => self.stalled_since = None,
        }
    }

    /// Receives the waiting datagrams (from the old socket first), forwards each one, then
    /// hands it to `f`; stops early while the logger holds us back. Returns the number of frames.
    fn recv(&mut self, f: &mut dyn FnMut(&[u8], &Meta)) -> usize {
        let mut total = 0;
        if let Some(old) = self.old.take() {
            let (n, drained) = self.drain_fd(old.as_raw_fd(), f);
            total += n;
            // The old socket has no path any more: once empty it is closed, and clients still
            // connected to it get ECONNREFUSED and reconnect to the new one.
            if !drained {
                self.old = Some(old);
            }
        }
        if self.held() {
            return total;
        }
        total + self.drain_fd(self.sock.as_raw_fd(), f).0
    }

    /// Reads `fd` for at most a turn's worth of batches; returns the frames and whether the
    /// socket was found empty.
    fn drain_fd(&mut self, fd: RawFd, f: &mut dyn FnMut(&[u8], &Meta)) -> (usize, bool) {
        let mut total = 0;
        for _ in 0..super::TURN_BATCHES {
            let n = match self.batch.recv(fd) {
                Ok(n) => n,
                Err(_) => {
                    self.stats.errors += 1;
                    0
                }
            };
            let sent = self.outbox.as_ref().map_or(0, |o| o.stats.sent);
            for i in 0..n {
                self.take(i, f);
            }
            total += n;
            if self.outbox.as_ref().is_some_and(|o| o.wants_write()) {
                self.track_stall(sent);
            } else {
                self.stalled_since = None;
            }
            if n < super::BATCH {
                return (total, true);
            }
            // The logger's queue is full: leave the rest to the kernel, where senders wait.
            if self.held() {
                break;
            }
        }
        (total, false)
    }

    /// Forwards frame `i` of the batch and hands it to `f`.
    fn take(&mut self, i: usize, f: &mut dyn FnMut(&[u8], &Meta)) {
        let Some((frame, meta)) = self.batch.get(i) else {
            return;
        };
        match self.outbox.as_mut().map(|o| o.send(frame)) {
            Some(Sent::Refused) => self.suspect = true,
            None if self.cfg.takeover && self.takeover.takeovers > 0 => self.unforwarded += 1,
            _ => {}
        }
        let max = self.cfg.max_message;
        let meta = Meta {
            len: frame.len().min(max),
            truncated: meta.truncated || frame.len() > max,
            ..*meta
        };
        self.stats.received += 1;
        self.stats.truncated += meta.truncated as u64;
        f(frame.get(..meta.len).unwrap_or(frame), &meta);
    }

    /// True after the forward target refused a frame: [`UnixInput::on_ready`] re-checks.
    pub fn suspect(&self) -> bool {
        self.suspect
    }

    /// Sends a frame that arrived over UDP to the local logger (udp_forward). Never to our own
    /// socket; never queued behind local frames (dropped and counted instead).
    pub fn forward_local(&mut self, frame: &[u8]) -> Option<Sent> {
        let o = self.outbox.as_mut()?;
        let before = o.stats.sent;
        let sent = o.offer(frame);
        if sent == Sent::Refused {
            self.suspect = true;
        }
        self.track_stall(before);
        Some(sent)
    }

    /// After an inotify event, a refused forward or a due timer: re-takes the socket when the
    /// logger rebound it. `Some` when something was (or failed to be) bound.
    fn maintain(&mut self) -> Option<io::Result<()>> {
        if let Some(w) = self.watch.as_ref() {
            sysfd::drain(w.fd());
        }
        let suspect = std::mem::take(&mut self.suspect);
        if !self.cfg.takeover {
            return None;
        }
        let ours = fs::symlink_metadata(self.cfg.socket.as_path()).map(|m| m.ino() == self.inode);
        match ours {
            Ok(true) => {
                self.absent_since = None;
                self.recheck_at = None;
                if suspect || self.outbox.is_none() {
                    self.connect_forward();
                }
                None
            }
            Ok(false) if probe(&self.cfg.socket) == Probe::Alive => {
                Some(take_over(&self.cfg).map(|(sock, inode)| {
                    self.replace(sock, inode, Mode::Inline);
                    self.takeover.takeovers += 1;
                    self.connect_forward();
                }))
            }
            // Gone: the logger may be between its unlink and its bind. Binding now would make
            // its bind fail, so wait REBIND_DELAY for it before binding the path ourselves.
            // Present but refusing: the logger may be inside its bind. Removing the file now
            // would orphan its socket, so probe again soon, within the same delay.
            present if self.absent_since.is_none_or(|t| t.elapsed() < REBIND_DELAY) => {
                self.absent_since.get_or_insert_with(Instant::now);
                self.recheck_at = present.is_ok().then(|| Instant::now() + RECHECK);
                None
            }
            // Dead, or still gone: bind it ourselves (bind fails if the logger was faster; the
            // watch then fires again and we take over).
            _ => match bind_fresh(&self.cfg.socket) {
                Ok((sock, inode)) => {
                    self.replace(sock, inode, Mode::Owner);
                    self.connect_forward();
                    Some(Ok(()))
                }
                // No timer left armed (it would spin): the next inotify event starts over.
                Err(_) => {
                    self.absent_since = None;
                    self.recheck_at = None;
                    None
                }
            },
        }
    }

    fn replace(&mut self, sock: Socket, inode: u64, mode: Mode) {
        let old = std::mem::replace(&mut self.sock, sock);
        // A previous old socket not yet drained is given up: two replacements within one turn.
        self.old = Some(old);
        self.absent_since = None;
        self.recheck_at = None;
        self.inode = inode;
        self.mode = mode;
    }

    /// (Re)connects the outbox to `forward` when a logger listens there and it is not us. The
    /// counters carry over: status shows one forward to the logger, however often it restarted.
    fn connect_forward(&mut self) {
        let not_us =
            fs::symlink_metadata(self.cfg.forward.as_path()).is_ok_and(|m| m.ino() != self.inode);
        let target = not_us && probe(&self.cfg.forward) == Probe::Alive;
        if let Some(o) = &self.outbox {
            self.forwarded_before = o.stats;
        }
        let stats = self.forwarded_before;
        // Reformatted UDP frames may be a little longer than max_message.
        let size = self.cfg.max_message.max(FORWARD_MAX) + 512;
        self.outbox = target
            .then(|| Outbox::unix(&self.cfg.forward, size).ok())
            .flatten()
            .map(|mut o| {
                o.stats = stats;
                o
            });
        self.stalled_since = None;
        if self.mode == Mode::Inline && self.outbox.is_none() {
            self.mode = Mode::Owner;
        }
    }

    /// Undoes the takeover: `forward` goes back to `socket` when it is still a live logger;
    /// an owned socket is removed. Idempotent.
    pub fn restore(&mut self) {
        let ours =
            fs::symlink_metadata(self.cfg.socket.as_path()).is_ok_and(|m| m.ino() == self.inode);
        if self.cfg.takeover && ours && probe(&self.cfg.forward) == Probe::Alive {
            let _ = fs::rename(&self.cfg.forward, &self.cfg.socket);
        } else if ours {
            let _ = fs::remove_file(&self.cfg.socket);
        }
        self.inode = 0;
    }

    /// At exit: undoes the takeover first (new frames go straight to the logger), then
    /// forwards what senders had already queued on our sockets, waiting at most `limit` for
    /// the logger to take it, and closes them. Returns the frames forwarded.
    pub fn hand_back(&mut self, limit: Duration) -> usize {
        self.restore();
        let end = Instant::now() + limit;
        let mut total = 0;
        let fds: [Option<RawFd>; 2] = [
            self.old.as_ref().map(|s| s.as_raw_fd()),
            Some(self.sock.as_raw_fd()),
        ];
        for fd in fds.into_iter().flatten() {
            loop {
                self.wait_for_room(end);
                // The logger took nothing within `limit`, or senders still connected to our
                // socket keep it busy: stop there, at `end`.
                if self.outbox.as_ref().is_some_and(|o| o.wants_write()) || Instant::now() >= end {
                    return total;
                }
                let (n, drained) = self.drain_fd(fd, &mut |_, _| {});
                total += n;
                if drained && n == 0 {
                    break;
                }
            }
        }
        self.wait_for_room(end);
        total
    }

    /// Flushes the outbox, sleeping in `poll` for room until `end` (exit only).
    fn wait_for_room(&mut self, end: Instant) {
        while let Some(fd) = self
            .outbox
            .as_ref()
            .filter(|o| o.wants_write())
            .map(|o| o.fd())
        {
            if Instant::now() >= end {
                return;
            }
            let mut p = [sysfd::poll_fd(fd, POLLOUT)];
            let _ = sysfd::poll(&mut p, super::poll_timeout(end));
            self.flush();
            if self.suspect {
                return; // the logger is gone
            }
        }
    }
}

impl Drop for UnixInput {
    fn drop(&mut self) {
        self.restore();
    }
}

fn ctx(e: io::Error, what: &str, path: &Path) -> io::Error {
    super::context(e, what, &path.display())
}

/// A sibling path of `path` named `.NAME.SUFFIX.PID` (same directory: rename stays atomic).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{suffix}.{}", std::process::id()));
    path.with_file_name(name)
}

/// Binds a non-blocking datagram socket at `path` with mode 0666 and SO_PASSCRED; returns it
/// with its inode. Errors name `name`, the path the socket is bound for.
fn bind_at(path: &Path, name: &Path) -> io::Result<(Socket, u64)> {
    let sock = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
    sock.set_nonblocking(true)?;
    sock.bind(&SockAddr::unix(path)?)
        .map_err(|e| ctx(e, "bind", name))?;
    let _ = super::sys::set_sock_opt(sock.as_fd(), libc::SO_PASSCRED, 1);
    fs::set_permissions(path, fs::Permissions::from_mode(0o666))?;
    let ino = fs::symlink_metadata(path)?.ino();
    Ok((sock, ino))
}

/// Binds at `socket` itself, removing a dead socket file first. The socket is bound at a
/// temporary name, made 0666, then hard-linked to `socket`: senders never meet it with the
/// umask's mode, and the link fails (EEXIST) rather than replace a logger that was faster.
fn bind_fresh(socket: &Path) -> io::Result<(Socket, u64)> {
    if probe(socket) == Probe::Dead {
        let _ = fs::remove_file(socket);
    }
    let tmp = sibling(socket, "lt");
    let _ = fs::remove_file(&tmp);
    let bound = bind_at(&tmp, socket);
    let linked = bound
        .as_ref()
        .map_err(|_| ())
        .and_then(|_| fs::hard_link(&tmp, socket).map_err(|_| ()));
    let _ = fs::remove_file(&tmp);
    match (bound, linked) {
        (Ok(b), Ok(())) => Ok(b),
        (Ok(_), Err(())) => Err(ctx(
            io::Error::from_raw_os_error(libc::EADDRINUSE),
            "bind",
            socket,
        )),
        (Err(e), _) => Err(e),
    }
}

/// The takeover itself: temp socket, hard link of the live socket to `forward` (through a temp
/// name so an old `forward` is replaced atomically), rename of ours onto `socket`.
///
/// The logger's socket is made 0666 before it moves: logd binds with the umask's mode and
/// chmods `socket` afterwards, so a takeover between the two would leave its socket (now at
/// `forward`) closed to other users, and its later chmod would reach ours instead.
fn take_over(cfg: &UnixConfig) -> io::Result<(Socket, u64)> {
    let tmp = sibling(&cfg.socket, "lt");
    let _ = fs::remove_file(&tmp);
    let (sock, ino) = bind_at(&tmp, &cfg.socket)?;
    let link_tmp = sibling(&cfg.forward, "link");
    let _ = fs::remove_file(&link_tmp);
    let steps = fs::hard_link(&cfg.socket, &link_tmp)
        .map_err(|e| ctx(e, "link", &cfg.socket))
        .and_then(|_| {
            fs::set_permissions(&link_tmp, fs::Permissions::from_mode(0o666))
                .map_err(|e| ctx(e, "chmod", &cfg.forward))
        })
        .and_then(|_| {
            fs::rename(&link_tmp, &cfg.forward).map_err(|e| ctx(e, "rename", &cfg.forward))
        })
        .and_then(|_| fs::rename(&tmp, &cfg.socket).map_err(|e| ctx(e, "rename", &cfg.socket)));
    if let Err(e) = steps {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_file(&link_tmp);
        return Err(e);
    }
    Ok((sock, ino))
}

/// Watches the socket's directory for the logger unlinking or rebinding the socket.
fn watch_dir(socket: &Path) -> io::Result<Inotify> {
    let dir = match socket.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let ino = Inotify::new()?;
    let events = libc::IN_CREATE
        | libc::IN_DELETE
        | libc::IN_MOVED_TO
        | libc::IN_MOVED_FROM
        | libc::IN_ATTRIB;
    ino.watch(dir, events).map_err(|e| ctx(e, "inotify", dir))?;
    Ok(ino)
}
