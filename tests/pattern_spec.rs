//! SPEC §5: the seed examples verbatim, edge cases per conversion, adversarial inputs.

use logtrigger::pattern::{Cache, Captures, Pattern, RuleSet};

/// The captured values, or None when the pattern does not match.
fn caps(pattern: &str, subject: &[u8]) -> Option<Vec<Vec<u8>>> {
    let p = Pattern::compile(pattern.as_bytes()).unwrap();
    let mut cache = Cache::default();
    let mut c = Captures::default();
    p.find(subject, &mut cache, &mut c)
        .then(|| (0..c.len()).map(|k| c.get(k, subject).to_vec()).collect())
}

fn vals(v: &[&str]) -> Option<Vec<Vec<u8>>> {
    Some(v.iter().map(|s| s.as_bytes().to_vec()).collect())
}

const HOMEWORK: &str =
    "The dog ate my homework and, I know this is the 10 th time this has happened.";
const SORRY: &str = " Sorry, won't happen again (heh heh).";

#[test]
fn seed_homework_matches() {
    let p = "The %s ate my homework and, I know this is the %d th time this has happened.";
    assert_eq!(caps(p, HOMEWORK.as_bytes()), vals(&["dog", "10"]));
}

#[test]
fn seed_homework_with_trailing_text_does_not_match() {
    let p = "The %s ate my homework and, I know this is the %d th time this has happened.";
    let line = format!("{HOMEWORK}{SORRY}");
    assert_eq!(caps(p, line.as_bytes()), None);
}

#[test]
fn seed_trailing_s_takes_the_rest() {
    let p = "The %s ate my homework and, I know this is the %d th time %s";
    let line = format!("{HOMEWORK}{SORRY}");
    assert_eq!(
        caps(p, line.as_bytes()),
        vals(&[
            "dog",
            "10",
            "this has happened. Sorry, won't happen again (heh heh)."
        ])
    );
}

#[test]
fn seed_dnsmasq() {
    let p = "dnsmasq-dhcp[%d]: DHCPACK(%s) %s";
    let s = b"dnsmasq-dhcp[4273]: DHCPACK(br-lan) 192.168.2.153 'mac address' 'computer name'";
    assert_eq!(
        caps(p, s),
        vals(&[
            "4273",
            "br-lan",
            "192.168.2.153 'mac address' 'computer name'"
        ])
    );
}

#[test]
fn seed_freeswitch_injection_cannot_choose_ip() {
    let p = "Freeswitch: SIP registration failed User:%s IP:%s";
    let ok = b"Freeswitch: SIP registration failed User:bob IP:1.2.3.4";
    assert_eq!(caps(p, ok), vals(&["bob", "1.2.3.4"]));
    let evil = b"Freeswitch: SIP registration failed User:evil IP:9.9.9.9 IP:1.2.3.4";
    assert_eq!(caps(p, evil), vals(&["evil", "9.9.9.9 IP:1.2.3.4"]));
}

#[test]
fn unanchored_start_leftmost_wins() {
    // The start at "a1" fails (must reach the end); the next one wins.
    assert_eq!(caps("a%d", b"xxa1a2"), vals(&["2"]));
    assert_eq!(caps("a%s", b"xxa1 a2"), vals(&["1 a2"]));
    assert_eq!(caps("id=%d", b"id=1 id=2"), vals(&["2"]));
}

#[test]
fn numbers_are_greedy_and_skip_whitespace() {
    assert_eq!(caps("n=%d", b"n= \t-42"), vals(&["-42"]));
    assert_eq!(caps("n=%d", b"n=+7"), vals(&["+7"]));
    assert_eq!(caps("n=%d", b"n=-"), None);
    assert_eq!(caps("%d%d", b"12345"), vals(&["1234", "5"]));
    assert_eq!(caps("%u", b"-1"), vals(&["1"]));
    assert_eq!(caps("n=%u", b"n=-1"), None);
    assert_eq!(caps("n=%o", b"n=0755"), vals(&["0755"]));
    assert_eq!(caps("n=%o", b"n=08"), None);
    assert_eq!(caps("n=%x.", b"n=0xDeadBeef."), vals(&["0xDeadBeef"]));
    assert_eq!(caps("n=%X", b"n=ff"), vals(&["ff"]));
    assert_eq!(caps("n=%x", b"n=0x"), vals(&["0"]).filter(|_| false));
}

#[test]
fn integer_i_forms() {
    assert_eq!(caps("=%i;", b"=0x1F;"), vals(&["0x1F"]));
    assert_eq!(caps("=%i;", b"=017;"), vals(&["017"]));
    assert_eq!(caps("=%i;", b"=-19;"), vals(&["-19"]));
    assert_eq!(caps("=%i;", b"=0;"), vals(&["0"]));
    assert_eq!(caps("=%i;", b"=09;"), None);
    assert_eq!(caps("=%i;", b"=0x;"), None);
}

#[test]
fn float_forms() {
    for f in ["1", "1.", "1.5", ".5", "-2.5e10", "+3E-2", "7e3"] {
        let s = format!("t=%{f}|").replace('%', "");
        assert_eq!(caps("t=%f|", s.as_bytes()), vals(&[f]), "{f}");
    }
    assert_eq!(caps("t=%f|", b"t=.|"), None);
    assert_eq!(caps("t=%f|", b"t=1e|"), None);
}

#[test]
fn c_takes_exactly_one_byte_without_skipping() {
    assert_eq!(caps("[%c]", b"[ ]"), vals(&[" "]));
    assert_eq!(
        caps("[%c]", b"[\xff]"),
        vals(&["\u{ff}"]).map(|_| vec![vec![0xff]])
    );
    assert_eq!(caps("[%c]", b"[ab]"), None);
}

#[test]
fn s_is_a_lazy_word_b_a_lazy_blob() {
    assert_eq!(caps("%s=%s;", b"k=v=w;"), vals(&["k", "v=w"]));
    assert_eq!(caps("<%s>", b"<a b>"), None);
    assert_eq!(caps("<%b>", b"<a b>"), vals(&["a b"]));
    assert_eq!(caps("%b:%b:", b"a:b:c:"), vals(&["a", "b:c"]));
    assert_eq!(caps("x%s.", b"x  y."), vals(&["y"]));
    // %s and %b must be non-empty.
    assert_eq!(caps("<%s>", b"<>"), None);
    assert_eq!(caps("<%b>", b"<>"), None);
}

#[test]
fn trailing_conversions_take_all_remaining_text() {
    assert_eq!(
        caps("user %s", b"user  bob smith \n"),
        vals(&["bob smith \n"])
    );
    assert_eq!(caps("user %s", b"user"), None);
    assert_eq!(caps("user %s", b"user "), None);
    // Greedy \s* must leave one byte for .+ : the value is the last whitespace byte.
    assert_eq!(caps("user%s", b"user   "), vals(&[" "]));
    // The pattern's whitespace run is greedy: the blob starts after all of it.
    assert_eq!(caps("at %b", b"at  x y"), vals(&["x y"]));
    assert_eq!(caps("at:%b", b"at:  x y"), vals(&["  x y"]));
}

#[test]
fn whitespace_run_is_one_or_more_whitespace_bytes() {
    assert_eq!(caps("a b", b"a \t\n b"), Some(vec![]));
    assert_eq!(caps("a b", b"ab"), None);
    assert_eq!(caps("a  b", b"a\x0bb"), Some(vec![]));
}

#[test]
fn percent_percent_is_a_literal_percent() {
    assert_eq!(caps("%d%%", b"load 99%"), vals(&["99"]));
    assert_eq!(caps("%d%%", b"load 99"), None);
}

#[test]
fn must_reach_end_of_subject() {
    assert_eq!(caps("pid %d", b"pid 12x"), None);
    assert_eq!(caps("pid %d", b"pid 12"), vals(&["12"]));
    assert_eq!(caps("done.", b"done. "), None);
}

#[test]
fn non_utf8_subjects() {
    assert_eq!(caps("u=%s!", b"u=\xff\xfe!"), Some(vec![vec![0xff, 0xfe]]));
}

#[test]
fn compile_errors() {
    for (p, off) in [("", 0), ("a%q", 1), ("%5s", 0), ("x%ls", 1), ("100%", 3)] {
        let e = Pattern::compile(p.as_bytes()).unwrap_err();
        assert_eq!(e.offset, off, "{p}: {e}");
        assert!(!e.reason.is_empty());
    }
    assert!(Pattern::compile("%d".repeat(17).as_bytes()).is_err());
}

/// A pattern whose lazy DFA could fill up (so that a log line would make every byte a
/// bit-parallel step) is refused at the conversion that goes over, with a way out; the same
/// values with literal text between them compile.
#[test]
fn patterns_that_would_outgrow_the_dfa_are_compile_errors() {
    let e = Pattern::compile(b"id %i%i%i%i%i%i%i%i%i%i").unwrap_err();
    assert!(e.reason.starts_with("pattern too ambiguous"), "{e}");
    assert!(e.reason.contains("put literal text"), "{e}");
    assert!((3..23).contains(&e.offset), "{e}");
    assert_eq!(&b"id %i%i%i%i%i%i%i%i%i%i"[e.offset..e.offset + 2], b"%i");
    for ok in [
        "id %i %i %i %i %i %i %i %i %i %i",
        "%b %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx",
        "%f %f %f %f %f %f %f %f %f %f %f %f %f %f %f %f",
    ] {
        assert!(Pattern::compile(ok.as_bytes()).is_ok(), "{ok}");
    }
}

#[test]
fn fill_replaces_conversions_with_values() {
    let p = Pattern::compile(b"Freeswitch: SIP registration failed User:%s IP:%s 100%%").unwrap();
    let s = b"xx Freeswitch: SIP registration failed User:bob IP:1.2.3.4 100%";
    let mut cache = Cache::default();
    let mut c = Captures::default();
    // The trailing text means %s is not last here: the pattern ends in "100%".
    assert!(p.find(s, &mut cache, &mut c));
    let mut out = Vec::new();
    p.fill(s, &c, &mut out);
    assert_eq!(
        out,
        b"Freeswitch: SIP registration failed User:bob IP:1.2.3.4 100%"
    );
    assert_eq!(p.captures_len(), 2);
    assert_eq!(
        p.source(),
        b"Freeswitch: SIP registration failed User:%s IP:%s 100%%"
    );
}

#[test]
fn rule_set_reports_every_wanted_match_in_order() {
    let pats = ["login from %s", "from %s", "nothing %d", "%s"];
    let set = RuleSet::new(
        pats.iter()
            .map(|p| Pattern::compile(p.as_bytes()).unwrap())
            .collect(),
    );
    assert_eq!(set.len(), 4);
    let s = b"login from 10.0.0.1";
    let mut cache = Cache::default();
    let mut got = Vec::new();
    set.for_each_match(
        s,
        &mut cache,
        |i| i != 3,
        |i, c| got.push((i, c.get(0, s).to_vec())),
    );
    assert_eq!(
        got,
        vec![(0, b"10.0.0.1".to_vec()), (1, b"10.0.0.1".to_vec())]
    );
}

/// 64 KiB subjects: the results (speed is in benches/pattern.rs).
#[test]
fn adversarial_long_subjects() {
    let a = vec![b'a'; 65536];
    assert_eq!(caps("%s a %s a %s b", &a), None);
    // Near-miss that passes every prefilter: spaces and a final b, but no "a" word before it.
    let mut s = b"a a ".repeat(16384);
    s.truncate(65534);
    s.extend_from_slice(b" b");
    // %s is one word, so only the last five words can match.
    assert_eq!(caps("%s a %s a %s b", &s), vals(&["a", "a", "a"]));
    let mut s2 = vec![b'a'; 65535];
    s2.push(b'b');
    assert_eq!(caps("%s a %s a %s b", &s2), None);
    // Many blobs.
    let p = "%b:%b:%b:%b:%b:%b:%b:%b!";
    let colons = b"x:".repeat(32768);
    assert_eq!(caps(p, &colons), None);
    let mut bang = colons.clone();
    bang.push(b'!');
    let got = caps(p, &bang).unwrap();
    assert_eq!(got[0], b"x");
    assert_eq!(got[7].len(), bang.len() - 2 * 7 - 1);
    // Many lazy words, then a literal that never comes.
    let p = "%s %s %s %s %s %s %s %s %d";
    let words = b"w ".repeat(32768);
    assert_eq!(caps(p, &words), None);
}

/// The res_pjsip rule of SPEC §5: one way to match a genuine line, none for a forged one.
const PJSIP: &str = "from '%[^']' failed for '%s:%d' (callid: %[^']) - Failed to authenticate";

#[test]
fn scanset_takes_text_up_to_the_quote() {
    let line = b"res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"100\" <sip:100@pbx>' failed for '198.51.100.7:5060' (callid: 1f2e3d4c@pbx) - Failed to authenticate";
    assert_eq!(
        caps(PJSIP, line),
        vals(&[
            "\"100\" <sip:100@pbx>",
            "198.51.100.7",
            "5060",
            "1f2e3d4c@pbx"
        ])
    );
    let v6 = b"Request 'INVITE' from '<sip:x@y>' failed for '2001:db8::7:5060' (callid: a b) - Failed to authenticate";
    assert_eq!(
        caps(PJSIP, v6),
        vals(&["<sip:x@y>", "2001:db8::7", "5060", "a b"])
    );
}

#[test]
fn scanset_refuses_an_injected_address() {
    // A From display name or Call-ID that forges `' failed for '…'` needs a quote inside it.
    for line in [
        &b"Request 'REGISTER' from '' failed for '6.6.6.6:1' (callid: x) - Failed to authenticate' failed for '198.51.100.7:5060' (callid: 1) - Failed to authenticate"[..],
        b"Request 'REGISTER' from 'x' failed for '198.51.100.7:5060' (callid: ' failed for '6.6.6.6:1' (callid: y) - Failed to authenticate",
        b"Request 'REGISTER' from 'a' failed for '6.6.6.6:1' (callid: ') - Failed to authenticate",
    ] {
        let got = caps(PJSIP, line);
        assert!(
            got.as_ref().is_none_or(|v| v[1] != b"6.6.6.6"),
            "{}: {got:?}",
            line.escape_ascii()
        );
    }
    // Without the quote in them, the attacker's parts are just values.
    let plain = b"Request 'REGISTER' from 'failed for 6.6.6.6:1' failed for '198.51.100.7:5060' (callid: (callid: 6.6.6.6)) - Failed to authenticate";
    assert_eq!(caps(PJSIP, plain).unwrap()[1], b"198.51.100.7");
}

#[test]
fn scanset_members_ranges_and_negation() {
    assert_eq!(caps("<%[a-c]>", b"<abcab>"), vals(&["abcab"]));
    assert_eq!(caps("<%[a-c]>", b"<abd>"), None);
    // A `]` right after `[` or `[^` is a member; a `-` first or last is a member.
    assert_eq!(caps("<%[]x]>", b"<x]x]>"), vals(&["x]x]"]));
    assert_eq!(caps("<%[^]>]>", b"<ab>"), vals(&["ab"]));
    assert_eq!(caps("<%[^]>]>", b"<a]b>"), None);
    assert_eq!(caps("=%[-a]", b"=a-a"), vals(&["a-a"]));
    assert_eq!(caps("=%[a-]", b"=-a-"), vals(&["-a-"]));
    // Spaces in a set are members, not `\s+`.
    assert_eq!(caps("=%[a ]!", b"=a a !"), vals(&["a a "]));
    assert_eq!(caps("=%[a ]!", b"=a\ta!"), None);
}

#[test]
fn scanset_is_greedy_non_empty_without_skipping() {
    // Greedy: the set takes its whole run when the rest can still match...
    assert_eq!(caps("%[0-9]%d", b"12345"), vals(&["1234", "5"]));
    // ...and gives bytes back when it must.
    assert_eq!(caps("%[a-z]z", b"xyzz"), vals(&["xyz"]));
    // Non-empty.
    assert_eq!(caps("'%[^']'", b"''"), None);
    // No whitespace skipping, unlike %s.
    assert_eq!(caps("=%[a-z]", b"= abc"), None);
    assert_eq!(caps("=%[a-z]", b"=abc"), vals(&["abc"]));
    // Not a trailing %s: it must reach the end with its own bytes.
    assert_eq!(caps("=%[a-z]", b"=abc!"), None);
    // Newlines and any byte in a negated set.
    assert_eq!(
        caps("'%[^']'", b"'a\n\xff'"),
        Some(vec![b"a\n\xff".to_vec()])
    );
}

#[test]
fn scanset_compile_errors_name_the_offset() {
    for (p, off, word) in [
        ("ab %[^'", 3, "unterminated"),
        ("%[", 0, "unterminated"),
        ("x%[]", 1, "unterminated"),
        ("x%[^]", 1, "unterminated"),
        ("%[a-z] %[z-a]", 9, "reversed"),
    ] {
        let e = Pattern::compile(p.as_bytes()).unwrap_err();
        assert_eq!(e.offset, off, "{p:?}: {e}");
        assert!(e.reason.contains(word), "{p:?}: {e}");
    }
    // A negated set of every byte matches nothing.
    let mut all = b"%[^]".to_vec();
    all.extend((0..=255u8).filter(|&b| b != b']'));
    all.push(b']');
    let e = Pattern::compile(&all).unwrap_err();
    assert!(e.reason.contains("empty"), "{e}");
    assert!(Pattern::compile("%[^']".repeat(16).as_bytes()).is_ok());
    assert!(Pattern::compile("%[^']".repeat(17).as_bytes()).is_err());
}

#[test]
fn fill_writes_scanset_values() {
    let p = Pattern::compile(b"from '%[^']' at %[0-9.]:%d").unwrap();
    let s = b"x from 'a b' at 10.0.0.1:22";
    let (mut cache, mut c) = (Cache::default(), Captures::default());
    assert!(p.find(s, &mut cache, &mut c));
    let mut out = Vec::new();
    p.fill(s, &c, &mut out);
    assert_eq!(out, b"from 'a b' at 10.0.0.1:22");
}

#[test]
fn regex_and_fail2ban_lookalikes_are_compile_errors() {
    for (p, off, advice) in [
        (
            "^%s Failed password for .* from <HOST>( port \\d+)?$",
            0,
            "anywhere",
        ),
        ("Failed password for %s from <HOST>", 28, "%s"),
        ("Failed password for %s from .* port %d", 28, "%b"),
        ("port \\d+", 5, "%d"),
        ("from (?P<host>\\S+)", 5, "capture"),
        ("id [0-9]+ done", 3, "%[0-9]"),
    ] {
        let e = Pattern::compile(p.as_bytes()).unwrap_err();
        assert_eq!(e.offset, off, "{p}: {e}");
        assert!(e.reason.contains(advice), "{p}: {e}");
    }
    // The same bytes where a log line holds them, and inside scansets, are text.
    for p in [
        "dropbear[%d]: Exit before auth from <%s:%d>: %b",
        "cost $5 ^ 2 (x) [y] z.",
        "%[^.*$]",
        "x%[$]",
    ] {
        assert!(Pattern::compile(p.as_bytes()).is_ok(), "{p}");
    }
}

/// The largest pattern the matcher takes: 254 states (one per literal byte and whitespace run).
#[test]
fn patterns_beyond_the_state_limit_are_refused_where_they_go_over() {
    let at_limit = format!("{}bc", "a ".repeat(126));
    assert!(Pattern::compile(at_limit.as_bytes()).is_ok());
    let over = format!("{}bcd %d", "a ".repeat(126));
    let e = Pattern::compile(over.as_bytes()).unwrap_err();
    assert_eq!(e.offset, 254, "{e}");
    assert!(e.reason.contains("at most 254"), "{e}");
    assert!(e.reason.contains("needs 259 "), "{e}");
    // Still matched exactly at the limit, on a line 64 KiB long.
    let mut line = b"a ".repeat(32700);
    line.extend_from_slice(b"bc");
    assert_eq!(caps(&at_limit, &line), Some(vec![]));
    line[65000] = b'c';
    assert_eq!(caps(&at_limit, &line), Some(vec![]));
    let near_end = line.len() - 100;
    line[near_end] = b'c';
    assert_eq!(caps(&at_limit, &line), None);
}

/// A pattern anchored at the start of the subject: the same captures where the unanchored one
/// starts at 0, no match where it would start later (a copy of the line in the caller's text).
#[test]
fn a_pattern_at_start_matches_only_from_the_first_byte() {
    let src = b"sshd[%d]: Failed password for %b from %s port %d ssh2";
    let anywhere = Pattern::compile(src).unwrap();
    let at_start = anywhere.clone().at_start();
    assert!(!anywhere.is_at_start() && at_start.is_at_start());
    let genuine = b"sshd[7]: Failed password for root from 192.0.2.1 port 22 ssh2".to_vec();
    let copy = b"sshd[7]: Received disconnect from 192.0.2.1 port 22:11: \
                 sshd[7]: Failed password for x from 198.51.100.9 port 1 ssh2"
        .to_vec();
    let mut cache = Cache::default();
    for subject in [genuine, copy] {
        let (mut a, mut b) = (Captures::default(), Captures::default());
        let from_zero = subject.starts_with(b"sshd[7]: Failed");
        assert!(anywhere.find(&subject, &mut cache, &mut a));
        assert_eq!(at_start.find(&subject, &mut cache, &mut b), from_zero);
        if from_zero {
            assert_eq!(a, b);
        }
    }
}
