//! A batched syslog sender for `bench/ingest.sh`: sends a file's lines as datagrams with
//! `sendmmsg` to a unix datagram socket or a UDP address, at a target rate or flat out. Not part
//! of the shipped binary.
//!
//! The file is read into memory first; lines (without their newline) are sent in order, cycling
//! through the file until `--count` datagrams were sent. Pacing is per batch: after each batch
//! the sender sleeps until the time the rate allows for the datagrams sent so far.
//! At the end it prints `sent=N dropped=D secs=S rate=R` (dropped: refused with EAGAIN or
//! ECONNREFUSED; a blocking unix socket never drops, it slows the sender instead).
//!
//! It must only ever send where it is told: callers give loopback or temporary socket paths.

use argh::FromArgs;
use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// Send a file's lines as datagrams, batched with sendmmsg.
#[derive(FromArgs)]
struct Args {
    /// unix datagram socket to send to
    #[argh(option)]
    unix: Option<String>,
    /// UDP address to send to, e.g. 127.0.0.1:5514
    #[argh(option)]
    udp: Option<String>,
    /// file whose lines are sent
    #[argh(option, short = 'f')]
    file: String,
    /// datagrams per second (default 0: flat out)
    #[argh(option, default = "0")]
    rate: u64,
    /// datagrams to send (default: the number of lines in the file)
    #[argh(option)]
    count: Option<u64>,
    /// datagrams per sendmmsg call (default 32)
    #[argh(option, default = "32")]
    batch: usize,
    /// non-blocking socket: count EAGAIN as dropped instead of waiting
    #[argh(switch)]
    nonblock: bool,
}

/// The lines of the file as (start, end) byte ranges, newline and `\r` excluded, empties skipped.
fn split_lines(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            let mut end = i;
            if end > start && data[end - 1] == b'\r' {
                end -= 1;
            }
            if end > start {
                out.push((start, end));
            }
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push((start, data.len()));
    }
    out
}

fn main() -> io::Result<()> {
    let args: Args = argh::from_env();
    let data = std::fs::read(&args.file)?;
    let lines = split_lines(&data);
    if lines.is_empty() {
        eprintln!("lt_flood: {} has no lines", args.file);
        std::process::exit(1);
    }
    let (_unix, _udp, fd) = match (&args.unix, &args.udp) {
        (Some(path), None) => {
            let s = UnixDatagram::unbound()?;
            s.connect(path)?;
            s.set_nonblocking(args.nonblock)?;
            let fd = s.as_raw_fd();
            (Some(s), None, fd)
        }
        (None, Some(addr)) => {
            let s = UdpSocket::bind("127.0.0.1:0")?;
            s.connect(addr)?;
            s.set_nonblocking(args.nonblock)?;
            let fd = s.as_raw_fd();
            (None, Some(s), fd)
        }
        _ => {
            eprintln!("lt_flood: give exactly one of --unix PATH or --udp ADDR");
            std::process::exit(1);
        }
    };
    let total = args.count.unwrap_or(lines.len() as u64);
    let batch = args.batch.clamp(1, 1024);
    let mut iovs: Vec<libc::iovec> = vec![
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0
        };
        batch
    ];
    // SAFETY: mmsghdr is plain old data; all-zero is a valid (empty) value.
    let mut msgs: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; batch];

    let start = Instant::now();
    let (mut sent, mut dropped, mut next_line) = (0u64, 0u64, 0usize);
    while sent + dropped < total {
        let n = (batch as u64).min(total - sent - dropped) as usize;
        for i in 0..n {
            let (a, b) = lines[(next_line + i) % lines.len()];
            iovs[i] = libc::iovec {
                // sendmmsg only reads the buffers; the cast to *mut is what iovec requires.
                iov_base: data[a..b].as_ptr() as *mut libc::c_void,
                iov_len: b - a,
            };
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: the first n headers point at live iovecs over `data`; the socket is connected.
        let r = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), n as libc::c_uint, 0) };
        let done = if r < 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => 0,
                // Receiver full (non-blocking) or gone: the datagram at the head is lost.
                Some(libc::EAGAIN) | Some(libc::ECONNREFUSED) | Some(libc::ENOBUFS) => {
                    dropped += 1;
                    next_line += 1;
                    0
                }
                _ => return Err(io::Error::last_os_error()),
            }
        } else {
            r as usize
        };
        sent += done as u64;
        next_line = (next_line + done) % lines.len();
        if args.rate > 0 {
            let due = Duration::from_secs_f64((sent + dropped) as f64 / args.rate as f64);
            let now = start.elapsed();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent={sent} dropped={dropped} secs={secs:.3} rate={:.0}",
        sent as f64 / secs.max(1e-9)
    );
    Ok(())
}
