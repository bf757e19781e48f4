//! Proof of presence (SPEC §6, `option verify 'conntrack'`): whether the kernel's connection
//! tracking table holds a connection whose original source is a given address.
//!
//! Owns: reading the table (`/proc/net/nf_conntrack` of the daemon's network namespace) in one
//! fixed buffer, line by line, and reading a line's original source.
//! Never: runs per message (only for firings awaiting proof, several answered by one pass),
//! holds more than its buffer, trusts a line it cannot read (a line without a readable original
//! source proves nothing).

use std::fs::File;
use std::io::{self, ErrorKind, Read};
use std::net::IpAddr;
use std::path::PathBuf;

/// The table of the network namespace the daemon runs in.
pub const TABLE: &str = "/proc/net/nf_conntrack";

/// Firings waiting for proof at most; beyond, a firing keeps its key's history instead (its
/// next event fires again).
pub const WAITING_MAX: usize = 64;

/// Bytes read at once, by one step of a pass: a table line is a few hundred bytes, so a step
/// reads a few hundred lines (about 0.5 ms of the kernel's formatting on x86_64, 30 ms for a
/// table of 16 000 connections).
const CHUNK: usize = 64 * 1024;

/// A reader of the connection tracking table, a chunk at a time.
#[derive(Debug)]
pub struct Conntrack {
    path: PathBuf,
    /// Allocated on the first pass, kept for the next.
    buf: Vec<u8>,
    /// The pass under way: the open table, and how many bytes of a partial line the last step
    /// kept at the start of `buf`.
    open: Option<(File, usize)>,
}

impl Conntrack {
    pub fn new(path: impl Into<PathBuf>) -> Conntrack {
        Conntrack {
            path: path.into(),
            buf: Vec::new(),
            open: None,
        }
    }

    /// One whole pass over the table: sets `found[i]` for each `addrs[i]` (canonical:
    /// IPv4-mapped IPv6 folded to IPv4) that is the original source of a tracked connection
    /// (incoming or forwarded alike). An error (no table: connection tracking is not loaded)
    /// proves nothing.
    pub fn scan(&mut self, addrs: &[IpAddr], found: &mut [bool]) -> io::Result<()> {
        self.begin()?;
        while !self.step(addrs, found)? {}
        Ok(())
    }

    /// Starts a pass that [`Conntrack::step`] reads a chunk at a time, so that a caller with
    /// other work (the poll loop) does it between chunks; a pass under way is dropped.
    pub fn begin(&mut self) -> io::Result<()> {
        self.open = None;
        let file = File::open(&self.path)?;
        self.buf.resize(CHUNK, 0);
        self.open = Some((file, 0));
        Ok(())
    }

    /// Whether a pass is under way.
    pub fn in_pass(&self) -> bool {
        self.open.is_some()
    }

    /// Reads the next chunk of the pass and marks `found` as [`Conntrack::scan`] does; true
    /// when the pass is over (also without one). An error ends the pass.
    pub fn step(&mut self, addrs: &[IpAddr], found: &mut [bool]) -> io::Result<bool> {
        let Conntrack { buf, open, .. } = self;
        let Some((file, kept)) = open.as_mut() else {
            return Ok(true);
        };
        let n = loop {
            match file.read(&mut buf[*kept..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    *open = None;
                    return Err(e);
                }
            }
        };
        let filled = *kept + n;
        let data = &buf[..filled];
        // Whole lines now; a partial last line waits for the rest (or is the end).
        let end = match memchr::memrchr(b'\n', data) {
            Some(nl) if n > 0 => nl + 1,
            _ => filled,
        };
        for line in data[..end].split(|&b| b == b'\n') {
            mark(line, addrs, found);
        }
        if n == 0 {
            *open = None;
            return Ok(true);
        }
        buf.copy_within(end..filled, 0);
        *kept = filled - end;
        if *kept == buf.len() {
            // A line longer than the buffer is no table line: skip it.
            *kept = 0;
        }
        Ok(false)
    }
}

/// Sets `found[i]` when `line`'s original source is `addrs[i]` and the connection is one a
/// forged source address cannot make alone (see [`two_way`]).
fn mark(line: &[u8], addrs: &[IpAddr], found: &mut [bool]) {
    if !two_way(line) {
        return;
    }
    let Some(src) = original_source(line) else {
        return;
    };
    for (a, f) in addrs.iter().zip(found.iter_mut()) {
        *f |= *a == src;
    }
}

/// Whether a table line is a connection the claimed source took part in: not one the router
/// never heard back on (`[UNREPLIED]`: one packet with a forged source makes such an entry), and
/// for TCP not a handshake that never completed (`SYN_SENT`, `SYN_RECV`: a forged SYN). A TCP
/// connection past its handshake needed the router's sequence number, which a forger elsewhere
/// never sees. (A forged UDP or ICMP packet that the router answers, to the real owner of the
/// address, still makes a replied entry: a forger who can send from other addresses can prove
/// them over UDP.)
fn two_way(line: &[u8]) -> bool {
    let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
    !(has(b" [UNREPLIED] ") || has(b" SYN_SENT ") || has(b" SYN_RECV "))
}

/// The first `src=` of a table line: the source of the ORIGINAL direction (the reply direction's
/// `src=` comes after it). IPv6 is written in full (`2001:0db8:0000:…`), which std reads.
pub fn original_source(line: &[u8]) -> Option<IpAddr> {
    // A plain search: this runs for firings only, and memmem's searcher is not worth its size.
    let at = line.windows(5).position(|w| w == b" src=")? + 5;
    let rest = &line[at..];
    let value = &rest[..memchr::memchr(b' ', rest).unwrap_or(rest.len())];
    let ip: IpAddr = std::str::from_utf8(value).ok()?.parse().ok()?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = "\
ipv4     2 tcp      6 431999 ESTABLISHED src=203.0.113.7 dst=198.51.100.1 sport=40000 dport=22 src=198.51.100.1 dst=203.0.113.7 sport=22 dport=40000 [ASSURED] mark=0 zone=0 use=2
ipv4     2 udp      17 20 src=192.168.1.5 dst=192.168.1.1 sport=5353 dport=53 [UNREPLIED] src=192.168.1.1 dst=192.168.1.5 sport=53 dport=5353 mark=0 zone=0 use=2
ipv6     10 tcp      6 119 TIME_WAIT src=2001:0db8:0000:0000:0000:0000:0000:0007 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=1 dport=22 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0007 sport=22 dport=1 [ASSURED] mark=0 zone=0 use=2
";

    /// Entries one forged packet makes: a half-open TCP handshake, an unanswered UDP packet.
    const HALF_OPEN: &str = "\
ipv4     2 tcp      6 59 SYN_RECV src=203.0.113.7 dst=198.51.100.1 sport=40000 dport=22 src=198.51.100.1 dst=203.0.113.7 sport=22 dport=40000 mark=0 zone=0 use=2
ipv6     10 tcp      6 119 SYN_SENT src=2001:0db8:0000:0000:0000:0000:0000:0007 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=1 dport=22 [UNREPLIED] src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0007 sport=22 dport=1 mark=0 zone=0 use=2
ipv4     2 udp      17 29 src=10.0.7.249 dst=10.9.9.9 sport=5060 dport=5060 [UNREPLIED] src=10.9.9.9 dst=10.0.7.249 sport=5060 dport=5060 mark=0 zone=0 use=2
";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn original_sources_only() {
        let sources: Vec<_> = LINES
            .lines()
            .map(|l| original_source(l.as_bytes()))
            .collect();
        assert_eq!(
            sources,
            [
                Some(ip("203.0.113.7")),
                Some(ip("192.168.1.5")),
                Some(ip("2001:db8::7"))
            ]
        );
        assert_eq!(
            original_source(b"garbage src=not-an-address dst=1.2.3.4"),
            None
        );
        assert_eq!(original_source(b""), None);
    }

    #[test]
    fn a_pass_answers_every_address_across_chunks() {
        let dir = std::env::temp_dir().join(format!("lt-conntrack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("table");
        // Far more than one chunk, so that lines straddle reads; the wanted ones at the end.
        let mut text = String::new();
        for i in 0..2000 {
            text += &format!(
                "ipv4     2 tcp      6 100 ESTABLISHED src=10.0.{}.{} dst=10.9.9.9 sport=1 dport=2 src=10.9.9.9 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1\n",
                i / 250,
                i % 250
            );
        }
        text += LINES;
        std::fs::write(&path, &text).unwrap();
        let addrs = [
            ip("203.0.113.7"),
            ip("198.51.100.1"), // a reply source only
            ip("2001:db8::7"),
            ip("10.0.7.249"),
            ip("10.0.8.0"),
        ];
        let mut found = [false; 5];
        let mut ct = Conntrack::new(&path);
        ct.scan(&addrs, &mut found).unwrap();
        assert_eq!(found, [true, false, true, true, false]);
        // The same pass a chunk at a time: several steps, the same answers.
        let mut stepped = [false; 5];
        ct.begin().unwrap();
        let mut steps = 1;
        while !ct.step(&addrs, &mut stepped).unwrap() {
            assert!(ct.in_pass());
            steps += 1;
        }
        assert!(!ct.in_pass());
        assert!(steps > 2, "{} bytes in {steps} steps", text.len());
        assert_eq!(stepped, found);
        // Forged sources alone: a SYN that never completed, a packet never answered.
        std::fs::write(&path, HALF_OPEN).unwrap();
        let mut forged = [false; 5];
        ct.scan(&addrs, &mut forged).unwrap();
        assert_eq!(forged, [false; 5]);
        std::fs::remove_dir_all(&dir).unwrap();
        let mut none = [false; 5];
        assert!(
            ct.scan(&addrs, &mut none).is_err(),
            "no table proves nothing"
        );
        assert_eq!(none, [false; 5]);
    }
}
