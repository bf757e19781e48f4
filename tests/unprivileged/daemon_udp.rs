//! UDP in the running daemon (SPEC §2): senders outside `udp_allow` are dropped and counted,
//! `udp_forward` hands remote messages to the local logger as `<PRI>Mmm dd hh:mm:ss HOST tag: msg`,
//! `forward_udp` sends every message, byte for byte, to a remote collector.

use crate::shared::*;
use logtrigger::syslog;
use std::net::UdpSocket;
use std::time::Duration;

fn text(b: Option<&[u8]>) -> Option<&str> {
    b.map(|b| std::str::from_utf8(b).unwrap())
}

#[test]
fn sender_outside_udp_allow_is_dropped_and_counted() {
    let port = free_udp_port();
    let s = Setup::new("udp-allow", "");
    let out = s.dir.join("env");
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n\tlist udp_allow '127.0.0.2/32'\n\
         \nconfig rule\n\toption name 'remote'\n\toption pattern 'from %s'\n\toption source 'udp'\n\
         \toption script '{}'\n",
        s.env_script("env.sh", &out).display()
    ));
    let mut d = s.start_ready(&[]);
    let outside = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..3 {
        let msg = format!("<13>app: from outside{i}");
        outside
            .send_to(msg.as_bytes(), ("127.0.0.1", port))
            .unwrap();
    }
    assert!(
        poll(ms(5000), || input_num(&s.json(), "udp:", "denied")
            == Some(3)),
        "{}",
        s.json()
    );
    let inside = UdpSocket::bind("127.0.0.2:0").unwrap();
    inside
        .send_to(b"<13>app: from inside", ("127.0.0.1", port))
        .unwrap();
    assert!(poll(ms(5000), || out.exists()), "{}", s.stderr());
    let env = read_env(&out);
    assert_eq!(
        env.get("LT_source").map(String::as_str),
        Some("udp:127.0.0.2")
    );
    assert_eq!(env.get("LT_key").map(String::as_str), Some("inside"));
    let j = s.json();
    assert_eq!(rule_num(&j, "remote", "matches"), Some(1), "{j}");
    assert_eq!(input_num(&j, "udp:", "received"), Some(1), "{j}");
    assert_eq!(input_num(&j, "udp:", "denied"), Some(3), "{j}");
    stop(&mut d, &s);
}

/// A remote frame and what the local logger must parse back from the forwarded copy.
struct Case {
    sent: &'static [u8],
    pri: &'static str,
    host: &'static str,
    app: Option<&'static str>,
    pid: Option<&'static str>,
    msg: &'static [u8],
}

#[test]
fn udp_forward_reaches_the_local_logger_in_logd_shape() {
    let port = free_udp_port();
    let s = Setup::new("udp-fwd", "");
    s.write_config(&format!(
        "\toption takeover '1'\n\tlist udp '127.0.0.1:{port}'\n\toption udp_forward '1'\n"
    ));
    let logger = stand_in(&s.socket);
    let mut d = s.start_ready(&[]);
    assert_eq!(daemon_num(&s.json(), "takeovers"), Some(1));

    let shape = regex::bytes::Regex::new(
        r"^<\d{1,3}>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \S+ ",
    )
    .unwrap();
    let cases = [
        Case {
            sent: b"<38>Nov 26 21:45:37 router1 sshd[42]: hello world",
            pri: "<38>",
            host: "router1",
            app: Some("sshd"),
            pid: Some("42"),
            msg: b"hello world",
        },
        Case {
            sent: b"<84>app: no host",
            pri: "<84>",
            host: "127.0.0.1",
            app: Some("app"),
            pid: None,
            msg: b"no host",
        },
        Case {
            sent: b"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [x@1 iut=\"3\"] An event",
            pri: "<165>",
            host: "mymachine",
            app: Some("evntslog"),
            pid: None,
            msg: b"An event",
        },
        Case {
            sent: b"plain text",
            pri: "<13>",
            host: "127.0.0.1",
            app: None,
            pid: None,
            msg: b"plain text",
        },
    ];
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = vec![0u8; 65536];
    for Case {
        sent,
        pri,
        host,
        app,
        pid,
        msg,
    } in cases
    {
        client.send_to(sent, ("127.0.0.1", port)).unwrap();
        let n = logger.recv(&mut buf).expect("a forwarded frame");
        let got = &buf[..n];
        let shown = got.escape_ascii().to_string();
        assert!(got.starts_with(pri.as_bytes()), "{shown}");
        assert!(shape.is_match(got), "{shown}");
        // The frame is what logd parses back into the same fields.
        let m = syslog::parse(got);
        assert_eq!(m.format, syslog::Format::Rfc3164, "{shown}");
        assert_eq!(text(m.hostname), Some(host), "{shown}");
        assert_eq!(text(m.app_name), app, "{shown}");
        assert_eq!(text(m.procid), pid, "{shown}");
        assert_eq!(m.msg, msg, "{shown}");
    }
    stop(&mut d, &s);
}

#[test]
fn forward_udp_delivers_every_message() {
    let port = free_udp_port();
    let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
    collector
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let cport = collector.local_addr().unwrap().port();
    let s = Setup::new(
        "fwd-udp",
        &format!("\tlist udp '127.0.0.1:{port}'\n\tlist forward_udp '127.0.0.1:{cport}'\n"),
    );
    let mut d = s.start_ready(&[]);

    let mut frames: Vec<Vec<u8>> = vec![
        b"<13>Nov 26 21:45:37 root: hello".to_vec(),
        b"<12>py unix default\0".to_vec(),
        b"\xff\xfe not utf-8 \x00 NUL".to_vec(),
        vec![b'x'; 8000],
    ];
    for i in 0..50 {
        frames.push(format!("<13>app[{i}]: message {i}").into_bytes());
    }
    let mut buf = vec![0u8; 65536];
    for f in &frames {
        s.send(f);
    }
    for f in &frames {
        let n = collector.recv(&mut buf).expect("forwarded from unix");
        assert_eq!(&buf[..n], &f[..]);
    }
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for f in &frames {
        client.send_to(f, ("127.0.0.1", port)).unwrap();
        let n = collector.recv(&mut buf).expect("forwarded from udp");
        assert_eq!(&buf[..n], &f[..]);
    }
    let j = s.json();
    let sent = forward_num(&j, &format!("udp:127.0.0.1:{cport}"), "sent");
    assert_eq!(sent, Some(2 * frames.len() as u64), "{j}");
    stop(&mut d, &s);
}
