//! Host names of `list forward_udp` turned into an address at load (SPEC §2, remote forwarding),
//! without the C library's getaddrinfo: in the static router binary that cost ~30 KB (musl's
//! resolver, stdio, qsort, strtoul), a tenth of the size budget.
//!
//! Owns: `/etc/hosts` first, then one A and then one AAAA query over UDP to each `nameserver` of
//! `/etc/resolv.conf` (127.0.0.1 when none, as in musl). Never: search domains, TCP, caching; it
//! blocks at most `TRIES × TIMEOUT` per server and query type.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// Wait for one answer; a query is sent `TRIES` times.
const TIMEOUT: Duration = Duration::from_secs(2);
const TRIES: usize = 2;
const A: u16 = 1;
const AAAA: u16 = 28;

/// The first address of `host`: `Ok(None)` when every server answered without one.
pub(super) fn resolve(host: &str) -> io::Result<Option<IpAddr>> {
    if let Some(ip) = std::fs::read("/etc/hosts")
        .ok()
        .and_then(|text| from_hosts(&text, host))
    {
        return Ok(Some(ip));
    }
    let conf = std::fs::read("/etc/resolv.conf").unwrap_or_default();
    let mut error = None;
    for server in nameservers(&conf) {
        for qtype in [A, AAAA] {
            match query(SocketAddr::new(server, 53), host, qtype) {
                Ok(Some(ip)) => return Ok(Some(ip)),
                Ok(None) => {}
                Err(e) => error = Some(e),
            }
        }
    }
    error.map_or(Ok(None), Err)
}

/// The address of `host` in a hosts file (`ADDR NAME ALIAS… # comment`), names compared
/// without case.
fn from_hosts(text: &[u8], host: &str) -> Option<IpAddr> {
    for line in text.split(|&b| b == b'\n') {
        let line = line.split(|&b| b == b'#').next().unwrap_or_default();
        let mut words = line
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty());
        let Some(addr) = words.next() else { continue };
        if words.any(|w| w.eq_ignore_ascii_case(host.as_bytes()))
            && let Some(ip) = parse_ip(addr)
        {
            return Some(ip);
        }
    }
    None
}

/// The `nameserver` addresses of a resolv.conf (at most 3, as in the C libraries).
fn nameservers(conf: &[u8]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for line in conf.split(|&b| b == b'\n') {
        let mut words = line
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty());
        if words.next() == Some(b"nameserver") {
            out.extend(words.next().and_then(parse_ip));
        }
    }
    out.truncate(3);
    if out.is_empty() {
        out.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    out
}

fn parse_ip(word: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

/// One question to one server. The socket is connected, so only the server's datagrams arrive;
/// a datagram that is not the answer to our id is ignored.
fn query(server: SocketAddr, host: &str, qtype: u16) -> io::Result<Option<IpAddr>> {
    let local = match server {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind(SocketAddr::new(local, 0))?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    let id = query_id(qtype);
    let question = question(id, host, qtype).ok_or(io::ErrorKind::InvalidInput)?;
    let mut buf = [0u8; 512];
    for _ in 0..TRIES {
        socket.send(&question)?;
        loop {
            match socket.recv(&mut buf) {
                Ok(n) => match answer(&buf[..n], id, qtype) {
                    Some(found) => return Ok(found),
                    None => continue,
                },
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Err(io::ErrorKind::TimedOut.into())
}

/// A query id that an off-path sender cannot simply guess: clock nanoseconds mixed with the pid.
fn query_id(qtype: u16) -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (nanos ^ (nanos >> 16) ^ std::process::id()) as u16 ^ qtype
}

/// A DNS query (RFC 1035 §4.1) with recursion desired; `None` for a name that cannot be encoded.
fn question(id: u16, host: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut q = Vec::with_capacity(18 + host.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in host.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    Some(q)
}

/// Reads a reply: `None` when it is not a reply to `id` (or is malformed), `Some(None)` when it
/// holds no record of `qtype` (no such name, no address of that family), else the first address.
/// CNAME records are skipped: recursive servers put the target's records in the same answer.
fn answer(m: &[u8], id: u16, qtype: u16) -> Option<Option<IpAddr>> {
    let be16 = |at: usize| m.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    if be16(0)? != id || m.get(2)? & 0x80 == 0 {
        return None;
    }
    let mut at = 12;
    for _ in 0..be16(4)? {
        at = skip_name(m, at)? + 4;
    }
    for _ in 0..be16(6)? {
        at = skip_name(m, at)?;
        let (rtype, len) = (be16(at)?, usize::from(be16(at + 8)?));
        let data = m.get(at + 10..at + 10 + len)?;
        at += 10 + len;
        match (rtype == qtype, data.len()) {
            (true, 4) => return Some(Some(IpAddr::from(<[u8; 4]>::try_from(data).ok()?))),
            (true, 16) => return Some(Some(IpAddr::from(<[u8; 16]>::try_from(data).ok()?))),
            _ => {}
        }
    }
    Some(None)
}

/// The offset after the name at `at` (labels, ending in a zero byte or a compression pointer).
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match *m.get(at)? {
            0 => return Some(at + 1),
            len if len & 0xc0 == 0xc0 => return Some(at + 2),
            len => at += 1 + usize::from(len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file() {
        let text = b"# comment\n127.0.0.1 localhost\n::1\tip6-localhost  Loop # x\n\nbad Loop2\n";
        assert_eq!(from_hosts(text, "LOCALHOST"), Some([127, 0, 0, 1].into()));
        assert_eq!(from_hosts(text, "loop"), Some(Ipv6Addr::LOCALHOST.into()));
        assert_eq!(from_hosts(text, "x"), None);
        assert_eq!(from_hosts(text, "loop2"), None);
    }

    #[test]
    fn resolv_conf() {
        let conf = b"search lan\nnameserver 192.0.2.1\nnameserver  fd00::53\nnameserver x\n";
        let want: [IpAddr; 2] = [[192, 0, 2, 1].into(), "fd00::53".parse().unwrap()];
        assert_eq!(nameservers(conf), want);
        assert_eq!(nameservers(b""), [IpAddr::from([127, 0, 0, 1])]);
    }

    #[test]
    fn question_encoding() {
        let q = question(0x1234, "ab.c.", AAAA).unwrap();
        let want =
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02ab\x01c\x00\x00\x1c\x00\x01";
        assert_eq!(q, want);
        assert_eq!(question(1, "a..b", A), None);
    }

    /// A reply to `q` with a CNAME, then the A record, names compressed.
    fn reply(q: &[u8]) -> Vec<u8> {
        let mut r = q.to_vec();
        r[2] |= 0x80;
        r[7] = 2; // two answers
        r.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x04\x01x\xc0\x0c");
        r.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x07");
        r
    }

    #[test]
    fn answers() {
        let q = question(7, "collector.lan", A).unwrap();
        let r = reply(&q);
        assert_eq!(answer(&r, 7, A), Some(Some([192, 0, 2, 7].into())));
        assert_eq!(answer(&r, 8, A), None, "another id");
        assert_eq!(answer(&r, 7, AAAA), Some(None), "no record of that type");
        assert_eq!(answer(&r[..r.len() - 3], 7, A), None, "truncated");
        assert_eq!(answer(&q, 7, A), None, "a query, not a reply");
    }

    #[test]
    fn query_over_udp() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let serve = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(b"junk", from).unwrap();
            server.send_to(&reply(&buf[..n]), from).unwrap();
        });
        let got = query(addr, "collector.lan", A).unwrap();
        assert_eq!(got, Some([192, 0, 2, 7].into()));
        serve.join().unwrap();
    }
}
