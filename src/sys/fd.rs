//! Descriptors the loop waits on: `poll`, epoll sets, eventfds, and draining a readable fd.
//!
//! Owns: the crate's `poll`, `epoll_*`, `eventfd` and raw `read` calls.
//! Never: blocks beyond the timeout it is given, allocates.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

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

/// Reads one fixed-size record (a counter, a `signalfd_siginfo`) from `fd`; false unless whole.
///
/// # Safety
/// Any bytes must be a valid `T` (plain data without references or niches).
pub(super) unsafe fn read_record<T>(fd: RawFd, record: &mut T) -> bool {
    let size = size_of::<T>();
    // SAFETY: `record` is writable for `size` bytes, and the caller vouches that whatever the
    // kernel writes there is a valid `T`.
    let n = unsafe { libc::read(fd, (record as *mut T).cast(), size) };
    n == size as isize
}

/// A level-triggered epoll set: one pollable fd standing for several (readable when any is).
pub struct Epoll(OwnedFd);

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: plain syscall; a non-negative result is a new fd that we own.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` is open and owned by nobody else.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Adds `fd` for reading.
    pub fn add(&self, fd: RawFd) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: fd as u64,
        };
        // SAFETY: `ev` lives across the call; the kernel copies it.
        check(unsafe { libc::epoll_ctl(self.fd(), libc::EPOLL_CTL_ADD, fd, &raw mut ev) }).map(drop)
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// A non-blocking eventfd: a counter that is readable while non-zero.
pub struct EventFd(OwnedFd);

impl EventFd {
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: plain syscall; a non-negative result is a new fd that we own.
        let fd = check(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        // SAFETY: `fd` is open and owned by nobody else.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Makes the fd readable (adds one to the counter).
    pub fn raise(&self) {
        let one: u64 = 1;
        // SAFETY: writes the 8 bytes of `one`; a full counter (EAGAIN) is already readable.
        unsafe { libc::write(self.fd(), (&raw const one).cast(), 8) };
    }

    /// Resets the counter: the fd is no longer readable.
    pub fn clear(&self) {
        let mut n: u64 = 0;
        // SAFETY: any 8 bytes are a valid u64. EAGAIN (already zero) is fine.
        unsafe { read_record(self.fd(), &mut n) };
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
