//! IPv4/IPv6 networks in CIDR notation (`192.168.0.0/16`, `fd00::/8`, a bare address = /32 or /128).
//!
//! Used by `udp_allow` and `ignoreip`. Plain values, no allocation.

use std::fmt;
use std::net::IpAddr;

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
}
