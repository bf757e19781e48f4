//! The daemon's signals as a file descriptor: SIGHUP, SIGTERM, SIGINT, SIGUSR1 and SIGCHLD are
//! blocked and read from a non-blocking signalfd in the poll loop; SIGPIPE is ignored.
//!
//! Owns: the signal mask and the signalfd.
//! Never: installs a handler that runs code (nothing runs asynchronously to the loop).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub use libc::{SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGTERM, SIGUSR1};

/// The signalfd of the daemon's signals.
pub struct Signals(OwnedFd);

impl Signals {
    /// Blocks the daemon's signals and returns a signalfd delivering them (direct libc calls:
    /// smaller than nix's wrappers).
    pub fn new() -> io::Result<Signals> {
        // SAFETY: the sigset functions only write `mask`; SIG_IGN installs no handler code
        // (writes to a gone peer then fail with EPIPE instead of killing the daemon); a
        // non-negative signalfd result is a new fd that we own.
        unsafe {
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut mask);
            for s in [SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGCHLD] {
                libc::sigaddset(&mut mask, s);
            }
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &mask, std::ptr::null_mut());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            let fd = libc::signalfd(-1, &mask, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Signals(OwnedFd::from_raw_fd(fd)))
        }
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// The next pending signal number; `None` when none is left.
    pub fn next(&self) -> Option<i32> {
        // SAFETY: all-zero is a valid siginfo.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        // SAFETY: signalfd_siginfo is plain integers: any bytes are valid.
        let whole = unsafe { super::fd::read_record(self.fd(), &mut info) };
        whole.then_some(info.ssi_signo as i32)
    }
}
