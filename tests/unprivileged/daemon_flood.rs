//! Floods against the real daemon (SPEC §2, §7): 10 000 firings never run more than `max_jobs`
//! scripts at once, the overflow is dropped and counted, every child is reaped; then 100 000
//! malformed datagrams leave the daemon up and still firing.

use crate::shared::*;
use std::fs;
use std::os::unix::net::UnixDatagram;

const MAX_JOBS: usize = 3;
const FIRINGS: u64 = 10_000;
const MALFORMED: u64 = 100_000;

/// xorshift64: reproducible "random" bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// The `i`-th malformed datagram: random bytes, 64 KiB, NULs, invalid UTF-8, bad PRIs, cut
/// headers, empty.
fn malformed(i: u64, rng: &mut Rng) -> Vec<u8> {
    if i.is_multiple_of(5000) {
        return rng.bytes(64 * 1024);
    }
    match i % 16 {
        0 => {
            let n = (rng.next() % 600) as usize;
            rng.bytes(n)
        }
        1 => vec![0u8; (rng.next() % 300) as usize],
        2 => b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc invalid utf-8".to_vec(),
        3 => b"<999>".to_vec(),
        4 => b"<".to_vec(),
        5 => b"<999>bad pri: flood".to_vec(),
        6 => Vec::new(),
        7 => b"<13>1 ".to_vec(),
        8 => b"<13>1 - - - - - [unterminated sd=\"x".to_vec(),
        9 => b"<191>Nov 26 21:45:37".to_vec(),
        10 => b"<13>Nov 26 21:45:37 host tag[".to_vec(),
        11 => b"<0001234>\0\0\0\n\r".to_vec(),
        12 => b"<13>\0tag\0: \0msg\0".to_vec(),
        13 => {
            let mut v = b"<13>".to_vec();
            v.extend(rng.bytes(200));
            v
        }
        14 => b"%s%d%n%b<>[]\\\"".repeat(40),
        _ => b"<13>1 2003-10-11T22:14:15.003Z h a p m [a b=\"\\\\\\\"\\]\"][c] \xef\xbb\xbf\xff"
            .to_vec(),
    }
}

/// Most scripts running at the same time according to the record (`s PID` / `e PID` lines).
fn max_concurrent(record: &str) -> (usize, usize, usize) {
    let (mut now, mut max, mut starts, mut ends) = (0usize, 0, 0, 0);
    for l in record.lines() {
        if l.starts_with("s ") {
            now += 1;
            starts += 1;
            max = max.max(now);
        } else if l.starts_with("e ") {
            now = now.saturating_sub(1);
            ends += 1;
        }
    }
    (max, starts, ends)
}

fn assert_no_children(d: &Daemon, s: &Setup) {
    let pid = d.id();
    assert!(
        poll(ms(10_000), || children(pid).is_empty()),
        "children left: {:?}\n{}",
        children(pid),
        s.stderr()
    );
}

#[test]
fn ten_thousand_firings_then_malformed_flood() {
    let port = free_udp_port();
    let s = Setup::new("flood", "");
    let record = s.dir.join("record");
    let rec = s.script(
        "rec.sh",
        &format!(
            "echo \"s $$\" >> {0}\nsleep 0.02\necho \"e $$\" >> {0}\n",
            record.display()
        ),
    );
    let alive_out = s.dir.join("alive.env");
    let alive = s.env_script("alive.sh", &alive_out);
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n\toption max_jobs '{MAX_JOBS}'\n\toption max_queue '8'\n\
         \nconfig rule\n\toption name 'flood'\n\toption pattern 'flood %d'\n\toption source 'unix udp'\n\toption script '{}'\n\
         \nconfig rule\n\toption name 'alive'\n\toption pattern 'still alive %s'\n\toption source 'unix udp'\n\
         \toption script '{}'\n",
        rec.display(),
        alive.display()
    ));
    let mut d = s.start_ready(&[]);

    let client = UnixDatagram::unbound().unwrap();
    for i in 0..FIRINGS {
        let msg = format!("<13>app: flood {i}");
        client.send_to(msg.as_bytes(), &s.socket).unwrap();
    }
    // Every firing is started or dropped once the queue has drained.
    let settled = |j: &str| {
        let n = |k| script_num(j, k).unwrap_or(u64::MAX);
        n("running") == 0
            && n("queued") == 0
            && n("started").saturating_add(n("dropped")) == FIRINGS
    };
    assert!(
        poll(ms(40_000), || settled(&s.json())),
        "{}\n{}",
        s.json(),
        s.stderr()
    );
    let j = s.json();
    assert_eq!(rule_num(&j, "flood", "firings"), Some(FIRINGS), "{j}");
    let started = script_num(&j, "started").unwrap();
    let dropped = script_num(&j, "dropped").unwrap();
    assert!(
        dropped > 0,
        "a 10 000 burst must overflow a queue of 8: {j}"
    );
    assert!(started >= MAX_JOBS as u64, "{j}");
    assert_eq!(script_num(&j, "failed"), Some(0), "{j}");

    let (max, starts, ends) = max_concurrent(&fs::read_to_string(&record).unwrap());
    assert!(
        max <= MAX_JOBS,
        "{max} scripts at once, max_jobs {MAX_JOBS}"
    );
    assert!(max >= 1);
    assert_eq!((starts as u64, ends as u64), (started, started));
    eprintln!("flood: {started} started, {dropped} dropped, at most {max} at once");
    assert_no_children(&d, &s);

    // 100 000 malformed datagrams over the unix socket, some over UDP too.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..MALFORMED {
        let f = malformed(i, &mut rng);
        client.send_to(&f, &s.socket).unwrap();
        if i.is_multiple_of(20) {
            // A full receive buffer drops UDP silently: no count is asserted for these.
            let _ = udp.send_to(&f[..f.len().min(65_507)], ("127.0.0.1", port));
        }
    }
    client
        .send_to(b"<13>Nov 26 21:45:37 app[9]: still alive yes", &s.socket)
        .unwrap();
    assert!(
        poll(ms(20_000), || alive_out.exists()),
        "no firing after the malformed flood: {}",
        s.stderr()
    );
    assert_eq!(
        read_env(&alive_out).get("LT_string").map(String::as_str),
        Some("still alive yes")
    );
    assert!(d.0.try_wait().unwrap().is_none(), "the daemon died");
    let j = s.json();
    assert_eq!(
        input_num(&j, "unix:", "received"),
        Some(FIRINGS + MALFORMED + 1),
        "{j}"
    );
    assert!(input_num(&j, "unix:", "truncated").unwrap() >= 20, "{j}");
    assert!(input_num(&j, "udp:", "received").unwrap() > 0, "{j}");
    assert_no_children(&d, &s);
    stop(&mut d, &s);
}
