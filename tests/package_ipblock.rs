//! ipblock.sh against the real kernel: every test runs the script in a network namespace of its
//! own (nftables tables and ipsets are per namespace, so the host's firewall is never touched),
//! under busybox ash as on a router. Needs root, iproute2, nftables (and ipset + iptables for the
//! fallback test).

mod package_support;

use package_support::{Netns, SHELLS, Scratch, poll, read, shipped, stdout, text};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// One router: a namespace, a scratch directory with the block log and recording stubs.
struct Router {
    ns: Netns,
    _dir: Scratch,
    blocklog: PathBuf,
    conntrack_calls: PathBuf,
    logger_calls: PathBuf,
    env: Vec<(String, String)>,
}

impl Router {
    fn new() -> Router {
        let ns = Netns::new();
        let dir = Scratch::new("ipblock");
        let (conntrack, conntrack_calls) = dir.recorder("conntrack");
        let (logger, logger_calls) = dir.recorder("logger");
        let blocklog = dir.path("blockedIPs.log");
        let env = vec![
            ("CONNTRACK".into(), conntrack.display().to_string()),
            ("LOGGER".into(), logger.display().to_string()),
            ("LT_BLOCKLOG".into(), blocklog.display().to_string()),
            ("LT_LOCKDIR".into(), dir.0.display().to_string()),
        ];
        Router {
            ns,
            _dir: dir,
            blocklog,
            conntrack_calls,
            logger_calls,
            env,
        }
    }

    /// ipblock.sh ARGS with logtrigger's clean environment plus `vars`.
    fn cmd(&self, shell: &[&str], args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut c = self.ns.cmd(shell);
        c.arg(shipped("ipblock.sh"))
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        self.cmd(SHELLS[0], args, vars)
            .output()
            .expect("run ipblock.sh")
    }

    /// Bans like logtrigger does: no arguments, the address in LT_ip.
    fn ban(&self, ip: &str, bantime: &str) -> Output {
        let out = self.run(
            &[],
            &[("LT_ip", ip), ("LT_bantime", bantime), ("LT_name", "Test")],
        );
        assert!(out.status.success(), "ban {ip}: {}", text(&out));
        out
    }

    /// (address, timeout s, expires s) of each element of ban4/ban6.
    fn elements(&self, set: &str) -> Vec<(String, u64, u64)> {
        let out = self
            .ns
            .run(&["nft", "list", "set", "inet", "logtrigger", set]);
        assert!(out.status.success(), "nft list set {set}: {}", text(&out));
        parse_elements(&stdout(&out))
    }

    fn has(&self, set: &str, addr: &str) -> bool {
        self.elements(set).iter().any(|(a, _, _)| a == addr)
    }

    fn timeout_of(&self, set: &str, addr: &str) -> Option<u64> {
        self.elements(set)
            .into_iter()
            .find(|(a, _, _)| a == addr)
            .map(|e| e.1)
    }

    fn table_exists(&self) -> bool {
        self.ns
            .run(&["nft", "list", "table", "inet", "logtrigger"])
            .status
            .success()
    }

    /// How many times `needle` occurs in the chain's rules.
    fn rules_matching(&self, chain: &str, needle: &str) -> usize {
        let out = self
            .ns
            .run(&["nft", "list", "chain", "inet", "logtrigger", chain]);
        assert!(out.status.success(), "{}", text(&out));
        stdout(&out).lines().filter(|l| l.contains(needle)).count()
    }
}

/// Parses `elements = { A timeout 1h expires 59m59s10ms, B … }` of `nft list set`.
fn parse_elements(listing: &str) -> Vec<(String, u64, u64)> {
    let Some(start) = listing.find("elements = {") else {
        return Vec::new();
    };
    let body = &listing[start + "elements = {".len()..];
    let body = &body[..body.find('}').expect("closing brace")];
    body.split(',')
        .filter_map(|e| {
            let words: Vec<&str> = e.split_whitespace().collect();
            let field = |name: &str| {
                let at = words.iter().position(|w| *w == name)?;
                words.get(at + 1).map(|d| duration_secs(d))
            };
            Some((
                words.first()?.to_string(),
                field("timeout")?,
                field("expires").unwrap_or(0),
            ))
        })
        .collect()
}

/// Seconds in an nft duration such as `1d2h3m4s500ms` (milliseconds dropped).
fn duration_secs(d: &str) -> u64 {
    let (mut total, mut num) = (0u64, 0u64);
    let mut chars = d.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(digit) = c.to_digit(10) {
            num = num * 10 + u64::from(digit);
            continue;
        }
        let unit = match c {
            'd' => 86400,
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            's' => 1,
            _ => panic!("bad duration {d}"),
        };
        total += num * unit;
        num = 0;
    }
    total
}

#[test]
fn duration_parser_reads_nft_durations() {
    assert_eq!(duration_secs("1h"), 3600);
    assert_eq!(duration_secs("1m40s"), 100);
    assert_eq!(duration_secs("59m59s832ms"), 3599);
    assert_eq!(duration_secs("1d2h3m4s"), 93784);
    let l = "set ban4 {\n elements = { 1.2.3.4 timeout 1h expires 59m59s, 5.6.7.8 timeout 20s expires 19s976ms }\n}";
    assert_eq!(
        parse_elements(l),
        [
            ("1.2.3.4".to_string(), 3600, 3599),
            ("5.6.7.8".to_string(), 20, 19)
        ]
    );
}

#[test]
fn ban_accepts_every_address_form() {
    let r = Router::new();
    let cases = [
        ("198.51.100.1", "ban4", "198.51.100.1"),
        ("198.51.100.2:51234", "ban4", "198.51.100.2"),
        ("2001:db8::1", "ban6", "2001:db8::1"),
        ("[2001:db8::2]", "ban6", "2001:db8::2"),
        ("[2001:db8::3]:22", "ban6", "2001:db8::3"),
        ("2001:db8::4:51234", "ban6", "2001:db8::4"),
        ("::ffff:198.51.100.3", "ban4", "198.51.100.3"),
        ("[::ffff:198.51.100.4]:2222", "ban4", "198.51.100.4"),
        ("2001:DB8:0:0:0:0:0:5", "ban6", "2001:db8::5"),
        ("2001:db8:1:2:3:4:5:6:40000", "ban6", "2001:db8:1:2:3:4:5:6"),
    ];
    for (value, set, addr) in cases {
        r.ban(value, "600");
        assert_eq!(
            r.timeout_of(set, addr),
            Some(600),
            "{value} -> {set} {addr}: {:?}",
            r.elements(set)
        );
    }
    assert_eq!(r.elements("ban4").len(), 4);
    assert_eq!(r.elements("ban6").len(), 6);
    for chain in ["input", "forward"] {
        assert_eq!(
            r.rules_matching(chain, "ip saddr @ban4 counter"),
            1,
            "{chain}"
        );
        assert_eq!(
            r.rules_matching(chain, "ip6 saddr @ban6 counter"),
            1,
            "{chain}"
        );
        assert_eq!(r.rules_matching(chain, "hook "), 1);
    }
    let out =
        r.ns.run(&["nft", "list", "chain", "inet", "logtrigger", "input"]);
    assert!(stdout(&out).contains("type filter hook input priority filter - 1; policy accept;"));
}

#[test]
fn dropbear_unbracketed_v6_always_carries_a_port() {
    let r = Router::new();
    // Dropbear logs `2001:db8::6:2222` for [2001:db8::6]:2222; a low port would otherwise read as
    // the last group of an address (and let an attacker choose a different address to be banned).
    let out = r.run(
        &[],
        &[("LT_ip", "2001:db8::6:2222"), ("LT_program", "dropbear")],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(r.has("ban6", "2001:db8::6"), "{:?}", r.elements("ban6"));
    let out = r.run(&[], &[("LT_ip", "2001:db8::7:2222"), ("LT_ipport", "1")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(r.has("ban6", "2001:db8::7"));
    // Without the hint a whole valid address is taken as it is.
    r.ban("2001:db8::8:2222", "600");
    assert!(r.has("ban6", "2001:db8::8:2222"));
    // With the hint a value without a port is refused rather than guessed.
    let out = r.run(
        &[],
        &[("LT_ip", "2001:db8::abcd"), ("LT_program", "dropbear")],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn invalid_values_are_refused_logged_and_never_reach_a_command() {
    let dir = Scratch::new("refuse");
    let (nft, nft_calls) = dir.recorder("nft");
    let (ct, ct_calls) = dir.recorder("conntrack");
    let (ipset, ipset_calls) = dir.recorder("ipset");
    let (logger, logger_calls) = dir.recorder("logger");
    let blocklog = dir.path("blocked.log");
    let long = "1".repeat(5000);
    let bad = [
        "",
        "1.2.3.4 5.6.7.8",
        "1.2.3.4;reboot",
        "$(reboot)",
        "`reboot`",
        "1.2.3.4\n5.6.7.8",
        "1.2.3.256",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.4:",
        "1.2.3.4:99999",
        "1.2.3.4:-1",
        "-1.2.3.4",
        "[1.2.3.4]",
        "[2001:db8::1",
        "2001:db8::1::2",
        "2001:db8::::1",
        ":2001:db8::1",
        "1:2:3:4:5:6:7:8:9:10",
        "fe80::1%eth0",
        "12345::1",
        "example.com",
        "9.9.9.9 IP:1.2.3.4",
        "127.0.0.1",
        "127.1.2.3:22",
        "::1",
        "[::1]:22",
        "0.0.0.0",
        "::",
        "*",
        long.as_str(),
    ];
    for shell in SHELLS {
        for value in bad {
            let out = Command::new(shell[0])
                .args(&shell[1..])
                .arg(shipped("ipblock.sh"))
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .env("NFT", &nft)
                .env("CONNTRACK", &ct)
                .env("IPSET", &ipset)
                .env("LOGGER", &logger)
                .env("LT_BLOCKLOG", &blocklog)
                .env("LT_ip", value)
                .env("LT_name", "Test")
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{shell:?} accepted {value:?}: {}",
                text(&out)
            );
        }
        for value in ["1.2.3.4 5.6.7.8", "$(reboot)"] {
            let out = Command::new(shell[0])
                .args(&shell[1..])
                .arg(shipped("ipblock.sh"))
                .args(["unban", value])
                .env("NFT", &nft)
                .env("LOGGER", &logger)
                .env("LT_BLOCKLOG", &blocklog)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "unban {value:?}");
        }
    }
    assert_eq!(read(&nft_calls), "", "nft was called");
    assert_eq!(read(&ct_calls), "", "conntrack was called");
    assert_eq!(read(&ipset_calls), "", "ipset was called");
    let log = read(&blocklog);
    let refused = log
        .lines()
        .filter(|l| l.contains("refused address"))
        .count();
    assert_eq!(refused, 2 * bad.len() + 4, "{log}");
    assert!(log.lines().all(|l| l.len() < 200), "refusals are cut short");
    assert!(!log.contains("reboot\n5.6"), "control bytes kept");
    let syslog = read(&logger_calls);
    assert_eq!(
        syslog
            .lines()
            .filter(|l| l.starts_with("-t logtrigger -p daemon.warning ipblock: refused"))
            .count(),
        2 * bad.len() + 4
    );
}

#[test]
fn reban_restarts_the_timeout() {
    let r = Router::new();
    r.ban("198.51.100.20", "100");
    r.ban("2001:db8::20", "100");
    assert_eq!(r.timeout_of("ban4", "198.51.100.20"), Some(100));
    r.ban("198.51.100.20", "5000");
    r.ban("[2001:db8::20]:1", "5000");
    assert_eq!(r.timeout_of("ban4", "198.51.100.20"), Some(5000));
    assert_eq!(r.timeout_of("ban6", "2001:db8::20"), Some(5000));
    // Same bantime again: the remaining time goes back up.
    r.ban("198.51.100.21", "3");
    assert!(poll(Duration::from_secs(5), || {
        r.elements("ban4")
            .iter()
            .any(|(a, _, exp)| a == "198.51.100.21" && *exp < 2)
    }));
    r.ban("198.51.100.21", "3");
    let exp = r
        .elements("ban4")
        .into_iter()
        .find(|e| e.0 == "198.51.100.21")
        .unwrap()
        .2;
    assert!(exp >= 2, "expires {exp} s after a re-ban");
}

#[test]
fn unban_list_and_flush() {
    let r = Router::new();
    // Before any ban: nothing to list, nothing to flush, no table created by either.
    assert!(r.run(&["list"], &[]).status.success());
    assert!(r.run(&["flush"], &[]).status.success());
    assert!(!r.table_exists());
    r.ban("198.51.100.30", "600");
    r.ban("198.51.100.31", "600");
    r.ban("2001:db8::30", "600");
    let list = stdout(&r.run(&["list"], &[]));
    for a in ["198.51.100.30", "198.51.100.31", "2001:db8::30"] {
        assert!(list.contains(a), "{list}");
    }
    let out = r.run(&["unban", "198.51.100.30:4444"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!r.has("ban4", "198.51.100.30"));
    assert!(r.has("ban4", "198.51.100.31"));
    assert_eq!(
        r.run(&["unban", "198.51.100.30"], &[]).status.code(),
        Some(1)
    );
    assert!(r.run(&["unban", "[2001:db8::30]"], &[]).status.success());
    assert!(r.elements("ban6").is_empty());
    assert!(r.run(&["flush"], &[]).status.success());
    assert!(r.elements("ban4").is_empty());
    assert!(r.table_exists(), "flush keeps the table and its rules");
    assert!(r.run(&["teardown"], &[]).status.success());
    assert!(!r.table_exists());
    assert!(read(&r.blocklog).contains("unbanned 198.51.100.30 by hand"));
}

#[test]
fn concurrent_first_uses_make_one_rule_per_hook() {
    let r = Router::new();
    let children: Vec<_> = (1..=8)
        .map(|i| {
            let ip = if i % 2 == 0 {
                format!("198.51.100.{i}")
            } else {
                format!("2001:db8::{i}")
            };
            r.cmd(SHELLS[i % 2], &[], &[("LT_ip", &ip), ("LT_bantime", "600")])
                .spawn()
                .expect("spawn ipblock.sh")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(r.elements("ban4").len(), 4);
    assert_eq!(r.elements("ban6").len(), 4);
    for chain in ["input", "forward"] {
        assert_eq!(r.rules_matching(chain, "@ban4"), 1, "{chain}");
        assert_eq!(r.rules_matching(chain, "@ban6"), 1, "{chain}");
    }
}

#[test]
fn a_ban_expires_by_itself() {
    let r = Router::new();
    r.ban("198.51.100.40", "2");
    assert!(r.has("ban4", "198.51.100.40"));
    assert!(
        poll(Duration::from_secs(10), || !r.has("ban4", "198.51.100.40")),
        "still banned after 10 s: {:?}",
        r.elements("ban4")
    );
}

#[test]
fn ban_logs_flushes_conntrack_and_defaults_the_bantime() {
    let r = Router::new();
    let msg = "Nov 28 12:00:00 dropbear[1]: Bad password attempt for 'root' from 198.51.100.50:4000\nforged";
    let out = r.run(
        &[],
        &[
            ("LT_ip", "198.51.100.50:4000"),
            ("LT_name", "Dropbear"),
            ("LT_count", "5"),
            ("LT_message", msg),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        r.timeout_of("ban4", "198.51.100.50"),
        Some(3600),
        "default bantime"
    );
    r.ban("2001:db8::50", "60");
    assert_eq!(
        read(&r.conntrack_calls),
        "-D -f ipv4 -s 198.51.100.50\n-D -f ipv6 -s 2001:db8::50\n"
    );
    let log = read(&r.blocklog);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].ends_with(
            "banned 198.51.100.50 for 3600s (rule 'Dropbear', count 5): Nov 28 12:00:00 dropbear[1]: \
             Bad password attempt for 'root' from 198.51.100.50:4000forged"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("banned 2001:db8::50 for 60s (rule 'Test'"));
    assert!(
        read(&r.logger_calls)
            .contains("-t logtrigger -p daemon.notice ipblock: banned 198.51.100.50 for 3600s")
    );
    // A bantime that is not a positive integer: warned about, the default used.
    for bad in ["10; reboot", "-5", "0", "1e3", "999999999"] {
        r.ban("198.51.100.51", bad);
        assert_eq!(r.timeout_of("ban4", "198.51.100.51"), Some(3600), "{bad}");
    }
    assert_eq!(
        read(&r.logger_calls)
            .matches("is not 1..99999999 seconds")
            .count(),
        5
    );
}

#[test]
fn banned_packets_are_dropped_at_input() {
    let r = Router::new();
    for a in ["198.51.100.60/32", "198.51.100.61/32"] {
        assert!(
            r.ns.run(&["ip", "addr", "add", a, "dev", "lo"])
                .status
                .success()
        );
    }
    assert!(
        r.ns.run(&["ip", "link", "set", "lo", "up"])
            .status
            .success()
    );
    r.ban("198.51.100.60", "600");
    let send = |from: &str| {
        let py = format!(
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{from}',0))\n\
             r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nr.bind(('198.51.100.61',0))\n\
             r.settimeout(1)\ns.sendto(b'x',r.getsockname())\n\
             try:\n  r.recv(8); print('received')\nexcept OSError: print('dropped')"
        );
        stdout(&r.ns.run(&["python3", "-c", &py])).trim().to_owned()
    };
    assert_eq!(send("198.51.100.61"), "received");
    assert_eq!(send("198.51.100.60"), "dropped");
    let out =
        r.ns.run(&["nft", "list", "chain", "inet", "logtrigger", "input"]);
    assert!(
        stdout(&out).contains("ip saddr @ban4 counter packets 1 "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn falls_back_to_ipset_and_iptables_without_nft() {
    let r = Router::new();
    let probe =
        r.ns.run(&["ipset", "create", "lt-probe", "hash:ip", "timeout", "0"]);
    if !probe.status.success() {
        eprintln!(
            "\n*** SKIPPED falls_back_to_ipset_and_iptables_without_nft: ipset unusable here: {}",
            text(&probe)
        );
        return;
    }
    r.ns.run(&["ipset", "destroy", "lt-probe"]);
    let nonft = [("NFT", "/nonexistent/nft")];
    let ban = |ip: &str, bt: &str| {
        let out = r.run(
            &[],
            &[
                ("LT_ip", ip),
                ("LT_bantime", bt),
                ("NFT", "/nonexistent/nft"),
            ],
        );
        assert!(out.status.success(), "fallback ban {ip}: {}", text(&out));
    };
    let ipset_timeout = |set: &str, addr: &str| -> Option<u64> {
        let out = r.ns.run(&["ipset", "list", set]);
        stdout(&out).lines().find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.first() == Some(&addr) && w.get(1) == Some(&"timeout"))
                .then(|| w[2].parse().unwrap())
        })
    };
    ban("198.51.100.70", "100");
    ban("198.51.100.71:22", "100");
    ban("[2001:db8::70]:22", "100");
    assert!(ipset_timeout("logtrigger4", "198.51.100.70").is_some_and(|t| t <= 100 && t > 90));
    assert!(ipset_timeout("logtrigger6", "2001:db8::70").is_some());
    ban("198.51.100.70", "5000");
    assert!(
        ipset_timeout("logtrigger4", "198.51.100.70").is_some_and(|t| t > 4900),
        "re-ban extends"
    );
    for (tool, set) in [("iptables", "logtrigger4"), ("ip6tables", "logtrigger6")] {
        let rules = stdout(&r.ns.run(&[tool, "-S"]));
        for chain in ["INPUT", "FORWARD"] {
            let want = format!("-A {chain} -m set --match-set {set} src -j DROP");
            assert_eq!(
                rules.lines().filter(|l| *l == want).count(),
                1,
                "{tool}: {rules}"
            );
        }
    }
    assert!(!r.table_exists(), "no nft table in fallback mode");
    assert!(stdout(&r.run(&["list"], &nonft)).contains("198.51.100.71"));
    assert!(r.run(&["unban", "198.51.100.71"], &nonft).status.success());
    assert_eq!(ipset_timeout("logtrigger4", "198.51.100.71"), None);
    assert!(r.run(&["flush"], &nonft).status.success());
    assert_eq!(ipset_timeout("logtrigger4", "198.51.100.70"), None);
    assert!(r.run(&["teardown"], &nonft).status.success());
    assert!(!stdout(&r.ns.run(&["iptables", "-S"])).contains("logtrigger4"));
    assert!(!r.ns.run(&["ipset", "list", "logtrigger4"]).status.success());
}
