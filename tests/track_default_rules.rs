//! The shipped configuration `uci/logtrigger` against the sample log `tests/data/router.log`.
//!
//! Independent of the real UCI parser and pattern matcher (written in parallel): rules are read
//! with a plain line scan, and each pattern is translated to the byte regex SPEC §5 defines and
//! run with the `regex` crate (leftmost-first), the SPEC's own oracle. Counting uses the real
//! `KeyTracker` and `is_ignored`. The result must equal `tests/data/router.expected`, which the
//! replay tests of `logtrigger test` (tests/replay_default.rs) use too.

mod shipped;

use logtrigger::ipnet::IpNet;
use logtrigger::ipnet::{is_ignored, parse_addr};
use logtrigger::track::KeyTracker;
use regex::bytes::Regex;
use shipped::{Rule, captures as matches, program, translate};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn month(m: &str) -> i64 {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    months.iter().position(|&x| x == m).unwrap() as i64 + 1
}

/// Epoch seconds of a UTC civil date (Howard Hinnant's days_from_civil).
fn epoch(y: i64, m: i64, d: i64, hms: &str) -> i64 {
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    days * 86400 + t[0] * 3600 + t[1] * 60 + t[2]
}

/// `logread` lines: `Fri Nov 27 03:00:00 2026 fac.sev SUBJECT` → (time, subject).
fn logread_lines(text: &str) -> Vec<(i64, Vec<u8>)> {
    text.lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let t = epoch(
                w[4].parse().unwrap(),
                month(w[1]),
                w[2].parse().unwrap(),
                w[3],
            );
            // The subject follows the 6th word; find it by position so spacing is kept.
            let after_prio = l.find(&format!(" {} ", w[5])).unwrap() + w[5].len() + 2;
            (t, l.as_bytes()[after_prio..].to_vec())
        })
        .collect()
}

/// Raw frames: `<PRI>Mmm dd hh:mm:ss SUBJECT` (year 2026) → (time, subject).
fn frame_lines(text: &str) -> Vec<(i64, Vec<u8>)> {
    text.lines()
        .map(|l| {
            let rest = &l[l.find('>').unwrap() + 1..];
            let w: Vec<&str> = rest.split_whitespace().collect();
            let t = epoch(2026, month(w[0]), w[1].parse().unwrap(), w[2]);
            let subject_at = rest.find(w[2]).unwrap() + w[2].len() + 1;
            (t, rest.as_bytes()[subject_at..].to_vec())
        })
        .collect()
}

#[derive(Default)]
struct RuleResult {
    matches: u32,
    ignored: u32,
    /// key → firings
    fires: BTreeMap<String, u32>,
    total_fires: u32,
}

fn config() -> (Vec<Rule>, Vec<IpNet>) {
    shipped::shipped()
}

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Replays `lines` through `rules` the way SPEC §6 counts.
fn replay(
    rules: &[Rule],
    ignore: &[IpNet],
    lines: &[(i64, Vec<u8>)],
) -> BTreeMap<String, RuleResult> {
    let mut out = BTreeMap::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        let re = rule.regex();
        let mut tracker = KeyTracker::new(1024, rule.maxfail, rule.time);
        let mut res = RuleResult::default();
        for (t, subject) in lines {
            if rule
                .program
                .as_ref()
                .is_some_and(|p| program(subject) != p.as_bytes())
            {
                continue;
            }
            let Some(values) = matches(&re, subject) else {
                continue;
            };
            assert_eq!(
                values.len(),
                rule.fields.len(),
                "{}: fields vs conversions",
                rule.name
            );
            res.matches += 1;
            if values.iter().any(|v| is_ignored(v, ignore)) {
                res.ignored += 1;
                continue;
            }
            let key: Vec<&[u8]> = if rule.key.is_empty() {
                values.iter().map(Vec::as_slice).collect()
            } else {
                let idx = |k: &String| rule.fields.iter().position(|f| f == k).unwrap();
                rule.key.iter().map(|k| values[idx(k)].as_slice()).collect()
            };
            let key = key.join(&b' ');
            if tracker.event(&key, *t).fired {
                res.total_fires += 1;
                if !rule.key.is_empty() {
                    *res.fires
                        .entry(String::from_utf8_lossy(&key).into_owned())
                        .or_default() += 1;
                }
            }
        }
        out.insert(rule.name.clone(), res);
    }
    out
}

/// The replay in the format of router.expected.
fn render(results: &BTreeMap<String, RuleResult>) -> String {
    let mut s = String::new();
    for (name, r) in results {
        writeln!(s, "matches {name} {}", r.matches).unwrap();
        writeln!(s, "ignored {name} {}", r.ignored).unwrap();
        writeln!(s, "firings {name} {}", r.total_fires).unwrap();
        for (key, n) in &r.fires {
            writeln!(s, "fires {name} {n} {key}").unwrap();
        }
    }
    s
}

fn expected() -> String {
    data("router.expected")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn replay_of_router_log_matches_expected() {
    let (rules, ignore) = config();
    let got = render(&replay(
        &rules,
        &ignore,
        &logread_lines(&data("router.log")),
    ));
    assert_eq!(got, expected(), "replay of router.log:\n{got}");
}

#[test]
fn frames_and_logread_give_the_same_subjects_and_results() {
    let a = logread_lines(&data("router.log"));
    let b = frame_lines(&data("router.frames"));
    assert_eq!(a, b);
    let (rules, ignore) = config();
    assert_eq!(render(&replay(&rules, &ignore, &b)), expected());
}

#[test]
fn no_firing_bans_an_injected_address() {
    let (rules, ignore) = config();
    let results = replay(&rules, &ignore, &logread_lines(&data("router.log")));
    let injected: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    for (name, r) in &results {
        for key in r.fires.keys() {
            // A key is either the peer's address or text that no ban script accepts.
            let addr = parse_addr(key.as_bytes());
            assert_ne!(
                addr,
                Some(injected),
                "{name} fired for the injected address"
            );
            if addr.is_none() {
                assert!(
                    key.contains(' ') || key.starts_with("UDP"),
                    "{name}: key {key:?} is neither address nor refused"
                );
            }
        }
    }
    // Every ban rule fires for the real peers of the injection lines.
    let fired = |rule: &str, key: &str| results[rule].fires.get(key).copied().unwrap_or(0);
    assert_eq!(fired("dropbear_bad_password", "192.0.2.200"), 1);
    assert_eq!(fired("dropbear_nonexistent_user", "192.0.2.201"), 1);
    assert_eq!(fired("asterisk_sip_wrong_password", "192.0.2.205"), 1);
    assert_eq!(fired("sshd_failed_password", "192.0.2.113"), 1);
    assert_eq!(fired("asterisk_sip_invite_rejected", "192.0.2.208"), 1);
}

/// One rule on one subject: its captured values as strings.
fn capture(rule: &str, subject: &str) -> Option<Vec<String>> {
    shipped::oracle(&shipped::rule(rule), subject.as_bytes())
}

#[test]
fn captures_of_each_ban_rule() {
    // (rule, subject, the captures or None). Wordings from each daemon's source (see the
    // version noted in uci/logtrigger).
    let cases: &[(&str, &str, Option<&[&str]>)] = &[
        (
            "dropbear_bad_password",
            "dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234",
            Some(&["17137", "root", "192.168.1.5", "51234"]),
        ),
        (
            "dropbear_bad_password",
            "dropbear[1]: Bad password attempt for 'root' from 2001:db8::1:51234",
            Some(&["1", "root", "2001:db8::1", "51234"]),
        ),
        (
            "dropbear_bad_password",
            "dropbear[1]: Bad password attempt for 'x' from 203.0.113.9:1' from 192.0.2.1:2",
            Some(&["1", "x' from 203.0.113.9:1", "192.0.2.1", "2"]),
        ),
        (
            "dropbear_bad_password",
            "uhttpd[1]: dropbear[1]: Bad password attempt for 'x' from 203.0.113.9:1",
            None,
        ),
        (
            "dropbear_nonexistent_user",
            "dropbear[9]: Login attempt for nonexistent user from 192.0.2.1:22",
            Some(&["9", " ", "192.0.2.1", "22"]),
        ),
        (
            "dropbear_nonexistent_user",
            "dropbear[9]: Login attempt for nonexistent user 'a from 203.0.113.9:1' from ::ffff:192.0.2.1:22",
            Some(&["9", " 'a from 203.0.113.9:1' ", "::ffff:192.0.2.1", "22"]),
        ),
        (
            "dropbear_exit_before_auth",
            "dropbear[5]: Exit before auth from <2001:db8::7:4444>: Max auth tries reached - user 'is invalid'",
            Some(&["5", "2001:db8::7", "4444", " ", "is invalid"]),
        ),
        (
            "dropbear_exit_before_auth",
            "dropbear[5]: Exit before auth from <192.0.2.7:4444>: (user 'root', 10 fails): Max auth tries reached - user 'root'",
            Some(&[
                "5",
                "192.0.2.7",
                "4444",
                " (user 'root', 10 fails): ",
                "root",
            ]),
        ),
        (
            "dropbear_exit_before_auth",
            "dropbear[5]: Exit before auth from <192.0.2.7:4444>: Exited normally",
            None,
        ),
        (
            "luci_failed_login",
            "uhttpd[2]: [info] luci: failed login on / for root from 192.168.1.10",
            Some(&["/", "root", "192.168.1.10"]),
        ),
        (
            "luci_failed_login",
            "uhttpd[2]: [info] luci: failed login on /admin for admin from 2001:db8::1",
            Some(&["/admin", "admin", "2001:db8::1"]),
        ),
        (
            "luci_failed_login",
            "uhttpd[2]: luci: failed login on / for x from 203.0.113.9 from 192.0.2.9",
            Some(&["/", "x from 203.0.113.9", "192.0.2.9"]),
        ),
        (
            "sshd_failed_password",
            "sshd-session[812]: Failed password for root from 192.0.2.10 port 50022 ssh2",
            Some(&["812", "root", "192.0.2.10", "50022"]),
        ),
        (
            "sshd_failed_password",
            "sshd-session[812]: Failed password for invalid user admin from 2001:db8::10 port 50022 ssh2",
            Some(&["812", "invalid user admin", "2001:db8::10", "50022"]),
        ),
        (
            "sshd_failed_password",
            "sshd-session[812]: Failed password for x from 203.0.113.9 port 1 ssh2 from 192.0.2.10 port 50022 ssh2",
            Some(&[
                "812",
                "x from 203.0.113.9 port 1 ssh2",
                "192.0.2.10",
                "50022",
            ]),
        ),
        (
            "sshd_failed_password",
            "sshd-session[812]: Failed publickey for root from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:x",
            None,
        ),
        (
            "sshd_invalid_user",
            "sshd-session[812]: Invalid user oracle from 192.0.2.11 port 40000",
            Some(&["812", " oracle ", "192.0.2.11", "40000"]),
        ),
        (
            "sshd_invalid_user",
            "sshd-session[812]: Invalid user  from 2001:db8::11 port 40000",
            Some(&["812", "  ", "2001:db8::11", "40000"]),
        ),
        (
            "sshd_max_auth_tries",
            "sshd-session[812]: error: maximum authentication attempts exceeded for invalid user pi from 192.0.2.12 port 40001 ssh2 [preauth]",
            Some(&["812", "invalid user pi", "192.0.2.12", "40001"]),
        ),
        (
            "openvpn_tls_handshake_failed",
            "openvpn(server)[900]: 192.0.2.13:40002 TLS Error: TLS handshake failed",
            Some(&["192.0.2.13", "40002"]),
        ),
        (
            "openvpn_tls_handshake_failed",
            "openvpn(server)[900]: cn/192.0.2.13:40002 TLS Error: TLS handshake failed",
            Some(&["192.0.2.13", "40002"]),
        ),
        // OpenVPN prints IPv6 peers without their port: no capture, never a wrong one.
        (
            "openvpn_tls_handshake_failed",
            "openvpn(server)[900]: 2001:db8::13 TLS Error: TLS handshake failed",
            None,
        ),
        (
            "openvpn_auth_failed",
            "openvpn(server)[900]: 192.0.2.14:40003 TLS Auth Error: Auth Username/Password verification failed for peer",
            Some(&["192.0.2.14", "40003"]),
        ),
        (
            "openvpn_packet_auth_failed",
            "openvpn(server)[900]: TLS Error: incoming packet authentication failed from [AF_INET]192.0.2.15:40004",
            Some(&[
                "incoming packet authentication failed",
                "AF_INET",
                "192.0.2.15",
                "40004",
            ]),
        ),
        (
            "openvpn_packet_auth_failed",
            "openvpn(server)[900]: TLS Error: tls-crypt unwrapping failed from [AF_INET6]2001:db8::15:40004",
            Some(&[
                "tls-crypt unwrapping failed",
                "AF_INET6",
                "2001:db8::15",
                "40004",
            ]),
        ),
        (
            "asterisk_pjsip_auth_failed",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '\"1000\" <sip:1000@10.0.0.1>' failed for '1.2.3.4:48336' (callid: 276666022) - Failed to authenticate",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "676",
                "REGISTER",
                "\"1000\" <sip:1000@10.0.0.1>",
                "1.2.3.4",
                "48336",
                "276666022",
            ]),
        ),
        (
            "asterisk_pjsip_auth_failed",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'INVITE' from '<sip:a@b>' failed for '[2001:db8::9]:5062' (callid: 1@x) - Failed to authenticate",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "676",
                "INVITE",
                "<sip:a@b>",
                "[2001:db8::9]",
                "5062",
                "1@x",
            ]),
        ),
        // A quote in the From or the Call-ID: no match (evasion, never a foreign address).
        (
            "asterisk_pjsip_auth_failed",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '<sip:1@x>' failed for '192.0.2.9:5060' (callid: x' failed for '203.0.113.9:5060' (callid: y) - Failed to authenticate",
            None,
        ),
        (
            "asterisk_pjsip_no_endpoint",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'INVITE' from '<sip:a@b>' failed for '[2001:db8::9]:5062' (callid: 1@x) - No matching endpoint found",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "676",
                "INVITE",
                "<sip:a@b>",
                "[2001:db8::9]",
                "5062",
                "1@x",
                " found",
            ]),
        ),
        (
            "asterisk_pjsip_no_endpoint",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '<sip:a@b>' failed for '192.0.2.16:5060' (callid: 1@x) - No matching endpoint found after 5 tries in 2.040 ms",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "676",
                "REGISTER",
                "<sip:a@b>",
                "192.0.2.16",
                "5060",
                "1@x",
                " found after 5 tries in 2.040 ms",
            ]),
        ),
        (
            "asterisk_pjsip_acl",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:590 in log_failed_request: Request 'REGISTER' from '<sip:100@pbx>' failed for '192.0.2.17:5060' (callid: c1) - Not match Endpoint ACL",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "590",
                "REGISTER",
                "<sip:100@pbx>",
                "192.0.2.17",
                "5060",
                "c1",
                " ",
            ]),
        ),
        (
            "asterisk_pjsip_acl",
            "asterisk[4]: NOTICE[5]: res_pjsip/pjsip_distributor.c:590 in log_failed_request: Request 'REGISTER' from '<sip:100@pbx>' failed for '192.0.2.17:5060' (callid: c1) - Not match Endpoint Contact ACL",
            Some(&[
                "4",
                "[5]",
                "res_pjsip/pjsip_distributor.c",
                "590",
                "REGISTER",
                "<sip:100@pbx>",
                "192.0.2.17",
                "5060",
                "c1",
                " Contact ",
            ]),
        ),
        (
            "asterisk_pjsip_invite_rejected",
            "asterisk[4]: NOTICE[5][C-00000001]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' (UDP:192.0.2.18:5060) to extension '011972595' rejected because extension not found in context 'default'.",
            Some(&[
                "4",
                "[5][C-00000001]",
                "res_pjsip_session.c",
                "3779",
                "anonymous",
                "UDP",
                "192.0.2.18",
                "5060",
                "011972595",
                "default",
            ]),
        ),
        (
            "asterisk_pjsip_invite_rejected",
            "asterisk[4]: NOTICE[5][C-00000001]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' (UDP6:[2001:db8::18]:5060) to extension '1' (UDP:203.0.113.9:1) to extension '2' rejected because extension not found in context 'default'.",
            Some(&[
                "4",
                "[5][C-00000001]",
                "res_pjsip_session.c",
                "3779",
                "anonymous",
                "UDP6",
                "[2001:db8::18]",
                "5060",
                "1' (UDP:203.0.113.9:1) to extension '2",
                "default",
            ]),
        ),
        (
            "asterisk_sip_wrong_password",
            "asterisk[4]: NOTICE[5]: chan_sip.c:28468 in handle_request_register: Registration from '<sip:301@pbx>' failed for '[2001:db8::3]:5060' - Wrong password",
            Some(&[
                "4",
                "[5]",
                "chan_sip.c",
                "28468",
                "<sip:301@pbx>",
                "[2001:db8::3]",
                "5060",
            ]),
        ),
        (
            "asterisk_sip_wrong_password",
            "asterisk[4]: NOTICE[5]: chan_sip.c:28468 in handle_request_register: Registration from '\"x\" <sip:1@x>' failed for '203.0.113.9:5060' - Wrong password' failed for '192.0.2.5:5060' - Wrong password",
            Some(&[
                "4",
                "[5]",
                "chan_sip.c",
                "28468",
                "\"x\" <sip:1@x>' failed for '203.0.113.9:5060' - Wrong password",
                "192.0.2.5",
                "5060",
            ]),
        ),
        (
            "asterisk_sip_no_peer",
            "asterisk[4]: NOTICE[5]: chan_sip.c:28474 in handle_request_register: Registration from '<sip:9@pbx>' failed for '192.0.2.19:5061' - No matching peer found",
            Some(&[
                "4",
                "[5]",
                "chan_sip.c",
                "28474",
                "<sip:9@pbx>",
                "192.0.2.19",
                "5061",
            ]),
        ),
        (
            "asterisk_sip_invite_rejected",
            "asterisk[4]: NOTICE[5][C-00000002]: chan_sip.c:26689 in handle_request_invite: Call from '' (198.51.100.31:5070) to extension '+4412345' rejected because extension not found in context 'default'.",
            Some(&[
                "4",
                "[5][C-00000002]",
                "chan_sip.c",
                "26689",
                "'' ",
                "198.51.100.31",
                "5070",
                "+4412345",
                "default",
            ]),
        ),
        // The extension follows the address: a copy of the line in it cannot move the capture.
        (
            "asterisk_sip_invite_rejected",
            "asterisk[4]: NOTICE[5][C-00000002]: chan_sip.c:26689 in handle_request_invite: Call from 'x' ([2001:db8::31]:5070) to extension 'y' (203.0.113.9:1) to extension '1' rejected because extension not found in context 'default'.",
            Some(&[
                "4",
                "[5][C-00000002]",
                "chan_sip.c",
                "26689",
                "'x' ",
                "[2001:db8::31]",
                "5070",
                "y' (203.0.113.9:1) to extension '1",
                "default",
            ]),
        ),
        // A res_pjsip line: the chan_sip rule names chan_sip's function, so it never matches.
        (
            "asterisk_sip_invite_rejected",
            "asterisk[4]: NOTICE[5][C-00000001]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' (UDP:192.0.2.18:5060) to extension '1' rejected because extension not found in context 'default'.",
            None,
        ),
        (
            "freeswitch_auth_failure",
            "freeswitch[3]: [WARNING] sofia_reg.c:3018 SIP auth failure (REGISTER) on sofia profile 'internal' for [1000@pbx] from ip 192.0.2.1",
            Some(&["REGISTER", "internal", "1000@pbx", "192.0.2.1"]),
        ),
        (
            "freeswitch_auth_failure",
            "freeswitch[3]: SIP auth failure (INVITE) on sofia profile 'external' for [1@[2001:db8::2]] from ip 2001:db8::1",
            Some(&["INVITE", "external", "1@[2001:db8::2]", "2001:db8::1"]),
        ),
        (
            "freeswitch_auth_failure",
            "freeswitch[3]: SIP auth challenge (REGISTER) on sofia profile 'internal' for [1000@pbx] from ip 192.0.2.1",
            None,
        ),
    ];
    for (rule, subject, want) in cases {
        let got = capture(rule, subject);
        let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(got, want, "{rule} on {subject:?}");
    }
}

#[test]
fn translation_agrees_with_spec_seed_examples() {
    let m = |p: &str, s: &str| {
        matches(&Regex::new(&translate(p)).unwrap(), s.as_bytes()).map(|v| {
            v.iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect::<Vec<_>>()
        })
    };
    let line = "The dog ate my homework and, I know this is the 10 th time this has happened.";
    let more = format!("{line} Sorry, won't happen again (heh heh).");
    let p = "The %s ate my homework and, I know this is the %d th time this has happened.";
    assert_eq!(m(p, line), Some(vec!["dog".into(), "10".into()]));
    assert_eq!(m(p, &more), None);
    let p3 = "The %s ate my homework and, I know this is the %d th time %s";
    assert_eq!(
        m(p3, &more).unwrap()[2],
        "this has happened. Sorry, won't happen again (heh heh)."
    );
    assert_eq!(
        m(
            "dnsmasq-dhcp[%d]: DHCPACK(%s) %s",
            "dnsmasq-dhcp[4273]: DHCPACK(br-lan) 192.168.2.153 'mac address' 'computer name'"
        ),
        Some(vec![
            "4273".into(),
            "br-lan".into(),
            "192.168.2.153 'mac address' 'computer name'".into()
        ])
    );
    assert_eq!(
        m(
            "Freeswitch: SIP registration failed User:%s IP:%s",
            "Freeswitch: SIP registration failed User:evil IP:9.9.9.9 IP:1.2.3.4"
        )
        .unwrap()[1],
        "9.9.9.9 IP:1.2.3.4"
    );
}

#[test]
fn every_rule_is_exercised_by_the_sample() {
    let (rules, ignore) = config();
    let results = replay(&rules, &ignore, &logread_lines(&data("router.log")));
    let enabled = rules.iter().filter(|r| r.enabled).count();
    assert_eq!(results.len(), enabled, "rule names are unique");
    for (name, r) in &results {
        assert!(r.total_fires > 0, "{name} never fires on the sample log");
    }
}
