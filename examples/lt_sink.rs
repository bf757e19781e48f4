//! The minimal syslog receiver: the ceiling of this machine for `bench/ingest.sh`. Not part of
//! the shipped binary.
//!
//! It binds a unix datagram socket or a UDP address, sets the same receive buffer as the daemon,
//! and reads with `recvmmsg` in batches into `max_message`-sized buffers — counting datagrams and
//! bytes, nothing else. On SIGTERM or SIGINT it prints `received=N bytes=B rcvbuf=R` and exits.
//!
//! It must stay the cheapest possible receiver: no parsing, no allocation after start.

use argh::FromArgs;
use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};

/// Count datagrams received on a unix datagram socket or a UDP address.
#[derive(FromArgs)]
struct Args {
    /// unix datagram socket path to bind (removed first if it exists)
    #[argh(option)]
    unix: Option<String>,
    /// UDP address to bind, e.g. 127.0.0.1:5514
    #[argh(option)]
    udp: Option<String>,
    /// receive buffer in bytes (default 1048576, as logtrigger's `rcvbuf`)
    #[argh(option, default = "1 << 20")]
    rcvbuf: usize,
    /// datagrams per recvmmsg call (default 64)
    #[argh(option, default = "64")]
    batch: usize,
    /// bytes per datagram buffer (default 8192, as logtrigger's `max_message`)
    #[argh(option, default = "8192")]
    max_message: usize,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Sets SO_RCVBUF as root can (SO_RCVBUFFORCE ignores net.core.rmem_max), else as a user can;
/// returns what the kernel reports (it doubles the request for bookkeeping).
fn set_rcvbuf(fd: libc::c_int, bytes: usize) -> usize {
    let v = bytes.min(i32::MAX as usize) as libc::c_int;
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    let p = (&v as *const libc::c_int).cast();
    // SAFETY: fd is an open socket; p points to a c_int of length len.
    unsafe {
        if libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, p, len) != 0 {
            libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, p, len);
        }
    }
    let mut got: libc::c_int = 0;
    let mut got_len = len;
    // SAFETY: got is a c_int and got_len its size.
    unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut got as *mut libc::c_int).cast(),
            &mut got_len,
        );
    }
    got.max(0) as usize
}

fn main() -> io::Result<()> {
    let args: Args = argh::from_env();
    // Keep the socket objects alive for the whole run; only the fd is used below.
    let (_unix, _udp, fd) = match (&args.unix, &args.udp) {
        (Some(path), None) => {
            let _ = std::fs::remove_file(path);
            let s = UnixDatagram::bind(path)?;
            let fd = s.as_raw_fd();
            (Some(s), None, fd)
        }
        (None, Some(addr)) => {
            let s = UdpSocket::bind(addr)?;
            let fd = s.as_raw_fd();
            (None, Some(s), fd)
        }
        _ => {
            eprintln!("lt_sink: give exactly one of --unix PATH or --udp ADDR");
            std::process::exit(1);
        }
    };
    let rcvbuf = set_rcvbuf(fd, args.rcvbuf);
    // A receive timeout lets the loop notice a stop request even when no datagram comes.
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 100_000,
    };
    // SAFETY: fd is an open socket; tv is a timeval.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
    }

    let batch = args.batch.clamp(1, 1024);
    let mut bufs = vec![0u8; batch * args.max_message.max(1)];
    let mut iovs: Vec<libc::iovec> = bufs
        .chunks_mut(args.max_message.max(1))
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect();
    // SAFETY: mmsghdr is plain old data; all-zero is a valid (empty) value.
    let mut msgs: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; batch];
    for (m, iov) in msgs.iter_mut().zip(iovs.iter_mut()) {
        m.msg_hdr.msg_iov = iov;
        m.msg_hdr.msg_iovlen = 1;
    }
    let (mut received, mut bytes) = (0u64, 0u64);
    while !STOP.load(Ordering::Relaxed) {
        // SAFETY: msgs holds `batch` headers, each pointing at its own live iovec and buffer.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs.as_mut_ptr(),
                batch as libc::c_uint,
                libc::MSG_WAITFORONE as _, // c_int on glibc, c_uint on musl
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => continue,
                _ => return Err(e),
            }
        }
        received += n as u64;
        bytes += msgs[..n as usize]
            .iter()
            .map(|m| u64::from(m.msg_len))
            .sum::<u64>();
    }
    println!("received={received} bytes={bytes} rcvbuf={rcvbuf}");
    if let Some(path) = &args.unix {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
