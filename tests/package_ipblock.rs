//! ipblock.sh against the real kernel: every test runs the script in a network namespace of its
//! own (nftables tables and ipsets are per namespace, so the host's firewall is never touched),
//! under busybox ash as on a router. Needs root, iproute2, nftables (and ipset + iptables for the
//! fallback test).

mod package_support;

use package_support::{Netns, SHELLS, Scratch, poll, read, shipped, stdout, text};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// The binary that checks addresses for ipblock.sh (`logtrigger addr`).
const LOGTRIGGER: &str = env!("CARGO_BIN_EXE_logtrigger");

/// The text tools ipblock.sh uses, taken from busybox as on OpenWrt.
const BUSYBOX_TOOLS: [&str; 17] = [
    "awk", "sed", "sort", "tr", "cut", "date", "head", "grep", "wc", "mv", "cp", "rm", "mkdir",
    "cat", "readlink", "sleep", "kill",
];

/// One router: a namespace, a scratch directory with the block log and recording stubs.
struct Router {
    ns: Netns,
    dir: Scratch,
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
        // The router's text tools are busybox's: the script must work with them.
        let bb = dir.path("busybox");
        std::fs::create_dir(&bb).unwrap();
        let busybox = stdout(
            &Command::new("sh")
                .args(["-c", "command -v busybox"])
                .output()
                .unwrap(),
        );
        for tool in BUSYBOX_TOOLS {
            std::os::unix::fs::symlink(busybox.trim(), bb.join(tool)).unwrap();
        }
        let env = vec![
            (
                "PATH".into(),
                format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bb.display()),
            ),
            ("LOGTRIGGER".into(), LOGTRIGGER.into()),
            ("LT_RUNDIR".into(), dir.path("run").display().to_string()),
            (
                "LT_SAVEFILE".into(),
                dir.path("bans.save").display().to_string(),
            ),
            ("CONNTRACK".into(), conntrack.display().to_string()),
            ("LOGGER".into(), logger.display().to_string()),
            ("LT_BLOCKLOG".into(), blocklog.display().to_string()),
            ("LT_LOCKDIR".into(), dir.0.display().to_string()),
        ];
        Router {
            ns,
            dir,
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

    /// Bans like logtrigger does: no arguments, the address in LT_ip; every ban lasts `bantime`
    /// (no escalation: the tests of escalation use [`Router::fire`]).
    fn ban(&self, ip: &str, bantime: &str) -> Output {
        self.fire(
            ip,
            &[("LT_bantime", bantime), ("LT_bantime_increment", "0")],
        )
    }

    /// A firing of rule `Test` for `ip` with the rule options `vars`; must succeed.
    fn fire(&self, ip: &str, vars: &[(&str, &str)]) -> Output {
        let mut all = vec![("LT_ip", ip), ("LT_name", "Test")];
        all.extend_from_slice(vars);
        let out = self.run(&[], &all);
        assert!(out.status.success(), "ban {ip}: {}", text(&out));
        out
    }

    /// ipblock.sh ARGS; must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, &[]);
        assert!(out.status.success(), "ipblock.sh {args:?}: {}", text(&out));
        stdout(&out)
    }

    /// `ip ARGS` inside the namespace; must succeed.
    fn ip(&self, args: &str) {
        let mut v = vec!["ip"];
        v.extend(args.split_whitespace());
        let out = self.ns.run(&v);
        assert!(out.status.success(), "ip {args}: {}", text(&out));
    }

    /// (element, remaining s) of every element of every set, sorted.
    fn all_elements(&self) -> Vec<(String, String, u64)> {
        let mut v = Vec::new();
        for set in ["ban4", "ban6", "net6", "mem4", "mem6"] {
            for (a, _, exp) in self.elements(set) {
                v.push((set.to_string(), a, exp));
            }
        }
        v.sort();
        v
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
                .env("LOGTRIGGER", LOGTRIGGER)
                .env("LT_RUNDIR", dir.path("run"))
                .env("LT_SAVEFILE", dir.path("bans.save"))
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
                .env("LOGTRIGGER", LOGTRIGGER)
                .env("LT_RUNDIR", dir.path("run"))
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
    assert_eq!(refused, 2 * bad.len(), "{log}");
    assert!(log.lines().all(|l| l.len() < 200), "refusals are cut short");
    assert!(!log.contains("reboot\n5.6"), "control bytes kept");
    let syslog = read(&logger_calls);
    assert_eq!(
        syslog
            .lines()
            .filter(|l| l.starts_with("-t logtrigger -p daemon.warning ipblock: refused"))
            .count(),
        2 * bad.len()
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
            "banned 198.51.100.50 for 1h (3600s; rule 'Dropbear', count 5, ban 1); \
             undo: /etc/init.d/logtrigger unban 198.51.100.50: Nov 28 12:00:00 dropbear[1]: \
             Bad password attempt for 'root' from 198.51.100.50:4000forged"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("banned 2001:db8::50 for 1m (60s; rule 'Test', ban 1)"));
    assert!(read(&r.logger_calls).contains(
        "-t logtrigger -p daemon.notice ipblock: banned 198.51.100.50 for 1h (3600s; rule 'Dropbear'"
    ));
    // A bantime that is not a duration: warned about, the default used.
    for bad in ["10; reboot", "-5", "0", "1e3", "999999999", "2x", "m"] {
        r.ban("198.51.100.51", bad);
        assert_eq!(r.timeout_of("ban4", "198.51.100.51"), Some(3600), "{bad}");
    }
    assert_eq!(
        read(&r.logger_calls)
            .matches("is not 1..99999999 seconds")
            .count(),
        7
    );
    // Durations take suffixes.
    for (bt, secs) in [
        ("10m", 600),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("45s", 45),
    ] {
        r.ban("198.51.100.52", bt);
        assert_eq!(r.timeout_of("ban4", "198.51.100.52"), Some(secs), "{bt}");
    }
}

#[test]
fn banned_packets_are_dropped_at_input() {
    let r = Router::new();
    let peer = Peer::new(
        &r,
        &["198.51.100.1/24"],
        &["198.51.100.60/24", "198.51.100.61/24"],
    );
    assert!(udp_arrives(&r, &peer, "198.51.100.60", "198.51.100.1"));
    r.ban("198.51.100.60", "600");
    assert!(udp_arrives(&r, &peer, "198.51.100.61", "198.51.100.1"));
    assert!(!udp_arrives(&r, &peer, "198.51.100.60", "198.51.100.1"));
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

/// A second namespace wired to the router by a veth pair: the attacker's host.
struct Peer {
    ns: Netns,
}

impl Peer {
    /// Links a new namespace to `r`: the router gets `r_addrs` on its end, the peer `p_addrs`,
    /// and each side routes everything over the link.
    fn new(r: &Router, r_addrs: &[&str], p_addrs: &[&str]) -> Peer {
        let ns = Netns::new();
        r.ip(&format!(
            "link add ltv0 type veth peer name ltv1 netns {}",
            ns.name
        ));
        r.ip("link set ltv0 up");
        r.ip("link set lo up");
        let peer = Peer { ns };
        peer.ip("link set ltv1 up");
        peer.ip("link set lo up");
        for a in r_addrs {
            r.ip(&format!("addr add {a} dev ltv0 nodad"));
        }
        for a in p_addrs {
            peer.ip(&format!("addr add {a} dev ltv1 nodad"));
        }
        for (fam, dev) in [("-4", "ltv0"), ("-6", "ltv0")] {
            r.ns.run(&["ip", fam, "route", "add", "default", "dev", dev]);
        }
        for fam in ["-4", "-6"] {
            peer.ns
                .run(&["ip", fam, "route", "add", "default", "dev", "ltv1"]);
        }
        peer
    }

    fn ip(&self, args: &str) {
        let mut v = vec!["ip"];
        v.extend(args.split_whitespace());
        let out = self.ns.run(&v);
        assert!(out.status.success(), "peer ip {args}: {}", text(&out));
    }
}

/// Sends one UDP datagram from `from` (an address of `peer`) to `to` (the router's) and says
/// whether the router received it within two seconds.
fn udp_arrives(r: &Router, peer: &Peer, from: &str, to: &str) -> bool {
    use std::io::{BufRead, BufReader};
    let fam = if from.contains(':') {
        "AF_INET6"
    } else {
        "AF_INET"
    };
    let recv = format!(
        "import socket,sys\nr=socket.socket(socket.{fam},socket.SOCK_DGRAM)\nr.bind(('{to}',0))\n\
         print(r.getsockname()[1]); sys.stdout.flush()\nr.settimeout(2)\n\
         try:\n  r.recv(8); print('received')\nexcept OSError: print('dropped')"
    );
    let mut child =
        r.ns.cmd(&["python3", "-c", &recv])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines.next().expect("port line").unwrap();
    let send = format!(
        "import socket\ns=socket.socket(socket.{fam},socket.SOCK_DGRAM)\ns.bind(('{from}',0))\n\
         s.sendto(b'x',('{to}',{port}))"
    );
    let out = peer.ns.run(&["python3", "-c", &send]);
    assert!(out.status.success(), "send: {}", text(&out));
    let verdict = lines.next().expect("verdict").unwrap();
    child.wait().unwrap();
    verdict == "received"
}

#[test]
fn never_bans_special_or_own_addresses_in_any_spelling() {
    let r = Router::new();
    r.ip("link add lt-own type veth peer name lt-own1");
    r.ip("link set lt-own up");
    r.ip("addr add 192.0.2.1/24 brd 192.0.2.255 dev lt-own");
    r.ip("addr add 2001:db8:aa::1/64 dev lt-own nodad");
    let never = [
        ("0::1", "loopback"),
        ("[0::1]:22", "loopback"),
        ("0:0:0:0:0:0:0:1", "loopback"),
        ("0::", "unspecified"),
        ("[::]:22", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("[::ffff:7f00:1]:22", "loopback"),
        ("127.0.0.1", "loopback"),
        ("127.1.2.3:22", "loopback"),
        ("127.1", "not one"),
        ("ff02::1", "multicast"),
        ("[FF05::2]:53", "multicast"),
        ("224.0.0.1", "multicast"),
        ("::ffff:239.1.2.3", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("0.0.0.0", "unspecified"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("192.0.2.1", "router's own"),
        ("192.0.2.1:443", "router's own"),
        ("::ffff:192.0.2.1", "router's own"),
        ("[::ffff:c000:201]:22", "router's own"),
        ("192.0.2.255", "router's own"),
        ("2001:DB8:AA:0:0:0:0:1", "router's own"),
        ("[2001:db8:aa::0001]:22", "router's own"),
    ];
    for (value, why) in never {
        for shell in SHELLS {
            let out = r.cmd(shell, &[], &[("LT_ip", value), ("LT_name", "Test")]);
            let out = { out }.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{shell:?} banned {value}");
            assert!(
                text(&out).contains(why),
                "{value}: want '{why}': {}",
                text(&out)
            );
        }
        // By hand too (the admin's typo never cuts the router off).
        assert_eq!(
            r.run(&["ban", value], &[]).status.code(),
            Some(1),
            "{value}"
        );
    }
    assert!(!r.table_exists(), "nothing reached the firewall");
    let log = read(&r.blocklog);
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("refused address"))
            .count(),
        never.len() * 3,
        "{log}"
    );
    // A neighbour of the router's own address is an address like any other.
    r.ban("192.0.2.2", "60");
    assert!(r.has("ban4", "192.0.2.2"));
}

/// A value from a log line never names a network: `LT_ip='2a00::/8'` would ban an eighth of the
/// IPv6 Internet. Only the admin's ban by hand may name one.
#[test]
fn a_firing_never_bans_a_network_only_the_admin_does() {
    let r = Router::new();
    for value in [
        "2a00::/8",
        "2001:db8:bad::/48",
        "[2001:db8::]/64",
        "198.51.100.0/24",
    ] {
        for shell in SHELLS {
            let out = r.cmd(shell, &[], &[("LT_ip", value), ("LT_name", "Test")]);
            let out = { out }.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{shell:?} banned {value}");
            assert!(text(&out).contains("refused address"), "{}", text(&out));
        }
    }
    assert!(!r.table_exists(), "nothing reached the firewall");
    assert_eq!(
        r.run(&["ban", "2001:db8:bad::/48"], &[]).status.code(),
        Some(0)
    );
    assert!(r.has("net6", "2001:db8:bad::/48"));
    assert_eq!(
        r.run(&["unban", "2001:db8:bad::/48"], &[]).status.code(),
        Some(0)
    );
    assert!(!r.has("net6", "2001:db8:bad::/48"));
}

#[test]
fn escalation_multiplies_bans_up_to_the_cap_and_forgets_after_the_memory() {
    let r = Router::new();
    let opts = [
        ("LT_bantime", "10"),
        ("LT_bantime_factor", "3"),
        ("LT_bantime_max", "100"),
    ];
    let mut want = Vec::new();
    for (i, secs) in [10u64, 30, 90, 100, 100].into_iter().enumerate() {
        r.fire("198.51.100.80:1234", &opts);
        assert_eq!(
            r.timeout_of("ban4", "198.51.100.80"),
            Some(secs),
            "ban {}",
            i + 1
        );
        want.push(secs);
    }
    let log = read(&r.blocklog);
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[0].contains("for 10s (10s; rule 'Test', ban 1); undo:"),
        "{log}"
    );
    assert!(lines[1].contains("for 30s (30s; rule 'Test', ban 2, step 1: 10s x 3^1); undo:"));
    assert!(lines[2].contains("for 1m30s (90s; rule 'Test', ban 3, step 2: 10s x 3^2); undo:"));
    assert!(lines[3].contains(
        "for 1m40s (100s; rule 'Test', ban 4, step 3: 10s x 3^3, capped at bantime_max 1m40s)"
    ));
    // The off switch: every ban lasts bantime, and the line says so.
    let off = [("LT_bantime", "10"), ("LT_bantime_increment", "0")];
    for _ in 0..3 {
        r.fire("2001:db8::80", &off);
        assert_eq!(r.timeout_of("ban6", "2001:db8::80"), Some(10));
    }
    assert!(read(&r.blocklog).contains("ban 3, no escalation (bantime_increment 0)"));
    // The memory lasts the ban plus bantime_memory; after it, the next ban is a first one.
    let short = [("LT_bantime", "1"), ("LT_bantime_memory", "1")];
    r.fire("198.51.100.81", &short);
    r.fire("198.51.100.81", &short);
    assert_eq!(r.timeout_of("ban4", "198.51.100.81"), Some(2));
    assert!(
        poll(Duration::from_secs(15), || !r.has("mem4", "198.51.100.81")),
        "the memory never expired: {:?}",
        r.elements("mem4")
    );
    r.fire("198.51.100.81", &short);
    assert_eq!(r.timeout_of("ban4", "198.51.100.81"), Some(1));
    assert!(
        read(&r.blocklog)
            .lines()
            .last()
            .unwrap()
            .contains("ban 1);")
    );
}

#[test]
fn a_prefix6_ban_drops_a_second_address_of_the_same_64() {
    let r = Router::new();
    let peer = Peer::new(
        &r,
        &["2001:db8:9::1/64"],
        &[
            "2001:db8:1:2::10/64",
            "2001:db8:1:2::11/64",
            "2001:db8:3::1/64",
        ],
    );
    assert!(udp_arrives(&r, &peer, "2001:db8:1:2::11", "2001:db8:9::1"));
    // Off by default: the address alone.
    r.fire("[2001:db8:1:2::10]:22", &[]);
    assert!(r.has("ban6", "2001:db8:1:2::10"));
    assert!(r.elements("net6").is_empty());
    assert!(!udp_arrives(&r, &peer, "2001:db8:1:2::10", "2001:db8:9::1"));
    assert!(udp_arrives(&r, &peer, "2001:db8:1:2::11", "2001:db8:9::1"));
    r.ok(&["flush"]);
    // ban_prefix6 64: the whole /64.
    r.fire("2001:db8:1:2::10", &[("LT_ban_prefix6", "64")]);
    assert!(
        r.has("net6", "2001:db8:1:2::/64"),
        "{:?}",
        r.elements("net6")
    );
    assert!(!udp_arrives(&r, &peer, "2001:db8:1:2::11", "2001:db8:9::1"));
    assert!(udp_arrives(&r, &peer, "2001:db8:3::1", "2001:db8:9::1"));
    assert!(read(&r.blocklog).contains("banned 2001:db8:1:2::/64 for 1h"));
    // Unban by any address inside the network lifts the network's ban.
    assert_eq!(
        r.ok(&["unban", "2001:db8:1:2::99"]).trim(),
        "unbanned 2001:db8:1:2::/64"
    );
    assert!(udp_arrives(&r, &peer, "2001:db8:1:2::11", "2001:db8:9::1"));
    // The router's own /64 (here its link to the peer) is never banned whole: the address alone.
    r.fire("2001:db8:9::66", &[("LT_ban_prefix6", "64")]);
    assert!(r.has("ban6", "2001:db8:9::66"));
    assert!(r.elements("net6").is_empty());
}

/// The `ban` lines of a save file: (set, element, remaining, bantime, rule, times).
fn saved_bans(file: &str) -> Vec<(String, String, u64, u64, String, u64)> {
    file.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (w[0] == "ban").then(|| {
                (
                    w[1].to_string(),
                    w[2].to_string(),
                    w[3].parse().unwrap(),
                    w[4].parse().unwrap(),
                    w[5].to_string(),
                    w[6].parse().unwrap(),
                )
            })
        })
        .collect()
}

#[test]
fn save_and_restore_keep_what_is_left_of_each_ban() {
    let r = Router::new();
    r.ban("198.51.100.90", "600");
    let hundred = [("LT_bantime", "100")];
    r.fire("198.51.100.91", &hundred);
    r.fire("198.51.100.91", &hundred);
    r.fire(
        "2001:db8:7:7::5",
        &[("LT_ban_prefix6", "64"), ("LT_bantime", "5m")],
    );
    // Time passes between the bans and the save (the router runs)... (the upper bounds below
    // leave a loaded test machine 20 s for its own work between the steps)
    std::thread::sleep(Duration::from_secs(2));
    let file = r.dir.path("bans.save");
    let file_s = file.display().to_string();
    assert_eq!(r.ok(&["save", &file_s]), "");
    let saved = read(&file);
    let bans = saved_bans(&saved);
    assert_eq!(bans.len(), 3, "{saved}");
    for (set, elem, left, bantime, rule, times) in &bans {
        let want = match elem.as_str() {
            "198.51.100.90" => ("ban4", 600, 1),
            "198.51.100.91" => ("ban4", 200, 2),
            "2001:db8:7:7::/64" => ("net6", 300, 1),
            _ => panic!("unexpected {elem} in {saved}"),
        };
        assert_eq!((set.as_str(), *bantime, *times), want, "{saved}");
        assert!(*left <= bantime - 2 && *left >= bantime - 20, "{saved}");
        assert_eq!(rule, "Test");
    }
    assert!(saved.starts_with("logtrigger-bans 1\nsaved "), "{saved}");
    assert!(
        saved.ends_with("end 6\n"),
        "three offenders remembered: {saved}"
    );
    // ...and while it is off: the restore takes the time since the save off each ban.
    std::thread::sleep(Duration::from_secs(2));
    let rebooted = Router::new();
    assert!(!rebooted.table_exists());
    assert_eq!(
        rebooted.ok(&["restore", &file_s]).trim(),
        format!("restored 3 bans from {file_s}")
    );
    for (set, elem, left, ..) in &bans {
        let now = rebooted
            .elements(set)
            .into_iter()
            .find(|e| &e.0 == elem)
            .unwrap_or_else(|| panic!("{elem} not restored"));
        assert!(
            now.2 <= left - 2 && now.2 + 20 >= *left,
            "{elem}: {left} s left at the save, {} s after the restore",
            now.2
        );
    }
    let json = rebooted.ok(&["list", "--json"]);
    assert!(
        json.contains(r#"{"address":"198.51.100.91","rule":"Test","remaining":"#)
            && json.contains(r#""bantime":200,"banned":2}"#),
        "{json}"
    );
    // The offender memory came back too: the third ban is step 2.
    rebooted.fire("198.51.100.91", &hundred);
    assert_eq!(rebooted.timeout_of("ban4", "198.51.100.91"), Some(400));
    // What had run out while the router was off is not restored.
    let old = saved.replace(
        &saved.lines().nth(1).unwrap().to_string(),
        &format!("saved {}", now_epoch() - 250),
    );
    std::fs::write(&file, old).unwrap();
    let again = Router::new();
    again.ok(&["restore", &file_s]);
    assert!(
        !again.has("ban4", "198.51.100.91"),
        "200 s ban restored after 250 s"
    );
    assert!(again.has("ban4", "198.51.100.90"));
}

fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_corrupt_or_foreign_save_file_is_refused_whole() {
    let r = Router::new();
    r.ban("198.51.100.100", "600");
    let before = r.all_elements();
    let now = now_epoch();
    let good = "ban ban4 198.51.100.101 500 600 Test 1";
    let cases = [
        (String::new(), "truncated"),
        (
            "table inet fw4 {\n}\n".to_string(),
            "not a logtrigger ban file",
        ),
        (
            format!("logtrigger-bans 1\nsaved {now}\n{good}\n"),
            "truncated",
        ),
        (
            format!("logtrigger-bans 1\nsaved {now}\n{good}\nend 2\n"),
            "does not match",
        ),
        (
            format!(
                "logtrigger-bans 1\nsaved {now}\n{good}\nban ban4 198.51.100.102 5x 600 T 1\nend 2\n"
            ),
            "malformed ban",
        ),
        (
            format!(
                "logtrigger-bans 1\nsaved {now}\n{good}\nban ban4 1.2.3.4;flush 5 6 T 1\nend 2\n"
            ),
            "not an IPv4 address",
        ),
        (
            format!("logtrigger-bans 1\nsaved {now}\n{good}\nban ban4 1.2.3.4 5 6 a\"b 1\nend 2\n"),
            "malformed rule name",
        ),
        (
            format!(
                "logtrigger-bans 1\nsaved {now}\n{good}\nban ban6 1:2:3:4:5:6:7:8:9 5 6 T 1\nend 2\n"
            ),
            "not canonical",
        ),
        (
            format!("logtrigger-bans 1\nsaved {now}\n{good}\nend 1\nban ban4 1.2.3.4 5 6 T 1\n"),
            "after the end line",
        ),
        (
            format!("logtrigger-bans 2\nsaved {now}\n{good}\nend 1\n"),
            "not a logtrigger ban file",
        ),
        // Valid line by line, refused by the kernel as a whole (overlapping networks): the
        // good line before them is not applied either.
        (
            format!(
                "logtrigger-bans 1\nsaved {now}\n{good}\nban net6 2001:db8::/32 5 6 T 1\n\
                 ban net6 2001:db8:1::/48 5 6 T 1\nend 3\n"
            ),
            "nft refused",
        ),
    ];
    let file = r.dir.path("corrupt.save");
    let file_s = file.display().to_string();
    for (content, why) in &cases {
        std::fs::write(&file, content).unwrap();
        let out = r.run(&["restore", &file_s], &[]);
        assert!(!out.status.success(), "{content:?} restored");
        assert!(
            text(&out).contains(why) && text(&out).contains("no ban restored"),
            "{content:?}: want {why}: {}",
            text(&out)
        );
        assert_eq!(
            r.all_elements().len(),
            before.len(),
            "{content:?} half-applied"
        );
        assert!(!r.has("ban4", "198.51.100.101"));
    }
    assert!(r.has("ban4", "198.51.100.100"), "the live ban is untouched");
    // The same good line in a whole file is restored.
    std::fs::write(
        &file,
        format!("logtrigger-bans 1\nsaved {now}\n{good}\nend 1\n"),
    )
    .unwrap();
    r.ok(&["restore", &file_s]);
    assert!(r.has("ban4", "198.51.100.101"));
}

/// What `fw4 flush` (run by `service firewall stop`) does: delete every table.
fn fw4_flush(r: &Router) {
    let out = r.ns.run(&[
        "sh",
        "-c",
        "nft add table inet fw4; nft list tables | while read -r _ f t; do nft delete table \"$f\" \"$t\"; done",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stdout(&r.ns.run(&["nft", "list", "tables"])), "");
}

/// Runs the shipped firewall include the way fw4 does after a start: sourced by `sh -c`.
fn fw4_include(r: &Router) {
    let mut c = r.ns.cmd(&[
        "sh",
        "-c",
        &format!(". '{}'", shipped("logtrigger.fw4").display()),
    ]);
    c.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LT_IPBLOCK", shipped("ipblock.sh"));
    for (k, v) in &r.env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "include: {}", text(&out));
}

#[test]
fn the_table_comes_back_after_fw4_flush() {
    let r = Router::new();
    r.ban("198.51.100.110", "600");
    r.ban("2001:db8::110", "600");
    r.fire("2001:db8:8:8::1", &[("LT_ban_prefix6", "64")]);
    r.ok(&["ban", "198.51.100.111", "1h"]);
    let before = r.all_elements();
    assert_eq!(before.len(), 8, "{before:?}");
    fw4_flush(&r);
    assert!(!r.table_exists());
    fw4_include(&r);
    let after = r.all_elements();
    assert_eq!(after.len(), before.len(), "{after:?}");
    for ((s1, a1, left1), (s2, a2, left2)) in before.iter().zip(&after) {
        assert_eq!((s1, a1), (s2, a2));
        assert!(
            left2 <= left1 && left2 + 20 >= *left1,
            "{a1}: {left1} -> {left2}"
        );
    }
    for chain in ["input", "forward"] {
        assert_eq!(r.rules_matching(chain, "@net6"), 1);
    }
    // With the table there (fw4 reload, restart) the include changes nothing: a ban lifted
    // since the snapshot stays lifted.
    r.ok(&["unban", "198.51.100.110"]);
    fw4_include(&r);
    assert!(!r.has("ban4", "198.51.100.110"));
    assert!(r.has("ban4", "198.51.100.111"));
    // And the snapshot follows the unban: a second flush does not bring it back.
    fw4_flush(&r);
    fw4_include(&r);
    assert!(!r.has("ban4", "198.51.100.110"));
    assert!(r.has("ban4", "198.51.100.111"));
    // A change while the firewall is stopped starts from the snapshot: a ban adds to the bans
    // (the include then finds the table and keeps it), an unban lifts one of them.
    fw4_flush(&r);
    r.ban("198.51.100.112", "600");
    assert!(r.has("ban4", "198.51.100.111") && r.has("ban4", "198.51.100.112"));
    fw4_flush(&r);
    r.ok(&["unban", "198.51.100.111"]);
    fw4_include(&r);
    assert!(!r.has("ban4", "198.51.100.111"));
    assert!(r.has("ban4", "198.51.100.112") && r.has("ban6", "2001:db8::110"));
    fw4_flush(&r);
    r.ok(&["flush"]);
    fw4_include(&r);
    assert!(r.elements("ban4").is_empty() && r.elements("ban6").is_empty());
    // Nothing ever banned: the include creates no table.
    let fresh = Router::new();
    fw4_include(&fresh);
    assert!(!fresh.table_exists());
}

/// `logtrigger ARGS` in the router's namespace, the shipped ipblock.sh as its script.
fn logtrigger(r: &Router, args: &[&str]) -> Output {
    let mut c = r.ns.cmd(&[LOGTRIGGER]);
    c.args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LT_IPBLOCK", shipped("ipblock.sh"));
    for (k, v) in &r.env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// `/etc/init.d/logtrigger ARGS` under the stub rc.common, in the router's namespace.
fn init(r: &Router, args: &[&str]) -> Output {
    let bin = r.dir.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // No daemon is running for the stop path's wait (the real pidof could see another test's).
    r.dir.script("bin/pidof", "exit 1");
    let mut c = r.ns.cmd(&["sh"]);
    c.arg(package_support::repo().join("tests/scripts/fake-rc.common"))
        .arg(shipped("logtrigger.init"))
        .args(args)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin.display()),
        )
        .env("RECORD", r.dir.path("record"))
        .env("LT_INIT_PROG", LOGTRIGGER)
        // start checks the configuration first: the shipped one.
        .env(
            "LT_INIT_CONFIG",
            package_support::repo().join("uci/logtrigger"),
        )
        .env("LT_INIT_IPBLOCK", shipped("ipblock.sh"))
        .env("LT_INIT_BANS_SAVE", r.dir.path("bans.save"));
    for (k, v) in &r.env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Asserts success and returns stdout; shows it (the admin's view) when run with --nocapture.
fn shown(what: &str, out: Output) -> String {
    assert!(out.status.success(), "{what}: {}", text(&out));
    let s = stdout(&out);
    eprintln!("# {what}\n{s}");
    s
}

#[test]
fn admin_commands_list_ban_and_unban_in_both_formats() {
    let r = Router::new();
    assert_eq!(
        shown("logtrigger bans", logtrigger(&r, &["bans"])),
        "no bans\n"
    );
    assert_eq!(
        shown(
            "logtrigger bans --json",
            logtrigger(&r, &["bans", "--json"])
        ),
        "{\"bans\":[]}\n"
    );
    r.fire(
        "198.51.100.120:2222",
        &[("LT_name", "dropbear_bad_password"), ("LT_count", "5")],
    );
    r.fire(
        "198.51.100.120:2222",
        &[("LT_name", "dropbear_bad_password"), ("LT_count", "5")],
    );
    r.fire(
        "2001:db8:4:4::9",
        &[("LT_name", "luci_failed_login"), ("LT_ban_prefix6", "64")],
    );
    let line = shown(
        "logtrigger ban 203.0.113.5 2h",
        logtrigger(&r, &["ban", "203.0.113.5", "2h"]),
    );
    assert!(
        line.starts_with("banned 203.0.113.5 for 2h (7200s; rule 'manual', ban 1); undo: /etc/init.d/logtrigger unban 203.0.113.5"),
        "{line}"
    );
    let table = shown("logtrigger bans", logtrigger(&r, &["bans"]));
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["ADDRESS", "RULE", "REMAINING", "UNTIL", "BANTIME", "BANNED"]
    );
    let row = |addr: &str| {
        rows.iter()
            .find(|r| r[0] == addr)
            .unwrap_or_else(|| panic!("{addr} not listed: {table}"))
            .clone()
    };
    let d = row("198.51.100.120");
    assert_eq!(
        (d[1], d[5], d[6]),
        ("dropbear_bad_password", "2h", "2"),
        "{table}"
    );
    assert!(d[2].starts_with("1h59m"), "{table}");
    let n = row("2001:db8:4:4::/64");
    assert_eq!((n[1], n[5], n[6]), ("luci_failed_login", "1h", "1"));
    let m = row("203.0.113.5");
    assert_eq!((m[1], m[5], m[6]), ("manual", "2h", "1"));
    let json = shown(
        "logtrigger bans --json",
        logtrigger(&r, &["bans", "--json"]),
    );
    assert!(json.starts_with("{\"bans\":[{\"address\":"), "{json}");
    for want in [
        r#"{"address":"198.51.100.120","rule":"dropbear_bad_password","remaining":7"#,
        r#""bantime":7200,"banned":2}"#,
        r#"{"address":"2001:db8:4:4::/64","rule":"luci_failed_login","remaining":3"#,
        r#"{"address":"203.0.113.5","rule":"manual","remaining":7"#,
    ] {
        assert!(json.contains(want), "{want} not in {json}");
    }
    // It is JSON a parser reads (python's json module here).
    let mut py = Command::new("python3")
        .args([
            "-c",
            "import json,sys\nd=json.load(sys.stdin)\n\
             print(sorted((b['address'],b['rule'],b['bantime'],b['banned']) for b in d['bans']))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        py.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    }
    let parsed = py.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        "[('198.51.100.120', 'dropbear_bad_password', 7200, 2), \
         ('2001:db8:4:4::/64', 'luci_failed_login', 3600, 1), ('203.0.113.5', 'manual', 7200, 1)]"
    );
    // The init script shows the same.
    let by_init = shown("/etc/init.d/logtrigger bans", init(&r, &["bans"]));
    assert_eq!(by_init.lines().count(), 4, "{by_init}");
    let by_init = shown(
        "/etc/init.d/logtrigger bans --json",
        init(&r, &["bans", "--json"]),
    );
    assert!(by_init.contains(r#""address":"203.0.113.5""#));
    // Unban by hand, in any spelling of the address.
    assert_eq!(
        shown(
            "logtrigger unban [::ffff:198.51.100.120]:2222",
            logtrigger(&r, &["unban", "[::ffff:198.51.100.120]:2222"])
        ),
        "unbanned 198.51.100.120\n"
    );
    let again = logtrigger(&r, &["unban", "198.51.100.120"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("198.51.100.120 is not banned"));
    assert_eq!(
        shown(
            "/etc/init.d/logtrigger unban 203.0.113.5",
            init(&r, &["unban", "203.0.113.5"])
        ),
        "unbanned 203.0.113.5\n"
    );
    let line = shown(
        "/etc/init.d/logtrigger ban 2001:db8::77 30m",
        init(&r, &["ban", "2001:db8::77", "30m"]),
    );
    assert!(line.contains("banned 2001:db8::77 for 30m (1800s; rule 'manual', ban 1)"));
    // Unbanning forgot the offender: its next ban is a first one.
    r.fire("198.51.100.120", &[]);
    assert_eq!(r.timeout_of("ban4", "198.51.100.120"), Some(3600));
    assert_eq!(
        shown("/etc/init.d/logtrigger flush", init(&r, &["flush"])),
        "all bans lifted\n"
    );
    assert_eq!(stdout(&logtrigger(&r, &["bans"])), "no bans\n");
    assert!(logtrigger(&r, &["unban", "--all"]).status.success());
    // Usage errors.
    assert_eq!(logtrigger(&r, &["ban"]).status.code(), Some(1));
    assert_eq!(init(&r, &["ban"]).status.code(), Some(1));
    assert_eq!(logtrigger(&r, &["ban", "127.0.0.1"]).status.code(), Some(1));
}

#[test]
fn the_init_script_saves_at_stop_and_restores_at_start() {
    let r = Router::new();
    r.ban("198.51.100.130", "600");
    r.fire("2001:db8::130", &[]);
    let out = init(&r, &["stop"]);
    assert!(out.status.success(), "{}", text(&out));
    let saved = read(&r.dir.path("bans.save"));
    assert_eq!(saved_bans(&saved).len(), 2, "{saved}");
    // A reboot: a new kernel state, the same /etc.
    let rebooted = Router::new();
    std::fs::copy(r.dir.path("bans.save"), rebooted.dir.path("bans.save")).unwrap();
    let out = init(&rebooted, &["start"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(rebooted.has("ban4", "198.51.100.130"));
    assert!(rebooted.has("ban6", "2001:db8::130"));
    assert!(read(&rebooted.dir.path("record")).contains("procd_open_instance"));
    // A ban lifted by hand does not come back from the saved file at the next start.
    init(&rebooted, &["unban", "198.51.100.130"]);
    let again = Router::new();
    std::fs::copy(rebooted.dir.path("bans.save"), again.dir.path("bans.save")).unwrap();
    assert!(init(&again, &["start"]).status.success());
    assert!(!again.has("ban4", "198.51.100.130"));
    assert!(again.has("ban6", "2001:db8::130"));
}

/// A TCP client in `peer`, bound to `from`, connected to the router's echo server at `to`:
/// each `ping` says whether the echo came back within two seconds.
struct Flow {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl Flow {
    fn open(peer: &Peer, from: &str, to: &str) -> Flow {
        use std::io::BufRead;
        let py = format!(
            "import socket,sys\ns=socket.create_connection(('{to}',7007),timeout=5,source_address=('{from}',0))\n\
             print('connected'); sys.stdout.flush()\ns.settimeout(2)\n\
             for line in sys.stdin:\n  s.sendall(b'ping')\n  try:\n    d=s.recv(4); print('echo' if d else 'closed')\n  \
             except OSError: print('timeout')\n  sys.stdout.flush()\n"
        );
        let mut child = peer
            .ns
            .cmd(&["python3", "-c", &py])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "connected");
        Flow { child, lines }
    }

    fn ping(&mut self) -> String {
        use std::io::Write;
        writeln!(self.child.stdin.as_mut().unwrap(), "ping").unwrap();
        self.lines.next().unwrap().unwrap()
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The router's tracked TCP flows from `addr` (`conntrack -L`).
fn tracked(r: &Router, addr: &str) -> usize {
    let out = r.ns.run(&["conntrack", "-L", "-p", "tcp", "-s", addr]);
    stdout(&out)
        .lines()
        .filter(|l| l.contains("ESTABLISHED"))
        .count()
}

#[test]
fn conntrack_flush_cuts_an_established_tcp_flow_and_its_absence_is_warned() {
    assert!(
        package_support::have("conntrack"),
        "conntrack is installed by scripts/deps.sh"
    );
    let r = Router::new();
    let peer = Peer::new(
        &r,
        &["198.51.100.1/24"],
        &["198.51.100.2/24", "198.51.100.3/24"],
    );
    // A router tracks connections (fw4's rules use ct state): so does this one.
    let out = r.ns.run(&[
        "nft",
        "add table inet fw; add chain inet fw input { type filter hook input priority 0; policy accept; }; \
         add rule inet fw input ct state established,related accept",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let echo = "import socket,threading\nl=socket.socket()\nl.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
                l.bind(('198.51.100.1',7007))\nl.listen(8)\nprint('listening',flush=True)\n\
                def serve(c):\n  while True:\n    d=c.recv(64)\n    if not d: break\n    c.sendall(d)\n\
                while True:\n  c,_=l.accept()\n  threading.Thread(target=serve,args=(c,),daemon=True).start()\n";
    let mut server = Reaped(
        r.ns.cmd(&["python3", "-c", echo])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    {
        use std::io::BufRead;
        let mut l = std::io::BufReader::new(server.0.stdout.take().unwrap()).lines();
        assert_eq!(l.next().unwrap().unwrap(), "listening");
    }
    let mut cut = Flow::open(&peer, "198.51.100.2", "198.51.100.1");
    let mut kept = Flow::open(&peer, "198.51.100.3", "198.51.100.1");
    assert_eq!(cut.ping(), "echo");
    assert_eq!(kept.ping(), "echo");
    assert_eq!(tracked(&r, "198.51.100.2"), 1);
    assert_eq!(tracked(&r, "198.51.100.3"), 1);
    // With the real conntrack tool: the flow's entry is deleted at ban time and the flow stops.
    let out = r.run(
        &[],
        &[
            ("LT_ip", "198.51.100.2"),
            ("LT_name", "Test"),
            ("CONNTRACK", "/usr/sbin/conntrack"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(tracked(&r, "198.51.100.2"), 0, "the flow is still tracked");
    assert_eq!(cut.ping(), "timeout");
    // Without it: banned all the same, the entry stays, and the ban says what that means.
    let out = r.run(
        &[],
        &[
            ("LT_ip", "198.51.100.3"),
            ("LT_name", "Test"),
            ("CONNTRACK", "/nonexistent/conntrack"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(r.has("ban4", "198.51.100.3"));
    assert_eq!(tracked(&r, "198.51.100.3"), 1);
    assert!(
        read(&r.logger_calls).contains(
            "-t logtrigger -p daemon.warning ipblock: conntrack not installed: flows of \
             198.51.100.3 already established (offloaded ones too) are not cut; install conntrack"
        ),
        "{}",
        read(&r.logger_calls)
    );
}

/// A child killed and reaped when the test ends, passed or not.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn thousands_of_bans_survive_a_save_and_restore() {
    let r = Router::new();
    r.ban("198.51.100.140", "600");
    // nft prints a long element list over many lines: every element must be read.
    let mut batch = String::new();
    for i in 0..3000u32 {
        batch.push_str(&format!(
            "add element inet logtrigger ban4 {{ 10.{}.{}.1 timeout 3600s comment \"Test 1 3600\" }}\n",
            i / 250,
            i % 250
        ));
    }
    let mut c = r.ns.cmd(&["nft", "-f", "-"]);
    c.stdin(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(batch.as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    let file = r.dir.path("many.save");
    let file_s = file.display().to_string();
    r.ok(&["save", &file_s]);
    assert_eq!(saved_bans(&read(&file)).len(), 3001);
    let json = r.ok(&["list", "--json"]);
    assert_eq!(json.matches("\"address\":").count(), 3001);
    let rebooted = Router::new();
    assert_eq!(
        rebooted.ok(&["restore", &file_s]).trim(),
        format!("restored 3001 bans from {file_s}")
    );
    assert_eq!(rebooted.elements("ban4").len(), 3001);
}

#[test]
fn without_the_checker_bans_are_refused_and_unban_takes_a_plain_address() {
    let r = Router::new();
    r.ban("198.51.100.150", "600");
    r.ban("2001:db8::150", "600");
    let gone = [("LOGTRIGGER", "/nonexistent/logtrigger")];
    let out = r.run(
        &[],
        &[("LT_ip", "198.51.100.151"), ("LOGTRIGGER", gone[0].1)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("cannot check addresses"),
        "{}",
        text(&out)
    );
    assert!(!r.has("ban4", "198.51.100.151"));
    for bad in ["198.51.100.150; nft flush ruleset", "[::1]:22", "1.2.3.4}"] {
        assert_eq!(
            r.run(&["unban", bad], &gone).status.code(),
            Some(1),
            "{bad}"
        );
    }
    let out = r.run(&["unban", "198.51.100.150"], &gone);
    assert!(out.status.success(), "{}", text(&out));
    let out = r.run(&["unban", "2001:DB8::150"], &gone);
    assert!(out.status.success(), "{}", text(&out));
    assert!(r.elements("ban4").is_empty() && r.elements("ban6").is_empty());
    // A firewall it cannot read is an error, not "no bans".
    assert_eq!(
        r.run(&["list"], &[("NFT", "/bin/false")]).status.code(),
        Some(2)
    );
}
