//! Inputs (SPEC §2): the local socket and its inline takeover, UDP, tailed files, /dev/kmsg,
//! and forwarding to the system logger and remote collectors.
//!
//! Owns: sockets and their options, batched receive buffers (sized once, at open), the takeover
//! of the logger's socket, non-blocking forwarding, and the per-input counters.
//! Never: parses or matches a frame (the pipeline does), blocks, or allocates per datagram.

pub mod file;
pub mod forward;
pub mod kmsg;
pub mod sys;
pub mod udp;
pub mod unix;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::RawFd;
use std::time::Instant;

use crate::source::Cred;

/// Datagrams read per recvmmsg call.
pub const BATCH: usize = 8;

/// Batches read from one socket per turn of the loop at most, so that the other inputs are
/// served too.
pub const TURN_BATCHES: usize = 64;

/// Datagrams read from one socket per turn at most: a turn that read this many may have left
/// some waiting.
pub const TURN_MAX: usize = TURN_BATCHES * BATCH;

/// Receive counters of one input. Plain integers: the daemon is single-threaded and 32-bit
/// targets have no 64-bit atomics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Frames handed to the pipeline.
    pub received: u64,
    /// Frames longer than `max_message`, cut and still processed.
    pub truncated: u64,
    /// Frames refused (UDP sender outside `udp_allow`).
    pub denied: u64,
    /// Receive errors other than "would block".
    pub errors: u64,
}

/// What the kernel told about one received datagram.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta {
    /// Bytes stored in the buffer (at most `max_message`).
    pub len: usize,
    /// The datagram was longer than the buffer.
    pub truncated: bool,
    /// The sender's address (IPv4/IPv6 senders only).
    pub addr: Option<SocketAddr>,
    /// The sender's credentials (SO_PASSCRED), when the kernel attached them.
    pub cred: Option<Cred>,
}

/// Room for one SCM_CREDENTIALS control message (CMSG_SPACE of a `ucred` is 24 bytes on
/// 32-bit targets and 32 on 64-bit ones), aligned for `cmsghdr`.
type Cmsg = [usize; 8];

/// Preallocated buffers for recvmmsg: `BATCH` slots of `size` bytes each.
pub struct Batch {
    buf: Vec<u8>,
    size: usize,
    /// Per slot: the sender's address and the control buffer (credentials when `creds`).
    addrs: Box<[libc::sockaddr_storage; BATCH]>,
    cmsgs: Option<Box<[Cmsg; BATCH]>>,
    meta: [Meta; BATCH],
    count: usize,
}

impl Batch {
    /// `creds`: receive SCM_CREDENTIALS (the socket must have SO_PASSCRED).
    pub fn new(size: usize, creds: bool) -> Batch {
        let size = size.max(1);
        Batch {
            buf: vec![0; size * BATCH],
            size,
            // SAFETY: all-zero is a valid sockaddr_storage.
            addrs: Box::new(unsafe { std::mem::zeroed() }),
            cmsgs: creds.then(|| Box::new([[0; 8]; BATCH])),
            meta: [Meta::default(); BATCH],
            count: 0,
        }
    }

    /// Receives up to `BATCH` datagrams without blocking; 0 when none is waiting.
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.count = 0;
        // SAFETY: all-zero is a valid (empty) iovec and mmsghdr.
        let mut iov: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for (i, (v, h)) in iov.iter_mut().zip(hdrs.iter_mut()).enumerate() {
            v.iov_base = self.buf[i * self.size..].as_mut_ptr().cast();
            v.iov_len = self.size;
            h.msg_hdr.msg_iov = v;
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_name = (&raw mut self.addrs[i]).cast();
            h.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            if let Some(c) = self.cmsgs.as_mut() {
                h.msg_hdr.msg_control = c[i].as_mut_ptr().cast();
                h.msg_hdr.msg_controllen = size_of::<Cmsg>() as _;
            }
        }
        // SAFETY: every header points into buffers owned by `self` or this frame, all of
        // which outlive the call and have the lengths given.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                hdrs.as_mut_ptr(),
                BATCH as _,
                libc::MSG_DONTWAIT as _,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN | libc::EINTR) => Ok(0),
                _ => Err(e),
            };
        }
        for (i, h) in hdrs.iter().take(n as usize).enumerate() {
            self.meta[i] = Meta {
                len: (h.msg_len as usize).min(self.size),
                truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
                addr: socket_addr(&self.addrs[i]),
                // Without `cmsgs` the control length is 0 and `cred_of` finds nothing.
                cred: cred_of(&h.msg_hdr),
            };
        }
        self.count = n as usize;
        Ok(self.count)
    }

    pub fn get(&self, i: usize) -> Option<(&[u8], &Meta)> {
        if i >= self.count {
            return None;
        }
        let meta = self.meta.get(i)?;
        let start = i * self.size;
        let data = self.buf.get(start..start + meta.len)?;
        Some((data, meta))
    }
}

/// A `poll` timeout in milliseconds until `deadline`: rounded up (waking a little early would
/// only poll again), at least 1, at most `i32::MAX`. In u64 arithmetic: `as_millis`' u128 is
/// costly on 32-bit routers.
pub fn poll_timeout(deadline: Instant) -> i32 {
    let d = deadline.saturating_duration_since(Instant::now());
    let ms = d.as_secs().saturating_mul(1000);
    let ms = ms.saturating_add(u64::from(d.subsec_millis()) + 1);
    ms.min(i32::MAX as u64) as i32
}

/// The address a bound IPv4/IPv6 socket got (its port when bound to port 0).
pub fn local_addr(fd: RawFd) -> Option<SocketAddr> {
    // SAFETY: all-zero is a valid sockaddr_storage; getsockname writes at most `len` bytes.
    let mut s: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: as above.
    let rc = unsafe { libc::getsockname(fd, (&raw mut s).cast(), &mut len) };
    if rc < 0 { None } else { socket_addr(&s) }
}

/// The IPv4/IPv6 address the kernel stored in `s`; `None` for other families.
fn socket_addr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(s.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says `s` holds a sockaddr_in, which it is large enough for.
            let a = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            let v6 = std::net::SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            );
            Some(SocketAddr::V6(v6))
        }
        _ => None,
    }
}

/// The sender's pid and uid from an SCM_CREDENTIALS control message, if any.
fn cred_of(msg: &libc::msghdr) -> Option<Cred> {
    // SAFETY: `msg` is a header the kernel filled in; the CMSG_* macros stay within
    // `msg_control[..msg_controllen]`, and a credentials message holds a whole `ucred`.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                let cr = libc::CMSG_DATA(c).cast::<libc::ucred>().read_unaligned();
                let pid = u32::try_from(cr.pid).ok()?;
                return Some(Cred { pid, uid: cr.uid });
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
    None
}

/// `WHAT NAME: error`, keeping the error's kind: the one place the inputs (and the control
/// socket) add context to an error, so the formatting code exists once in the binary.
pub fn context(e: io::Error, what: &str, name: &dyn fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {name}: {e}"))
}

/// Reads `fd` (non-blocking) until it is empty: used for inotify fds, whose events only say
/// "look again".
pub fn drain(fd: RawFd) {
    let mut buf = [0u8; 1024];
    // SAFETY: `buf` is writable for its whole length.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}
