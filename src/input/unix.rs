//! The local socket (`/dev/log`) and its inline takeover (SPEC §2).
//!
//! Takeover: when a logger already owns `socket`, bind our socket at a temporary path in the same
//! directory, hard-link the logger's socket to `forward`, and rename ours onto `socket` (atomic:
//! clients always find a live socket). Every datagram is then forwarded byte for byte to
//! `forward`. An inotify watch on the directory wakes us when the logger rebinds `socket`; we then
//! take over again. On exit `forward` is renamed back onto `socket`.
//!
//! Owns: the listening socket(s), the takeover state, the forward outbox to the local logger.
//! Never: sends to its own socket (no loops), blocks, or allocates per datagram.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

use super::forward::{Outbox, Sent};
use super::sys::Inotify;
use super::{Batch, InputStats, Meta};

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
    /// Set when the forward target refused a frame: re-check on the next `maintain`.
    suspect: bool,
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
            suspect: false,
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

    /// Fds to poll for reading: the socket, the old socket while it drains, the inotify watch.
    pub fn read_fds(&self) -> [Option<RawFd>; 3] {
        [
            Some(self.sock.as_raw_fd()),
            self.old.as_ref().map(|s| s.as_raw_fd()),
            self.watch.as_ref().map(|w| w.fd()),
        ]
    }

    /// The forward socket, to poll for writing when it has frames waiting.
    pub fn write_fd(&self) -> Option<RawFd> {
        self.outbox
            .as_ref()
            .filter(|o| o.wants_write())
            .map(|o| o.fd())
    }

    /// Retries queued forwards (the forward socket became writable).
    pub fn flush(&mut self) {
        if let Some(o) = self.outbox.as_mut()
            && o.flush() == Sent::Refused
        {
            self.suspect = true;
        }
    }

    /// Receives every waiting datagram (from the old socket first), forwards each one, then
    /// hands it to `f`. Returns the number of frames.
    pub fn recv(&mut self, f: &mut dyn FnMut(&[u8], &Meta)) -> usize {
        let mut total = 0;
        if let Some(old) = self.old.take() {
            total += self.drain_fd(old.as_raw_fd(), f);
            // The old socket has no path any more: once empty it is closed, and clients still
            // connected to it get ECONNREFUSED and reconnect to the new one.
        }
        total + self.drain_fd(self.sock.as_raw_fd(), f)
    }

    fn drain_fd(&mut self, fd: RawFd, f: &mut dyn FnMut(&[u8], &Meta)) -> usize {
        let mut total = 0;
        for _ in 0..super::TURN_BATCHES {
            let n = match self.batch.recv(fd) {
                Ok(n) => n,
                Err(_) => {
                    self.stats.errors += 1;
                    0
                }
            };
            for i in 0..n {
                let Some((frame, meta)) = self.batch.get(i) else {
                    continue;
                };
                if let Some(o) = self.outbox.as_mut()
                    && o.send(frame) == Sent::Refused
                {
                    self.suspect = true;
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
            total += n;
            if n < super::BATCH {
                break;
            }
        }
        total
    }

    /// Milliseconds until [`UnixInput::maintain`] must run again (the socket path is gone or
    /// not listening yet, and we wait for the logger to rebind it); -1 when no timer is pending.
    /// At most 1 once the timer is due.
    pub fn timeout_ms(&self) -> i32 {
        let rebind = self.absent_since.map(|t| t + REBIND_DELAY);
        let next = match (rebind, self.recheck_at) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return -1,
            },
        };
        super::poll_timeout(next)
    }

    /// True after the forward target refused a frame: call [`UnixInput::maintain`].
    pub fn suspect(&self) -> bool {
        self.suspect
    }

    /// Sends a frame to the local logger (udp_forward). Never to our own socket.
    pub fn forward_local(&mut self, frame: &[u8]) -> Option<Sent> {
        let sent = self.outbox.as_mut()?.send(frame);
        if sent == Sent::Refused {
            self.suspect = true;
        }
        Some(sent)
    }

    /// Called when the inotify fd is readable, and after a refused forward: re-takes the socket
    /// when the logger rebound it. Returns true when a takeover happened.
    pub fn maintain(&mut self) -> io::Result<bool> {
        if let Some(w) = self.watch.as_ref() {
            super::drain(w.fd());
        }
        let suspect = std::mem::take(&mut self.suspect);
        if !self.cfg.takeover {
            return Ok(false);
        }
        let ours = fs::symlink_metadata(&self.cfg.socket).map(|m| m.ino() == self.inode);
        match ours {
            Ok(true) => {
                self.absent_since = None;
                self.recheck_at = None;
                if suspect || self.outbox.is_none() {
                    self.connect_forward();
                }
                Ok(false)
            }
            Ok(false) if probe(&self.cfg.socket) == Probe::Alive => {
                let (sock, inode) = take_over(&self.cfg)?;
                self.replace(sock, inode, Mode::Inline);
                self.takeover.takeovers += 1;
                self.connect_forward();
                Ok(true)
            }
            // Gone: the logger may be between its unlink and its bind. Binding now would make
            // its bind fail, so wait REBIND_DELAY for it before binding the path ourselves.
            // Present but refusing: the logger may be inside its bind. Removing the file now
            // would orphan its socket, so probe again soon, within the same delay.
            present if self.absent_since.is_none_or(|t| t.elapsed() < REBIND_DELAY) => {
                self.absent_since.get_or_insert_with(Instant::now);
                self.recheck_at = present.is_ok().then(|| Instant::now() + RECHECK);
                Ok(false)
            }
            // Dead, or still gone: bind it ourselves (bind fails if the logger was faster; the
            // watch then fires again and we take over).
            _ => match bind_fresh(&self.cfg.socket) {
                Ok((sock, inode)) => {
                    self.replace(sock, inode, Mode::Owner);
                    self.connect_forward();
                    Ok(true)
                }
                // No timer left armed (it would spin): the next inotify event starts over.
                Err(_) => {
                    self.absent_since = None;
                    self.recheck_at = None;
                    Ok(false)
                }
            },
        }
    }

    fn replace(&mut self, sock: Socket, inode: u64, mode: Mode) {
        let old = std::mem::replace(&mut self.sock, sock);
        self.old = Some(old);
        self.absent_since = None;
        self.recheck_at = None;
        self.inode = inode;
        self.mode = mode;
    }

    /// (Re)connects the outbox to `forward` when a logger listens there and it is not us.
    fn connect_forward(&mut self) {
        let not_us = fs::symlink_metadata(&self.cfg.forward).is_ok_and(|m| m.ino() != self.inode);
        let target = not_us && probe(&self.cfg.forward) == Probe::Alive;
        self.outbox = if target {
            // Reformatted UDP frames may be a little longer than max_message.
            Outbox::unix(
                &self.cfg.forward,
                self.cfg.max_message.max(FORWARD_MAX) + 512,
            )
            .ok()
        } else {
            None
        };
        if self.mode == Mode::Inline && self.outbox.is_none() {
            self.mode = Mode::Owner;
        }
    }

    /// Undoes the takeover: `forward` goes back to `socket` when it is still a live logger;
    /// an owned socket is removed. Idempotent.
    pub fn restore(&mut self) {
        let ours = fs::symlink_metadata(&self.cfg.socket).is_ok_and(|m| m.ino() == self.inode);
        if self.cfg.takeover && ours && probe(&self.cfg.forward) == Probe::Alive {
            let _ = fs::rename(&self.cfg.forward, &self.cfg.socket);
        } else if ours {
            let _ = fs::remove_file(&self.cfg.socket);
        }
        self.inode = 0;
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
/// with its inode.
fn bind_at(path: &Path) -> io::Result<(Socket, u64)> {
    let sock = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
    sock.set_nonblocking(true)?;
    sock.bind(&SockAddr::unix(path)?)
        .map_err(|e| ctx(e, "bind", path))?;
    let _ = super::sys::set_sock_opt(sock.as_raw_fd(), libc::SO_PASSCRED, 1);
    fs::set_permissions(path, fs::Permissions::from_mode(0o666))?;
    let ino = fs::symlink_metadata(path)?.ino();
    Ok((sock, ino))
}

/// Binds at `socket` itself, removing a dead socket file first.
fn bind_fresh(socket: &Path) -> io::Result<(Socket, u64)> {
    if probe(socket) == Probe::Dead {
        let _ = fs::remove_file(socket);
    }
    bind_at(socket)
}

/// The takeover itself: temp socket, hard link of the live socket to `forward` (through a temp
/// name so an old `forward` is replaced atomically), rename of ours onto `socket`.
fn take_over(cfg: &UnixConfig) -> io::Result<(Socket, u64)> {
    let tmp = sibling(&cfg.socket, "lt");
    let _ = fs::remove_file(&tmp);
    let (sock, ino) = bind_at(&tmp)?;
    let link_tmp = sibling(&cfg.forward, "link");
    let _ = fs::remove_file(&link_tmp);
    let steps = fs::hard_link(&cfg.socket, &link_tmp)
        .map_err(|e| ctx(e, "link", &cfg.socket))
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
