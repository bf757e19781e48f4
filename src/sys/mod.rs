//! The operating-system boundary: the C library and the kernel calls that neither `std`, nix
//! nor socket2 wraps safely, behind small safe functions.
//!
//! Owns: every `unsafe` block and every direct `libc` call of the crate (signals, the poll set,
//! epoll and eventfd, the resolver thread, the local clock, interface addresses, process groups
//! and exec). Each unsafe block says why it is sound in a `SAFETY:` comment.
//! Never: decides policy (callers choose what to poll, run or kill), formats errors (errors are
//! plain `io::Error`s from errno), or allocates on a per-message path.

pub mod clock;
pub mod fd;
pub mod fs;
pub mod net;
pub mod process;
pub mod signals;
pub mod thread;

use std::io;

/// `-1` → the errno as an `io::Error`; anything else is the result.
fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}
