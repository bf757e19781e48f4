//! Host names in `list forward_udp` and `list ignoreip` (SPEC §2, §6): kept as names at load
//! and looked up by a short-lived thread whose results the poll loop applies later, so a slow or
//! absent DNS server never stalls local logging. Written without the C library's getaddrinfo:
//! in the static router binary that cost ~30 KB (musl's resolver, stdio, qsort, strtoul), a tenth
//! of the size budget.
//!
//! Owns: telling names from addresses in those options; `/etc/hosts` first, then A and AAAA
//! queries over UDP to each `nameserver` of `/etc/resolv.conf` (127.0.0.1 when none, as in musl);
//! the lookup thread, its retries (a name that does not resolve is retried after 5 s, doubling
//! up to 5 min) and the messages it hands to the loop.
//! Never: runs on the loop's thread (a query blocks up to `TRIES × TIMEOUT` per server and
//! type), search domains, TCP, caching, or writes to stderr itself (the loop logs).

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::uci::Opt;
use super::values::{Bad, bad, items, network};
use crate::input::file::read_regular;
use crate::ipnet::IpNet;

/// Wait for one answer; a query is sent `TRIES` times.
const TIMEOUT: Duration = Duration::from_secs(2);
const TRIES: usize = 2;
const A: u16 = 1;
const AAAA: u16 = 28;

/// The addresses of `host`: its `/etc/hosts` entry, else the A and AAAA records from the first
/// server that answers. `Ok(empty)` when every server answered without one.
pub fn addresses(host: &str) -> io::Result<Vec<IpAddr>> {
    // The daemon's reader of whole files, not a second copy of std's (a FIFO would block the
    // thread; neither file is one).
    if let Some(ip) = read_regular(Path::new("/etc/hosts"))
        .ok()
        .and_then(|text| from_hosts(&text, host))
    {
        return Ok(vec![ip]);
    }
    let conf = read_regular(Path::new("/etc/resolv.conf")).unwrap_or_default();
    let mut error = None;
    for server in nameservers(&conf) {
        let mut found = Vec::new();
        let mut answered = false;
        for qtype in [A, AAAA] {
            match query(SocketAddr::new(server, 53), host, qtype) {
                Ok(ip) => {
                    answered = true;
                    found.extend(ip);
                }
                Err(e) => error = Some(e),
            }
        }
        if answered {
            return Ok(found);
        }
    }
    error.map_or(Ok(Vec::new()), Err)
}

/// One value of `forward_udp`: an address now, or a host name looked up later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remote {
    Addr(SocketAddr),
    Host(String, u16),
}

/// `forward_udp` values: `HOST:PORT`, `[V6]:PORT`, or an address or host alone (port 514).
pub(super) fn remote(name: &str, v: &str, line: usize) -> Result<Remote, Bad> {
    if let Ok(a) = v.parse::<SocketAddr>() {
        return Ok(Remote::Addr(a));
    }
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(Remote::Addr(SocketAddr::new(ip, 514)));
    }
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) => (h, p),
            Err(_) => return bad(line, format!("{name} '{v}': port '{p}' is not 0..=65535")),
        },
        None => (v, 514),
    };
    if !valid_host(host) {
        return bad(line, format!("{name} '{v}' is not HOST:PORT"));
    }
    Ok(Remote::Host(host.to_ascii_lowercase(), port))
}

/// Host names with their ports.
pub type Hosts = Vec<(String, u16)>;

/// `list forward_udp` (or `none`): the addresses, and the host names with their ports.
pub(super) fn remotes(opt: &Opt) -> Result<(Vec<SocketAddr>, Hosts), Bad> {
    let (mut addrs, mut hosts) = (Vec::new(), Vec::new());
    for (v, line) in items(opt) {
        if v == "none" {
            (addrs, hosts) = (Vec::new(), Vec::new());
            continue;
        }
        match remote(&opt.name, v, line)? {
            Remote::Addr(a) => addrs.push(a),
            Remote::Host(h, p) => hosts.push((h, p)),
        }
    }
    Ok((addrs, hosts))
}

/// One value of `ignoreip`: a network, or a host name (a DynDNS name is how admins allow
/// themselves) looked up at load and reload.
pub(super) enum Ignore {
    Net(IpNet),
    Host(String),
}

pub(super) fn ignore(name: &str, v: &str, line: usize) -> Result<Ignore, Bad> {
    match IpNet::parse(v) {
        Ok(n) => Ok(Ignore::Net(n)),
        Err(_) if valid_host(v) && v.bytes().any(|b| b.is_ascii_alphabetic()) => {
            Ok(Ignore::Host(v.to_ascii_lowercase()))
        }
        // The reason an address-shaped value is not a network (with a hint for commas).
        Err(_) => network(name, v, line).map(Ignore::Net),
    }
}

/// The global `list ignoreip` (or `none`): networks and host names.
pub(super) fn ignore_list(opt: &Opt) -> Result<(Vec<IpNet>, Vec<String>), Bad> {
    let (mut nets, mut hosts) = (Vec::new(), Vec::new());
    for (v, line) in items(opt) {
        if v == "none" {
            (nets, hosts) = (Vec::new(), Vec::new());
            continue;
        }
        match ignore(&opt.name, v, line)? {
            Ignore::Net(n) => nets.push(n),
            Ignore::Host(h) => hosts.push(h),
        }
    }
    Ok((nets, hosts))
}

/// A DNS host name: letters, digits, `-`, `.`, `_`, at most 253 bytes.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// What the lookup thread found, for the loop to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A `forward_udp` host's address, with its port.
    Forward(String, SocketAddr),
    /// An address of an `ignoreip` host.
    Ignore(String, IpAddr),
    /// A message for the log (a failure and its retry, or a late success).
    Note(String),
}

/// Lookups of one configuration's host names, running on their own thread. Results come back
/// as messages on a SOCK_SEQPACKET pair (no channel type: std's costs ~20 KB on the router);
/// dropping this end makes the thread stop at its next step.
pub struct Lookups {
    sock: Socket,
    /// The thread is done (every name found): its end is closed.
    done: bool,
    /// Every name, the option that names it, and whether an address was found.
    names: Vec<(String, &'static str, bool)>,
}

/// The first wait before a failed name is tried again, and the longest.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(300);

impl Lookups {
    /// Starts looking up `forward` hosts (with ports) and `ignore` hosts; `None` when there
    /// is nothing to look up.
    pub fn start(forward: &[(String, u16)], ignore: &[String]) -> io::Result<Option<Lookups>> {
        let mut names: Vec<(String, Option<u16>)> = Vec::new();
        for (h, p) in forward {
            names.push((h.clone(), Some(*p)));
        }
        for h in ignore {
            if !names.iter().any(|(n, p)| n == h && p.is_none()) {
                names.push((h.clone(), None));
            }
        }
        if names.is_empty() {
            return Ok(None);
        }
        let state = names
            .iter()
            .map(|(h, p)| {
                (
                    h.clone(),
                    if p.is_some() {
                        "forward_udp"
                    } else {
                        "ignoreip"
                    },
                    false,
                )
            })
            .collect();
        let (sock, theirs) = Socket::pair(Domain::UNIX, Type::SEQPACKET, None)?;
        sock.set_nonblocking(true)?;
        sock.set_cloexec(true)?;
        theirs.set_cloexec(true)?;
        crate::sys::thread::spawn_detached(
            64 * 1024,
            Box::new(move || lookup_all(names, &theirs)),
        )?;
        Ok(Some(Lookups {
            sock,
            done: false,
            names: state,
        }))
    }

    /// Starts the lookups of a configuration: its `forward_udp` host names and the `ignoreip`
    /// host names of its enabled rules. `Ok(None)` when it names no host.
    pub fn for_config(g: &super::Global, rules: &[super::Rule]) -> Result<Option<Lookups>, String> {
        let mut hosts: Vec<String> = Vec::new();
        for h in rules
            .iter()
            .filter(|r| r.enabled)
            .flat_map(|r| &r.ignore_hosts)
        {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
        Lookups::start(&g.forward_hosts, &hosts)
            .map_err(|e| format!("host name lookups not started: {e}"))
    }

    /// The fd to poll for reading; `None` once every name was found (the thread ended).
    pub fn fd(&self) -> Option<RawFd> {
        (!self.done).then(|| self.sock.as_raw_fd())
    }

    /// Hands every waiting result to `f`.
    pub fn collect(&mut self, f: &mut dyn FnMut(Found)) {
        let mut buf = [0u8; 512];
        loop {
            match (&self.sock).read(&mut buf) {
                Ok(0) => {
                    self.done = true;
                    return;
                }
                Ok(n) => {
                    let found = Found::decode(&buf[..n.min(buf.len())]);
                    self.mark(&found);
                    f(found);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

impl Lookups {
    /// Every name, the option that names it, and whether it was found (for `status`).
    pub fn names(&self) -> impl Iterator<Item = (&str, &'static str, bool)> {
        self.names.iter().map(|(h, o, ok)| (h.as_str(), *o, *ok))
    }

    fn mark(&mut self, found: &Found) {
        let (host, option) = match found {
            Found::Forward(h, _) => (h, "forward_udp"),
            Found::Ignore(h, _) => (h, "ignoreip"),
            Found::Note(_) => return,
        };
        for (h, o, ok) in &mut self.names {
            if h == host && *o == option {
                *ok = true;
            }
        }
    }
}

impl Found {
    /// One message: a tag byte, then `HOST ADDRESS` or the note's text.
    fn encode(&self) -> Vec<u8> {
        match self {
            Found::Forward(h, a) => format!("F{h} {a}"),
            Found::Ignore(h, ip) => format!("I{h} {ip}"),
            Found::Note(t) => format!("N{t}"),
        }
        .into_bytes()
    }

    fn decode(m: &[u8]) -> Found {
        let text = String::from_utf8_lossy(m.get(1..).unwrap_or_default());
        let pair = text.split_once(' ');
        match (m.first(), pair) {
            (Some(b'F'), Some((h, a))) if let Ok(a) = a.parse() => Found::Forward(h.into(), a),
            (Some(b'I'), Some((h, ip))) if let Ok(ip) = ip.parse() => Found::Ignore(h.into(), ip),
            _ => Found::Note(text.into_owned()),
        }
    }
}

/// The thread: every name once, then the failed ones again with a growing wait, until all are
/// found or the loop drops its [`Lookups`] (its end closed: the wait ends early, a send fails).
fn lookup_all(mut names: Vec<(String, Option<u16>)>, sock: &Socket) {
    let mut wait = RETRY_FIRST;
    let mut failed_before: Vec<String> = Vec::new();
    loop {
        let mut left = Vec::new();
        for (host, port) in names {
            let what = if port.is_some() {
                "forward_udp"
            } else {
                "ignoreip"
            };
            let mut out = Vec::new();
            match addresses(&host) {
                Ok(ips) if !ips.is_empty() => {
                    for ip in ips {
                        out.push(match port {
                            Some(p) => Found::Forward(host.clone(), SocketAddr::new(ip, p)),
                            None => Found::Ignore(host.clone(), ip),
                        });
                        if port.is_some() {
                            break; // one collector per name: the first address
                        }
                    }
                    if failed_before.contains(&host) {
                        out.push(Found::Note(format!("{what} '{host}': resolved")));
                    }
                }
                result => {
                    let why = match result {
                        Err(e) => e.to_string(),
                        Ok(_) => "it has no address".into(),
                    };
                    if !failed_before.contains(&host) {
                        out.push(Found::Note(format!(
                            "{what} '{host}': cannot resolve host: {why} (retrying, first in {} s)",
                            wait.as_secs()
                        )));
                        failed_before.push(host.clone());
                    }
                    left.push((host, port));
                }
            }
            for f in out {
                if sock.send(&f.encode()).is_err() {
                    return; // the loop dropped its end
                }
            }
        }
        if left.is_empty() {
            return;
        }
        names = left;
        // Wait on our end: data never comes, so only the timeout or the loop closing its end
        // (a zero-length read) ends it.
        if sock.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match (&*sock).read(&mut [0u8; 1]) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            _ => return,
        }
        wait = (wait * 2).min(RETRY_MAX);
    }
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
                Ok(n) => match answer(&buf[..n], &question) {
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

/// A query id an off-path sender cannot guess (with the kernel's random source port, 32 bits
/// to guess): from the kernel's random source, else the clock's nanoseconds.
fn query_id(qtype: u16) -> u16 {
    use std::io::Read;
    let mut b = [0u8; 2];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if random.is_ok() {
        return u16::from_ne_bytes(b);
    }
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

/// Reads a reply to the query `q`: `None` when it is not one (another id, another question:
/// names compared without case, as DNS does; or malformed), `Some(None)` when it holds no
/// record of the asked type (no such name, no address of that family), else the first address.
/// CNAME records are skipped: recursive servers put the target's records in the same answer.
fn answer(m: &[u8], q: &[u8]) -> Option<Option<IpAddr>> {
    let be16 = |at: usize| m.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let asked = q.get(12..)?;
    let qtype = u16::from_be_bytes([*q.get(q.len() - 4)?, *q.get(q.len() - 3)?]);
    let same_question = be16(4)? == 1 && m.get(12..12 + asked.len())?.eq_ignore_ascii_case(asked);
    if m.get(..2)? != q.get(..2)? || m.get(2)? & 0x80 == 0 || !same_question {
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
        assert_eq!(answer(&r, &q), Some(Some([192, 0, 2, 7].into())));
        let other_id = question(8, "collector.lan", A).unwrap();
        assert_eq!(answer(&r, &other_id), None, "another id");
        let other_name = question(7, "collectox.lan", A).unwrap();
        assert_eq!(answer(&r, &other_name), None, "another name");
        let upper = question(7, "COLLECTOR.lan", A).unwrap();
        assert_eq!(answer(&r, &upper), Some(Some([192, 0, 2, 7].into())));
        let aaaa = question(7, "collector.lan", AAAA).unwrap();
        assert_eq!(answer(&r, &aaaa), None, "another question type");
        let mut no_record = reply(&aaaa);
        no_record.truncate(aaaa.len());
        no_record[7] = 0;
        assert_eq!(
            answer(&no_record, &aaaa),
            Some(None),
            "no record of that type"
        );
        assert_eq!(answer(&r[..r.len() - 3], &q), None, "truncated");
        assert_eq!(answer(&q, &q), None, "a query, not a reply");
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

    fn opt(name: &str, values: &[&str]) -> Opt {
        Opt {
            name: name.into(),
            value: super::super::uci::Value::List(
                values.iter().map(|v| (v.to_string(), 3)).collect(),
            ),
            line: 3,
        }
    }

    #[test]
    fn forward_udp_values() {
        let (addrs, hosts) = remotes(&opt(
            "forward_udp",
            &["192.0.2.1", "[fd00::1]:5140", "Collector.LAN:5514", "logs"],
        ))
        .unwrap();
        assert_eq!(
            addrs,
            [
                "192.0.2.1:514".parse::<SocketAddr>().unwrap(),
                "[fd00::1]:5140".parse().unwrap()
            ]
        );
        assert_eq!(
            hosts,
            [
                ("collector.lan".to_string(), 5514),
                ("logs".to_string(), 514)
            ]
        );
        let e = remotes(&opt("forward_udp", &["host:99999"])).unwrap_err();
        assert_eq!(
            e.reason,
            "forward_udp 'host:99999': port '99999' is not 0..=65535"
        );
        let e = remotes(&opt("forward_udp", &["a/b:1"])).unwrap_err();
        assert_eq!(e.reason, "forward_udp 'a/b:1' is not HOST:PORT");
    }

    #[test]
    fn ignoreip_values() {
        let (nets, hosts) =
            ignore_list(&opt("ignoreip", &["10.0.0.0/8", "Home.DynDNS.org", "::1"])).unwrap();
        assert_eq!(nets.len(), 2);
        assert_eq!(hosts, ["home.dyndns.org"]);
        // Address-shaped mistakes stay errors rather than becoming names.
        let e = ignore_list(&opt("ignoreip", &["192.168.1.0/33"])).unwrap_err();
        assert_eq!(
            e.reason,
            "ignoreip: '192.168.1.0/33': prefix length must be 0..=32"
        );
        assert!(ignore_list(&opt("ignoreip", &["10.0.0.300"])).is_err());
        assert!(ignore_list(&opt("ignoreip", &["bad/host"])).is_err());
    }

    #[test]
    fn lookups_report_failures_and_stop_when_dropped() {
        // A name that cannot be in /etc/hosts and whose query fails fast or times out: the
        // thread reports it as a note, without blocking the caller.
        let mut l = Lookups::start(&[("no-such-host.invalid".into(), 514)], &[])
            .unwrap()
            .unwrap();
        let mut got = Vec::new();
        for _ in 0..6000 {
            l.collect(&mut |f| got.push(f));
            if !got.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        match got.first() {
            Some(Found::Note(n)) => {
                assert!(
                    n.starts_with("forward_udp 'no-such-host.invalid': cannot resolve host"),
                    "{n}"
                )
            }
            other => panic!("{other:?}"),
        }
        drop(l);
        assert!(Lookups::start(&[], &[]).unwrap().is_none());
    }

    #[test]
    fn results_survive_their_encoding() {
        for f in [
            Found::Forward("a.lan".into(), "[fd00::1]:514".parse().unwrap()),
            Found::Ignore("b".into(), "192.0.2.1".parse().unwrap()),
            Found::Note("ignoreip 'x': cannot resolve host: timed out".into()),
        ] {
            assert_eq!(Found::decode(&f.encode()), f);
        }
    }

    #[test]
    fn lookups_find_hosts_file_names() {
        // `localhost` is in every /etc/hosts.
        let mut l = Lookups::start(&[("localhost".into(), 5514)], &["localhost".into()])
            .unwrap()
            .unwrap();
        let mut got = Vec::new();
        for _ in 0..500 {
            l.collect(&mut |f| got.push(f));
            if got.len() >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            matches!(&got[0], Found::Forward(h, a) if h == "localhost" && a.port() == 5514 && a.ip().is_loopback()),
            "{got:?}"
        );
        assert!(
            matches!(&got[1], Found::Ignore(h, ip) if h == "localhost" && ip.is_loopback()),
            "{got:?}"
        );
        // Every name found: the thread ends and the fd is no longer polled.
        for _ in 0..500 {
            l.collect(&mut |f| got.push(f));
            if l.fd().is_none() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(l.fd(), None);
        assert_eq!(got.len(), 2, "{got:?}");
        let names: Vec<_> = l.names().collect();
        assert_eq!(
            names,
            [
                ("localhost", "forward_udp", true),
                ("localhost", "ignoreip", true)
            ]
        );
    }
}
