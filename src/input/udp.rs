//! UDP syslog input (SPEC §2): one socket per `udp` address, `udp_allow`, `rcvbuf`, and the
//! `udp_forward` reformatting of remote messages for the local logger.
//!
//! Owns: the UDP sockets, their options and counters.
//! Never: accepts a sender outside `udp_allow`, blocks, allocates per datagram, or fails for an
//! address that is not configured (yet) on any interface.

use std::io;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};

use super::{Batch, InputStats, Meta};
use crate::ipnet::IpNet;
use crate::syslog::Message;

/// Receives an accepted frame, its sender, and what the kernel said about it.
pub type UdpSink<'a> = dyn FnMut(&[u8], SocketAddr, &Meta) + 'a;

/// One bound UDP socket.
pub struct UdpInput {
    sock: Socket,
    local: SocketAddr,
    batch: Batch,
    pub stats: InputStats,
}

impl UdpInput {
    /// Binds `addr` (IPV6_V6ONLY on IPv6, so `0.0.0.0:514` and `[::]:514` coexist; free-bind,
    /// so an address not configured yet is fine) with a receive buffer of `rcvbuf` bytes.
    pub fn open(addr: SocketAddr, rcvbuf: usize, max_message: usize) -> io::Result<UdpInput> {
        let ctx = |e: io::Error| super::context(e, "udp", &addr);
        let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
            .map_err(ctx)?;
        if addr.is_ipv6() {
            sock.set_only_v6(true).map_err(ctx)?;
        }
        sock.set_reuse_address(true).map_err(ctx)?;
        // A LAN address netifd has not configured yet is bound now and receives once it
        // appears (IP_FREEBIND / IPV6_FREEBIND): no failed start, no respawn loop at boot.
        // A kernel without the option (IPV6_FREEBIND came in 4.15) gets a plain bind.
        let _ = if addr.is_ipv6() {
            sock.set_freebind_v6(true)
        } else {
            sock.set_freebind_v4(true)
        };
        if rcvbuf > 0 {
            // SO_RCVBUF is capped at net.core.rmem_max; a smaller buffer is not fatal.
            // As root (procd runs us as root) SO_RCVBUFFORCE passes the cap.
            let forced = super::sys::set_sock_opt(
                sock.as_fd(),
                libc::SO_RCVBUFFORCE,
                rcvbuf.min(i32::MAX as usize) as libc::c_int,
            )
            .is_ok();
            if !forced {
                let _ = sock.set_recv_buffer_size(rcvbuf);
            }
        }
        sock.set_nonblocking(true).map_err(ctx)?;
        sock.bind(&addr.into()).map_err(ctx)?;
        let local = super::local_addr(sock.as_raw_fd()).unwrap_or(addr);
        Ok(UdpInput {
            sock,
            local,
            batch: Batch::new(max_message, false),
            stats: InputStats::default(),
        })
    }

    /// The bound address (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// The receive buffer the kernel granted (Linux reports twice the requested size).
    pub fn rcvbuf(&self) -> io::Result<usize> {
        self.sock.recv_buffer_size()
    }

    /// Receives every waiting datagram; those from senders in `allow` go to `f` with the
    /// sender's address, the others are counted in `denied`. Returns the frames accepted.
    pub fn recv(&mut self, allow: &[IpNet], f: &mut UdpSink<'_>) -> usize {
        let mut total = 0;
        for _ in 0..super::TURN_BATCHES {
            let n = match self.batch.recv(self.sock.as_raw_fd()) {
                Ok(n) => n,
                Err(_) => {
                    self.stats.errors += 1;
                    0
                }
            };
            for i in 0..n {
                let Some((frame, meta)) = self.batch.get(i) else {
                    continue;
                };
                let Some(peer) = meta.addr else {
                    self.stats.errors += 1;
                    continue;
                };
                if !IpNet::any_contains(allow, &peer.ip()) {
                    self.stats.denied += 1;
                    continue;
                }
                self.stats.received += 1;
                self.stats.truncated += meta.truncated as u64;
                total += 1;
                f(frame, peer, meta);
            }
            if n < super::BATCH {
                break;
            }
        }
        total
    }
}

/// The default `udp_allow`: loopback, RFC1918, RFC4193 ULA and link-local.
pub fn default_allow() -> Vec<IpNet> {
    [
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1",
        "fc00::/7",
        "fe80::/10",
    ]
    .iter()
    .filter_map(|s| IpNet::parse(s).ok())
    .collect()
}

/// Writes a remote message in the shape the local logger parses:
/// `<PRI>Mmm dd hh:mm:ss HOST tag[pid]: msg`, with `now` (epoch seconds, local time) as the
/// time, HOST the message's hostname or else the sender's IP, and user.notice when the frame
/// had no PRI. `out` is cleared first; no allocation once it has the capacity.
pub fn format_for_logger(msg: &Message<'_>, sender: IpAddr, now: i64, out: &mut Vec<u8>) {
    out.clear();
    let pri = match (msg.facility, msg.severity) {
        (Some(f), Some(s)) => u16::from(f) * 8 + u16::from(s),
        _ => 13,
    };
    let _ = write!(out, "<{pri}>");
    crate::syslog::write_local_clock(now, out);
    out.push(b' ');
    match msg.hostname {
        Some(h) => out.extend_from_slice(h),
        None => {
            let _ = write!(out, "{sender}");
        }
    }
    out.push(b' ');
    crate::syslog::write_tagged(msg.app_name, msg.procid, msg.msg, out);
}
