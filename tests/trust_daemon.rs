//! The daemon's defences against aimed bans (SPEC §2 Trust, §6, §7), through the real binary:
//! UDP frames reach only rules naming `udp`, a local sender must be root, PID 1 or the rule's
//! program, the script queue is fair across rules, and a firing that cannot be queued keeps its
//! key's history.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use common::*;

/// A rule section.
fn rule(name: &str, body: &str) -> String {
    format!("\nconfig rule\n\toption name '{name}'\n{body}")
}

#[test]
fn udp_frames_reach_only_rules_naming_udp() {
    let port = free_udp_port();
    let s = Setup::new("trust-udp", "");
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n{}{}",
        rule("local", "\toption pattern 'from %s'\n"),
        rule(
            "remote",
            "\toption pattern 'from %s'\n\toption source 'udp'\n"
        )
    ));
    let mut d = s.start_ready(&[]);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(b"<13>app: from 8.8.8.8", ("127.0.0.1", port))
        .unwrap();
    s.send(b"<13>app: from 9.9.9.9");
    assert!(
        wait_for(5000, || {
            let j = s.json();
            rule_num(&j, "remote", "matches") == Some(1)
                && rule_num(&j, "local", "matches") == Some(1)
        }),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}

/// `logger` run as `nobody` (uid 65534), under the name `name` (a copy of the binary).
fn logger_as_nobody(s: &Setup, name: &str, msg: &str) {
    let bin = s.dir.join(name);
    if !bin.exists() {
        fs::copy("/usr/bin/logger", &bin).unwrap();
    }
    let out = Command::new(&bin)
        .args(["-u", s.socket.to_str().unwrap(), "-t", "dropbear", msg])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The interpreter at `bin` run as `nobody`: sends one dropbear-tagged frame with `msg`, then
/// stays alive (as a daemon does) until killed, so that its executable can be looked at.
fn python_as_nobody(s: &Setup, bin: &std::path::Path, msg: &str) -> std::process::Child {
    let script = format!(
        "import socket, time\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
         s.sendto(b'<84>dropbear[77]: {msg}', {:?})\n\
         time.sleep(30)\n",
        s.socket.to_str().unwrap()
    );
    Command::new(bin)
        .args(["-c", &script])
        .uid(65534)
        .gid(65534)
        .spawn()
        .unwrap()
}

#[test]
fn a_local_sender_must_be_root_pid_1_or_the_program() {
    if !have("logger") {
        return;
    }
    let s = Setup::new("trust-local", "");
    let out = s.dir.join("env");
    s.write_config(&rule(
        "pw",
        &format!(
            "\toption program 'dropbear'\n\toption pattern 'Bad password from %s'\n\
             \toption fields 'ip'\n\toption script '{}'\n",
            s.env_script("env.sh", &out).display()
        ),
    ));
    let mut d = s.start_ready(&["-D", "2"]);
    // Another program running as nobody forges dropbear's tag: it does not count.
    logger_as_nobody(&s, "logger", "Bad password from 198.51.100.7");
    assert!(
        wait_for(5000, || rule_num(&s.json(), "pw", "untrusted") == Some(1)),
        "{}\n{}",
        s.json(),
        s.stderr()
    );
    assert_eq!(rule_num(&s.json(), "pw", "firings"), Some(0));
    // Its own copy of an interpreter saved as dropbear does not count either: a process picks
    // its name, not who installed its executable.
    let own = s.dir.join("dropbear");
    fs::copy("/usr/bin/python3", &own).unwrap();
    std::os::unix::fs::chown(&own, Some(65534), Some(65534)).unwrap();
    let mut p = python_as_nobody(&s, &own, "Bad password from 198.51.100.8");
    assert!(
        wait_for(5000, || rule_num(&s.json(), "pw", "untrusted") == Some(2)),
        "{}\n{}",
        s.json(),
        s.stderr()
    );
    let _ = p.kill();
    let _ = p.wait();
    // A program dropbear that root installed (root's file, in root's directory) may speak for
    // dropbear, whoever runs it.
    let sbin = s.dir.join("sbin");
    fs::create_dir(&sbin).unwrap();
    fs::set_permissions(&sbin, fs::Permissions::from_mode(0o755)).unwrap();
    fs::copy("/usr/bin/python3", sbin.join("dropbear")).unwrap();
    let mut p = python_as_nobody(&s, &sbin.join("dropbear"), "Bad password from 203.0.113.9");
    assert!(wait_for(5000, || out.exists()), "{}", s.stderr());
    let _ = p.kill();
    let _ = p.wait();
    assert_eq!(
        read_env(&out).get("LT_ip").map(String::as_str),
        Some("203.0.113.9")
    );
    // Root (this test) may speak for any program.
    fs::remove_file(&out).unwrap();
    s.send(b"<84>dropbear[1]: Bad password from 203.0.113.10");
    assert!(wait_for(5000, || out.exists()), "{}", s.stderr());
    let j = s.json();
    assert_eq!(rule_num(&j, "pw", "firings"), Some(2), "{j}");
    assert_eq!(rule_num(&j, "pw", "untrusted"), Some(2), "{j}");
    stop(&mut d, &s);
}

/// 200 failures from 40 addresses (5 each), every line also firing a logging rule whose script
/// is slow: all 40 bans run (SPEC §7, default max_jobs and max_queue).
#[test]
fn a_logging_rule_never_crowds_out_bans() {
    let s = Setup::new("trust-fair", "");
    let bans = s.dir.join("bans");
    let ban = s.script(
        "ban.sh",
        &format!("echo \"$LT_ip\" >> {}\n", bans.display()),
    );
    let logit = s.script("logit.sh", "sleep 0.2\n");
    s.write_config(&format!(
        "{}{}",
        rule(
            "log_dropbear",
            &format!(
                "\toption program 'dropbear'\n\toption pattern 'Bad password attempt for %s from %s'\n\
                 \toption script '{}'\n",
                logit.display()
            )
        ),
        rule(
            "ban_dropbear",
            &format!(
                "\toption program 'dropbear'\n\toption pattern 'Bad password attempt for %s from %s:%d'\n\
                 \toption fields 'user ip port'\n\toption key 'ip'\n\toption maxfail '5'\n\
                 \toption time '600'\n\toption script '{}'\n",
                ban.display()
            )
        )
    ));
    let mut d = s.start_ready(&[]);
    let addr = |i: usize| format!("203.0.{}.{}", 113 + i / 20, 1 + i % 20);
    for round in 0..5 {
        for i in 0..40 {
            let frame = format!(
                "<38>dropbear[{}]: Bad password attempt for 'root' from {}:{}",
                100 + i,
                addr(i),
                40000 + round
            );
            s.send(frame.as_bytes());
        }
    }
    let want: BTreeSet<String> = (0..40).map(addr).collect();
    let banned = || -> BTreeSet<String> {
        fs::read_to_string(&bans)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert!(
        wait_for(60_000, || banned() == want),
        "banned {} of 40: {:?}\n{}",
        banned().len(),
        banned(),
        s.json()
    );
    let j = s.json();
    assert_eq!(rule_num(&j, "ban_dropbear", "firings"), Some(40), "{j}");
    assert_eq!(rule_num(&j, "log_dropbear", "firings"), Some(200), "{j}");
    stop(&mut d, &s);
}

/// A firing whose script cannot be queued keeps its key's history: the next event fires again.
#[test]
fn a_dropped_firing_keeps_the_history() {
    let s = Setup::new(
        "trust-keep",
        "\toption max_jobs '1'\n\toption max_queue '0'\n",
    );
    let go = s.dir.join("go");
    let busy = s.script(
        "busy.sh",
        &format!("while [ ! -e {} ]; do sleep 0.02; done\n", go.display()),
    );
    let out = s.dir.join("env");
    s.write_config(&format!(
        "\toption max_jobs '1'\n\toption max_queue '0'\n{}{}",
        rule(
            "busy",
            &format!(
                "\toption pattern 'busy %s'\n\toption script '{}'\n",
                busy.display()
            )
        ),
        rule(
            "ban",
            &format!(
                "\toption pattern 'fail from %s'\n\toption fields 'ip'\n\toption maxfail '3'\n\
                 \toption script '{}'\n",
                s.env_script("env.sh", &out).display()
            )
        )
    ));
    let mut d = s.start_ready(&[]);
    s.send(b"<13>x: busy now");
    assert!(
        wait_for(5000, || num(&s.json(), "\"scripts\":{", "running")
            == Some(1)),
        "{}",
        s.json()
    );
    for _ in 0..3 {
        s.send(b"<13>x: fail from 198.51.100.9");
    }
    assert!(
        wait_for(5000, || num(&s.json(), "\"scripts\":{", "dropped")
            == Some(1)),
        "{}",
        s.json()
    );
    fs::write(&go, "").unwrap();
    assert!(
        wait_for(5000, || num(&s.json(), "\"scripts\":{", "running")
            == Some(0)),
        "{}",
        s.json()
    );
    // One more event: the key kept its two stored events, so this one fires again.
    s.send(b"<13>x: fail from 198.51.100.9");
    assert!(wait_for(5000, || out.exists()), "{}", s.json());
    let env = read_env(&out);
    assert_eq!(env.get("LT_ip").map(String::as_str), Some("198.51.100.9"));
    assert_eq!(env.get("LT_count").map(String::as_str), Some("3"));
    stop(&mut d, &s);
}
