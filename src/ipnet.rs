//! IPv4/IPv6 networks in CIDR notation (`192.168.0.0/16`, `fd00::/8`, a bare address = /32 or
//! /128), and addresses read out of captured values (`ADDR:port`, `[V6]:port`, …).
//!
//! Used by `udp_allow`, `ignoreip` and proof of presence. Never allocates.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// A network: an address and a prefix length. The address is stored with host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(s: &str) -> Result<IpNet, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or CIDR network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("'{s}': prefix length must be 0..={max}")),
            },
        };
        Ok(IpNet {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// True when `ip` is inside this network. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
    /// is compared as the IPv4 address it carries.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(*ip, IpAddr::V4),
            v4 => *v4,
        };
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }

    /// True when any network of `nets` contains `ip`.
    pub fn any_contains(nets: &[IpNet], ip: &IpAddr) -> bool {
        nets.iter().any(|n| n.contains(ip))
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// True when `value` is an IP address (optionally `ADDR:port`, `[V6]`, `[V6]:port`, or dropbear's
/// unbracketed `V6:port`) inside one of `nets`. An IPv6 zone (`fe80::1%br-lan`) is ignored.
/// IPv4-mapped IPv6 addresses are compared as IPv4 (see [`IpNet::contains`]).
///
/// Dropbear's `V6:port` is ambiguous (`2001:db8::1:2222` is also a valid address): both readings
/// are tried, and the value is ignored when either is inside `nets`. Both readings lie in the same
/// /64 as the real peer, so an attacker gains nothing over the admin's own network choice.
pub fn is_ignored(value: &[u8], nets: &[IpNet]) -> bool {
    if nets.is_empty() {
        return false;
    }
    let mut buf = [0u8; ADDR_MAX];
    let Some(value) = as_script_sees(value, &mut buf) else {
        return false;
    };
    let (whole, stripped) = addr_readings(value);
    let inside = |ip: Option<IpAddr>| ip.is_some_and(|ip| IpNet::any_contains(nets, &ip));
    inside(whole) || inside(stripped)
}

/// The address in a captured value, in any of the forms [`is_ignored`] accepts (the whole value
/// read as an address first, then without a trailing `:port`), NUL bytes removed as a script
/// receives the value. No allocation.
pub fn parse_addr(value: &[u8]) -> Option<IpAddr> {
    let mut buf = [0u8; ADDR_MAX];
    let (whole, stripped) = addr_readings(as_script_sees(value, &mut buf)?);
    whole.or(stripped)
}

/// Longest value that can still be an address: `[` + 45 bytes of IPv6 + `%zone`… + `]:65535`.
const ADDR_MAX: usize = 96;

/// `value` with its NUL bytes removed, the clean-up a script's environment applies (SPEC §7), so
/// that `192.168.1.\x0010` is read as the `192.168.1.10` a script would get. `None` when what
/// is left is too long to be an address.
fn as_script_sees<'a>(value: &'a [u8], buf: &'a mut [u8; ADDR_MAX]) -> Option<&'a [u8]> {
    if memchr::memchr(0, value).is_none() {
        return Some(value);
    }
    let mut len = 0;
    for &b in value.iter().filter(|&&b| b != 0) {
        *buf.get_mut(len)? = b;
        len += 1;
    }
    Some(&buf[..len])
}

/// The value read as an address as it stands, and read as `ADDR:port` (or `[V6]`, `[V6]:port`).
fn addr_readings(value: &[u8]) -> (Option<IpAddr>, Option<IpAddr>) {
    if let Some(rest) = value.strip_prefix(b"[") {
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return (None, None);
        };
        let after = &rest[close + 1..];
        let port_ok = after.is_empty() || after.strip_prefix(b":").is_some_and(is_port);
        let v6 = parse_plain(&rest[..close]).filter(IpAddr::is_ipv6);
        return (None, v6.filter(|_| port_ok));
    }
    let whole = parse_plain(value);
    let stripped = match value.iter().rposition(|&b| b == b':') {
        Some(colon) if is_port(&value[colon + 1..]) => parse_plain(&value[..colon]),
        _ => None,
    };
    (whole, stripped)
}

fn is_port(b: &[u8]) -> bool {
    (1..=5).contains(&b.len()) && b.iter().all(u8::is_ascii_digit)
}

/// A bare IPv4 or IPv6 address, an IPv6 zone suffix dropped.
fn parse_plain(b: &[u8]) -> Option<IpAddr> {
    let b = match b.iter().position(|&c| c == b'%') {
        Some(p) if b.contains(&b':') => &b[..p],
        _ => b,
    };
    // Most captured values are names, ports and words: `ignoreip` reads every one, so they are
    // turned away before the (much slower) address parser.
    // Without a `:` only a dotted quad can be left, which `ipv4` reads (a value without a `.`,
    // a port say, fails there).
    let address_bytes = |c: &u8| c.is_ascii_hexdigit() || *c == b'.' || *c == b':';
    if b.len() > 45 || !b.iter().all(address_bytes) {
        return None;
    }
    if !b.contains(&b':') {
        return ipv4(b).map(IpAddr::V4);
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A dotted quad as `Ipv4Addr::from_str` reads it (1–3 digits an octet, none above 255, no
/// leading zero), without the UTF-8 check and the generic parser: most keys are IPv4 addresses.
fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = b.split(|&c| c == b'.');
    for o in &mut octets {
        let p = parts.next()?;
        let digits = (1..=3).contains(&p.len()) && p.iter().all(u8::is_ascii_digit);
        if !digits || (p.len() > 1 && p[0] == b'0') {
            return None;
        }
        let v = p.iter().fold(0u16, |v, &d| v * 10 + u16::from(d - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v4_and_v6_networks() {
        let n = IpNet::parse("192.168.0.0/16").unwrap();
        assert!(n.contains(&ip("192.168.44.1")));
        assert!(!n.contains(&ip("192.169.0.1")));
        assert!(n.contains(&ip("::ffff:192.168.1.1")));
        let n = IpNet::parse("fd00::/8").unwrap();
        assert!(n.contains(&ip("fd12::1")));
        assert!(!n.contains(&ip("fe80::1")));
        assert!(!n.contains(&ip("10.0.0.1")));
        let n = IpNet::parse("::1").unwrap();
        assert!(n.contains(&ip("::1")));
        assert!(!n.contains(&ip("::2")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(&ip("8.8.8.8")));
        assert_eq!(
            IpNet::parse("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
    }

    #[test]
    fn errors() {
        assert!(IpNet::parse("10.0.0.0/33").is_err());
        assert!(IpNet::parse("fd00::/129").is_err());
        assert!(IpNet::parse("host").is_err());
        assert!(IpNet::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn addr_forms() {
        let v = |s: &str| parse_addr(s.as_bytes()).map(|a| a.to_string());
        assert_eq!(v("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(v("1.2.3.4:22").as_deref(), Some("1.2.3.4"));
        assert_eq!(v("[::1]:22").as_deref(), Some("::1"));
        assert_eq!(v("[::1]").as_deref(), Some("::1"));
        assert_eq!(v("2001:db8::1:51234").as_deref(), Some("2001:db8::1"));
        assert_eq!(v("2001:db8::1:2222").as_deref(), Some("2001:db8::1:2222"));
        assert_eq!(v("2001:db8::1:5123x"), None);
        assert_eq!(v("fe80::1%br-lan:22").as_deref(), Some("fe80::1"));
        assert_eq!(v("[1.2.3.4]:22"), None);
        assert_eq!(v("1.2.3.4:"), None);
        assert_eq!(v("1.2.3.4:123456"), None);
        assert_eq!(v("9.9.9.9 IP:1.2.3.4"), None);
        assert_eq!(v(""), None);
        assert_eq!(v("["), None);
    }

    #[test]
    fn fast_address_reading_agrees_with_std() {
        let std_reading =
            |b: &[u8]| -> Option<IpAddr> { std::str::from_utf8(b).ok()?.parse().ok() };
        let longest = b"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
        for s in [
            &b"::"[..],
            b"::1",
            b"1.2.3.4",
            b"::ffff:1.2.3.4",
            b"0:0:0:0:0:0:0:0",
            longest,
        ] {
            assert_eq!(parse_plain(s), std_reading(s), "{}", s.escape_ascii());
        }
        // Dotted quads and near misses: 3 to 5 octets out of a list of edge cases.
        let octets = [
            "0", "00", "01", "1", "9", "10", "99", "100", "199", "200", "255", "256", "300", "999",
            "0000", "", "1234", "010",
        ];
        let mut y = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            y ^= y << 13;
            y ^= y >> 7;
            y ^= y << 17;
            let parts = 3 + (y % 3) as usize;
            let s: Vec<&str> = (0..parts)
                .map(|k| octets[(y >> (8 + 5 * k)) as usize % octets.len()])
                .collect();
            let s = s.join(".");
            assert_eq!(parse_plain(s.as_bytes()), std_reading(s.as_bytes()), "{s}");
        }
        // IPv6 shapes and near misses: 1 to 9 groups out of a list of edge cases, joined by
        // `:` with at most a few `::`. std reads them, after the quick reject, which must turn
        // none of the valid ones away.
        let groups = [
            "",
            "0",
            "1",
            "00",
            "0001",
            "ffff",
            "FfFf",
            "abcd",
            "12345",
            "g",
            "1.2.3.4",
            "01.2.3.4",
            "256.0.0.1",
            "1.2.3",
            "255.255.255.255",
        ];
        let mut valid = 0;
        for _ in 0..200_000 {
            y ^= y << 13;
            y ^= y >> 7;
            y ^= y << 17;
            let parts = 1 + (y % 9) as usize;
            let mut s = String::new();
            for k in 0..parts {
                if k > 0 {
                    s.push_str(if (y >> (40 + k)).is_multiple_of(5) {
                        "::"
                    } else {
                        ":"
                    });
                }
                s.push_str(groups[(y >> (4 * k)) as usize % groups.len()]);
            }
            assert_eq!(parse_plain(s.as_bytes()), std_reading(s.as_bytes()), "{s}");
            valid += usize::from(std_reading(s.as_bytes()).is_some());
        }
        assert!(valid > 2000, "only {valid} valid IPv6 shapes");
        // Random strings over the bytes addresses are made of, and a few others.
        let alphabet = b"0123456789abcdefABCDEF....::::xg %";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 48) as usize;
            let s: Vec<u8> = (0..len)
                .map(|k| alphabet[((x >> (k % 8 * 8)) as usize + k * 7) % alphabet.len()])
                .collect();
            let plain = match s.iter().position(|&c| c == b'%') {
                Some(p) if s.contains(&b':') => &s[..p],
                _ => &s[..],
            };
            assert_eq!(parse_plain(&s), std_reading(plain), "{}", s.escape_ascii());
        }
    }
}
