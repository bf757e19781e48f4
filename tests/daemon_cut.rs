//! A frame or line whose end was cut by logtrigger's own buffer (`max_message`) never counts for
//! a rule with a script (SPEC §6): ~450 bytes of attacker text put a fake address exactly at
//! the cut, and the real one falls off. Checked for UDP frames (cut by the kernel into the
//! receive buffer) and tailed file lines (cut by the line reader); a whole line still counts.

mod common;

use common::*;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::UdpSocket;

const MAX: usize = 480;

/// `prefix` padded so that the result is exactly `len` bytes and ends in `tail`.
fn padded(prefix: &str, tail: &str, len: usize) -> String {
    format!(
        "{prefix}{}{tail}",
        "x".repeat(len - prefix.len() - tail.len())
    )
}

#[test]
fn cut_udp_frames_and_file_lines_never_count_for_a_script() {
    let port = free_udp_port();
    let s = Setup::new(
        "cut",
        &format!("\tlist udp '127.0.0.1:{port}'\n\toption max_message '{MAX}'\n"),
    );
    let log = s.dir.join("app.log");
    fs::write(&log, "").unwrap();
    let out = s.dir.join("ran.env");
    let script = s.env_script("ban.sh", &out);
    let rule = |name: &str, extra: &str| {
        format!(
            "\nconfig rule '{name}'\n\toption pattern 'failed for %s'\n\toption fields 'ip'\n\
             {extra}\toption script '{}'\n",
            script.display()
        )
    };
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n\toption max_message '{MAX}'\n{}{}",
        rule("udp_probe", "\toption source 'udp'\n"),
        rule(
            "file_probe",
            &format!("\toption file '{}'\n", log.display())
        )
    ));
    let mut d = s.start_ready(&[]);

    // The first MAX bytes end in a fake address; the real one is past the cut.
    let fake = padded("<13>app: ", " failed for 198.51.100.7", MAX);
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender
        .send_to(
            format!("{fake} from 203.0.113.9").as_bytes(),
            ("127.0.0.1", port),
        )
        .unwrap();
    let line = padded("app: ", " failed for 198.51.100.8", MAX);
    let mut f = OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "{line} from 203.0.113.9").unwrap();
    let refused = |rule: &str| rule_num(&s.json(), rule, "truncated") == Some(1);
    assert!(
        wait_for(5000, || refused("udp_probe") && refused("file_probe")),
        "{}",
        s.json()
    );
    assert_eq!(script_num(&s.json(), "started"), Some(0), "{}", s.json());

    // Control: whole ones count and run the script.
    sender
        .send_to(b"<13>app: failed for 203.0.113.9", ("127.0.0.1", port))
        .unwrap();
    writeln!(f, "app: failed for 203.0.113.10").unwrap();
    assert!(
        wait_for(5000, || script_num(&s.json(), "started") == Some(2)),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}
