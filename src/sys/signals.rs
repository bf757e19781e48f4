//! The daemon's signals as a file descriptor: SIGHUP, SIGTERM, SIGINT, SIGUSR1 and SIGCHLD are
//! blocked and read from a non-blocking signalfd in the poll loop; SIGPIPE is ignored.
//!
//! Owns: the signal mask and the signalfd.
//! Never: installs a handler that runs code (nothing runs asynchronously to the loop).

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use nix::sys::signal::{SigHandler, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

pub use libc::{SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGTERM, SIGUSR1};

/// The signalfd of the daemon's signals.
pub struct Signals(SignalFd);

impl Signals {
    /// Blocks the daemon's signals and returns a signalfd delivering them.
    pub fn new() -> io::Result<Signals> {
        let mut mask = SigSet::empty();
        for s in [
            Signal::SIGHUP,
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGUSR1,
            Signal::SIGCHLD,
        ] {
            mask.add(s);
        }
        mask.thread_block()?;
        // SAFETY: SIG_IGN installs no handler code; writes to a gone peer then fail with EPIPE
        // instead of killing the daemon.
        unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigIgn) }?;
        let flags = SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC;
        Ok(Signals(SignalFd::with_flags(&mask, flags)?))
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// The next pending signal number; `None` when none is left.
    pub fn next(&self) -> Option<i32> {
        let info = self.0.read_signal().ok()??;
        Some(info.ssi_signo as i32)
    }
}
