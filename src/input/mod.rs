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
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::time::Instant;

use nix::cmsg_space;
use nix::errno::Errno;
use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrStorage};

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

/// Preallocated buffers for recvmmsg: `BATCH` slots of `size` bytes each, with nix's headers
/// (addresses, control buffers) built once.
///
/// The kernel writes the lengths it used back into each header and nix leaves them so for the
/// next call. That is safe here because each length is the same for every datagram of a socket:
/// a UDP socket has one address family (IPV6_V6ONLY), a unix sender's address is not read, and
/// the control buffer holds exactly one SCM_CREDENTIALS, which SO_PASSCRED attaches to every
/// datagram. Its exact size is also what keeps a sender's SCM_RIGHTS out: they do not fit, so
/// the kernel closes those descriptors instead of installing them here (the datagram then
/// comes without credentials and counts as untrusted).
///
/// Sender addresses are read only on sockets without credentials (UDP): the kernel writes no
/// address for an unbound unix sender (syslog(3), logger), so that slot holds whatever was there.
pub struct Batch {
    buf: Vec<u8>,
    size: usize,
    headers: MultiHeaders<SockaddrStorage>,
    creds: bool,
    meta: heapless::Vec<Meta, BATCH>,
}

impl Batch {
    /// `creds`: receive SCM_CREDENTIALS (the socket must have SO_PASSCRED).
    pub fn new(size: usize, creds: bool) -> Batch {
        let size = size.max(1);
        Batch {
            buf: vec![0; size * BATCH],
            size,
            headers: MultiHeaders::preallocate(BATCH, creds.then(|| cmsg_space!(libc::ucred))),
            creds,
            meta: heapless::Vec::new(),
        }
    }

    /// Receives up to `BATCH` datagrams without blocking; 0 when none is waiting.
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.meta.clear();
        let (size, creds) = (self.size, self.creds);
        let mut slots = self.buf.chunks_exact_mut(size);
        let mut iovs: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or_default())]);
        let flags = MsgFlags::MSG_DONTWAIT;
        let msgs = match socket::recvmmsg(fd, &mut self.headers, &mut iovs, flags, None) {
            Ok(msgs) => msgs,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for m in msgs {
            let meta = Meta {
                len: m.bytes.min(size),
                truncated: m.flags.contains(MsgFlags::MSG_TRUNC),
                addr: if creds {
                    None
                } else {
                    m.address.as_ref().and_then(socket_addr)
                },
                cred: m.cmsgs().ok().and_then(|mut c| {
                    c.find_map(|c| match c {
                        ControlMessageOwned::ScmCredentials(u) => Some(Cred {
                            pid: u32::try_from(u.pid()).ok()?,
                            uid: u.uid(),
                        }),
                        _ => None,
                    })
                }),
            };
            // At most BATCH messages: one per header.
            let _ = self.meta.push(meta);
        }
        Ok(self.meta.len())
    }

    pub fn get(&self, i: usize) -> Option<(&[u8], &Meta)> {
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
    socket_addr(&socket::getsockname::<SockaddrStorage>(fd).ok()?)
}

/// The IPv4/IPv6 address in `s`; `None` for other families.
fn socket_addr(s: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    s.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

/// `WHAT NAME: error`, keeping the error's kind: the one place the inputs (and the control
/// socket) add context to an error, so the formatting code exists once in the binary.
pub fn context(e: io::Error, what: &str, name: &dyn fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{ControlMessage, sendmsg};
    use std::io::IoSlice;
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::net::UnixDatagram;

    /// A connected datagram pair whose receiving end has SO_PASSCRED.
    fn pair() -> (UnixDatagram, UnixDatagram) {
        let (tx, rx) = UnixDatagram::pair().unwrap();
        sys::set_sock_opt(rx.as_fd(), libc::SO_PASSCRED, 1).unwrap();
        rx.set_nonblocking(true).unwrap();
        (tx, rx)
    }

    fn me() -> Option<Cred> {
        let uid = nix::unistd::getuid().as_raw();
        Some(Cred {
            pid: std::process::id(),
            uid,
        })
    }

    #[test]
    fn every_datagram_of_every_batch_brings_its_credentials() {
        let (tx, rx) = pair();
        let mut batch = Batch::new(64, true);
        // Batches of different fill: the headers are reused, and each slot must still have
        // room for the credentials after the kernel wrote its lengths back.
        for round in [1usize, BATCH, 3, BATCH + 2] {
            for i in 0..round {
                tx.send(format!("<13>round {round} #{i}").as_bytes())
                    .unwrap();
            }
            let mut got = 0;
            loop {
                let n = batch.recv(rx.as_raw_fd()).unwrap();
                if n == 0 {
                    break;
                }
                for i in 0..n {
                    let (data, meta) = batch.get(i).unwrap();
                    assert!(data.starts_with(format!("<13>round {round} #").as_bytes()));
                    assert_eq!(meta.cred, me(), "datagram {got} of round {round}");
                    assert_eq!(meta.addr, None);
                    got += 1;
                }
            }
            assert_eq!(got, round);
        }
        assert!(batch.get(BATCH).is_none());
    }

    #[test]
    fn passed_descriptors_are_never_installed() {
        let (tx, rx) = pair();
        let path = std::env::temp_dir().join(format!("lt-scm-rights-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let fds = [file.as_raw_fd()];
        let iov = [IoSlice::new(b"<13>x: with a descriptor")];
        let cmsg = [ControlMessage::ScmRights(&fds)];
        sendmsg::<()>(tx.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None).unwrap();
        tx.send(b"<13>x: plain").unwrap();
        drop(file);

        let mut batch = Batch::new(64, true);
        assert_eq!(batch.recv(rx.as_raw_fd()).unwrap(), 2);
        let (data, meta) = batch.get(0).unwrap();
        assert_eq!(data, b"<13>x: with a descriptor");
        // The control data was cut: no credentials, so the frame counts as untrusted.
        assert_eq!(meta.cred, None);
        assert_eq!(batch.get(1).unwrap().1.cred, me());
        // No descriptor of this process refers to the file that was sent.
        for e in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            assert_ne!(target, path, "descriptor {:?} was installed", e.file_name());
        }
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn udp_senders_are_decoded_for_both_families() {
        use std::net::UdpSocket;
        for (bind, from) in [("127.0.0.1:0", "127.0.0.1:0"), ("[::1]:0", "[::1]:0")] {
            let Ok(rx) = UdpSocket::bind(bind) else {
                continue; // no IPv6 loopback here
            };
            rx.set_nonblocking(true).unwrap();
            let tx = UdpSocket::bind(from).unwrap();
            let mut batch = Batch::new(16, false);
            for round in 0..3 {
                tx.send_to(
                    format!("<13>udp {round} long enough to cut").as_bytes(),
                    rx.local_addr().unwrap(),
                )
                .unwrap();
                let mut n = 0;
                for _ in 0..1000 {
                    n = batch.recv(rx.as_raw_fd()).unwrap();
                    if n > 0 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                assert_eq!(n, 1);
                let (data, meta) = batch.get(0).unwrap();
                assert_eq!(data, format!("<13>udp {round} long e").as_bytes());
                assert!(meta.truncated);
                assert_eq!(meta.addr, Some(tx.local_addr().unwrap()));
                assert_eq!(meta.cred, None);
            }
            assert_eq!(local_addr(rx.as_raw_fd()), Some(rx.local_addr().unwrap()));
        }
    }
}
