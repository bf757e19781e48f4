//! Injection into the shipped ban rules: every attacker-controlled part of every rule's genuine
//! line (user name, From display name and URI, Call-ID, extension, method, path, certificate
//! name) is filled with quotes, spaces, parentheses, brackets, a newline, 1 KiB of padding, and
//! every fragment of the same line naming another address (`' failed for '…'`, `from <addr>`,
//! the whole line). Each result goes through the real pipeline with the shipped configuration,
//! and through the SPEC §5 regex oracle, which must agree.
//!
//! The verdict: a ban rule's key is the sender's address or no address at all (ipblock.sh refuses
//! it). Injection may turn into evasion, never into a foreign address. The one exception no
//! pattern can close is named by [`known`] (with why), and the test proves it still exists, so
//! the README that documents it stays true.

mod shipped;

use logtrigger::config::Config;
use logtrigger::ipnet::parse_addr;
use logtrigger::pipeline::{Pipeline, Sender, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The sender of every genuine line, and the address the attacker wants banned.
const REAL4: &str = "192.0.2.50";
const REAL6: &str = "2001:db8:50::5";
const FAKE4: &str = "198.51.100.66";
const FAKE6: &str = "2001:db8:66::6";

/// What the daemon allows in one attacker-controlled part.
#[derive(Clone, Copy, PartialEq)]
enum Chars {
    /// Any byte but NUL (sshd, Asterisk, FreeSWITCH, dropbear: one syslog(3) datagram).
    Any,
    /// No whitespace (a SIP method, a URI without escapes).
    NoSpace,
    /// No double quote (a SIP display name, inside its quotes).
    NoDquote,
}

/// One ban rule's genuine line: `msg` holds `{A}` for the address as the daemon prints it and
/// `{0}`, `{1}`… for the attacker's parts, whose genuine values are `slots`.
struct Template {
    rule: &'static str,
    tag: &'static str,
    msg: &'static str,
    slots: &'static [(&'static str, &'static str, Chars)],
    /// The address as printed for IPv4 and IPv6 (None: the daemon never prints it so).
    v4: Option<&'static str>,
    v6: Option<&'static str>,
    /// The daemon writes to stderr and procd logs each line as its own message.
    stderr: bool,
}

/// `{ip}` and `{port}` in an address form.
fn addr(form: &str, ip: &str) -> String {
    form.replace("{ip}", ip).replace("{port}", "40000")
}

const TEMPLATES: &[Template] = &[
    Template {
        rule: "dropbear_bad_password",
        tag: "dropbear[3001]",
        msg: "Bad password attempt for '{0}' from {A}",
        slots: &[("user", "root", Chars::Any)],
        v4: Some("{ip}:{port}"),
        v6: Some("{ip}:{port}"),
        stderr: false,
    },
    Template {
        rule: "dropbear_nonexistent_user",
        tag: "dropbear[3002]",
        msg: "Login attempt for nonexistent user '{0}' from {A}",
        slots: &[("user", "admin", Chars::Any)],
        v4: Some("{ip}:{port}"),
        v6: Some("{ip}:{port}"),
        stderr: false,
    },
    Template {
        rule: "dropbear_exit_before_auth",
        tag: "dropbear[3003]",
        msg: "Exit before auth from <{A}>: (user '{0}', 10 fails): Max auth tries reached - user '{0}'",
        slots: &[("user", "root", Chars::Any)],
        v4: Some("{ip}:{port}"),
        v6: Some("{ip}:{port}"),
        stderr: false,
    },
    Template {
        rule: "luci_failed_login",
        tag: "uhttpd[2100]",
        msg: "[info] luci: failed login on /{0} for {1} from {A}",
        slots: &[("path", "admin", Chars::Any), ("user", "root", Chars::Any)],
        v4: Some("{ip}"),
        v6: Some("{ip}"),
        stderr: true,
    },
    Template {
        rule: "sshd_failed_password",
        tag: "sshd-session[4100]",
        msg: "Failed password for invalid user {0} from {A} ssh2",
        slots: &[("user", "admin", Chars::Any)],
        v4: Some("{ip} port {port}"),
        v6: Some("{ip} port {port}"),
        stderr: false,
    },
    Template {
        rule: "sshd_invalid_user",
        tag: "sshd-session[4100]",
        msg: "Invalid user {0} from {A}",
        slots: &[("user", "admin", Chars::Any)],
        v4: Some("{ip} port {port}"),
        v6: Some("{ip} port {port}"),
        stderr: false,
    },
    Template {
        rule: "sshd_max_auth_tries",
        tag: "sshd-session[4100]",
        msg: "error: maximum authentication attempts exceeded for invalid user {0} from {A} ssh2 [preauth]",
        slots: &[("user", "admin", Chars::Any)],
        v4: Some("{ip} port {port}"),
        v6: Some("{ip} port {port}"),
        stderr: false,
    },
    Template {
        rule: "openvpn_tls_handshake_failed",
        tag: "openvpn(server)[1700]",
        msg: "{0}/{A} TLS Error: TLS handshake failed",
        slots: &[("common_name", "client1", Chars::Any)],
        v4: Some("{ip}:{port}"),
        v6: None,
        stderr: false,
    },
    Template {
        rule: "openvpn_auth_failed",
        tag: "openvpn(server)[1700]",
        msg: "{0}/{A} TLS Auth Error: Auth Username/Password verification failed for peer",
        slots: &[("common_name", "client1", Chars::Any)],
        v4: Some("{ip}:{port}"),
        v6: None,
        stderr: false,
    },
    Template {
        rule: "openvpn_packet_auth_failed",
        tag: "openvpn(server)[1700]",
        msg: "TLS Error: incoming packet authentication failed from {A}",
        slots: &[],
        v4: Some("[AF_INET]{ip}:{port}"),
        v6: Some("[AF_INET6]{ip}:{port}"),
        stderr: false,
    },
    Template {
        rule: "asterisk_pjsip_auth_failed",
        tag: "asterisk[2600]",
        msg: "NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request '{0}' from '\"{1}\" <sip:{2}@pbx.example.net>' failed for '{A}' (callid: {3}) - Failed to authenticate",
        slots: &[
            ("method", "REGISTER", Chars::NoSpace),
            ("display", "100", Chars::NoDquote),
            ("uri_user", "100", Chars::NoSpace),
            ("callid", "a1b2c3@192.0.2.50", Chars::Any),
        ],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_pjsip_no_endpoint",
        tag: "asterisk[2600]",
        msg: "NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request '{0}' from '\"{1}\" <sip:{2}@pbx.example.net>' failed for '{A}' (callid: {3}) - No matching endpoint found",
        slots: &[
            ("method", "INVITE", Chars::NoSpace),
            ("display", "100", Chars::NoDquote),
            ("uri_user", "100", Chars::NoSpace),
            ("callid", "a1b2c3@192.0.2.50", Chars::Any),
        ],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_pjsip_acl",
        tag: "asterisk[2600]",
        msg: "NOTICE[2640]: res_pjsip/pjsip_distributor.c:590 in log_failed_request: Request '{0}' from '\"{1}\" <sip:{2}@pbx.example.net>' failed for '{A}' (callid: {3}) - Not match Endpoint ACL",
        slots: &[
            ("method", "REGISTER", Chars::NoSpace),
            ("display", "100", Chars::NoDquote),
            ("uri_user", "100", Chars::NoSpace),
            ("callid", "a1b2c3@192.0.2.50", Chars::Any),
        ],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_pjsip_invite_rejected",
        tag: "asterisk[2600]",
        msg: "NOTICE[2641][C-00000001]: res_pjsip_session.c:3779 in new_invite: Call from 'anonymous' ({A}) to extension '{0}' rejected because extension not found in context 'public'.",
        slots: &[("extension", "0097259", Chars::Any)],
        v4: Some("UDP:{ip}:5060"),
        v6: Some("UDP6:[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_sip_wrong_password",
        tag: "asterisk[2600]",
        msg: "NOTICE[2633]: chan_sip.c:28468 in handle_request_register: Registration from '{0}' failed for '{A}' - Wrong password",
        slots: &[("to", "<sip:301@pbx.example.net>", Chars::Any)],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_sip_no_peer",
        tag: "asterisk[2600]",
        msg: "NOTICE[2633]: chan_sip.c:28474 in handle_request_register: Registration from '{0}' failed for '{A}' - No matching peer found",
        slots: &[("to", "<sip:301@pbx.example.net>", Chars::Any)],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "asterisk_sip_invite_rejected",
        tag: "asterisk[2600]",
        msg: "NOTICE[2633][C-00000002]: chan_sip.c:26689 in handle_request_invite: Call from '' ({A}) to extension '{0}' rejected because extension not found in context 'default'.",
        slots: &[("extension", "0097259", Chars::Any)],
        v4: Some("{ip}:5060"),
        v6: Some("[{ip}]:5060"),
        stderr: false,
    },
    Template {
        rule: "freeswitch_auth_failure",
        tag: "freeswitch[2500]",
        msg: "[WARNING] sofia_reg.c:3018 SIP auth failure ({0}) on sofia profile 'internal' for [{1}@{2}] from ip {A}",
        slots: &[
            ("method", "REGISTER", Chars::NoSpace),
            ("to_user", "1000", Chars::Any),
            ("to_host", "pbx.example.net", Chars::Any),
        ],
        v4: Some("{ip}"),
        v6: Some("{ip}"),
        stderr: false,
    },
    // Other messages of the same programs that end in the caller's text. A copy of a rule's
    // line in that text would satisfy a pattern that may start anywhere; these rules' patterns
    // begin with their program's tag and so match from the start of the message only.
    Template {
        rule: "carrier:sshd_received_disconnect",
        tag: "sshd-session[4100]",
        msg: "Received disconnect from {A}:11: {0} [preauth]",
        slots: &[("reason", "Bye Bye", Chars::Any)],
        v4: Some("{ip} port {port}"),
        v6: Some("{ip} port {port}"),
        stderr: false,
    },
    // After a login the reason ends the line (a valid account is needed).
    Template {
        rule: "carrier:sshd_received_disconnect_after_login",
        tag: "sshd-session[4101]",
        msg: "Received disconnect from {A}:11: {0}",
        slots: &[("reason", "disconnected by user", Chars::Any)],
        v4: Some("{ip} port {port}"),
        v6: Some("{ip} port {port}"),
        stderr: false,
    },
    Template {
        rule: "carrier:chan_sip_fake_auth_rejection",
        tag: "asterisk[2600]",
        msg: "NOTICE[2633]: chan_sip.c:22614 in handle_request_invite: Sending fake auth rejection for device \"{0}\" <sip:{1}@{A}>;tag={2}",
        slots: &[
            ("display", "sip", Chars::NoDquote),
            ("uri_user", "sip", Chars::NoSpace),
            ("tag", "L7922NDHSn", Chars::Any),
        ],
        v4: Some("{ip}"),
        v6: None,
        stderr: false,
    },
];

/// Why a foreign address can be captured, for the one exception no pattern can refuse: procd
/// logs each line of LuCI's stderr as its own message, so a newline in the user name ends a
/// message that is byte for byte a genuine line naming another address. `verify conntrack` is
/// what stands between it and a ban (the README).
fn known(rule: &str, via: &str) -> Option<&'static str> {
    if rule == "luci_failed_login" && via.starts_with("luci_failed_login/") {
        return Some("procd logs each line of LuCI's stderr as its own message");
    }
    None
}

/// Each kind of exception [`known`] names, by an example that must still get through.
const KNOWN_EXAMPLES: &[(&str, &str)] = &[("luci_failed_login", "luci_failed_login/user")];

impl Template {
    /// The message with `a` as the address and `parts` in the slots.
    fn render(&self, a: &str, parts: &[String]) -> String {
        let mut m = self.msg.replace("{A}", a);
        for (i, p) in parts.iter().enumerate() {
            m = m.replace(&format!("{{{i}}}"), p);
        }
        m
    }

    fn defaults(&self) -> Vec<String> {
        self.slots.iter().map(|(_, v, _)| v.to_string()).collect()
    }

    /// (sender, address text) for each form the daemon prints.
    fn senders(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(f) = self.v4 {
            out.push((REAL4, addr(f, REAL4)));
        }
        if let Some(f) = self.v6 {
            out.push((REAL6, addr(f, REAL6)));
        }
        out
    }

    /// The genuine line naming the fake address (same family as the sender when possible).
    fn fake_line(&self, sender: &str) -> String {
        let (ip, form) = match (sender.contains(':'), self.v6) {
            (true, Some(f)) => (FAKE6, f),
            _ => (FAKE4, self.v4.or(self.v6).unwrap()),
        };
        self.render(&addr(form, ip), &self.defaults())
    }
}

/// Every fragment of `line` that starts at or after a delimiter and ends at or before one: the
/// pieces an attacker would cut from a genuine line (`' failed for '…'`, `from ADDR`…).
fn fragments(line: &str) -> BTreeSet<String> {
    let delim = |c: char| " '\"()[]<>:/".contains(c);
    let mut cuts = vec![0, line.len()];
    for (i, c) in line.char_indices() {
        if delim(c) {
            cuts.push(i);
            cuts.push(i + c.len_utf8());
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = BTreeSet::new();
    for (n, &a) in cuts.iter().enumerate() {
        for &b in &cuts[n + 1..] {
            out.insert(line[a..b].to_string());
        }
    }
    out
}

/// The payloads for one slot of `t` sent by `sender`.
fn payloads(t: &Template, sender: &str) -> BTreeSet<String> {
    let pad = "A".repeat(1024);
    let mut out: BTreeSet<String> = [
        "'", "\"", "''", "   ", "(x)", "(", ")", "[", "]", "<", ">", "\n", "x\nx",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for fake in [FAKE4, FAKE6] {
        for f in [
            format!("' failed for '{fake}:5060'"),
            format!("' failed for '{fake}:5060' (callid: x"),
            format!(" from {fake}"),
            format!(" from {fake}:1"),
            format!("x from {fake}\n"),
            format!("x from {fake}\nx"),
            format!(" from ip {fake}"),
            format!("] from ip {fake} ["),
            format!(" from {fake} port 22 ssh2"),
            format!("' ({fake}:5060) to extension '1"),
            format!("{pad} from {fake}"),
            format!("{pad}' failed for '{fake}:5060'"),
            pad.clone(),
        ] {
            out.insert(f);
        }
    }
    let line = t.fake_line(sender);
    for f in fragments(&line) {
        out.insert(format!("\n{f}"));
        out.insert(format!("{f}\n"));
        out.insert(f);
    }
    // Every other rule's whole line naming the fake address, and for the rules of the same
    // program, its fragments that run to the end of the line or stop short of its last words.
    let program = |t: &Template| t.tag.split('[').next().unwrap().to_string();
    for other in TEMPLATES {
        let line = other.fake_line(sender);
        out.insert(line.clone());
        if program(other) != program(t) {
            continue;
        }
        let near_end = line.len().saturating_sub(40);
        for f in fragments(&line) {
            let end = line.find(&f).unwrap() + f.len();
            if end >= near_end {
                out.insert(f);
            }
        }
    }
    out
}

fn allowed(c: Chars, payload: &str) -> bool {
    match c {
        Chars::Any => !payload.contains('\0'),
        Chars::NoSpace => !payload.bytes().any(|b| b.is_ascii_whitespace()),
        Chars::NoDquote => !payload.contains('"'),
    }
}

/// The frames a message becomes: one, or one per line when procd relays the daemon's stderr.
fn frames(t: &Template, msg: &str) -> Vec<Vec<u8>> {
    let lines: Vec<&str> = if t.stderr {
        msg.split('\n').filter(|l| !l.is_empty()).collect()
    } else {
        vec![msg]
    };
    lines
        .iter()
        .map(|l| format!("<84>Dec  7 02:00:00 {}: {l}", t.tag).into_bytes())
        .collect()
}

fn pipeline() -> Pipeline {
    let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/uci/logtrigger")).unwrap();
    let config = Config::parse_offline(&text, "uci/logtrigger").expect("the shipped config");
    Pipeline::new(&config)
}

/// One ban-rule hit: rule name, key, captured values.
#[derive(Debug, PartialEq)]
struct BanHit {
    rule: String,
    key: Vec<u8>,
    values: Vec<Vec<u8>>,
}

/// The subject of one of [`frames`]' frames, as SPEC §3 and §4 make it.
fn subject(frame: &[u8]) -> &[u8] {
    let mut s = &frame["<84>Dec  7 02:00:00 ".len()..];
    while let [rest @ .., b'\n' | b'\r' | b'\0'] = s {
        s = rest;
    }
    s
}

/// The oracle's hits of the ban rules on one frame.
fn oracle_hits(rules: &[(shipped::Rule, regex::bytes::Regex)], frame: &[u8]) -> Vec<BanHit> {
    let subject = subject(frame);
    let mut out = Vec::new();
    for (r, re) in rules {
        if r.program
            .as_ref()
            .is_some_and(|p| shipped::program(subject) != p.as_bytes())
        {
            continue;
        }
        if let Some(values) = shipped::captures(re, subject) {
            out.push(BanHit {
                rule: r.name.clone(),
                key: values[r.field("ip")].clone(),
                values,
            });
        }
    }
    out
}

/// The shipped ban rules with their oracle regexes.
fn ban_rules() -> Vec<(shipped::Rule, regex::bytes::Regex)> {
    let (rules, _) = shipped::shipped();
    rules
        .into_iter()
        .filter(|r| r.bans() && r.enabled)
        .map(|r| {
            let re = r.regex();
            (r, re)
        })
        .collect()
}

/// Runs one frame through the real pipeline and returns the hits of ban rules, after checking
/// that the oracle finds exactly the same.
fn ban_hits(
    p: &mut Pipeline,
    rules: &[(shipped::Rule, regex::bytes::Regex)],
    frame: &[u8],
    now: i64,
) -> Vec<BanHit> {
    let mut out = Vec::new();
    p.process_frame(frame, Source::Unix(Sender::Replayed), now, &mut |hit| {
        let bans = hit
            .rule
            .script
            .as_ref()
            .is_some_and(|s| s.to_string_lossy().ends_with("/ipblock.sh"));
        if bans {
            out.push(BanHit {
                rule: hit.rule.name.clone(),
                key: hit.key.to_vec(),
                values: (0..hit.caps.len())
                    .map(|i| hit.caps.get(i, hit.subject).to_vec())
                    .collect(),
            });
        }
    });
    let want = oracle_hits(rules, frame);
    assert_eq!(
        out,
        want,
        "engine and oracle differ on {:?}",
        String::from_utf8_lossy(frame)
    );
    out
}

#[test]
fn genuine_lines_capture_the_sender_in_every_form() {
    let mut p = pipeline();
    let rules = ban_rules();
    let mut seen = BTreeSet::new();
    for t in TEMPLATES.iter().filter(|t| !t.rule.starts_with("carrier:")) {
        for (sender, a) in t.senders() {
            let msg = t.render(&a, &t.defaults());
            let hits: Vec<BanHit> = frames(t, &msg)
                .iter()
                .flat_map(|f| ban_hits(&mut p, &rules, f, 0))
                .collect();
            let mine: Vec<&BanHit> = hits.iter().filter(|h| h.rule == t.rule).collect();
            assert_eq!(mine.len(), 1, "{} on {msg:?}: {} hits", t.rule, mine.len());
            let want: IpAddr = sender.parse().unwrap();
            assert_eq!(
                parse_addr(&mine[0].key),
                Some(want),
                "{}: key {:?} on {msg:?}",
                t.rule,
                String::from_utf8_lossy(&mine[0].key)
            );
            seen.insert(t.rule);
        }
    }
    // Every shipped ban rule has a template.
    for (r, _) in &rules {
        assert!(seen.contains(r.name.as_str()), "no template for {}", r.name);
    }
}

#[test]
fn injection_never_captures_a_foreign_address() {
    let mut p = pipeline();
    let rules = ban_rules();
    let mut holes: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let (mut lines, mut evasions, mut now) = (0usize, 0usize, 0i64);
    for t in TEMPLATES {
        for (sender, a) in t.senders() {
            let want: IpAddr = sender.parse().unwrap();
            let payloads = payloads(t, sender);
            for (slot, (slot_name, genuine, chars)) in t.slots.iter().enumerate() {
                for payload in payloads.iter().filter(|x| allowed(*chars, x)) {
                    for value in [
                        payload.clone(),
                        format!("{genuine}{payload}"),
                        format!("{payload}{genuine}"),
                    ] {
                        let mut parts = t.defaults();
                        parts[slot] = value;
                        let msg = t.render(&a, &parts);
                        lines += 1;
                        // A fresh second per line: windows never join distinct cases' counts.
                        now += 1000;
                        let mut own = false;
                        for f in frames(t, &msg) {
                            for h in ban_hits(&mut p, &rules, &f, now) {
                                own |= h.rule == t.rule;
                                match parse_addr(&h.key) {
                                    None => {}
                                    Some(ip) if ip == want => {}
                                    Some(_) => {
                                        let via = format!("{}/{slot_name}", t.rule);
                                        let e = holes
                                            .entry((h.rule.clone(), via))
                                            .or_insert((0, msg.clone()));
                                        e.0 += 1;
                                    }
                                }
                            }
                        }
                        evasions += (!own && !t.rule.starts_with("carrier:")) as usize;
                    }
                }
            }
        }
    }
    eprintln!(
        "{lines} injected lines, {evasions} not counted for their own rule, foreign captures: {:?}",
        holes.iter().map(|(k, v)| (k, v.0)).collect::<Vec<_>>()
    );
    for ((rule, via), (n, example)) in &holes {
        assert!(
            known(rule, via).is_some(),
            "{rule}: {n} injections through {via} capture a foreign address, e.g. {example:?}"
        );
    }
    // The documented exceptions are real (the README says so): each one is reachable.
    for (rule, via) in KNOWN_EXAMPLES {
        assert!(
            holes.contains_key(&(rule.to_string(), via.to_string())),
            "{rule} through {via} is listed as out of reach but no injection got through"
        );
    }
    assert!(lines > 10_000, "only {lines} cases");
}

/// A whole copy of a rule's line inside text a daemon quotes from its caller: a pattern that may
/// start anywhere would take the copy's address; one that begins with its program's tag matches
/// from the start of the message only, so the copy counts for nobody. Only LuCI's newline,
/// which makes the copy a message of its own, is left (the README quotes these shapes).
#[test]
fn a_copy_of_a_line_in_caller_text_counts_for_nobody() {
    let mut p = pipeline();
    let rules = ban_rules();
    let head = "<84>Dec  7 02:00:00 asterisk[2600]: NOTICE[2640]: res_pjsip/pjsip_distributor.c:676 \
                in log_failed_request: Request 'REGISTER' from '<sip:1@x>' failed for";
    let genuine = format!("{head} '{REAL4}:5060' (callid: x) - Failed to authenticate");
    let hits = ban_hits(&mut p, &rules, genuine.as_bytes(), 1);
    assert_eq!(hits.len(), 1);
    assert_eq!(parse_addr(&hits[0].key), REAL4.parse().ok());
    // The Call-ID holds the rest of a line naming another address: no rule counts it.
    let copy = format!(
        "{head} '{REAL4}:5060' (callid: x' from '<sip:1@x>' failed for '{FAKE4}:5060' (callid: \
         y) - Failed to authenticate"
    );
    assert!(ban_hits(&mut p, &rules, copy.as_bytes(), 2).is_empty());
    // chan_sip's fake auth rejection ends in the caller's tag, holding a Registration line.
    let fake_auth = format!(
        "<84>Dec  7 02:00:00 asterisk[2600]: NOTICE[2633]: chan_sip.c:22614 in \
         handle_request_invite: Sending fake auth rejection for device \"sip\" \
         <sip:sip@{REAL4}>;tag=x: chan_sip.c:28468 in handle_request_register: Registration \
         from '<sip:301@x>' failed for '{FAKE4}:5060' - Wrong password"
    );
    assert!(ban_hits(&mut p, &rules, fake_auth.as_bytes(), 3).is_empty());
    // sshd's disconnect reason is the client's text.
    let disconnect = format!(
        "<84>Dec  7 02:00:00 sshd-session[4100]: Received disconnect from {REAL4} port 40000:11: \
         sshd-session[4100]: error: maximum authentication attempts exceeded for root from \
         {FAKE4} port 22 ssh2 [preauth]"
    );
    assert!(ban_hits(&mut p, &rules, disconnect.as_bytes(), 4).is_empty());
    // LuCI: the newline ends the first message right after the fake address.
    let luci = format!(
        "<84>Dec  7 02:00:00 uhttpd[2100]: [info] luci: failed login on / for x from {FAKE4}"
    );
    let hits = ban_hits(&mut p, &rules, luci.as_bytes(), 5);
    assert_eq!(parse_addr(&hits[0].key), FAKE4.parse().ok());
    // Without the newline the sender's address ends the line, and it is the key.
    let whole = format!("{luci} from {REAL4}");
    let hits = ban_hits(&mut p, &rules, whole.as_bytes(), 6);
    assert_eq!(parse_addr(&hits[0].key), REAL4.parse().ok());
}

/// SPEC §6: `ignoreip` judges the value the script receives. A NUL inside the address is removed
/// before the script runs, so `192.168.1.\0` `10` is the admin's LAN PC and must be ignored.
#[test]
fn nul_inside_the_address_is_judged_as_the_script_sees_it() {
    let mut p = pipeline();
    let frame = b"<84>Dec  7 02:00:00 dropbear[3001]: Bad password attempt for 'root' from 192.168.1.\x0010:22";
    let mut seen = 0;
    p.process_frame(frame, Source::Unix(Sender::Replayed), 1, &mut |hit| {
        if hit.rule.name == "dropbear_bad_password" {
            seen += 1;
            assert!(hit.ignored, "the NUL hid 192.168.1.10 from ignoreip");
        }
    });
    assert_eq!(seen, 1);
}

/// Every shipped ban rule through the real binary's replay (`logtrigger test --json`): five
/// genuine lines from an IPv4 and five from an IPv6 sender, in each form the daemon prints
/// (with or without a port, bracketed or not), fire exactly once each, at the fifth line, with
/// the sender's address exactly as the key.
#[test]
fn replay_fires_at_maxfail_with_the_sender_as_key() {
    let mut input = String::new();
    let mut want = BTreeSet::new();
    for t in TEMPLATES.iter().filter(|t| !t.rule.starts_with("carrier:")) {
        for (sender, a) in t.senders() {
            let msg = t.render(&a, &t.defaults());
            for n in 0..5 {
                input += &format!("<84>Dec  7 02:0{n}:00 {}: {msg}\n", t.tag);
            }
            want.insert((t.rule.to_string(), sender.to_string()));
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_logtrigger"))
        .args(["test", "--json", "-c", "uci/logtrigger", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let re = regex::Regex::new(r#""rule":"([^"]+)".*"key":"([^"]*)","count":(\d+),"fired":true"#)
        .unwrap();
    let mut got = BTreeSet::new();
    for c in text.lines().filter_map(|l| re.captures(l)) {
        let (rule, key, count) = (&c[1], &c[2], &c[3]);
        if !want.iter().any(|(r, _)| r == rule) {
            continue;
        }
        assert_eq!(count, "5", "{rule} fired for {key} at event {count}");
        let Some(ip) = parse_addr(key.as_bytes()) else {
            continue;
        };
        assert!(
            got.insert((rule.to_string(), ip.to_string())),
            "{rule} fired twice for {ip}"
        );
    }
    assert_eq!(got, want);
}
