//! Unit tests of SPEC §3/§4 from real byte strings.

use super::*;

fn s(b: Option<&[u8]>) -> Option<&str> {
    b.map(|b| std::str::from_utf8(b).unwrap())
}

fn subject(m: &Message<'_>) -> Vec<u8> {
    let mut scratch = Vec::new();
    m.subject(&mut scratch).to_vec()
}

fn human(frame: &[u8]) -> String {
    let m = parse(frame);
    let mut scratch = Vec::new();
    let subject = m.subject(&mut scratch).to_vec();
    let mut out = Vec::new();
    m.human_line(&subject, 0, &mut out);
    String::from_utf8(out).unwrap()
}

fn json(frame: &[u8]) -> String {
    let mut out = Vec::new();
    json::write_message(&parse(frame), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn spec_root_hello() {
    let m = parse(b"<13>Nov 26 21:45:37 root: hello");
    assert_eq!(m.format, Format::Rfc3164);
    assert_eq!((m.facility, m.severity), (Some(1), Some(5)));
    assert_eq!(s(m.timestamp), Some("Nov 26 21:45:37"));
    assert_eq!(m.hostname, None);
    assert_eq!(s(m.app_name), Some("root"));
    assert_eq!(m.procid, None);
    assert_eq!(m.msg, b"hello");
    assert_eq!(subject(&m), b"root: hello");
}

#[test]
fn spec_dropbear_padded_day() {
    let frame =
        b"<84>Nov  6 21:52:13 dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234\n";
    let m = parse(frame);
    assert_eq!((m.facility, m.severity), (Some(10), Some(4)));
    assert_eq!(s(m.timestamp), Some("Nov  6 21:52:13"));
    assert_eq!(m.hostname, None);
    assert_eq!(s(m.app_name), Some("dropbear"));
    assert_eq!(s(m.procid), Some("17137"));
    assert_eq!(
        m.msg,
        b"Bad password attempt for 'root' from 192.168.1.5:51234"
    );
    assert_eq!(
        subject(&m),
        b"dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234"
    );
    assert_eq!(
        human(frame),
        "Nov  6 21:52:13 dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234"
    );
}

#[test]
fn spec_python_no_timestamp() {
    let m = parse(b"<12>py unix default\0");
    assert_eq!((m.facility, m.severity), (Some(1), Some(4)));
    assert_eq!(m.timestamp, None);
    assert_eq!(m.hostname, None);
    assert_eq!(m.app_name, None);
    assert_eq!(m.msg, b"py unix default");
    assert_eq!(subject(&m), b"py unix default");
}

#[test]
fn spec_rfc5424_example() {
    let frame = b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event";
    let m = parse(frame);
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!(
        (m.facility, m.severity, m.version),
        (Some(20), Some(5), Some(1))
    );
    assert_eq!(s(m.timestamp), Some("2003-10-11T22:14:15.003Z"));
    assert_eq!(s(m.hostname), Some("mymachine.example.com"));
    assert_eq!(s(m.app_name), Some("evntslog"));
    assert_eq!(m.procid, None);
    assert_eq!(s(m.msgid), Some("ID47"));
    let sd = m.sd.unwrap();
    let elements: Vec<_> = sd.elements().collect();
    assert_eq!(elements.len(), 1);
    assert_eq!(elements[0].id, b"exampleSDID@32473");
    let params: Vec<_> = elements[0].params().collect();
    assert_eq!(params, [(&b"iut"[..], &b"3"[..])]);
    assert_eq!(m.msg, b"An application event");
    assert_eq!(subject(&m), b"evntslog: An application event");
    assert_eq!(
        human(frame),
        "Oct 11 22:14:15 mymachine.example.com evntslog: An application event"
    );
    assert_eq!(
        json(frame),
        r#"{"format":"rfc5424","facility":20,"severity":5,"version":1,"timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","app_name":"evntslog","procid":null,"msgid":"ID47","sd":{"exampleSDID@32473":{"iut":"3"}},"msg":"An application event","bom":false}"#
    );
}

#[test]
fn spec_bad_pri() {
    for frame in [
        &b"<999>bad pri"[..],
        b"<192>x: y",
        b"<>x",
        b"<1234>x",
        b"<12 x",
        b"<",
    ] {
        let m = parse(frame);
        assert_eq!(m.facility, None, "{frame:?}");
        assert_eq!(m.severity, None);
        assert_eq!(m.app_name, None);
        assert_eq!(m.timestamp, None);
        assert_eq!(m.msg, frame);
        assert_eq!(subject(&m), frame);
    }
    let m = parse(b"<191>x");
    assert_eq!((m.facility, m.severity), (Some(23), Some(7)));
    let m = parse(b"<007>x");
    assert_eq!((m.facility, m.severity), (Some(0), Some(7)));
}

#[test]
fn no_pri_still_parses_header() {
    let m = parse(b"Nov 26 21:45:37 router sshd[1]: hi");
    assert_eq!(m.facility, None);
    assert_eq!(s(m.hostname), Some("router"));
    assert_eq!(s(m.app_name), Some("sshd"));
    assert_eq!(m.msg, b"hi");
    let m = parse(b"1 - - app - - - body");
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!(m.facility, None);
    assert_eq!(m.msg, b"body");
}

#[test]
fn rfc5424_section_6_5_examples() {
    // Example 1, with a BOM before the MSG.
    let m = parse(b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!((m.facility, m.severity), (Some(4), Some(2)));
    assert_eq!(s(m.app_name), Some("su"));
    assert_eq!(m.sd, None);
    assert!(m.bom);
    assert_eq!(m.msg, b"'su root' failed for lonvick on /dev/pts/8");
    // Example 2.
    let m = parse(b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    assert_eq!(s(m.timestamp), Some("2003-08-24T05:14:15.000003-07:00"));
    assert_eq!(s(m.hostname), Some("192.0.2.1"));
    assert_eq!(s(m.procid), Some("8710"));
    assert_eq!(m.msgid, None);
    assert!(!m.bom);
    assert_eq!(m.msg, b"%% It's time to make the do-nuts.");
    assert_eq!(
        subject(&m),
        b"myproc[8710]: %% It's time to make the do-nuts."
    );
    // Example 4: two SD elements, no MSG.
    let m = parse(b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]");
    assert_eq!(m.msg, b"");
    let sd = m.sd.unwrap();
    let ids: Vec<_> = sd.elements().map(|e| e.id).collect();
    assert_eq!(ids, [&b"exampleSDID@32473"[..], b"examplePriority@32473"]);
    let params: Vec<_> = sd.elements().next().unwrap().params().collect();
    assert_eq!(params.len(), 3);
    assert_eq!(params[1], (&b"eventSource"[..], &b"Application"[..]));
    assert!(json(b"<165>1 - - - - - [a b=\"1\"][c]").contains(r#""sd":{"a":{"b":"1"},"c":{}}"#));
}

#[test]
fn rfc5424_nil_everything() {
    let m = parse(b"<14>1 - - - - - -");
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!(
        (m.timestamp, m.hostname, m.app_name, m.procid, m.msgid),
        (None, None, None, None, None)
    );
    assert_eq!(m.msg, b"");
    assert_eq!(subject(&m), b"");
    assert!(json(b"<14>1 - - - - - -").ends_with(r#""sd":null,"msg":"","bom":false}"#));
}

#[test]
fn rfc5424_falls_back_to_3164() {
    // Version 0, bad timestamps, missing fields, junk after SD, unterminated SD.
    for frame in [
        &b"<13>0 - - - - - - x"[..],
        b"<13>1 2003-13-11T22:14:15Z h a p m - x",
        b"<13>1 - h a p",
        b"<13>1 - h a p m -x",
        b"<13>1 - h a p m [id a=\"1] x",
        b"<13>1 - h a p m [id a=1] x",
        b"<13>1 - h a p m [] x",
        b"<13>1234 - h a p m - x",
    ] {
        let m = parse(frame);
        assert_eq!(m.format, Format::Rfc3164, "{frame:?}");
        assert_eq!(m.msg, &frame[4..], "{frame:?}");
        assert_eq!(m.facility, Some(1));
    }
}

#[test]
fn sd_escapes() {
    let frame = br#"<13>1 - - app - - [x@1 a="q\"b\\s\]e" b="keep\n\x" c="" d="\\"] m"#;
    let m = parse(frame);
    assert_eq!(m.format, Format::Rfc5424);
    let el = m.sd.unwrap().elements().next().unwrap();
    let params: Vec<_> = el.params().collect();
    assert_eq!(params.len(), 4);
    assert_eq!(params[0].1, br#"q\"b\\s\]e"#);
    let mut out = Vec::new();
    unescape_into(params[0].1, &mut out);
    assert_eq!(out, br#"q"b\s]e"#);
    out.clear();
    unescape_into(params[1].1, &mut out);
    assert_eq!(out, br"keep\n\x", "other backslashes are kept");
    assert_eq!(params[2].1, b"");
    out.clear();
    unescape_into(params[3].1, &mut out);
    assert_eq!(out, br"\");
    assert_eq!(m.msg, b"m");
    let j = json(frame);
    assert!(
        j.contains(r#""sd":{"x@1":{"a":"q\"b\\s]e","b":"keep\\n\\x","c":"","d":"\\"}}"#),
        "{j}"
    );
}

#[test]
fn sd_broken_escapes() {
    // A trailing backslash escapes the closing quote: the SD never ends, so RFC3164 it is.
    let frame = br#"<13>1 - - app - - [x a="oops\"] msg"#;
    assert_eq!(parse(frame).format, Format::Rfc3164);
    // A `]` inside a value without escape is accepted (the quote delimits the value).
    let m = parse(br#"<13>1 - - app - - [x a="b]c"] msg"#);
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!(
        m.sd.unwrap()
            .elements()
            .next()
            .unwrap()
            .params()
            .next()
            .unwrap()
            .1,
        b"b]c"
    );
    // The unescape helper never panics on hand-made raw values.
    for raw in [&b"\\"[..], b"\\\\\\", b"a\\", b"\\]\\"] {
        let mut out = Vec::new();
        unescape_into(raw, &mut out);
        assert!(out.len() <= raw.len());
    }
    let pieces: Vec<_> = unescape(b"a\\\"b").collect();
    assert_eq!(pieces, [&b"a"[..], b"\"", b"b"]);
}

#[test]
fn sd_iterators_stop_on_garbage() {
    let sd = StructuredData {
        raw: b"[a x=\"1\"]garbage[b]",
    };
    let ids: Vec<_> = sd.elements().map(|e| e.id).collect();
    assert_eq!(ids, [&b"a"[..]]);
    let el = SdElement {
        id: b"a",
        params: b" x=\"1\" y",
    };
    assert_eq!(el.params().count(), 1);
}

#[test]
fn trailers_stripped() {
    for frame in [
        &b"<13>root: hello\n"[..],
        b"<13>root: hello\r\n",
        b"<13>root: hello\0",
        b"<13>root: hello\n\0\r\n\0\0",
    ] {
        let m = parse(frame);
        assert_eq!(m.msg, b"hello", "{frame:?}");
        assert_eq!(subject(&m), b"root: hello");
    }
    let m = parse(b"\n\0\r");
    assert_eq!(m.msg, b"");
    let m = parse(b"");
    assert_eq!((m.msg, m.facility), (&b""[..], None));
    // Only trailing ones: embedded NUL and LF stay.
    assert_eq!(parse(b"<13>a: b\nc\0d\n").msg, b"b\nc\0d");
}

#[test]
fn iso_timestamps_in_3164() {
    let frame = b"<30>2024-03-05T07:08:09.123+01:00 gw netifd: Interface 'wan' is now up";
    let m = parse(frame);
    assert_eq!(m.format, Format::Rfc3164);
    assert_eq!(s(m.timestamp), Some("2024-03-05T07:08:09.123+01:00"));
    assert_eq!(s(m.hostname), Some("gw"));
    assert_eq!(s(m.app_name), Some("netifd"));
    assert_eq!(
        human(frame),
        "Mar  5 07:08:09 gw netifd: Interface 'wan' is now up"
    );
    let m = parse(b"<30>2024-03-05T07:08:09Z netifd: up");
    assert_eq!(m.hostname, None);
    assert_eq!(s(m.app_name), Some("netifd"));
}

#[test]
fn bsd_timestamp_variants() {
    let cases: [(&[u8], &str, Option<&str>, &str); 8] = [
        (
            b"<13>Nov 26 21:45:37.123 h t: m",
            "Nov 26 21:45:37.123",
            Some("h"),
            "Nov 26 21:45:37",
        ),
        (
            b"<13>Nov 26 21:45:37 2024 h t: m",
            "Nov 26 21:45:37 2024",
            Some("h"),
            "Nov 26 21:45:37",
        ),
        (
            b"<13>Nov 26 2024 21:45:37 h t: m",
            "Nov 26 2024 21:45:37",
            Some("h"),
            "Nov 26 21:45:37",
        ),
        (
            b"<13>nOV 6 21:45:37 h t: m",
            "nOV 6 21:45:37",
            Some("h"),
            "Nov  6 21:45:37",
        ),
        (
            b"<13> Nov 06 21:45:37: h t: m",
            "Nov 06 21:45:37",
            Some("h"),
            "Nov  6 21:45:37",
        ),
        (
            b"<13>Nov 26 21:45:37 fe80::1 t: m",
            "Nov 26 21:45:37",
            Some("fe80::1"),
            "Nov 26 21:45:37",
        ),
        (
            b"<13>Nov 26 21:45:37 t: m",
            "Nov 26 21:45:37",
            None,
            "Nov 26 21:45:37",
        ),
        (
            b"<13>Jan  1 00:00:00 a.b_c-d t: m",
            "Jan  1 00:00:00",
            Some("a.b_c-d"),
            "Jan  1 00:00:00",
        ),
    ];
    for (frame, ts, host, clock) in cases {
        let m = parse(frame);
        assert_eq!(s(m.timestamp), Some(ts), "{frame:?}");
        assert_eq!(s(m.hostname), host, "{frame:?}");
        assert_eq!(s(m.app_name), Some("t"), "{frame:?}");
        assert_eq!(m.msg, b"m");
        assert!(human(frame).starts_with(clock), "{}", human(frame));
    }
    // Not timestamps: out of range, glued to text, wrong month.
    for frame in [
        &b"<13>Nov 26 24:45:37 t: m"[..],
        b"<13>Nov 32 21:45:37 t: m",
        b"<13>Nov 26 21:45:37x t: m",
        b"<13>Nox 26 21:45:37 t: m",
        b"<13>Nov   6 21:45:37 t: m",
    ] {
        assert_eq!(parse(frame).timestamp, None, "{frame:?}");
    }
}

#[test]
fn hostname_rule() {
    // Without a timestamp there is never a hostname.
    let m = parse(b"<13>myhost app: m");
    assert_eq!(m.hostname, None);
    assert_eq!(m.app_name, None, "`myhost` has no colon: not a tag");
    assert_eq!(m.msg, b"myhost app: m");
    // A hostname token must be followed by SP.
    let m = parse(b"<13>Nov 26 21:45:37 lonely");
    assert_eq!((m.hostname, m.msg), (None, &b"lonely"[..]));
    // Tag chars that are not hostname chars.
    let m = parse(b"<13>Nov 26 21:45:37 dnsmasq-dhcp[4273]: DHCPACK(br-lan) 1.2.3.4");
    assert_eq!(m.hostname, None);
    assert_eq!(s(m.app_name), Some("dnsmasq-dhcp"));
    // A host, then text without a tag.
    let m = parse(b"<13>Nov 26 21:45:37 host just words");
    assert_eq!(s(m.hostname), Some("host"));
    assert_eq!(m.app_name, None);
    assert_eq!(m.msg, b"just words");
    assert_eq!(subject(&m), b"just words");
}

#[test]
fn tag_rule() {
    let m = parse(b"<13>: empty name");
    assert_eq!((m.app_name, m.msg), (None, &b"empty name"[..]));
    assert_eq!(subject(&m), b": empty name");
    let m = parse(b"<13>[12]: pid only");
    assert_eq!((m.app_name, s(m.procid)), (None, Some("12")));
    let m = parse(b"<13>app[12] no colon");
    assert_eq!((m.app_name, m.procid), (None, None));
    assert_eq!(m.msg, b"app[12] no colon");
    let m = parse(b"<13>app[]: x");
    assert_eq!((s(m.app_name), m.procid), (Some("app"), None));
    let m = parse(b"<13>app:nospace");
    assert_eq!((s(m.app_name), m.msg), (Some("app"), &b"nospace"[..]));
    let m = parse(b"<13>Freeswitch: SIP registration failed User:evil IP:9.9.9.9");
    assert_eq!(s(m.app_name), Some("Freeswitch"));
    assert_eq!(
        subject(&m),
        b"Freeswitch: SIP registration failed User:evil IP:9.9.9.9"
    );
    let m = parse(b"<13>app:   spaced");
    assert_eq!(m.msg, b"spaced");
    assert_eq!(
        subject(&m),
        b"app:   spaced",
        "the subject is the frame as written"
    );
}

#[test]
fn non_utf8_bytes() {
    let frame = b"<13>Nov 26 21:45:37 h\xff \xfe\xfd[\x80]: caf\xc3\xa9 \xc3";
    let m = parse(frame);
    assert_eq!(m.hostname, None, "\\xff is not a hostname byte");
    let m2 = parse(b"<13>Nov 26 21:45:37 \xfe\xfd[\x80]: caf\xc3\xa9 \xc3");
    assert_eq!(m2.app_name, Some(&b"\xfe\xfd"[..]));
    assert_eq!(m2.procid, Some(&b"\x80"[..]));
    assert_eq!(m2.msg, b"caf\xc3\xa9 \xc3");
    let j = json(b"<13>Nov 26 21:45:37 \xfe\xfd[\x80]: caf\xc3\xa9 \xc3\x01\"");
    assert!(j.contains("\"app_name\":\"\u{FFFD}\u{FFFD}\""), "{j}");
    assert!(j.contains("\"msg\":\"café \u{FFFD}\\u0001\\\"\""), "{j}");
    assert!(m.msg.len() < frame.len());
}

#[test]
fn bom_only_in_5424() {
    let m = parse(b"<13>1 - - - - - -    \xEF\xBB\xBFhi");
    assert!(m.bom);
    assert_eq!(m.msg, b"hi");
    let m = parse(b"<13>app: \xEF\xBB\xBFhi");
    assert!(!m.bom);
    assert_eq!(m.msg, b"\xEF\xBB\xBFhi");
}

#[test]
fn subject_5424_reuses_scratch() {
    let m = parse(b"<13>1 - host sshd 42 - - Failed password");
    let mut scratch = Vec::with_capacity(64);
    let ptr = scratch.as_ptr();
    assert_eq!(m.subject(&mut scratch), b"sshd[42]: Failed password");
    assert_eq!(m.subject(&mut scratch), b"sshd[42]: Failed password");
    assert_eq!(scratch.as_ptr(), ptr);
    let m = parse(b"<13>1 - host - 42 - - no app");
    assert_eq!(m.subject(&mut scratch), b"no app");
}

#[test]
fn human_line_receive_time_is_local() {
    let m = parse(b"<12>py unix default");
    let mut out = Vec::new();
    m.human_line(b"py unix default", 86400 * 365, &mut out);
    let line = String::from_utf8(out).unwrap();
    // Mmm dd hh:mm:ss SUBJECT; the exact clock depends on the local zone.
    assert_eq!(
        line.len(),
        "Jan  1 00:00:00 py unix default".len(),
        "{line}"
    );
    assert!(line.ends_with(" py unix default"));
    assert_eq!(&line[6..7], " ");
    assert_eq!((&line[9..10], &line[12..13]), (":", ":"));
    let tm = crate::sys::clock::local(86400 * 365).unwrap();
    assert_eq!(line[13..15].parse::<u8>().unwrap(), tm.second);
    assert_eq!(line[7..9].parse::<u8>().unwrap(), tm.hour);
}

#[test]
fn frames_over_8k() {
    let mut frame = b"<84>Nov  6 21:52:13 dropbear[1]: ".to_vec();
    frame.extend(std::iter::repeat_n(b'x', 20_000));
    frame.extend_from_slice(b"\n");
    let m = parse(&frame);
    assert_eq!(s(m.app_name), Some("dropbear"));
    assert_eq!(m.msg.len(), 20_000);
    let mut sd = b"<13>1 - - app - - [id".to_vec();
    for n in 0..1000 {
        sd.extend_from_slice(format!(" p{n}=\"v\\\"{n}\"").as_bytes());
    }
    sd.extend_from_slice(b"] tail");
    let m = parse(&sd);
    assert_eq!(m.format, Format::Rfc5424);
    assert_eq!(
        m.sd.unwrap().elements().next().unwrap().params().count(),
        1000
    );
    assert_eq!(m.msg, b"tail");
}

#[test]
fn json_3164() {
    assert_eq!(
        json(b"<84>Nov  6 21:52:13 dropbear[17137]: Bad\tpassword\n"),
        r#"{"format":"rfc3164","facility":10,"severity":4,"version":null,"timestamp":"Nov  6 21:52:13","hostname":null,"app_name":"dropbear","procid":"17137","msgid":null,"sd":null,"msg":"Bad\tpassword","bom":false}"#
    );
    assert_eq!(
        json(b"<999>bad pri"),
        r#"{"format":"rfc3164","facility":null,"severity":null,"version":null,"timestamp":null,"hostname":null,"app_name":null,"procid":null,"msgid":null,"sd":null,"msg":"<999>bad pri","bom":false}"#
    );
}
