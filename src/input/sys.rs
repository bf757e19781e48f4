//! The Linux calls the inputs need beyond socket2: inotify and the integer socket options
//! socket2 lacks, through nix's checked wrappers.
//!
//! Owns: the inputs' inotify instances and their SO_PASSCRED / SO_RCVBUFFORCE calls
//! (`recvmmsg`, its address and credential decoding, `getsockname` and `drain` live beside
//! `Batch` in `input/mod.rs`).
//! Never: formats errors (callers add the path): errors are plain `io::Error`s from errno.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags};
use nix::sys::socket::{setsockopt, sockopt};

/// `-1` → the errno as an `io::Error`; anything else is the result.
fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

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
pub fn set_sock_opt(fd: RawFd, opt: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: the caller's socket stays open for this call.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
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
        // SAFETY: reads at most the 8 bytes of `n`; EAGAIN (already zero) is fine.
        unsafe { libc::read(self.fd(), (&raw mut n).cast(), 8) };
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Runs `f` on a new detached thread with a stack of `stack` bytes. Plain pthreads: std's thread
/// machinery (handles, names, spawn hooks, output capture) costs ~20 KB more in the static router
/// binary. The thread inherits the caller's signal mask.
pub fn spawn_detached(stack: usize, f: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    extern "C" fn start(arg: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `arg` is the box leaked by `spawn_detached` for this thread, taken back once.
        let f = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() + Send>>()) };
        f();
        std::ptr::null_mut()
    }
    let arg = Box::into_raw(Box::new(f));
    // SAFETY: the attributes are initialised before use and destroyed after; `pthread_create`
    // only reads them. On success the new thread owns `arg`; on failure it is taken back here.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let mut rc = libc::pthread_attr_init(&mut attr);
        if rc == 0 {
            libc::pthread_attr_setstacksize(&mut attr, stack.max(libc::PTHREAD_STACK_MIN));
            libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
            let mut thread: libc::pthread_t = std::mem::zeroed();
            rc = libc::pthread_create(&mut thread, &attr, start, arg.cast());
            libc::pthread_attr_destroy(&mut attr);
        }
        if rc != 0 {
            drop(Box::from_raw(arg));
            return Err(io::Error::from_raw_os_error(rc));
        }
    }
    Ok(())
}
