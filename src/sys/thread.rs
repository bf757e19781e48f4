//! A detached thread with a small stack (the host-name lookups of the configuration).
//!
//! Owns: the crate's pthread calls.
//! Never: joins or names threads, captures output.

use std::io;

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
