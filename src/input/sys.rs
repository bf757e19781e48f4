//! The Linux calls the inputs need beyond socket2: inotify and the integer socket options
//! socket2 lacks, through nix's checked wrappers.
//!
//! Owns: the inputs' inotify instances and their SO_PASSCRED / SO_RCVBUFFORCE calls
//! (`recvmmsg`, its address and credential decoding, `getsockname` and `drain` live beside
//! `Batch` in `input/mod.rs`).
//! Never: formats errors (callers add the path): errors are plain `io::Error`s from errno.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags};
use nix::sys::socket::{setsockopt, sockopt};

/// A non-blocking, close-on-exec inotify instance.
pub struct Inotify(nix::sys::inotify::Inotify);

impl Inotify {
    pub fn new() -> io::Result<Inotify> {
        let flags = InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC;
        Ok(Inotify(nix::sys::inotify::Inotify::init(flags)?))
    }

    /// Watches `dir` for the `IN_*` events in `mask`.
    pub fn watch(&self, dir: &Path, mask: u32) -> io::Result<()> {
        let mask = AddWatchFlags::from_bits_retain(mask);
        self.0.add_watch(dir, mask)?;
        Ok(())
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Sets `SO_PASSCRED` (boolean) or `SO_RCVBUFFORCE` (bytes) on a socket; any other option is
/// `EINVAL`.
pub fn set_sock_opt(fd: BorrowedFd<'_>, opt: libc::c_int, value: libc::c_int) -> io::Result<()> {
    match opt {
        libc::SO_PASSCRED => setsockopt(&fd, sockopt::PassCred, &(value != 0))?,
        libc::SO_RCVBUFFORCE => {
            let bytes = usize::try_from(value).map_err(|_| Errno::EINVAL)?;
            setsockopt(&fd, sockopt::RcvBufForce, &bytes)?
        }
        _ => return Err(Errno::EINVAL.into()),
    }
    Ok(())
}
