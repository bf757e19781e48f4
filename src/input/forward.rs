//! Forwarding that never blocks the receive path (SPEC §2): a connected datagram socket, a small
//! preallocated retry queue for "would block", then drop and count. The queue holds a whole
//! receive batch, so the local socket's reader can stop reading as soon as a frame waits
//! (back-pressure) without dropping the rest of the batch it already took in.
//!
//! Owns: one outgoing socket (unix path or UDP collector), its retry queue and counters.
//! Never: blocks, allocates after `new`, or changes a forwarded frame.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use socket2::{Domain, SockAddr, Socket, Type};

/// Frames kept for a retry when the receiver's queue is full.
pub const RETRY_SLOTS: usize = 8;

// A batch read from the local socket fits the queue whole.
const _: () = assert!(RETRY_SLOTS >= super::BATCH);

/// Forwarding counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForwardStats {
    pub sent: u64,
    /// Frames that waited in the retry queue at least once.
    pub queued: u64,
    /// Frames given up (queue full, receiver gone, or a hard error).
    pub dropped: u64,
    /// Send errors other than "would block" (ECONNREFUSED, ENOENT, ICMP errors…).
    pub errors: u64,
}

/// What happened to a frame handed to [`Outbox::send`] (in order of gravity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sent {
    Sent,
    Queued,
    Dropped,
    /// The receiver is gone (unix: ECONNREFUSED/ENOENT): the frame is dropped; the caller
    /// should re-check the takeover.
    Refused,
}

/// A ring of `RETRY_SLOTS` frames of at most `size` bytes each, allocated once.
struct RetryQueue {
    buf: Vec<u8>,
    lens: [usize; RETRY_SLOTS],
    size: usize,
    head: usize,
    len: usize,
}

impl RetryQueue {
    fn new(size: usize) -> RetryQueue {
        RetryQueue {
            buf: vec![0; size * RETRY_SLOTS],
            lens: [0; RETRY_SLOTS],
            size,
            head: 0,
            len: 0,
        }
    }

    fn push(&mut self, frame: &[u8]) -> bool {
        if self.len == RETRY_SLOTS {
            return false;
        }
        let slot = (self.head + self.len) % RETRY_SLOTS;
        let n = frame.len().min(self.size);
        let start = slot * self.size;
        self.buf[start..start + n].copy_from_slice(&frame[..n]);
        self.lens[slot] = n;
        self.len += 1;
        true
    }

    fn front(&self) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let start = self.head * self.size;
        self.buf.get(start..start + self.lens[self.head])
    }

    fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % RETRY_SLOTS;
            self.len -= 1;
        }
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Where an outbox sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Udp(SocketAddr),
}

/// A non-blocking, connected datagram sender with a bounded retry queue.
pub struct Outbox {
    sock: Socket,
    target: Target,
    queue: RetryQueue,
    pub stats: ForwardStats,
}

impl Outbox {
    /// A sender to the unix datagram socket at `path`. Fails when nothing listens there.
    pub fn unix(path: &Path, max_message: usize) -> io::Result<Outbox> {
        let sock = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
        sock.set_nonblocking(true)?;
        sock.connect(&SockAddr::unix(path)?)?;
        Ok(Outbox::with(
            sock,
            Target::Unix(path.to_path_buf()),
            max_message,
        ))
    }

    /// A sender to a UDP collector.
    pub fn udp(addr: SocketAddr, max_message: usize) -> io::Result<Outbox> {
        let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
        sock.set_nonblocking(true)?;
        sock.connect(&addr.into())?;
        Ok(Outbox::with(sock, Target::Udp(addr), max_message))
    }

    fn with(sock: Socket, target: Target, max_message: usize) -> Outbox {
        Outbox {
            sock,
            target,
            queue: RetryQueue::new(max_message.max(1)),
            stats: ForwardStats::default(),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Connects again to the same target (a logger that rebound its socket path).
    pub fn reconnect(&mut self) -> io::Result<()> {
        let addr = match &self.target {
            Target::Unix(p) => SockAddr::unix(p)?,
            Target::Udp(a) => (*a).into(),
        };
        self.queue.clear();
        self.sock.connect(&addr)
    }

    /// The socket, to poll for POLLOUT while [`Outbox::wants_write`].
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// True while frames wait for a retry.
    pub fn wants_write(&self) -> bool {
        self.queue.len > 0
    }

    /// Frames waiting for a retry.
    pub fn waiting(&self) -> usize {
        self.queue.len
    }

    /// Like [`Outbox::send`], but a frame never waits behind others: while frames are queued it
    /// is dropped (and counted). For frames whose sender never waits for us (UDP), so that they
    /// cannot take the queue's room from a batch of local frames.
    pub fn offer(&mut self, frame: &[u8]) -> Sent {
        if self.queue.len > 0 {
            let flushed = self.flush();
            if flushed != Sent::Sent {
                self.stats.dropped += 1;
                // Refused: the receiver is gone, and the caller needs to hear it.
                return flushed.max(Sent::Dropped);
            }
        }
        self.send(frame)
    }

    /// Sends `frame` now, or queues it behind earlier frames (order is kept), or drops it.
    pub fn send(&mut self, frame: &[u8]) -> Sent {
        if self.queue.len > 0 {
            self.flush();
        }
        if self.queue.len > 0 {
            return self.enqueue(frame);
        }
        match self.try_send(frame) {
            Ok(()) => Sent::Sent,
            Err(e) if would_block(&e) => self.enqueue(frame),
            Err(e) => self.fail(&e),
        }
    }

    /// Retries queued frames; call when the socket is writable. Returns `Refused` when the
    /// receiver is gone (the queue is then dropped).
    pub fn flush(&mut self) -> Sent {
        while let Some(frame) = self.queue.front() {
            let r = send_raw(&self.sock, frame);
            match r {
                Ok(()) => {
                    self.stats.sent += 1;
                    self.queue.pop();
                }
                Err(e) if would_block(&e) => return Sent::Queued,
                Err(e) => {
                    self.stats.dropped += self.queue.len as u64;
                    self.queue.clear();
                    return self.count_error(&e);
                }
            }
        }
        Sent::Sent
    }

    fn try_send(&mut self, frame: &[u8]) -> io::Result<()> {
        send_raw(&self.sock, frame)?;
        self.stats.sent += 1;
        Ok(())
    }

    fn enqueue(&mut self, frame: &[u8]) -> Sent {
        if self.queue.push(frame) {
            self.stats.queued += 1;
            Sent::Queued
        } else {
            self.stats.dropped += 1;
            Sent::Dropped
        }
    }

    fn fail(&mut self, e: &io::Error) -> Sent {
        self.stats.dropped += 1;
        self.count_error(e)
    }

    fn count_error(&mut self, e: &io::Error) -> Sent {
        self.stats.errors += 1;
        let gone = matches!(
            e.raw_os_error(),
            Some(libc::ECONNREFUSED) | Some(libc::ENOENT) | Some(libc::ENOTCONN)
        );
        if gone && matches!(self.target, Target::Unix(_)) {
            Sent::Refused
        } else {
            Sent::Dropped
        }
    }
}

fn send_raw(sock: &Socket, frame: &[u8]) -> io::Result<()> {
    sock.send_with_flags(frame, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
        .map(|_| ())
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAGAIN) | Some(libc::ENOBUFS) | Some(libc::EINTR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_frames_never_wait_behind_queued_ones() {
        let dir = std::env::temp_dir().join(format!("lt-outbox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("logger");
        let _logger = std::os::unix::net::UnixDatagram::bind(&path).unwrap(); // never reads
        let mut o = Outbox::unix(&path, 64).unwrap();
        let mut sent = 0;
        while o.send(b"local") == Sent::Sent {
            sent += 1;
            assert!(sent < 100_000, "the logger's queue never filled");
        }
        assert_eq!(o.waiting(), 1);
        assert_eq!(o.offer(b"remote"), Sent::Dropped);
        assert_eq!(o.waiting(), 1, "not queued");
        assert_eq!(o.send(b"local"), Sent::Queued, "local frames still queue");
        assert_eq!(o.stats.dropped, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retry_queue_is_bounded_and_ordered() {
        let mut q = RetryQueue::new(4);
        for i in 0..RETRY_SLOTS as u8 {
            assert!(q.push(&[i, i, i, i, i]));
        }
        assert!(!q.push(b"x"));
        for i in 0..RETRY_SLOTS as u8 {
            assert_eq!(q.front(), Some(&[i, i, i, i][..]));
            q.pop();
        }
        assert_eq!(q.front(), None);
    }
}
