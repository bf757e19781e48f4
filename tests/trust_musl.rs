//! Truncation (SPEC §6) with the real musl syslog(): an attacker sizes a user name so that a
//! fake `from ADDR` sits exactly where musl cuts the frame (its 1024-byte buffer), and the real
//! address falls off the end. The cut frame must count for no rule with a script.
//! Needs musl-gcc and unshare (a private mount namespace holds the test's /dev/log).

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{have, temp_dir};
use logtrigger::config::Config;
use logtrigger::pipeline::{MUSL_SYSLOG_MAX, Pipeline, Refusal, Sender, Source};

const PROGRAM: &str = r#"#include <syslog.h>
int main(int argc, char **argv) {
    openlog("uhttpd", LOG_PID, LOG_AUTHPRIV);
    syslog(LOG_NOTICE, "luci: failed login on / for %s from %s", argv[1], "10.9.9.9");
    closelog();
    return 0;
}
"#;

/// Runs the sender with `user` inside a private mount namespace whose /dev/log is `dev/log`.
fn send(bin: &Path, dev: &Path, user: &str) {
    let d = dev.display();
    let setup = format!(
        "mount --bind /dev/null {d}/null && mount --bind {d} /dev && exec {} \"$0\"",
        bin.display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &setup, user])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn recv(sock: &UnixDatagram) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let n = sock.recv(&mut buf).expect("a frame from the musl sender");
    buf.truncate(n);
    buf
}

#[test]
fn a_frame_musl_cut_never_counts_for_a_rule_with_a_script() {
    if !have("musl-gcc") || !have("unshare") {
        return;
    }
    let dir = temp_dir("musl-cut");
    let bin = dir.join("send");
    std::fs::write(dir.join("send.c"), PROGRAM).unwrap();
    let built = Command::new("musl-gcc")
        .args(["-static", "-o"])
        .arg(&bin)
        .arg(dir.join("send.c"))
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let dev = dir.join("dev");
    std::fs::create_dir(&dev).unwrap();
    std::fs::write(dev.join("null"), b"").unwrap();
    let sock = UnixDatagram::bind(dev.join("log")).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    // A short name first, to learn where the message starts in musl's frame.
    send(&bin, &dev, "probe");
    let whole = recv(&sock);
    let start = whole.windows(5).position(|w| w == b"luci:").unwrap();
    // The attacker's name: filler, then the fake address ending exactly at musl's cut.
    let fake = " from 198.51.100.7";
    let fixed = start + "luci: failed login on / for ".len() + fake.len();
    let user = format!("{}{fake}", "x".repeat(MUSL_SYSLOG_MAX - 1 - fixed));
    send(&bin, &dev, &user);
    let cut = recv(&sock);
    assert_eq!(
        cut.len(),
        MUSL_SYSLOG_MAX,
        "musl cut the frame at its buffer"
    );
    assert!(
        cut.ends_with(b"from 198.51.100.7\n"),
        "{}",
        cut.escape_ascii()
    );

    let conf = "
config rule 'ban'
	option name 'ban'
	option pattern 'luci: failed login on / for %s from %s'
	option fields 'user ip'
	option key 'ip'
	option script '/bin/true'

config rule 'count'
	option name 'count'
	option pattern 'luci: failed login on / for %s from %s'
	option fields 'user ip'
";
    let mut p = Pipeline::new(&Config::parse(conf.as_bytes(), "musl").unwrap());
    let root = Source::Unix(Sender::Replayed);
    let mut got = Vec::new();
    p.process_frame(&cut, root, 1, &mut |h| {
        got.push((h.rule.name.clone(), h.refused, h.outcome.fired))
    });
    assert_eq!(
        got,
        [
            ("ban".to_string(), Some(Refusal::Truncated), false),
            ("count".to_string(), None, true)
        ]
    );
    // The whole frame of a real failure counts for both.
    got.clear();
    p.process_frame(&whole, root, 2, &mut |h| {
        got.push((h.rule.name.clone(), h.refused, h.outcome.fired))
    });
    assert_eq!(
        got,
        [
            ("ban".to_string(), None, true),
            ("count".to_string(), None, true)
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
