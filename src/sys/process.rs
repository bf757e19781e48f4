//! Running a script: fork and execve by hand, and reaping it. `std::process::Command` would do
//! the same with a `pre_exec` hook (it hands the signal mask down) but adds about 20 KB to the
//! router binary.
//!
//! Owns: the crate's fork, the code between fork and exec, `waitpid`, and `execv` (the admin
//! commands hand over to the ban script).
//! Never: allocates or takes a lock in the child (only async-signal-safe calls), uses a shell.

use std::ffi::{CString, OsStr, OsString};
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

/// A forked script. Its pid is also its process group id.
#[derive(Debug)]
pub struct Child {
    pid: libc::pid_t,
    /// What `waitpid` returned: once set, the pid may belong to someone else.
    status: Option<ExitStatus>,
}

impl Child {
    pub fn id(&self) -> u32 {
        // The kernel hands out positive pids only.
        self.pid as u32
    }

    /// Blocks until the script exits, and reaps it.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.wait_flags(0)?
            .ok_or_else(|| io::Error::other("waitpid without WNOHANG returned no status"))
    }

    /// Reaps the script if it has exited; `None` while it runs. After a reap, the status of
    /// that reap again (the pid may belong to someone else by now).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        self.wait_flags(libc::WNOHANG)
    }

    /// `waitpid` with `flags` (EINTR retried); `None` when WNOHANG found it still running.
    fn wait_flags(&mut self, flags: libc::c_int) -> io::Result<Option<ExitStatus>> {
        loop {
            let mut status = 0;
            // SAFETY: plain syscall writing into a local; the pid is our unreaped child.
            match unsafe { libc::waitpid(self.pid, &mut status, flags) } {
                0 => return Ok(None),
                -1 if errno() == libc::EINTR => {}
                -1 => return Err(io::Error::last_os_error()),
                _ => {
                    let status = ExitStatus::from_raw(status);
                    self.status = Some(status);
                    return Ok(Some(status));
                }
            }
        }
    }
}

/// Direct exec of the script (fork + execve): no shell, the job's environment only, stdin
/// `/dev/null`, cwd `/`, its own process group, default signal mask and dispositions; stdout and
/// stderr piped (read ends returned) only when `capture`, else `/dev/null`. A failed exec
/// (missing or non-executable script) is reported here, with the child already reaped.
pub fn spawn(
    script: &Path,
    env: &[(OsString, OsString)],
    capture: bool,
) -> io::Result<(Child, [Option<OwnedFd>; 2])> {
    // Everything the child needs is prepared here: after fork it may only make
    // async-signal-safe calls, so no allocation.
    let path = c_string(script.as_os_str())?;
    let argv = [path.as_ptr(), std::ptr::null()];
    let env = env
        .iter()
        .map(|(n, v)| c_string(&[n.as_os_str(), v.as_os_str()].join(OsStr::new("="))))
        .collect::<io::Result<Vec<_>>>()?;
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let null = open_null()?;
    let (out, err) = if capture {
        (Some(pipe()?), Some(pipe()?))
    } else {
        (None, None)
    };
    let fd =
        |p: &Option<(OwnedFd, OwnedFd)>| p.as_ref().map_or(null.as_raw_fd(), |p| p.1.as_raw_fd());
    let stdio = [null.as_raw_fd(), fd(&out), fd(&err)];
    let (report_read, report_write) = pipe()?;
    let last = libc::SIGRTMAX();
    // SAFETY: fork in a possibly multi-threaded process: the child only calls async-signal-safe
    // functions (setpgid, dup2, fcntl, chdir, sigprocmask, sigaction, execve, write, _exit) on
    // data prepared above, then execs or exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: this is the child of the fork; `argv` and `envp` are null-terminated arrays
        // of C strings that live until exec.
        let errno = unsafe { exec_child(&stdio, last, &argv, &envp) };
        // SAFETY: a write to our own pipe and _exit: both async-signal-safe.
        unsafe {
            libc::write(report_write.as_raw_fd(), (&errno as *const i32).cast(), 4);
            libc::_exit(127);
        }
    }
    drop(report_write);
    let mut child = Child { pid, status: None };
    // The report pipe is close-on-exec: end of file means the exec succeeded.
    let mut errno = [0u8; 4];
    let got = read_full(&report_read, &mut errno);
    if got != 0 {
        let _ = child.wait();
        return Err(match got {
            4 => io::Error::from_raw_os_error(i32::from_ne_bytes(errno)),
            _ => io::Error::other("exec status lost"),
        });
    }
    Ok((child, [out.map(|p| p.0), err.map(|p| p.0)]))
}

/// The forked child's part: stdio, process group, cwd, signals, then execve. Returns the errno
/// of what failed (execve returns only on failure).
///
/// # Safety
/// Only in the child of a fork; `argv` and `envp` are null-terminated arrays of C strings.
unsafe fn exec_child(
    stdio: &[RawFd; 3],
    last: libc::c_int,
    argv: &[*const libc::c_char; 2],
    envp: &[*const libc::c_char],
) -> i32 {
    // SAFETY: async-signal-safe calls only; the descriptors are open (the parent holds them) and
    // all at 3 or above, so no dup2 overwrites a later source.
    unsafe {
        for (target, &fd) in stdio.iter().enumerate() {
            if libc::dup2(fd, target as RawFd) < 0 {
                return errno();
            }
        }
        let ready = libc::setpgid(0, 0) == 0 && libc::chdir(c"/".as_ptr()) == 0;
        if !ready || !reset_signals(last) {
            return errno();
        }
        libc::execve(argv[0], argv.as_ptr(), envp.as_ptr());
    }
    errno()
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn c_string(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::from(ErrorKind::InvalidInput))
}

/// A close-on-exec descriptor numbered 3 or above (stdio of the daemon may be closed, and the
/// child's dup2 onto 0..=2 must not clobber a source).
fn above_stdio(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned to us by the kernel and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    if fd > 2 {
        return Ok(owned);
    }
    // SAFETY: fcntl duplicating a descriptor we own.
    let high = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    above_stdio(high)
}

fn open_null() -> io::Result<OwnedFd> {
    // SAFETY: open with a static C string.
    above_stdio(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) })
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let read = above_stdio(fds[0]);
    let write = above_stdio(fds[1]);
    Ok((read?, write?))
}

/// Reads until `buf` is full or end of file (EINTR retried); the byte count.
fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reading into the unfilled tail of `buf`.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf[got..].as_mut_ptr().cast(),
                buf.len() - got,
            )
        };
        match n {
            0 => break,
            n if n > 0 => got += n as usize,
            _ if errno() == libc::EINTR => {}
            _ => break,
        }
    }
    got
}

/// Undoes what the daemon did to its signals: blocked signals (for signalfd) and ignored ones
/// survive exec, and a script that cannot be TERMed or that ignores SIGPIPE misbehaves.
/// Every signal up to `last` (SIGRTMAX) goes back to its default disposition.
/// False when the signal mask could not be cleared.
fn reset_signals(last: libc::c_int) -> bool {
    // SAFETY: only async-signal-safe calls on zero-initialised local plain data.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            return false;
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        for signal in 1..=last {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                // The C library refuses its reserved real-time signals (EINVAL): harmless,
                // they keep their state.
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }
    true
}

/// Replaces this process with `path` run with `argv` (`argv[0]` first); returns only the error
/// when that fails.
pub fn execv(path: &std::ffi::CStr, argv: &[CString]) -> io::Error {
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `path` and every pointer in `ptrs` point to live NUL-terminated strings, and
    // `ptrs` ends with a null pointer, as execv requires.
    unsafe { libc::execv(path.as_ptr(), ptrs.as_ptr()) };
    io::Error::last_os_error()
}
