//! Aimed bans, tried as an attacker would against the real binary and the SHIPPED configuration
//! (tests/e2e/router.rs): each attack names its own victim, and from the newline case on the
//! victim HOLDS a live connection to the router (so proof of presence alone cannot be what
//! saves it). A control case in each shows that genuine failures of a connected address still
//! ban. Nothing on the host changes: namespaces, a private /dev/log, the lab's nftables.
//!
//! Needs root and: iproute2, util-linux (unshare, logger, setpriv), nftables, conntrack,
//! musl-tools (musl-gcc) — scripts/deps.sh installs them.

mod e2e;

use e2e::router::{Options, Router};
use e2e::{LIMIT, in_ns, must, poll};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The router's side of every peer link is `.1` of the peer's /24.
fn router_ip(net: &str) -> String {
    format!("{net}.1")
}

/// Five frames of a dropbear failure naming `addr`, as dropbear writes them.
fn dropbear_failures(addr: &str) -> Vec<Vec<u8>> {
    (0..5)
        .map(|n| {
            format!("<84>Dec  7 02:00:0{n} dropbear[4{n}]: Bad password attempt for 'root' from {addr}:4000{n}")
                .into_bytes()
        })
        .collect()
}

/// Waits until the daemon has counted `n` matches of `rule` and run every script it queued.
fn counted(r: &Router, rule: &str, n: u64) -> bool {
    poll(LIMIT, || r.rule_num(rule, "matches") == Some(n)) && r.settle()
}

/// Attack 1: any LAN host forges dropbear lines over UDP 514 naming a public address (a DNS
/// server the LAN uses). Remote frames reach only rules naming `udp`; no shipped ban rule does.
#[test]
fn udp_forgery_reaches_no_ban_rule() {
    let mut r = Router::new("udp");
    let lan = r.peer("lan", "10.91.1", &[]);
    let dns = r.peer("dns", "198.51.100", &[]);
    r.start(&Options {
        udp: &["10.91.1.1:514"],
        udp_allow: &["10.91.1.0/24"],
        ..Options::default()
    });
    r.hold(&dns, "198.51.100.2", &router_ip("198.51.100"));
    for _ in 0..5 {
        must(&mut in_ns(
            &lan,
            &[
                "logger",
                "-d",
                "-n",
                "10.91.1.1",
                "-P",
                "514",
                "-t",
                "dropbear",
                "-p",
                "authpriv.warn",
                "Bad password attempt for 'x' from 198.51.100.2:1",
            ],
        ));
    }
    // The frames arrived (received on the UDP input) and no rule counted them.
    assert!(
        poll(LIMIT, || e2e::router::status_num(
            &r.status(),
            r#""name":"udp:10.91.1.1:514""#,
            "received"
        ) == Some(5)),
        "the forged datagrams never arrived: {}",
        r.status()
    );
    assert_eq!(r.rule_num("dropbear_bad_password", "matches"), Some(0));
    // Control: the same failures from the local dropbear (root) do ban.
    for f in dropbear_failures("198.51.100.2") {
        r.send_as_root(&f);
    }
    assert!(
        poll(LIMIT, || r.is_banned("198.51.100.2")),
        "genuine local failures of a connected address did not ban"
    );
}

/// Attack 4: a process running as `nobody` writes dropbear-tagged lines to /dev/log (0666)
/// naming a connected victim. A unix frame counts for a rule with `program` only from root,
/// PID 1 or a process of that name.
#[test]
fn local_forgery_by_nobody_is_untrusted() {
    let mut r = Router::new("nobody");
    let victim = r.peer("victim", "198.51.100", &[]);
    r.start(&Options::default());
    r.hold(&victim, "198.51.100.2", &router_ip("198.51.100"));
    let sock = r.sock.to_str().unwrap().to_string();
    for _ in 0..5 {
        must(Command::new("setpriv").args([
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--clear-groups",
            "logger",
            "--id=4242",
            "-u",
            &sock,
            "-t",
            "dropbear",
            "Bad password attempt for 'root' from 198.51.100.2:22",
        ]));
    }
    assert!(
        poll(LIMIT, || r.rule_num("dropbear_bad_password", "untrusted")
            == Some(5)),
        "the forged lines were not refused as untrusted: {}",
        r.status()
    );
    assert!(r.settle());
    assert!(
        !r.is_banned("198.51.100.2"),
        "a forged line banned the victim"
    );
    // Control: root (dropbear runs as root) is trusted.
    for f in dropbear_failures("198.51.100.2") {
        r.send_as_root(&f);
    }
    assert!(poll(LIMIT, || r.is_banned("198.51.100.2")));
}

/// Attack 5: a NUL inside the address hides the admin's LAN PC from `ignoreip`
/// (`10.92.1.\0` `2`), while the script, which never sees NUL, would ban 10.92.1.2.
#[test]
fn nul_inside_the_address_does_not_hide_the_admin() {
    let mut r = Router::new("nul");
    let admin = r.peer("admin", "10.92.1", &[]);
    r.start(&Options::default());
    r.hold(&admin, "10.92.1.2", &router_ip("10.92.1"));
    for n in 0..5 {
        let f = format!(
            "<84>Dec  7 02:00:0{n} dropbear[5{n}]: Bad password attempt for 'root' from 10.92.1.\x002:4000{n}"
        );
        r.send_as_root(f.as_bytes());
    }
    assert!(counted(&r, "dropbear_bad_password", 5));
    assert_eq!(r.rule_num("dropbear_bad_password", "ignored"), Some(5));
    assert!(!r.is_banned("10.92.1.2"), "the NUL trick banned the admin");
    assert!(r.bans().is_empty(), "bans: {:?}", r.bans());
}

/// Attack 7: five wrong LuCI passwords from the admin's own LAN PC. The shipped `ignoreip`
/// holds the private ranges; a public address doing the same is banned (control).
#[test]
fn the_admin_lan_pc_is_never_banned() {
    let mut r = Router::new("admin");
    let admin = r.peer("admin", "192.168.91", &[]);
    r.start(&Options::default());
    r.hold(&admin, "192.168.91.2", &router_ip("192.168.91"));
    let wan = r.peer("wan", "198.51.100", &[]);
    r.hold(&wan, "198.51.100.2", &router_ip("198.51.100"));
    let luci = |addr: &str, n: u32| {
        format!(
            "<30>Dec  7 02:00:0{n} uhttpd[2100]: [info] luci: failed login on / for root from {addr}"
        )
    };
    for n in 0..5 {
        r.send_as_root(luci("192.168.91.2", n).as_bytes());
        r.send_as_root(luci("fd00:91::2", n).as_bytes());
    }
    assert!(counted(&r, "luci_failed_login", 10));
    assert_eq!(r.rule_num("luci_failed_login", "ignored"), Some(10));
    assert!(r.bans().is_empty(), "the admin was banned: {:?}", r.bans());
    for n in 0..5 {
        r.send_as_root(luci("198.51.100.2", n).as_bytes());
    }
    assert!(poll(LIMIT, || r.is_banned("198.51.100.2")));
}

/// A static musl program that logs through musl's own syslog(): `trunc IDENT PREFIX FAKE REAL`
/// writes PREFIX, padding, FAKE, REAL, with the padding chosen so that musl's 1024-byte buffer
/// cuts the message right after FAKE (as an attacker would tune a user name or a SIP header).
const TRUNC_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc != 5) return 64;
    char head[128], msg[4096];
    /* musl's header: "<PRI>Mmm dd hh:mm:ss IDENT[PID]: " (the time is 15 bytes). */
    int h = snprintf(head, sizeof head, "<%d>%15s %s[%d]: ", LOG_DAEMON | LOG_WARNING,
                     "Jan  1 00:00:00", argv[1], (int)getpid());
    int pad = 1023 - h - (int)strlen(argv[2]) - (int)strlen(argv[3]);
    if (pad < 0) return 65;
    int n = snprintf(msg, sizeof msg, "%s", argv[2]);
    memset(msg + n, 'A', pad);
    snprintf(msg + n + pad, sizeof msg - n - pad, "%s%s", argv[3], argv[4]);
    openlog(argv[1], LOG_PID, LOG_DAEMON);
    syslog(LOG_WARNING, "%s", msg);
    return 0;
}
"#;

/// Builds the musl sender in the lab (musl-gcc -static).
fn musl_sender(r: &Router) -> PathBuf {
    let src = r.lab.path("trunc.c");
    let bin = r.lab.path("trunc");
    std::fs::write(&src, TRUNC_C).unwrap();
    must(Command::new("musl-gcc").args([
        "-static",
        "-O2",
        "-o",
        bin.to_str().unwrap(),
        src.to_str().unwrap(),
    ]));
    bin
}

/// Attack 3: musl's syslog() cuts a message at 1024 bytes. ~950 bytes of SIP user name put a
/// fake `from ip ADDR` at the cut: the FreeSWITCH rule would ban it. A frame its sender may
/// have cut never counts for a rule with a script.
#[test]
fn truncation_by_musl_syslog_never_counts() {
    let mut r = Router::new("trunc");
    let victim = r.peer("victim", "198.51.100", &[]);
    r.start(&Options::default());
    r.hold(&victim, "198.51.100.2", &router_ip("198.51.100"));
    let attacker = r.peer("attacker", "203.0.113", &[]);
    r.hold(&attacker, "203.0.113.2", &router_ip("203.0.113"));
    let bin = musl_sender(&r);
    let send = |r: &Router, prefix: &str, fake: &str, real: &str| {
        let mut c = r.lab.cmd_devlog(
            &r.ns,
            &r.sock,
            None,
            &[bin.to_str().unwrap(), "freeswitch", prefix, fake, real],
        );
        must(&mut c);
    };
    let prefix =
        "[WARNING] sofia_reg.c:3018 SIP auth failure (REGISTER) on sofia profile 'internal' for [";
    for _ in 0..5 {
        send(
            &r,
            prefix,
            "x] from ip 198.51.100.2",
            "@pbx.example.net] from ip 203.0.113.2",
        );
    }
    assert!(
        poll(LIMIT, || r.rule_num("freeswitch_auth_failure", "truncated")
            == Some(5)),
        "the cut frames were not refused: {}",
        r.status()
    );
    assert!(r.settle());
    assert!(
        !r.is_banned("198.51.100.2"),
        "the cut frame banned the victim"
    );
    // Control: the attacker's own genuine (short) failures ban it.
    for _ in 0..5 {
        let mut c = r.lab.cmd_devlog(
            &r.ns,
            &r.sock,
            None,
            &[
                "logger",
                "-t",
                "freeswitch",
                &format!("{prefix}1000@pbx.example.net] from ip 203.0.113.2"),
            ],
        );
        must(&mut c);
    }
    assert!(poll(LIMIT, || r.is_banned("203.0.113.2")));
    assert!(!r.is_banned("198.51.100.2"));
}

/// Attack 2: LuCI writes `luci: failed login on / for USER from ADDR` to stderr and procd logs
/// each line as its own message (as root), so a user name `x from VICTIM` + newline makes a
/// line indistinguishable from a genuine one. No pattern can refuse it (README: out of reach):
/// what stands between it and a ban is `verify conntrack`, which refuses an address the router
/// has never seen. This test pins down both halves with procd's split done by `logger` (one
/// message per line, as root).
#[test]
fn luci_newline_is_refused_only_for_an_address_never_seen() {
    let mut r = Router::new("newline");
    let attacker = r.peer("attacker", "203.0.113", &[]);
    r.start(&Options::default());
    r.hold(&attacker, "203.0.113.2", &router_ip("203.0.113"));
    let payload = |victim: &str| {
        format!("[info] luci: failed login on / for x from {victim}\nx from 203.0.113.2\n")
    };
    // A victim the router has never seen.
    for _ in 0..5 {
        let mut c = Command::new("logger");
        c.args(["-u", r.sock.to_str().unwrap(), "-t", "uhttpd"]);
        c.stdin(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload("192.0.2.99").as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    assert!(counted(&r, "luci_failed_login", 5));
    assert!(
        poll(LIMIT, || r.rule_num("luci_failed_login", "unverified")
            == Some(1)),
        "the firing for an address never seen was not refused: {}",
        r.status()
    );
    assert!(!r.is_banned("192.0.2.99"));
}

/// Attack 8: ban firings share the script queue with the logging rules, which fire on every
/// dropbear line (logit.sh). A burst of 200 failures from 40 public addresses (5 each), with
/// 70 bare connections' lines in between: every one of the 40 bans runs.
#[test]
fn queue_flooding_by_logging_rules_drops_no_ban() {
    let extra: Vec<String> = (10..50).map(|i| format!("198.51.100.{i}")).collect();
    let extra_refs: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut r = Router::new("flood");
    let net = r.peer("internet", "198.51.100", &extra_refs);
    r.start(&Options::default());
    for a in &extra {
        r.hold(&net, a, &router_ip("198.51.100"));
    }
    for n in 0..70 {
        let f = format!(
            "<86>Dec  7 02:00:00 dropbear[6{n}]: Child connection from 198.51.100.{}:5{n:04}",
            10 + n % 40
        );
        r.send_as_root(f.as_bytes());
    }
    for round in 0..5 {
        for (i, a) in extra.iter().enumerate() {
            let f = format!(
                "<84>Dec  7 02:00:0{round} dropbear[7{i}]: Bad password attempt for 'root' from {a}:4{round}{i:03}"
            );
            r.send_as_root(f.as_bytes());
        }
    }
    let all = poll(Duration::from_secs(90), || {
        extra.iter().all(|a| r.is_banned(a))
    });
    let missing: Vec<&String> = extra.iter().filter(|a| !r.is_banned(a)).collect();
    assert!(all, "bans that never ran: {missing:?}\n{}", r.status());
    assert_eq!(r.rule_num("dropbear_bad_password", "firings"), Some(40));
    // The logging rules saw every line and ran logit.sh (their firings, not the bans, are
    // what a full queue may drop).
    assert_eq!(r.rule_num("failed_logins", "matches"), Some(200));
    let failed = r.varlog.join("failedlogins.log");
    assert!(
        poll(LIMIT, || e2e::tail(&failed, 1 << 20)
            .contains("Bad password attempt")),
        "logit.sh never ran"
    );
}

/// res_pjsip prints the caller's Call-ID after the address, so a Call-ID can hold a copy of the
/// rest of the line naming a victim that holds a live connection. The shipped pattern begins
/// with Asterisk's tag and so matches from the start of the message only: the copy counts for
/// nobody. The attacker's own genuine failures, sent after it, are the control: they ban.
#[test]
fn pjsip_call_id_copy_counts_for_nobody() {
    let mut r = Router::new("callid");
    let attacker = r.peer("attacker", "203.0.113", &[]);
    let victim = r.peer("victim", "198.51.100", &[]);
    r.start(&Options::default());
    r.hold(&attacker, "203.0.113.2", &router_ip("203.0.113"));
    r.hold(&victim, "198.51.100.2", &router_ip("198.51.100"));
    let send = |r: &Router, callid: &str| {
        for n in 0..5 {
            let f = format!(
                "<133>Dec  7 02:00:0{n} asterisk[2600]: NOTICE[2640]: \
                 res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' \
                 from '<sip:100@pbx>' failed for '203.0.113.2:5060' (callid: {n}{callid}) - \
                 Failed to authenticate"
            );
            r.send_as_root(f.as_bytes());
        }
    };
    send(
        &r,
        "' from '<sip:100@pbx>' failed for '198.51.100.2:5060' (callid: x",
    );
    send(&r, "@pbx");
    assert!(
        poll(LIMIT, || r.is_banned("203.0.113.2")),
        "the attacker's own failures did not ban: {}",
        r.status()
    );
    assert_eq!(r.rule_num("asterisk_pjsip_auth_failed", "matches"), Some(5));
    assert!(!r.is_banned("198.51.100.2"), "the victim was banned");
}

/// A local attacker running as `nobody` names its process after the daemon, twice: a root-owned
/// interpreter renamed with prctl(PR_SET_NAME), and its own copy of one saved as `dropbear`.
/// Neither runs a program that root installed under that name, so neither counts, though the
/// victim holds a live connection.
#[test]
fn a_local_process_named_after_the_daemon_is_not_trusted() {
    let mut r = Router::new("comm");
    let victim = r.peer("victim", "198.51.100", &[]);
    r.start(&Options::default());
    r.hold(&victim, "198.51.100.2", &router_ip("198.51.100"));
    let script = format!(
        "import ctypes, socket\n\
         ctypes.CDLL(None).prctl(15, b\"dropbear\", 0, 0, 0)\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
         for n in range(5):\n    \
         s.sendto(b\"<84>Dec  7 02:00:00 dropbear[77]: Bad password attempt for 'root' \
         from 198.51.100.2:%d\" % (40000 + n), {:?})\n",
        r.sock.to_str().unwrap()
    );
    let own_copy = r.lab.path("dropbear");
    std::fs::copy("/usr/bin/python3", &own_copy).expect("copy python3");
    std::os::unix::fs::chown(&own_copy, Some(65534), Some(65534)).expect("chown");
    for program in ["/usr/bin/python3", own_copy.to_str().unwrap()] {
        must(Command::new("setpriv").args([
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--clear-groups",
            program,
            "-c",
            &script,
        ]));
    }
    assert!(
        poll(LIMIT, || r.rule_num("dropbear_bad_password", "untrusted")
            == Some(10)),
        "the self-named processes were not refused: {}",
        r.status()
    );
    assert!(r.settle());
    assert!(
        !r.is_banned("198.51.100.2"),
        "a self-named process banned the victim"
    );
}
