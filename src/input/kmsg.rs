//! The kernel log (SPEC §2): records read from `/dev/kmsg`, starting at its end.
//!
//! Each read returns one record `PRI,SEQ,TIMESTAMP,FLAGS[,…];MESSAGE\n` followed by optional
//! ` KEY=VALUE` continuation lines. EPIPE means records were overwritten before we read them
//! (counted, reading continues). Kernel lines are never forwarded.
//!
//! Owns: the /dev/kmsg fd, one record buffer.
//! Never: blocks, allocates per record, or re-reads the ring buffer's history.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::InputStats;

/// Kernel records are at most 8 KiB (PRINTK_MESSAGE_MAX plus the prefix).
const RECORD: usize = 8192 + 256;

/// One parsed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Facility and level as in a syslog PRI (kernel lines are facility 0).
    pub pri: u16,
    pub seq: u64,
    /// Microseconds since boot.
    pub usec: u64,
    /// The message text, without the continuation lines.
    pub msg: &'a [u8],
}

/// Parses one `/dev/kmsg` record; `None` when it has no `;`.
pub fn parse_record(rec: &[u8]) -> Option<Record<'_>> {
    let semi = memchr::memchr(b';', rec)?;
    let mut fields = rec[..semi].split(|&b| b == b',');
    let pri = number(fields.next()?)? as u16;
    let seq = number(fields.next()?)?;
    let usec = number(fields.next()?)?;
    let body = &rec[semi + 1..];
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    Some(Record {
        pri,
        seq,
        usec,
        msg: &body[..end],
    })
}

fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// The /dev/kmsg reader.
pub struct Kmsg {
    file: File,
    buf: Vec<u8>,
    pub stats: InputStats,
    /// Records lost to the ring buffer wrapping (EPIPE).
    pub overwritten: u64,
}

impl Kmsg {
    /// Opens `path` (normally `/dev/kmsg`) non-blocking, positioned after the last record.
    pub fn open(path: &Path) -> io::Result<Kmsg> {
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| super::context(e, "open", &path.display()))?;
        file.seek(SeekFrom::End(0))?;
        Ok(Kmsg {
            file,
            buf: vec![0; RECORD],
            stats: InputStats::default(),
            overwritten: 0,
        })
    }

    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// Reads every waiting record and hands each parsed one to `f`.
    pub fn recv(&mut self, f: &mut dyn FnMut(&Record<'_>)) -> usize {
        let mut total = 0;
        for _ in 0..256 {
            match self.file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => {
                    let rec = self.buf.get(..n).and_then(parse_record);
                    match rec {
                        Some(r) => {
                            self.stats.received += 1;
                            total += 1;
                            f(&r);
                        }
                        None => self.stats.errors += 1,
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => self.overwritten += 1,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break, // EAGAIN: nothing more
            }
        }
        total
    }
}

/// Writes `<PRI>MSG` into `out` (cleared first): the frame handed to the pipeline for a kernel
/// record, so that facility and severity survive parsing.
pub fn to_frame(rec: &Record<'_>, out: &mut Vec<u8>) {
    use std::io::Write;
    out.clear();
    let _ = write!(out, "<{}>", rec.pri.min(191));
    out.extend_from_slice(rec.msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_with_continuation() {
        let r =
            parse_record(b"4,1234,5678901,-;IN=eth0 OUT= SRC=1.2.3.4\n SUBSYSTEM=net\n").unwrap();
        assert_eq!((r.pri, r.seq, r.usec), (4, 1234, 5678901));
        assert_eq!(r.msg, b"IN=eth0 OUT= SRC=1.2.3.4");
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        assert_eq!(parse_record(b"no semicolon"), None);
        assert_eq!(parse_record(b"x,1,2;m"), None);
        assert_eq!(parse_record(b"99999999999999999999,1,2;m"), None);
        assert_eq!(parse_record(b";"), None);
    }

    #[test]
    fn reads_dev_kmsg_from_its_end() {
        // Needs root and /dev/kmsg; writing to it injects a record.
        let Ok(mut k) = Kmsg::open(Path::new("/dev/kmsg")) else {
            return;
        };
        let Ok(mut w) = OpenOptions::new().write(true).open("/dev/kmsg") else {
            return;
        };
        use std::io::Write;
        let _ = w.write_all(b"<5>logtrigger-kmsg-test marker\n");
        let mut seen = false;
        for _ in 0..100 {
            k.recv(&mut |r| seen |= r.msg.ends_with(b"logtrigger-kmsg-test marker"));
            if seen {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(seen);
    }
}
