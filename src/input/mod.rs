//! Inputs (SPEC §2): the local socket and its inline takeover, UDP, tailed files, /dev/kmsg,
//! and forwarding to the system logger and remote collectors.
//!
//! Owns: sockets and their options, batched receive buffers (sized once, at open), the takeover
//! of the logger's socket, non-blocking forwarding, and the per-input counters.
//! Never: parses or matches a frame (the pipeline does), blocks, or allocates per datagram.

pub mod file;
pub mod forward;
pub mod kmsg;
pub mod udp;
pub mod unix;

use std::io;
use std::io::IoSliceMut;
use std::os::fd::{AsFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrLike, recvmmsg};

/// Datagrams read per recvmmsg call.
pub const BATCH: usize = 8;

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
#[derive(Clone, Copy, Debug)]
pub struct Meta<S> {
    /// Bytes stored in the buffer (at most `max_message`).
    pub len: usize,
    /// The datagram was longer than the buffer.
    pub truncated: bool,
    pub addr: Option<S>,
    /// Sender pid and uid (SO_PASSCRED), when the kernel attached them.
    pub cred: Option<(i32, u32)>,
}

/// Preallocated buffers for recvmmsg: `BATCH` slots of `size` bytes each.
pub struct Batch<S: SockaddrLike + Copy> {
    buf: Vec<u8>,
    size: usize,
    headers: MultiHeaders<S>,
    meta: [Option<Meta<S>>; BATCH],
    count: usize,
}

impl<S: SockaddrLike + Copy> Batch<S> {
    /// `size` is `max_message`; `creds` reserves room for SCM_CREDENTIALS.
    pub fn new(size: usize, creds: bool) -> Batch<S> {
        let size = size.max(1);
        let cmsg = creds.then(|| nix::cmsg_space!(nix::sys::socket::UnixCredentials));
        Batch {
            buf: vec![0; size * BATCH],
            size,
            headers: MultiHeaders::preallocate(BATCH, cmsg),
            meta: [None; BATCH],
            count: 0,
        }
    }

    /// Reads up to `BATCH` datagrams without blocking. Returns how many (0 when none waits).
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.count = 0;
        let mut chunks = self.buf.chunks_mut(self.size);
        let mut slices: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or(&mut []))]);
        let results = match recvmmsg(
            fd,
            &mut self.headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(r) => r,
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for (slot, msg) in self.meta.iter_mut().zip(results) {
            let cred = cred_of(&msg);
            *slot = Some(Meta {
                len: msg.bytes.min(self.size),
                truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                addr: msg.address,
                cred,
            });
            self.count += 1;
        }
        Ok(self.count)
    }

    /// The `i`-th datagram of the last `recv`.
    pub fn get(&self, i: usize) -> Option<(&[u8], &Meta<S>)> {
        if i >= self.count {
            return None;
        }
        let meta = self.meta.get(i)?.as_ref()?;
        let start = i * self.size;
        let data = self.buf.get(start..start + meta.len)?;
        Some((data, meta))
    }
}

fn cred_of<S>(msg: &nix::sys::socket::RecvMsg<'_, '_, S>) -> Option<(i32, u32)> {
    use nix::sys::socket::ControlMessageOwned;
    for c in msg.cmsgs().ok()? {
        if let ControlMessageOwned::ScmCredentials(cr) = c {
            return Some((cr.pid(), cr.uid()));
        }
    }
    None
}

/// Reads and discards everything an inotify (or other) fd has ready; the caller then re-checks
/// the state it watches. Allocation-free, unlike parsing events one by one.
pub fn drain(fd: impl AsFd) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = nix::unistd::read(fd.as_fd(), &mut buf) {
        if n == 0 {
            break;
        }
    }
}
