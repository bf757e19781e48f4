//! Pattern matching speed (SPEC §5, §11): a 12-rule router rule set on a realistic log mix,
//! one matching line with three captures, and 64 KiB adversarial subjects.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logtrigger::pattern::{Cache, Captures, Engine, Pattern, RuleSet};

/// The rules a router runs (the shipped default config and its logging rules).
const RULES: &[&str] = &[
    "Bad password attempt for '%s' from %s",
    "Login attempt for nonexistent user from %s",
    "Exit before auth from <%s:%d>: %b",
    "luci: failed login on / for %s from %s",
    "SIP auth failure (%s) on sofia profile '%s' for [%s] from ip %s",
    "Registration from '%b' failed for '%s' - Wrong password",
    "Call from '%b' (%s) to extension '%s' rejected because extension not found in context '%s'.",
    "dnsmasq-dhcp[%d]: DHCPACK(%s) %s",
    "ddns-scripts[%d]: %s: Update successful - IP '%s' send",
    "redirecting port %d to %s protocol %s for: %b",
    "netifd: %s (%d): udhcpc: lease of %s obtained, lease time %d",
    "Password auth succeeded for '%s' from %s",
];

/// Subjects (`TAG[PID]: MSG`) that no rule matches, as a router logs them all day.
const QUIET: &[&str] = &[
    "kernel: [12345.678901] DROP wan in: IN=eth0.2 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=242 ID=54321 PROTO=TCP SPT=41234 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0",
    "hostapd: wlan0: STA 11:22:33:44:55:66 IEEE 802.11: associated (aid 1)",
    "hostapd: wlan0: STA 11:22:33:44:55:66 WPA: pairwise key handshake completed (RSN)",
    "dnsmasq-dhcp[4273]: DHCPREQUEST(br-lan) 192.168.2.153 aa:bb:cc:dd:ee:ff",
    "dnsmasq-dhcp[4273]: DHCPOFFER(br-lan) 192.168.2.153 aa:bb:cc:dd:ee:ff",
    "dnsmasq[4273]: query[A] connectivity-check.ubuntu.com from 192.168.2.153",
    "dnsmasq[4273]: forwarded connectivity-check.ubuntu.com to 1.1.1.1",
    "odhcpd[1612]: Using a RA lifetime of 0 seconds on br-lan",
    "dropbear[17137]: Child connection from 192.168.1.5:51234",
    "dropbear[17137]: Exit (root) from <192.168.1.5:51234>: Disconnect received",
    "procd: - init complete -",
    "uhttpd[1443]: luci: accepted login on / for root from 192.168.1.5",
    "netifd: Interface 'wan' is now up",
    "netifd: Network device 'eth0' link is up",
    "ntpd[1723]: Notice: ntpd: adjusting local clock by 0.123456s",
    "kernel: [  42.000000] br-lan: port 2(wlan0) entered forwarding state",
    "miniupnpd[2345]: HTTP REQUEST from 192.168.1.10:49152 : GET /rootDesc.xml (HTTP/1.1)",
    "freeswitch[900]: [NOTICE] switch_core_state_machine.c:584 Hangup sofia/internal/1000@10.0.0.2 [CS_EXECUTE] [NORMAL_CLEARING]",
];

/// Subjects that a rule matches.
const HITS: &[&str] = &[
    "dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234",
    "dnsmasq-dhcp[4273]: DHCPACK(br-lan) 192.168.2.153 aa:bb:cc:dd:ee:ff laptop",
];

fn rule_set() -> RuleSet {
    RuleSet::new(
        RULES
            .iter()
            .map(|p| Pattern::compile(p.as_bytes()).unwrap())
            .collect(),
    )
}

fn run_set(set: &RuleSet, subject: &[u8], cache: &mut Cache) -> usize {
    let mut n = 0;
    set.for_each_match(subject, cache, |_| true, |i, c| n += i + c.len());
    n
}

fn rule_set_benches(c: &mut Criterion) {
    let set = rule_set();
    let mut cache = Cache::default();
    let mut g = c.benchmark_group("ruleset12");

    // ns per line: criterion reports the time of one pass; divide by the element count.
    g.throughput(Throughput::Elements(QUIET.len() as u64));
    g.bench_function("non_matching_lines", |b| {
        b.iter(|| {
            QUIET
                .iter()
                .map(|s| run_set(&set, black_box(s.as_bytes()), &mut cache))
                .sum::<usize>()
        })
    });

    // About 90% quiet lines, 10% matches.
    let mix: Vec<&str> = QUIET.iter().chain(HITS.iter()).copied().collect();
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function("mix_90pct_quiet", |b| {
        b.iter(|| {
            mix.iter()
                .map(|s| run_set(&set, black_box(s.as_bytes()), &mut cache))
                .sum::<usize>()
        })
    });

    g.throughput(Throughput::Elements(1));
    let hit = HITS[1].as_bytes();
    g.bench_function("matching_line_3_captures", |b| {
        b.iter(|| run_set(&set, black_box(hit), &mut cache))
    });
    let p = set.pattern(7);
    let mut caps = Captures::default();
    g.bench_function("matching_line_3_captures_one_pattern", |b| {
        b.iter(|| p.find(black_box(hit), &mut cache, &mut caps))
    });
    g.finish();
}

/// The res_pjsip rule written with scansets (SPEC §5), on the line it is for and on a quiet line.
const PJSIP: &str = "from '%[^']' failed for '%s:%d' (callid: %[^']) - Failed to authenticate";
const PJSIP_LINE: &str = "asterisk[2211]: NOTICE[2260]: res_pjsip/pjsip_distributor.c:676 in log_failed_request: Request 'REGISTER' from '\"100\" <sip:100@pbx>' failed for '198.51.100.7:5060' (callid: 1f2e3d4c5b6a7988@198.51.100.7) - Failed to authenticate";

fn scanset_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("scanset");
    let mut cache = Cache::default();
    let mut caps = Captures::default();
    let p = Pattern::compile(PJSIP.as_bytes()).unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("pjsip_matching_line", |b| {
        b.iter(|| p.find(black_box(PJSIP_LINE.as_bytes()), &mut cache, &mut caps))
    });
    g.throughput(Throughput::Elements(QUIET.len() as u64));
    g.bench_function("pjsip_quiet_lines", |b| {
        b.iter(|| {
            QUIET
                .iter()
                .filter(|s| p.find(black_box(s.as_bytes()), &mut cache, &mut caps))
                .count()
        })
    });
    // The rule set with the scanset rule added: its quiet lines.
    let mut rules: Vec<Pattern> = RULES
        .iter()
        .map(|p| Pattern::compile(p.as_bytes()).unwrap())
        .collect();
    rules.push(p.clone());
    let set = RuleSet::new(rules);
    g.bench_function("ruleset13_quiet_lines", |b| {
        b.iter(|| {
            QUIET
                .iter()
                .map(|s| run_set(&set, black_box(s.as_bytes()), &mut cache))
                .sum::<usize>()
        })
    });
    // The shipped rule: it begins with Asterisk's tag, so it matches from the first byte only.
    let shipped = Pattern::compile(PJSIP_SHIPPED.as_bytes())
        .unwrap()
        .at_start();
    g.throughput(Throughput::Elements(1));
    g.bench_function("pjsip_shipped_matching_line", |b| {
        b.iter(|| shipped.find(black_box(PJSIP_LINE.as_bytes()), &mut cache, &mut caps))
    });
    // A 60 KiB Call-ID: without a quote the whole of it is read (a match); with copies of the
    // line's quoted parts in it, the quote ends the search (no match).
    let body = PJSIP_LINE.replace(") - Failed to authenticate", "");
    for (name, piece) in [
        (
            "pjsip_shipped_long_callid_60k",
            &b" x) - failed for a:1 (callid: y"[..],
        ),
        (
            "pjsip_shipped_quoted_callid_60k",
            b" x' failed for 'a:1' (callid: y",
        ),
    ] {
        let mut long = body.clone().into_bytes();
        long.extend_from_slice(&piece.repeat(1900));
        long.extend_from_slice(b") - Failed to authenticate");
        g.throughput(Throughput::Bytes(long.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| shipped.find(black_box(&long), &mut cache, &mut caps))
        });
    }
    g.finish();
}

/// The shipped res_pjsip rule (uci/logtrigger).
const PJSIP_SHIPPED: &str = "asterisk[%d]: NOTICE%[][0-9a-fC-]: %[a-z0-9_/.-]:%d in \
    log_failed_request: Request '%[^']' from '%[^']' failed for '%s:%d' (callid: %[^']) - \
    Failed to authenticate";

/// The largest pattern that compiles, a long literal with many blanks (`a a a … b`, 126 words:
/// 253 NFA states), on subjects of `a ` that end with its suffix: every position could start
/// a match that lives for 253 bytes.
fn big_pattern_cases() -> Vec<(String, String, Vec<u8>)> {
    let pattern = format!("{}b", "a ".repeat(126));
    let mut cases = Vec::new();
    for (size, name) in [(8192, "8k"), (65536, "64k")] {
        let mut hit = b"a ".repeat(size / 2 - 1);
        hit.extend_from_slice(b" b");
        // One word 100 from the end spoilt: no match, every prefilter passes.
        let mut miss = hit.clone();
        let at = miss.len() - 200;
        miss[at] = b'c';
        cases.push((format!("big_literal_{name}_matches"), pattern.clone(), hit));
        cases.push((
            format!("big_literal_{name}_near_miss"),
            pattern.clone(),
            miss,
        ));
    }
    cases
}

/// 64 KiB of pseudo-random number fragments that a `%b` then 15 `%f` match at the end: every
/// position is viable for the leading `%b`, so the reverse pass and the walk read it all.
fn float_junk() -> Vec<u8> {
    let frags: [&[u8]; 10] = [
        b"1.5e3", b"-.5", b"7", b" ", b"e", b"1.", b"x", b"+", b"0x1f", b"1e-",
    ];
    junk(&frags, b" 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6x")
}

/// 64 KiB of pseudo-random integer fragments that a `%b` then eight `%i` in a row match at
/// the end: every position is viable for the `%b`, and the DFA meets many splits into integers.
fn int_junk() -> Vec<u8> {
    let frags: [&[u8]; 10] = [
        b"0x1f", b"-7", b"+0", b"07", b"9", b"x", b"f", b"0", b"12", b"-0x",
    ];
    junk(&frags, b" 1-2+30x1f07-1+2-3x")
}

/// The shipped chan_sip INVITE rule, the shipped pattern whose lazy DFA needs the most states
/// (263 of 512, with 42 byte classes).
const SIP_INVITE: &str = "asterisk[%d]: NOTICE%[][0-9a-fC-]: %[a-z0-9_/.-]:%d in \
    handle_request_invite: Call from %[^(](%[^ ()]:%d) to extension '%b' rejected because \
    extension not found in context '%[^']'.";

/// A genuine line whose extension is 64 KiB of pseudo-random pieces of the rule's own text: the
/// extension's `%b` keeps every position viable while the pieces drive the DFA through many sets.
fn sip_junk() -> Vec<u8> {
    let frags: [&[u8]; 10] = [
        b"' (",
        b"1.2:5",
        b") to extension '",
        b"chan_sip.c:",
        b"C-",
        b"]: ",
        b" in ",
        b"'",
        b"(",
        b"Call from '",
    ];
    let head = b"asterisk[2600]: NOTICE[2633][C-00000002]: chan_sip.c:26689 in \
                 handle_request_invite: Call from '' (198.51.100.31:5070) to extension '";
    let mut s = head.to_vec();
    s.extend_from_slice(
        &junk(
            &frags,
            b"' rejected because extension not found in context 'default'.",
        )[head.len()..],
    );
    s
}

/// 64 KiB of fragments picked pseudo-randomly, then `tail`.
fn junk(frags: &[&[u8]; 10], tail: &[u8]) -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut s = Vec::new();
    while s.len() < 65536 - tail.len() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        s.extend_from_slice(frags[(seed % 10) as usize]);
    }
    s.truncate(65536 - tail.len());
    s.extend_from_slice(tail);
    s
}

fn big_pattern_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("big_pattern");
    g.sample_size(10);
    let mut cache = Cache::default();
    let mut caps = Captures::default();
    let mut cases = big_pattern_cases();
    let floats = "%b %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx";
    cases.push(("floats_junk_64k".into(), floats.into(), float_junk()));
    // The longest run of `%i` after a `%b` that compiles: one more is refused ("pattern too
    // ambiguous").
    let ints = "%b %i%i%i%i%i%i%i%ix";
    cases.push(("ints_junk_64k".into(), ints.into(), int_junk()));
    cases.push(("sip_invite_junk_64k".into(), SIP_INVITE.into(), sip_junk()));
    for (name, pattern, subject) in &cases {
        let p = Pattern::compile(pattern.as_bytes()).unwrap();
        g.throughput(Throughput::Bytes(subject.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| p.find(black_box(subject), &mut cache, &mut caps))
        });
    }
    // The worst case of a search: its lazy DFA empty at the start (another pattern used the
    // cache last), every state it needs built during the search. A pattern compiles only if
    // the store holds every state a subject can reach, so the DFA never gives up.
    let mut cold = Cache::default();
    for (name, pattern, subject) in cases.iter().filter(|c| c.0.contains("64k")) {
        let p = Pattern::compile(pattern.as_bytes()).unwrap();
        g.throughput(Throughput::Bytes(subject.len() as u64));
        g.bench_function(format!("{name}_cold_dfa"), |b| {
            b.iter(|| {
                cold.force(Some(Engine::Reverse {
                    dfa_states: usize::MAX,
                }));
                p.find(black_box(subject), &mut cold, &mut caps)
            })
        });
    }
    // The reverse engine with its lazy DFA off, every step bit-parallel: what a search would
    // cost if the DFA gave up, which compiling rules out (tests force it; no subject can).
    let mut plain = Cache::default();
    plain.force(Some(Engine::Reverse { dfa_states: 0 }));
    for (name, pattern, subject) in cases.iter().filter(|c| c.0.contains("64k")) {
        let p = Pattern::compile(pattern.as_bytes()).unwrap();
        g.throughput(Throughput::Bytes(subject.len() as u64));
        g.bench_function(format!("{name}_no_dfa"), |b| {
            b.iter(|| p.find(black_box(subject), &mut plain, &mut caps))
        });
    }
    g.finish();
}

fn adversarial_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("adversarial_64k");
    g.sample_size(20);
    let mut cache = Cache::default();
    let mut caps = Captures::default();

    let mut cases: Vec<(&str, &str, Vec<u8>)> = Vec::new();
    cases.push(("a_x64k_rejected", "%s a %s a %s b", vec![b'a'; 65536]));
    let mut ab = vec![b'a'; 65535];
    ab.push(b'b');
    cases.push(("a_x64k_then_b", "%s a %s a %s b", ab));
    let mut words = b"a a ".repeat(16384);
    words.truncate(65534);
    words.extend_from_slice(b" b");
    cases.push(("words_then_b_matches", "%s a %s a %s b", words));
    let mut colons = b"x:".repeat(32767);
    colons.extend_from_slice(b"x!");
    cases.push(("many_b_matches", "%b:%b:%b:%b:%b:%b:%b:%b!", colons.clone()));
    colons.pop();
    colons.push(b'?');
    cases.push((
        "many_b_rejected_by_suffix",
        "%b:%b:%b:%b:%b:%b:%b:%b!",
        colons,
    ));
    let mut digits = b"1 ".repeat(32767);
    digits.extend_from_slice(b"1x");
    cases.push(("many_d_near_miss", "%d %d %d %d %d %d %d %dx", digits));
    // 16 conversions, about 200 NFA states: the widest bitsets of the reverse engine.
    let mut floats = b"a ".to_vec();
    floats.extend_from_slice(&b"1.5e3 ".repeat(10900));
    floats.extend_from_slice(b"1x");
    cases.push((
        "wide_16_conversions_matches",
        "%b %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx",
        floats,
    ));
    // A trailing %s whose only match starts near the end.
    let mut late = b"x ".repeat(32760);
    late.extend_from_slice(b"from 1.2.3.4");
    cases.push(("trailing_s_late_match", "from %s", late));
    // Scansets: quoted parts repeated without the end the rule needs, and one long run.
    let mut quoted = b"from 'x' failed for 'a:1' (callid: ".repeat(1820);
    quoted.extend_from_slice(b"z) - Failed to authenticate");
    cases.push(("scanset_pjsip_late_match", PJSIP, quoted.clone()));
    quoted.truncate(65536 - 28);
    quoted.extend_from_slice(b"z) - Failed to authenticate");
    let at = quoted.len() - 30;
    quoted[at] = b'\'';
    cases.push(("scanset_pjsip_near_miss", PJSIP, quoted));
    let mut run = vec![b'a'; 65535];
    run.push(b'>');
    cases.push(("scanset_run_near_miss", "<%[a-z]>", run));

    for (name, pattern, subject) in &cases {
        let p = Pattern::compile(pattern.as_bytes()).unwrap();
        g.throughput(Throughput::Bytes(subject.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| p.find(black_box(subject), &mut cache, &mut caps))
        });
    }
    g.finish();
}

criterion_group!(
    group,
    rule_set_benches,
    scanset_benches,
    big_pattern_benches,
    adversarial_benches
);
criterion_main!(group);
