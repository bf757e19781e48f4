//! Descriptors the loop waits on: `poll`, epoll sets, eventfds, and draining a readable fd.
//!
//! Owns: the crate's `poll` call (nix's `PollFd` borrows each fd for the life of the set, and
//! the loop rebuilds its set from raw fds every turn), and the epoll sets and eventfds.
//! Never: blocks beyond the timeout it is given, allocates.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use nix::sys::epoll::{EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::eventfd::EfdFlags;

use super::check;

/// One entry of a poll set (`struct pollfd`).
pub type PollFd = libc::pollfd;

/// What a poll entry waits for (`POLLIN`, `POLLOUT`).
pub type Events = libc::c_short;

/// Readable.
pub const POLLIN: Events = libc::POLLIN;
/// Writable.
pub const POLLOUT: Events = libc::POLLOUT;

/// An entry waiting for `events` on `fd`.
pub fn poll_fd(fd: RawFd, events: Events) -> PollFd {
    PollFd {
        fd,
        events,
        revents: 0,
    }
}

/// Waits until an entry of `fds` is ready or `timeout_ms` passed (-1: no timeout); the number
/// of ready entries. EINTR is an error: the caller looks at its signals.
pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: `fds` is a valid, initialised array of `len` pollfd that poll only writes
    // `revents` of.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    Ok(check(n)? as usize)
}

/// Reads `fd` (non-blocking) until it is empty: used for inotify fds, whose events only say
/// "look again".
pub fn drain(fd: RawFd) {
    let mut buf = [0u8; 1024];
    // SAFETY: the caller's fd stays open for this call.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    while nix::unistd::read(fd, &mut buf).is_ok_and(|n| n > 0) {}
}

/// A level-triggered epoll set: one pollable fd standing for several (readable when any is).
pub struct Epoll(nix::sys::epoll::Epoll);

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        let flags = EpollCreateFlags::EPOLL_CLOEXEC;
        Ok(Epoll(nix::sys::epoll::Epoll::new(flags)?))
    }

    /// Adds `fd` for reading.
    pub fn add(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: the caller's fd stays open for this call (the kernel keeps its own reference).
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let event = EpollEvent::new(EpollFlags::EPOLLIN, fd as u64);
        Ok(self.0.add(borrowed, event)?)
    }

    pub fn fd(&self) -> RawFd {
        self.0.0.as_raw_fd()
    }
}

/// A non-blocking eventfd: a counter that is readable while non-zero.
pub struct EventFd(nix::sys::eventfd::EventFd);

impl EventFd {
    pub fn new() -> io::Result<EventFd> {
        let flags = EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC;
        Ok(EventFd(nix::sys::eventfd::EventFd::from_flags(flags)?))
    }

    /// Makes the fd readable (adds one to the counter). A full counter (EAGAIN) is already
    /// readable.
    pub fn raise(&self) {
        let _ = self.0.write(1);
    }

    /// Resets the counter: the fd is no longer readable. EAGAIN (already zero) is fine.
    pub fn clear(&self) {
        let _ = self.0.read();
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
