//! A seeded generator of a realistic OpenWrt router log, for the whole-process benchmarks in
//! `bench/` (replay against `fail2ban-regex`, ingest, memory). Not part of the shipped binary.
//!
//! It writes N lines in which attack sessions (dropbear, LuCI, FreeSWITCH, Asterisk failures from
//! a pool of IPv4 and IPv6 addresses, in bursts) are mixed into router noise (dnsmasq, hostapd,
//! kernel firewall, netifd, odhcpd, cron…). Every failure line belongs to one *family*, which is
//! one rule of `bench/logtrigger.uci` and one failregex of `bench/fail2ban/filter.d/`.
//!
//! With `--expect FILE` it also writes what a correct matcher must find in exactly the lines it
//! emitted: failures per family, and the firings of a sliding window of `maxfail` events within
//! `time` seconds keyed by address (an event exactly `time` seconds old is outside; firing clears
//! the key). The generator never emits two events of one key exactly `time` seconds apart, so the
//! expectation does not depend on that boundary convention.
//!
//! It must never depend on anything but the seed and the options: same arguments, same bytes.

use argh::FromArgs;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Generate a seeded, realistic router log and the failures it contains.
#[derive(FromArgs)]
struct Args {
    /// number of lines (default 1000000)
    #[argh(option, short = 'n', default = "1_000_000")]
    lines: u64,
    /// seed of the generator (default 1)
    #[argh(option, default = "1")]
    seed: u64,
    /// output shape: frames, logread or syslog (default syslog)
    #[argh(option, default = "String::from(\"syslog\")")]
    format: String,
    /// distinct attacker addresses in the pool (default 3000)
    #[argh(option, default = "3000")]
    attackers: u32,
    /// percentage of noise lines, 0 to 100 (default 90)
    #[argh(option, default = "90")]
    noise: u32,
    /// use the attacker addresses in turn (every one appears) instead of a skewed choice
    #[argh(switch)]
    uniform: bool,
    /// output file (default standard output)
    #[argh(option, short = 'o')]
    output: Option<String>,
    /// write the expected failures and firings to this file
    #[argh(option)]
    expect: Option<String>,
    /// hostname written in the syslog format (default OpenWrt)
    #[argh(option, default = "String::from(\"OpenWrt\")")]
    host: String,
    /// maxfail of the expectation model (default 5)
    #[argh(option, default = "5")]
    maxfail: usize,
    /// window of the expectation model in seconds (default 600)
    #[argh(option, default = "600")]
    time: u32,
}

/// xorshift64* — small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let s = seed ^ 0x9E37_79B9_7F4A_7C15;
        Rng(if s == 0 { 1 } else { s })
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u32) -> u32 {
        (((self.next() >> 32) * u64::from(n)) >> 32) as u32
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u32) as usize]
    }
}

/// One rule family: a kind of failure line. Order = order of the fail2ban failregexes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Family {
    DropbearBadPass,
    DropbearNoUser,
    DropbearExit,
    Luci,
    FreeswitchAuth,
    FreeswitchNoUser,
    FreeswitchSo,
    AsteriskSip,
    AsteriskPjsip,
}

const FAMILIES: [Family; 9] = [
    Family::DropbearBadPass,
    Family::DropbearNoUser,
    Family::DropbearExit,
    Family::Luci,
    Family::FreeswitchAuth,
    Family::FreeswitchNoUser,
    Family::FreeswitchSo,
    Family::AsteriskSip,
    Family::AsteriskPjsip,
];

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::DropbearBadPass => "dropbear_badpass",
            Family::DropbearNoUser => "dropbear_nouser",
            Family::DropbearExit => "dropbear_exit",
            Family::Luci => "luci",
            Family::FreeswitchAuth => "freeswitch_auth",
            Family::FreeswitchNoUser => "freeswitch_nouser",
            Family::FreeswitchSo => "freeswitch_so",
            Family::AsteriskSip => "asterisk_sip",
            Family::AsteriskPjsip => "asterisk_pjsip",
        }
    }
}

/// One log line before formatting. `fail` is the family and the address (no port, no brackets).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    pri: u8,
    tag: &'static str,
    pid: Option<u32>,
    msg: String,
    fail: Option<(Family, u32)>,
}

/// What is waiting in the time-ordered queue.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Noise,
    Spawn,
    Attack(Box<Line>),
}

/// A LAN client: the source of most noise.
struct Client {
    mac: String,
    ip: String,
    name: &'static str,
}

struct Gen {
    rng: Rng,
    pool: Vec<String>,
    uniform: bool,
    next_uniform: u32,
    clients: Vec<Client>,
    wan_ip: String,
}

const USERS: [&str; 8] = [
    "root", "admin", "user", "ubnt", "pi", "test", "oracle", "support",
];
const NAMES: [&str; 10] = [
    "iPhone",
    "Galaxy-S21",
    "laptop",
    "printer",
    "tv",
    "nas",
    "desktop",
    "raspberrypi",
    "ESP_3A1F2C",
    "*",
];

impl Gen {
    fn new(seed: u64, attackers: u32, uniform: bool) -> Gen {
        let mut rng = Rng::new(seed);
        let mut seen = HashSet::new();
        let mut pool = Vec::new();
        while pool.len() < attackers.max(1) as usize {
            let a = if rng.chance(30) {
                v6_address(&mut rng)
            } else {
                v4_address(&mut rng)
            };
            if seen.insert(a.clone()) {
                pool.push(a);
            }
        }
        let clients = (0..40)
            .map(|i| Client {
                mac: format!(
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    rng.below(256) & 0xfe,
                    rng.below(256),
                    rng.below(256),
                    rng.below(256),
                    rng.below(256),
                    rng.below(256)
                ),
                ip: format!("192.168.1.{}", 100 + i),
                name: NAMES[rng.below(NAMES.len() as u32) as usize],
            })
            .collect();
        Gen {
            rng,
            pool,
            uniform,
            next_uniform: 0,
            clients,
            wan_ip: String::from("198.51.100.7"),
        }
    }

    fn attacker(&mut self) -> u32 {
        let n = self.pool.len() as u32;
        if self.uniform {
            let i = self.next_uniform;
            self.next_uniform = (i + 1) % n;
            return i;
        }
        // Skewed: a few addresses attack a lot, most only now and then.
        let u = self.rng.below(1 << 16) as u64;
        ((u64::from(n) * u * u) >> 32) as u32
    }

    fn port(&mut self) -> u32 {
        self.rng.range(1024, 65535)
    }

    /// The address as dropbear prints a peer: `host:port`, IPv6 unbracketed.
    fn dropbear_peer(&mut self, ip: u32) -> String {
        let port = self.port();
        format!("{}:{}", self.pool[ip as usize], port)
    }

    /// The address as Asterisk prints a peer: `host:port`, IPv6 in brackets.
    fn asterisk_peer(&mut self, ip: u32) -> String {
        let a = &self.pool[ip as usize];
        let port = if self.rng.chance(70) {
            5060
        } else {
            self.rng.range(1024, 65535)
        };
        if a.contains(':') {
            format!("[{a}]:{port}")
        } else {
            format!("{a}:{port}")
        }
    }

    /// Generates a whole attack session starting at `t0`, as (time, line) pairs.
    fn session(&mut self, t0: u32) -> Vec<(u32, Line)> {
        let ip = self.attacker();
        let slow = self.rng.chance(10);
        let kind = self.rng.below(100);
        let mut out = Vec::new();
        let mut t = t0;
        // Slow attackers space their attempts 160..199 s: five never fit in 600 s, and no
        // two are exactly 600 s apart (3 gaps ≤ 597 s, 4 gaps ≥ 640 s).
        let gap = |g: &mut Gen, lo: u32, hi: u32| {
            if slow {
                g.rng.range(160, 199)
            } else {
                g.rng.range(lo, hi)
            }
        };
        if kind < 40 {
            // dropbear brute force: connections with password attempts, then exit.
            for _ in 0..self.rng.range(1, 6) {
                let pid = self.rng.range(3000, 32000);
                let peer = self.dropbear_peer(ip);
                out.push((
                    t,
                    dropbear(86, pid, format!("Child connection from {peer}"), None),
                ));
                let tries = self.rng.range(1, 10);
                let exists = self.rng.chance(70);
                let user = if exists {
                    "root"
                } else {
                    *self.rng.pick(&USERS[1..])
                };
                for _ in 0..tries {
                    t += gap(self, 1, 4);
                    let (msg, fam) = if exists {
                        let m = format!("Bad password attempt for '{user}' from {peer}");
                        (m, Family::DropbearBadPass)
                    } else {
                        let m = format!("Login attempt for nonexistent user from {peer}");
                        (m, Family::DropbearNoUser)
                    };
                    out.push((t, dropbear(84, pid, msg, Some((fam, ip)))));
                }
                t += gap(self, 0, 3);
                let why = match (exists, tries) {
                    (true, 10) => String::from(
                        "(user 'root', 10 fails): Max auth tries reached - user 'root'",
                    ),
                    (true, n) => format!("(user 'root', {n} fails): Exited normally"),
                    (false, _) => String::from("Exited normally"),
                };
                let msg = format!("Exit before auth from <{peer}>: {why}");
                out.push((t, dropbear(86, pid, msg, Some((Family::DropbearExit, ip)))));
                t += gap(self, 2, 30);
            }
        } else if kind < 55 {
            // dropbear scanner: connects and leaves before authenticating.
            const WHY: [&str; 5] = [
                "Exited normally",
                "Disconnect received",
                "Timeout before auth",
                "Error reading: Connection reset by peer",
                "No matching algo kex",
            ];
            for _ in 0..self.rng.range(1, 8) {
                let pid = self.rng.range(3000, 32000);
                let peer = self.dropbear_peer(ip);
                out.push((
                    t,
                    dropbear(86, pid, format!("Child connection from {peer}"), None),
                ));
                t += gap(self, 0, 2);
                let msg = format!("Exit before auth from <{peer}>: {}", self.rng.pick(&WHY));
                out.push((t, dropbear(86, pid, msg, Some((Family::DropbearExit, ip)))));
                t += gap(self, 5, 120);
            }
        } else if kind < 65 {
            for _ in 0..self.rng.range(1, 12) {
                let user = if self.rng.chance(80) { "root" } else { "admin" };
                let msg = format!(
                    "failed login on / for {user} from {}",
                    self.pool[ip as usize]
                );
                let line = Line {
                    pri: 84,
                    tag: "luci",
                    pid: None,
                    msg,
                    fail: Some((Family::Luci, ip)),
                };
                out.push((t, line));
                t += gap(self, 2, 20);
            }
        } else if kind < 82 {
            let pid = 2711;
            for _ in 0..self.rng.range(1, 30) {
                let ext = self.rng.range(100, 1099);
                let a = &self.pool[ip as usize];
                let (msg, fam) = if self.rng.chance(15) {
                    let m = format!(
                        "[WARNING] sofia_reg.c:3079 Can't find user [{ext}@{}] from {a}",
                        self.wan_ip
                    );
                    (m, Family::FreeswitchNoUser)
                } else {
                    let method = if self.rng.chance(75) {
                        "REGISTER"
                    } else {
                        "INVITE"
                    };
                    let profile = if self.rng.chance(80) {
                        "internal"
                    } else {
                        "external"
                    };
                    let m = format!(
                        "[WARNING] sofia_reg.c:1792 SIP auth failure ({method}) on sofia profile '{profile}' for [{ext}@{}] from ip {a}",
                        self.wan_ip
                    );
                    (m, Family::FreeswitchAuth)
                };
                out.push((
                    t,
                    Line {
                        pri: 12,
                        tag: "freeswitch",
                        pid: Some(pid),
                        msg,
                        fail: Some((fam, ip)),
                    },
                ));
                t += gap(self, 0, 3);
            }
        } else if kind < 87 {
            for _ in 0..self.rng.range(1, 15) {
                let ext = self.rng.range(100, 1099);
                let msg = format!(
                    "SIP registration failed User:{ext} IP:{}",
                    self.pool[ip as usize]
                );
                let fail = Some((Family::FreeswitchSo, ip));
                out.push((
                    t,
                    Line {
                        pri: 13,
                        tag: "Freeswitch",
                        pid: None,
                        msg,
                        fail,
                    },
                ));
                t += gap(self, 1, 10);
            }
        } else {
            let pid = 2891;
            for _ in 0..self.rng.range(1, 30) {
                let ext = self.rng.range(100, 1099);
                let lwp = self.rng.range(2900, 2990);
                let peer = self.asterisk_peer(ip);
                let from = format!("'\"{ext}\" <sip:{ext}@{}>'", self.wan_ip);
                let (msg, fam) = if self.rng.chance(60) {
                    let why = if self.rng.chance(70) {
                        "Wrong password"
                    } else {
                        "No matching peer found"
                    };
                    let m = format!(
                        "NOTICE[{lwp}]: chan_sip.c:28178 in handle_request_register: Registration from {from} failed for '{peer}' - {why}"
                    );
                    (m, Family::AsteriskSip)
                } else {
                    let (method, why) = if self.rng.chance(50) {
                        ("REGISTER", "Failed to authenticate")
                    } else {
                        ("INVITE", "No matching endpoint found")
                    };
                    let callid = self.rng.next();
                    let m = format!(
                        "NOTICE[{lwp}]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request '{method}' from {from} failed for '{peer}' (callid: {callid:016x}) - {why}"
                    );
                    (m, Family::AsteriskPjsip)
                };
                out.push((
                    t,
                    Line {
                        pri: 133,
                        tag: "asterisk",
                        pid: Some(pid),
                        msg,
                        fail: Some((fam, ip)),
                    },
                ));
                t += gap(self, 0, 2);
            }
        }
        out
    }

    /// One line of router noise at uptime `t`.
    fn noise(&mut self, t: u32) -> Line {
        let c = self.rng.below(self.clients.len() as u32) as usize;
        let (mac, ip, name) = {
            let c = &self.clients[c];
            (c.mac.clone(), c.ip.clone(), c.name)
        };
        let k = self.rng.below(100);
        let (pri, tag, pid, msg) = if k < 30 {
            let msg = match self.rng.below(4) {
                0 => format!("DHCPDISCOVER(br-lan) {mac}"),
                1 => format!("DHCPOFFER(br-lan) {ip} {mac}"),
                2 => format!("DHCPREQUEST(br-lan) {ip} {mac}"),
                _ => format!("DHCPACK(br-lan) {ip} {mac} {name}"),
            };
            (30, "dnsmasq-dhcp", Some(1876), msg)
        } else if k < 40 {
            const Q: [&str; 5] = [
                "time.apple.com",
                "connectivitycheck.gstatic.com",
                "openwrt.org",
                "www.example.com",
                "2.openwrt.pool.ntp.org",
            ];
            let q = self.rng.pick(&Q);
            let msg = match self.rng.below(3) {
                0 => format!("query[A] {q} from {ip}"),
                1 => format!("forwarded {q} to 1.1.1.1"),
                _ => format!("reply {q} is 93.184.215.{}", self.rng.range(1, 254)),
            };
            (30, "dnsmasq", Some(1876), msg)
        } else if k < 55 {
            let ap = if self.rng.chance(50) {
                "phy0-ap0"
            } else {
                "phy1-ap0"
            };
            let msg = match self.rng.below(5) {
                0 => format!(
                    "{ap}: STA {mac} IEEE 802.11: associated (aid {})",
                    self.rng.range(1, 20)
                ),
                1 => format!("{ap}: AP-STA-CONNECTED {mac} auth_alg=open"),
                2 => format!("{ap}: STA {mac} WPA: pairwise key handshake completed (RSN)"),
                3 => format!("{ap}: AP-STA-DISCONNECTED {mac}"),
                _ => format!("{ap}: STA {mac} IEEE 802.11: disassociated"),
            };
            (30, "hostapd", None, msg)
        } else if k < 75 {
            // Firewall log lines carry attacker addresses too: a loose pattern would count them.
            let src = if self.rng.chance(50) {
                let i = self.attacker();
                self.pool[i as usize].clone()
            } else {
                v4_address(&mut self.rng)
            };
            let dpt = *self.rng.pick(&[22u32, 23, 80, 443, 445, 3389, 5060, 8080]);
            let up = t + 12_345;
            let frac = self.rng.below(1_000_000);
            let msg = if src.contains(':') {
                format!(
                    "[{up:>5}.{frac:06}] reject wan in: IN=eth1 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:86:dd SRC={src} DST=2001:db8:1::1 LEN=80 TC=0 HOPLIMIT=52 FLOWLBL=0 PROTO=TCP SPT={} DPT={dpt} WINDOW=1024 RES=0x00 SYN URGP=0",
                    self.port()
                )
            } else {
                let (ttl, id, spt) = (
                    self.rng.range(30, 250),
                    self.rng.range(1, 65535),
                    self.port(),
                );
                format!(
                    "[{up:>5}.{frac:06}] reject wan in: IN=eth1 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC={src} DST={} LEN=44 TOS=0x00 PREC=0x00 TTL={ttl} ID={id} PROTO=TCP SPT={spt} DPT={dpt} WINDOW=1024 RES=0x00 SYN URGP=0",
                    self.wan_ip
                )
            };
            (4, "kernel", None, msg)
        } else if k < 80 {
            let msg = match self.rng.below(4) {
                0 => String::from("Interface 'wan' is now up"),
                1 => String::from("wan (2210): udhcpc: sending renew to 10.20.0.1"),
                2 => String::from(
                    "wan (2210): udhcpc: lease of 10.20.3.4 obtained from 10.20.0.1, lease time 3600",
                ),
                _ => String::from("Network device 'eth1' link is up"),
            };
            (29, "netifd", None, msg)
        } else if k < 87 {
            let msg = if self.rng.chance(30) {
                String::from(
                    "A default route is present but there is no public prefix on br-lan thus we don't announce a default route!",
                )
            } else {
                let kind = if self.rng.chance(50) {
                    "SOLICIT"
                } else {
                    "RENEW"
                };
                let duid = mac.replace(':', "");
                format!(
                    "DHCPV6 {kind} IA_NA from 00010001{duid} on br-lan: ok fd12:3456:789a::{:x}/128",
                    self.rng.range(0x100, 0xfff)
                )
            };
            (30, "odhcpd", Some(1523), msg)
        } else if k < 90 {
            let pid = self.rng.range(3000, 32000);
            let peer = format!("{ip}:{}", self.port());
            let msg = match self.rng.below(3) {
                0 => format!("Child connection from {peer}"),
                1 => format!("Password auth succeeded for 'root' from {peer}"),
                _ => format!("Exit (root) from <{peer}>: Disconnect received"),
            };
            (85, "dropbear", Some(pid), msg)
        } else if k < 91 {
            (
                85,
                "luci",
                None,
                format!("accepted login on / for root from {ip}"),
            )
        } else if k < 95 {
            const CMD: [&str; 3] = [
                "/usr/sbin/logrotate /etc/logrotate.conf",
                "/etc/init.d/ddns restart",
                "/sbin/fstrim /",
            ];
            let msg = format!(
                "USER root pid {} cmd {}",
                self.rng.range(3000, 32000),
                self.rng.pick(&CMD)
            );
            (78, "crond", Some(1409), msg)
        } else if k < 97 {
            let msg = format!(
                "ntpd: reply from 162.159.200.1: offset:+0.00{:04} delay:0.01{:04} status:0x24 strat:3 refid:0x8a8a0a0a rootdelay:0.0069",
                self.rng.below(10000),
                self.rng.below(10000)
            );
            (30, "ntpd", Some(2051), msg)
        } else if k < 99 {
            let ext = self.rng.range(100, 199);
            let msg = format!(
                "[NOTICE] sofia.c:1065 Hangup sofia/internal/{ext}@{ip} [CS_EXECUTE] [NORMAL_CLEARING]"
            );
            (13, "freeswitch", Some(2711), msg)
        } else {
            let msg = format!(
                "NOTICE[2905]: chan_sip.c:24325 in handle_response_peerpoke: Peer '{}' is now Reachable. (5ms / 2000ms)",
                self.rng.range(100, 199)
            );
            (133, "asterisk", Some(2891), msg)
        };
        Line {
            pri,
            tag,
            pid,
            msg,
            fail: None,
        }
    }
}

fn dropbear(pri: u8, pid: u32, msg: String, fail: Option<(Family, u32)>) -> Line {
    Line {
        pri,
        tag: "dropbear",
        pid: Some(pid),
        msg,
        fail,
    }
}

fn v4_address(rng: &mut Rng) -> String {
    // Public-looking: no 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, multicast.
    let a = loop {
        let a = rng.range(1, 223);
        if ![10, 100, 127, 169, 172, 192].contains(&a) {
            break a;
        }
    };
    format!(
        "{a}.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        rng.range(1, 254)
    )
}

fn v6_address(rng: &mut Rng) -> String {
    const PREFIX: [&str; 6] = [
        "2a01:4f8",
        "2001:41d0",
        "2a03:b0c0",
        "2604:a880",
        "2a02:c207",
        "2400:8901",
    ];
    let p = rng.pick(&PREFIX);
    if rng.chance(50) {
        format!(
            "{p}:{:x}:{:x}::{:x}",
            rng.range(1, 0xffff),
            rng.range(1, 0xffff),
            rng.range(1, 0xffff)
        )
    } else {
        format!(
            "{p}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
            rng.range(1, 0xffff),
            rng.range(1, 0xffff),
            rng.range(1, 0xffff),
            rng.range(1, 0xffff),
            rng.range(1, 0xffff),
            rng.range(1, 0xffff)
        )
    }
}

/// The expectation model: a sliding window per (family, address), firing clears the key.
struct Model {
    maxfail: usize,
    time: u32,
    windows: HashMap<(Family, u32), VecDeque<u32>>,
    failures: HashMap<Family, u64>,
    firings: HashMap<(Family, u32), u64>,
}

impl Model {
    /// True when an event of `key` at `t` would be exactly `time` seconds after a kept event.
    fn on_boundary(&self, key: (Family, u32), t: u32) -> bool {
        self.windows
            .get(&key)
            .is_some_and(|w| w.iter().any(|&e| t.wrapping_sub(e) == self.time))
    }

    fn event(&mut self, key: (Family, u32), t: u32) {
        *self.failures.entry(key.0).or_default() += 1;
        let w = self.windows.entry(key).or_default();
        while w.front().is_some_and(|&e| t - e >= self.time) {
            w.pop_front();
        }
        w.push_back(t);
        if w.len() >= self.maxfail {
            w.clear();
            *self.firings.entry(key).or_default() += 1;
        }
    }
}

/// Start of the log: 2026-03-01 00:00:00 (no year change within a few months of lines).
const START_DAYS: i64 = 20_513;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// (year, month 1..12, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, usize, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn facility_name(f: u8) -> &'static str {
    const F: [&str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];
    F.get(usize::from(f)).copied().unwrap_or("user")
}

fn severity_name(s: u8) -> &'static str {
    const S: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
    ];
    S[usize::from(s & 7)]
}

#[derive(Clone, Copy)]
enum Format {
    Frames,
    Logread,
    Syslog,
}

fn format_line(out: &mut String, fmt: Format, host: &str, t: u32, l: &Line) {
    let days = START_DAYS + i64::from(t / 86_400);
    let (y, m, d) = civil(days);
    let s = t % 86_400;
    let (hh, mm, ss) = (s / 3600, s / 60 % 60, s % 60);
    let mon = MONTHS[m - 1];
    out.clear();
    let _ = match fmt {
        Format::Frames => write!(out, "<{}>{mon} {d:>2} {hh:02}:{mm:02}:{ss:02} ", l.pri),
        Format::Syslog => write!(out, "{mon} {d:>2} {hh:02}:{mm:02}:{ss:02} {host} "),
        Format::Logread => write!(
            out,
            "{} {mon} {d:>2} {hh:02}:{mm:02}:{ss:02} {y} {}.{} ",
            WEEKDAYS[days.rem_euclid(7) as usize],
            facility_name(l.pri >> 3),
            severity_name(l.pri & 7)
        ),
    };
    let _ = match l.pid {
        Some(p) => writeln!(out, "{}[{p}]: {}", l.tag, l.msg),
        None => writeln!(out, "{}: {}", l.tag, l.msg),
    };
}

/// The next noise gap: mostly the same or the next second, sometimes a quiet period.
fn noise_gap(rng: &mut Rng) -> u32 {
    match rng.below(100) {
        0..=84 => rng.range(0, 1),
        85..=98 => rng.range(2, 8),
        _ => rng.range(30, 600),
    }
}

fn main() -> io::Result<()> {
    let args: Args = argh::from_env();
    let fmt = match args.format.as_str() {
        "frames" => Format::Frames,
        "logread" => Format::Logread,
        "syslog" => Format::Syslog,
        other => {
            eprintln!("gen_router_log: unknown format {other:?} (frames, logread, syslog)");
            std::process::exit(1);
        }
    };
    let noise_pct = args.noise.min(100);
    let mut g = Gen::new(args.seed, args.attackers, args.uniform);
    let mut model = Model {
        maxfail: args.maxfail.max(1),
        time: args.time,
        windows: HashMap::new(),
        failures: HashMap::new(),
        firings: HashMap::new(),
    };
    let sink: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(File::create(p)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, sink);

    // Time-ordered queue of (time, sequence) -> event; the sequence keeps equal times in order.
    let mut queue: BinaryHeap<Reverse<(u32, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |q: &mut BinaryHeap<_>, t: u32, e: Event| {
        seq += 1;
        q.push(Reverse((t, seq, e)));
    };
    if noise_pct > 0 {
        push(&mut queue, 0, Event::Noise);
    }
    if noise_pct < 100 {
        push(&mut queue, 0, Event::Spawn);
    }
    let (mut emitted, mut noise_lines, mut attack_scheduled) = (0u64, 0u64, 0u64);
    let mut text = String::with_capacity(512);
    while emitted < args.lines {
        let Some(Reverse((t, _, ev))) = queue.pop() else {
            break;
        };
        let line = match ev {
            Event::Noise => {
                let next = t + noise_gap(&mut g.rng);
                push(&mut queue, next, Event::Noise);
                noise_lines += 1;
                g.noise(t)
            }
            Event::Spawn => {
                // Feedback: keep scheduled attack lines near the wanted share of all lines.
                let want = if noise_pct == 0 {
                    u64::MAX
                } else {
                    noise_lines * u64::from(100 - noise_pct) / u64::from(noise_pct) + 50
                };
                let next = if attack_scheduled < want {
                    for (ta, l) in g.session(t) {
                        attack_scheduled += 1;
                        push(&mut queue, ta, Event::Attack(Box::new(l)));
                    }
                    t + if noise_pct == 0 {
                        g.rng.range(0, 2)
                    } else {
                        g.rng.range(1, 60)
                    }
                } else {
                    t + g.rng.range(30, 600)
                };
                push(&mut queue, next, Event::Spawn);
                continue;
            }
            Event::Attack(l) => {
                if let Some(key) = l.fail {
                    if model.on_boundary(key, t) {
                        push(&mut queue, t + 1, Event::Attack(l));
                        continue;
                    }
                    model.event(key, t);
                }
                *l
            }
        };
        format_line(&mut text, fmt, &args.host, t, &line);
        out.write_all(text.as_bytes())?;
        emitted += 1;
    }
    out.flush()?;
    if let Some(path) = &args.expect {
        write_expect(path, &args, &g, &model, emitted, noise_lines)?;
    }
    Ok(())
}

fn write_expect(
    path: &str,
    args: &Args,
    g: &Gen,
    m: &Model,
    lines: u64,
    noise: u64,
) -> io::Result<()> {
    let mut f = BufWriter::new(File::create(path)?);
    writeln!(
        f,
        "# gen_router_log seed={} attackers={} noise={} uniform={} maxfail={} time={}",
        args.seed, args.attackers, args.noise, args.uniform, m.maxfail, m.time
    )?;
    writeln!(f, "lines {lines}")?;
    writeln!(f, "noise {noise}")?;
    let (mut total_fail, mut total_fire) = (0, 0);
    for fam in FAMILIES {
        let fails = m.failures.get(&fam).copied().unwrap_or(0);
        let fires: u64 = m
            .firings
            .iter()
            .filter(|(k, _)| k.0 == fam)
            .map(|(_, n)| n)
            .sum();
        let addrs = m.windows.keys().filter(|k| k.0 == fam).count();
        writeln!(
            f,
            "family {} failures {fails} firings {fires} addresses {addrs}",
            fam.name()
        )?;
        total_fail += fails;
        total_fire += fires;
    }
    writeln!(f, "total failures {total_fail} firings {total_fire}")?;
    let mut banned: Vec<&str> = m
        .firings
        .keys()
        .map(|k| g.pool[k.1 as usize].as_str())
        .collect();
    banned.sort_unstable();
    banned.dedup();
    writeln!(f, "banned {}", banned.len())?;
    let mut fires: Vec<_> = m.firings.iter().collect();
    fires.sort_unstable();
    for ((fam, ip), n) in fires {
        writeln!(f, "fire {} {} {n}", fam.name(), g.pool[*ip as usize])?;
    }
    f.flush()
}
