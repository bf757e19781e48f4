//! File-system calls std only offers with allocation.
//!
//! Owns: the crate's `readlink` (into the caller's buffer).
//! Never: allocates (the sender checks run per message).

use std::ffi::CStr;

/// The target of the symbolic link `path`, written into `buf`: its length, or `None` on error.
/// A length of `buf.len()` means the target may have been cut.
pub fn readlink(path: &CStr, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: `path` is NUL-terminated; readlink writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).ok()
}
