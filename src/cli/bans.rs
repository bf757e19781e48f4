//! `logtrigger bans|ban|unban` (the admin's view of the bans) and `logtrigger addr`, the address
//! check the shipped `ipblock.sh` runs before it touches the firewall.
//!
//! Owns: deciding whether a value taken from a log line names exactly one address that may be
//! banned — compared as an address, not as text: canonical form, IPv4-mapped IPv6 folded to IPv4,
//! and never loopback, unspecified, multicast, broadcast or one of the router's own addresses
//! (every address and broadcast address of every interface, read at each call). Handing the admin
//! commands to the script. Never: touches the firewall itself (`ipblock.sh` owns the table), and
//! never prints a refused value's bytes unescaped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ipnet::IpNet;

/// The shipped ban script; `LT_IPBLOCK` overrides it (tests).
const IPBLOCK: &str = "/etc/logtrigger/ipblock.sh";

/// Longest value looked at: the longest address with brackets and a port is 47 bytes.
const MAX_VALUE: usize = 64;

/// `logtrigger addr [--port] [--prefix6 N] VALUE…` (used by ipblock.sh).
pub struct AddrArgs {
    /// an unbracketed IPv6 value always ends in `:port` (dropbear's spelling)
    pub port: bool,
    /// ban IPv6 addresses by this prefix length (1..=128)
    pub prefix6: Option<u8>,
    /// each value must be spelled exactly as it is printed (a saved file's entries)
    pub exact: bool,
    /// an IPv6 network `ADDR/LEN` is accepted (an admin's ban by hand, a saved entry); a value
    /// from a log line never names a network
    pub net: bool,
    /// values to check: an address (`:port`, `[v6]`, `[v6]:port` allowed) or an IPv6 network
    pub values: Vec<String>,
}

/// What an admin asked for; each runs the shipped script.
pub enum Admin {
    /// `logtrigger bans [--json]`
    List { json: bool },
    /// `logtrigger ban ADDR [TIME]`
    Ban { addr: String, time: Option<String> },
    /// `logtrigger unban ADDR` / `logtrigger unban --all`
    Unban { addr: Option<String> },
}

/// One of this module's commands, as the command line named it.
pub enum Command {
    Addr(AddrArgs),
    Admin(Admin),
}

/// Runs a command of this module and returns the exit code.
pub fn run(cmd: Command) -> i32 {
    match cmd {
        Command::Addr(a) => run_addr(a),
        Command::Admin(a) => run_admin(a),
    }
}

/// Runs the shipped script for an admin command; returns only when it cannot be started.
/// (execv directly: std's process builder would add ~16 KB to the router binary.) The script
/// finds this binary (`logtrigger addr`) in PATH, or as `$LOGTRIGGER`.
pub fn run_admin(cmd: Admin) -> i32 {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let script = std::env::var_os("LT_IPBLOCK").unwrap_or_else(|| IPBLOCK.into());
    let mut words: Vec<String> = Vec::new();
    match cmd {
        Admin::List { json } => {
            words.push("list".into());
            if json {
                words.push("--json".into());
            }
        }
        Admin::Ban { addr, time } => {
            words.extend(["ban".into(), addr]);
            words.extend(time);
        }
        Admin::Unban { addr: Some(a) } => words.extend(["unban".into(), a]),
        Admin::Unban { addr: None } => words.push("flush".into()),
    }
    let Ok(path) = CString::new(script.as_bytes()) else {
        return 2;
    };
    let mut argv: Vec<CString> = vec![path.clone()];
    for w in words {
        match CString::new(w) {
            Ok(c) => argv.push(c),
            Err(_) => {
                eprintln!("logtrigger: an argument holds a NUL byte");
                return 1;
            }
        }
    }
    let e = crate::sys::process::execv(&path, &argv);
    eprintln!("logtrigger: cannot run {}: {e}", script.to_string_lossy());
    2
}

/// Prints `FAMILY ADDRESS UNIT` per value (`4 198.51.100.7 198.51.100.7`,
/// `6 2001:db8::5 2001:db8::/64`), or the reason it is refused on stderr.
/// Exit 0 when every value may be banned, 1 otherwise.
pub fn run_addr(args: AddrArgs) -> i32 {
    let own = own_addresses();
    let mut out = String::new();
    let mut code = 0;
    for v in &args.values {
        let network = v.contains('/') && !(args.net || args.exact);
        let checked = match network {
            true => Err("a network: only an admin's ban by hand may name one".to_string()),
            false => check(v, args.port, args.prefix6, &own),
        };
        let checked = checked.and_then(|unit| {
            if args.exact && unit.to_string() != *v {
                return Err(format!("not canonical (would be {unit})"));
            }
            Ok(unit)
        });
        match checked {
            Ok(unit) => {
                let fam = if unit.is_v4() { 4 } else { 6 };
                out.push_str(&format!("{fam} {} {unit}\n", unit.addr()));
            }
            Err(why) => {
                eprintln!("{}: {why}", printable(v));
                code = 1;
            }
        }
    }
    super::print(out.as_bytes());
    code
}

/// `v` with every byte outside printable ASCII shown as `?` (the value is attacker text).
fn printable(v: &str) -> String {
    v.bytes()
        .map(|b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

/// What is banned: one address, or an IPv6 network.
#[derive(Debug, PartialEq, Eq)]
pub enum Unit {
    Addr(IpAddr),
    /// The network, and the address inside it the value named.
    Net(IpNet, IpAddr),
}

impl Unit {
    /// The address the value named.
    fn addr(&self) -> IpAddr {
        match self {
            Unit::Addr(a) | Unit::Net(_, a) => *a,
        }
    }

    fn is_v4(&self) -> bool {
        self.addr().is_ipv4()
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unit::Addr(a) => write!(f, "{a}"),
            Unit::Net(n, _) => write!(f, "{n}"),
        }
    }
}

/// Decides what `value` bans: `Err` says why nothing may be.
pub fn check(value: &str, port: bool, prefix6: Option<u8>, own: &[IpAddr]) -> Result<Unit, String> {
    if value.len() > MAX_VALUE {
        return Err("longer than any address".into());
    }
    if let Some((a, len)) = value.split_once('/') {
        return check_net(a, len, own);
    }
    // An IPv4-mapped IPv6 address is the IPv4 address it carries.
    let addr = parse(value, port)
        .ok_or("not one IPv4/IPv6 address")?
        .to_canonical();
    never(&addr, own)?;
    match (addr, prefix6) {
        (IpAddr::V6(_), Some(n)) if n < 128 => {
            let net = IpNet::parse(&format!("{addr}/{n}")).map_err(|e| e.to_string())?;
            // A network holding the router (its LAN /64) is never banned whole.
            if guarded(own).iter().any(|a| net.contains(a)) {
                Ok(Unit::Addr(addr))
            } else {
                Ok(Unit::Net(net, addr))
            }
        }
        _ => Ok(Unit::Addr(addr)),
    }
}

/// An `ADDR/LEN` value (a saved IPv6 network ban).
fn check_net(addr: &str, len: &str, own: &[IpAddr]) -> Result<Unit, String> {
    let a: Ipv6Addr = addr.parse().map_err(|_| "not an IPv6 network")?;
    let n: u8 = match len.parse() {
        Ok(n) if (1..=128).contains(&n) && len.len() <= 3 => n,
        _ => return Err("prefix length must be 1..=128".into()),
    };
    never(&IpAddr::V6(a), own)?;
    let net = IpNet::parse(&format!("{a}/{n}")).map_err(|e| e.to_string())?;
    if net.to_string() != format!("{a}/{n}") {
        return Err("host bits set".into());
    }
    if guarded(own).iter().any(|g| net.contains(g)) {
        return Err("contains loopback or one of the router's own addresses".into());
    }
    Ok(Unit::Net(net, IpAddr::V6(a)))
}

/// The addresses no network ban may contain.
fn guarded(own: &[IpAddr]) -> Vec<IpAddr> {
    let mut g = own.to_vec();
    g.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    g
}

/// Parses one address in the spellings log lines use: `a.b.c.d`, `a.b.c.d:port`, `v6`,
/// `[v6]`, `[v6]:port`, and `v6:port` (always, when `port`; otherwise only when the whole value
/// is not itself an address).
pub fn parse(v: &str, port: bool) -> Option<IpAddr> {
    if let Some(rest) = v.strip_prefix('[') {
        let (inner, tail) = rest.split_once(']')?;
        let a: Ipv6Addr = inner.parse().ok()?;
        return (tail.is_empty() || tail.strip_prefix(':').is_some_and(is_port))
            .then_some(IpAddr::V6(a));
    }
    match v.bytes().filter(|&b| b == b':').count() {
        0 => v.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        1 => {
            let (a, p) = v.split_once(':')?;
            is_port(p).then(|| a.parse::<Ipv4Addr>().ok().map(IpAddr::V4))?
        }
        _ => {
            if !port && let Ok(a) = v.parse::<Ipv6Addr>() {
                return Some(IpAddr::V6(a));
            }
            let (a, p) = v.rsplit_once(':')?;
            is_port(p).then(|| a.parse::<Ipv6Addr>().ok().map(IpAddr::V6))?
        }
    }
}

fn is_port(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 5
        && p.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<u32>().is_ok_and(|n| n <= 65535)
}

/// Why `a` (folded) must never be banned, if it must not.
fn never(a: &IpAddr, own: &[IpAddr]) -> Result<(), String> {
    let why = match a {
        IpAddr::V4(v4) => {
            if v4.octets()[0] == 0 {
                Some("unspecified (0.0.0.0/8)")
            } else if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_multicast() {
                Some("multicast")
            } else if v4.is_broadcast() {
                Some("broadcast")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if v6.segments()[..6] == [0; 6] {
                Some("IPv4-compatible (::/96)")
            } else {
                None
            }
        }
    };
    if let Some(w) = why {
        return Err(format!("{w} address {a}"));
    }
    if own.contains(a) {
        return Err(format!("{a} is one of the router's own addresses"));
    }
    Ok(())
}

/// Every address and broadcast address of every interface, folded.
pub fn own_addresses() -> Vec<IpAddr> {
    let found = crate::sys::net::interface_addresses();
    found.iter().map(IpAddr::to_canonical).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> String {
        check(v, false, None, &[]).unwrap().to_string()
    }

    fn refused(v: &str, own: &[IpAddr]) -> bool {
        check(v, false, None, own).is_err()
    }

    #[test]
    fn spellings_fold_to_one_canonical_address() {
        assert_eq!(ok("198.51.100.2:51234"), "198.51.100.2");
        assert_eq!(ok("[2001:DB8:0:0::3]:22"), "2001:db8::3");
        assert_eq!(ok("2001:db8:0:0:0:0:0:5"), "2001:db8::5");
        assert_eq!(ok("::ffff:198.51.100.3"), "198.51.100.3");
        assert_eq!(ok("[::FFFF:c633:6404]:2222"), "198.51.100.4");
        assert_eq!(ok("2001:db8::4:51234"), "2001:db8::4");
        assert_eq!(ok("2001:db8::8:2222"), "2001:db8::8:2222");
        assert_eq!(
            check("2001:db8::6:2222", true, None, &[])
                .unwrap()
                .to_string(),
            "2001:db8::6"
        );
        assert!(check("2001:db8::abcd", true, None, &[]).is_err());
    }

    #[test]
    fn never_bans_special_or_own_addresses_in_any_spelling() {
        let own: Vec<IpAddr> = ["192.0.2.1", "192.0.2.255", "2001:db8:aa::1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for v in [
            "0::1",
            "[0::1]:22",
            "0::",
            "::",
            "::ffff:127.0.0.1",
            "[::ffff:7f00:1]:80",
            "ff02::1",
            "FF02:0::1",
            "224.0.0.1",
            "239.255.255.250:1900",
            "255.255.255.255",
            "127.1",
            "127.0.0.1",
            "127.9.9.9:22",
            "0.0.0.0",
            "0.1.2.3",
            "::127.0.0.1",
            "192.0.2.1",
            "192.0.2.1:22",
            "::ffff:192.0.2.1",
            "192.0.2.255",
            "2001:DB8:AA:0::1",
            "[2001:db8:aa::0:1]:443",
            "fe80::1%eth0",
            "01.2.3.4",
            "1.2.3.4.5",
            "1.2.3.4:99999",
            "[1.2.3.4]",
            "",
        ] {
            assert!(refused(v, &own), "{v} accepted");
        }
        assert!(!refused("192.0.2.2", &own));
    }

    #[test]
    fn prefix_bans_spare_the_routers_own_network() {
        let own: Vec<IpAddr> = vec!["2001:db8:1:2::1".parse().unwrap()];
        let c = |v| check(v, false, Some(64), &own).unwrap().to_string();
        assert_eq!(c("2001:db8:9:9::77"), "2001:db8:9:9::/64");
        assert_eq!(c("2001:db8:1:2::77"), "2001:db8:1:2::77");
        assert_eq!(c("198.51.100.1"), "198.51.100.1");
        assert_eq!(ok("2001:db8:9:9::/64"), "2001:db8:9:9::/64");
        assert!(refused("2001:db8:1:2::/64", &own));
        assert!(refused("2001:db8:9:9::1/64", &own), "host bits");
        assert!(refused("::/64", &own));
    }
}
