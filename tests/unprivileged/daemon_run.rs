//! The real binary as a daemon (SPEC §2, §7, §9): takeover in front of a stand-in logger,
//! restart re-takeover, restore on SIGTERM, self-heal after SIGKILL, status, reload, exit codes,
//! and a rule's script fed by `logger -u`. Private temp directories only; run as root.

use crate::shared::*;
use std::fs;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};

#[test]
fn inline_takeover_restart_and_restore() {
    let s = Setup::new("takeover", "");
    let mut logger = stand_in(&s.socket);
    let logger_ino = ino(&s.socket).unwrap();
    let mut child = s.start(&[]);
    assert!(
        poll(ms(5000), || ino(&s.forward) == Some(logger_ino)
            && ino(&s.socket) != Some(logger_ino)),
        "no takeover: {}",
        s.stderr()
    );

    let client = UnixDatagram::unbound().unwrap();
    let mut big = vec![0u8; 60 * 1024];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i % 253) as u8;
    }
    let frames: Vec<Vec<u8>> = vec![
        b"<13>Nov 26 21:45:37 root: hello".to_vec(),
        b"\x00\xff\xfe not utf-8 \x00".to_vec(),
        big,
    ];
    let mut buf = vec![0u8; 128 * 1024];
    for f in &frames {
        client.send_to(f, &s.socket).unwrap();
        let n = logger.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &f[..], "forwarded byte for byte");
    }
    let out = Command::new("logger")
        .args([
            "-u",
            s.socket.to_str().unwrap(),
            "-t",
            "tester",
            "via util-linux",
        ])
        .status()
        .unwrap();
    assert!(out.success());
    let n = logger.recv(&mut buf).unwrap();
    assert!(
        buf[..n].ends_with(b"tester: via util-linux"),
        "{:?}",
        &buf[..n]
    );

    // The logger restarts: unlink, then a fresh socket. It is bound aside and renamed into
    // place so that its inode is known before the daemon can take it over (reading `socket`
    // after a bind in place may already see the daemon's socket).
    drop(logger);
    fs::remove_file(&s.socket).unwrap();
    let fresh = s.dir.join("log.fresh");
    logger = stand_in(&fresh);
    let second = ino(&fresh).unwrap();
    fs::rename(&fresh, &s.socket).unwrap();
    assert!(
        poll(ms(1000), || ino(&s.forward) == Some(second)
            && ino(&s.socket) != Some(second)),
        "no re-takeover within a second: {}",
        s.stderr()
    );
    for i in 0..50u32 {
        let msg = format!("<13>after restart {i}");
        client.send_to(msg.as_bytes(), &s.socket).unwrap();
        let n = logger.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], msg.as_bytes());
    }

    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child), Some(0), "{}", s.stderr());
    assert_eq!(
        ino(&s.socket),
        Some(second),
        "the logger's socket is put back"
    );
    assert!(!s.forward.exists());
    assert!(!s.control.exists());
}

#[test]
fn sigkill_then_restart_heals() {
    let s = Setup::new("heal", "");
    let logger = stand_in(&s.socket);
    let logger_ino = ino(&s.socket).unwrap();
    let mut child = s.start(&[]);
    assert!(
        poll(ms(5000), || ino(&s.forward) == Some(logger_ino)),
        "{}",
        s.stderr()
    );
    signal(&child, libc::SIGKILL);
    let _ = child.wait();
    drop(child);
    // Crashed: our dead socket at `socket`, the logger at `forward`.
    assert_ne!(ino(&s.socket), Some(logger_ino));

    let mut child = s.start(&[]);
    // Answering on the control socket means the new daemon has finished its start.
    assert!(poll(ms(5000), || s.status(false).0 == 0), "{}", s.stderr());
    assert_eq!(ino(&s.forward), Some(logger_ino));
    assert_ne!(ino(&s.socket), Some(logger_ino));
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"<13>healed", &s.socket).unwrap();
    let mut buf = [0u8; 64];
    let n = logger.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"<13>healed");
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child), Some(0));
    assert_eq!(ino(&s.socket), Some(logger_ino));
}

#[test]
fn status_counts_and_reload_keeps_running() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let udp = format!("\tlist udp '127.0.0.1:{port}'\n\tlist udp_allow '10.0.0.0/8'\n");
    let s = Setup::new("status", &udp);
    let (code, _) = s.status(false);
    assert_eq!(code, 2, "no daemon yet");

    let mut child = s.start(&[]);
    assert!(poll(ms(5000), || s.control.exists()), "{}", s.stderr());
    let client = UnixDatagram::unbound().unwrap();
    for _ in 0..3 {
        client.send_to(b"<13>counted", &s.socket).unwrap();
    }
    let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    u.send_to(b"<13>denied", ("127.0.0.1", port)).unwrap();
    assert!(
        poll(ms(3000), || {
            let (_, j) = s.status(true);
            input_num(&j, "unix:", "received") == Some(3)
                && input_num(&j, "udp:", "denied") == Some(1)
        }),
        "{}",
        s.status(true).1
    );
    let (code, text) = s.status(false);
    assert_eq!(code, 0);
    assert!(text.contains("takeover owner"), "{text}");

    // A broken file on SIGHUP: refused, logged with file:line, the daemon keeps running.
    let good = fs::read_to_string(&s.config).unwrap();
    fs::write(&s.config, format!("{good}\toption max_message 'lots'\n")).unwrap();
    signal(&child, libc::SIGHUP);
    assert!(
        poll(ms(3000), || s.stderr().contains("reload refused")),
        "{}",
        s.stderr()
    );
    assert!(s.stderr().contains(&format!("{}:", s.config.display())));
    fs::write(&s.config, good).unwrap();
    let (code, j) = s.status(true);
    assert_eq!(code, 0);
    assert_eq!(daemon_num(&j, "reload_errors"), Some(1), "{j}");

    signal(&child, libc::SIGUSR1);
    assert!(
        poll(ms(3000), || s.stderr().contains("status: inputs:")),
        "{}",
        s.stderr()
    );
    signal(&child, libc::SIGINT);
    assert_eq!(wait_exit(&mut child), Some(0));
}

#[test]
fn exit_codes_for_bad_config_and_bind_failure() {
    let s = Setup::new("codes", "");
    fs::write(
        &s.config,
        "config logtrigger 'global'\n\toption takeover 'maybe'\n",
    )
    .unwrap();
    let mut c = s.start(&[]);
    assert_eq!(wait_exit(&mut c), Some(1));

    let s = Setup::new("codes2", "");
    fs::write(
        &s.config,
        format!(
            "config logtrigger 'global'\n\toption socket '{}/missing/dir/log'\n\toption control '{}'\n\tlist udp 'none'\n",
            s.dir.display(),
            s.control.display()
        ),
    )
    .unwrap();
    let mut c = s.start(&[]);
    assert_eq!(wait_exit(&mut c), Some(2));
    assert!(s.stderr().contains("missing/dir/log"), "{}", s.stderr());
}

#[test]
fn logger_message_runs_the_rule_script() {
    let s = Setup::new("script", "");
    let out = s.dir.join("env.out");
    let script = s.dir.join("record.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nenv | grep '^LT_' | sort > {}.tmp && mv {0}.tmp {0}\n",
            out.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    s.write_config(&format!(
        "\nconfig rule\n\toption name 'bad_pw'\n\toption pattern 'Bad password for %s from %s'\n\
         \toption fields 'user ip'\n\toption key 'ip'\n\toption maxfail '2'\n\toption time '60'\n\
         \toption script '{}'\n",
        script.display()
    ));
    let mut child = s.start(&[]);
    assert!(poll(ms(5000), || s.control.exists()), "{}", s.stderr());
    for _ in 0..2 {
        let ok = Command::new("logger")
            .args([
                "-u",
                s.socket.to_str().unwrap(),
                "-t",
                "dropbear",
                "-p",
                "authpriv.warning",
            ])
            .arg("Bad password for root from 192.0.2.7")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
    }
    assert!(
        poll(ms(5000), || out.exists()),
        "script did not run: {}",
        s.stderr()
    );
    let env = fs::read_to_string(&out).unwrap();
    for want in [
        "LT_name=bad_pw",
        "LT_ip=192.0.2.7",
        "LT_user=root",
        "LT_count=2",
        "LT_program=dropbear",
        "LT_facility=authpriv",
        "LT_severity=warning",
        "LT_source=unix",
    ] {
        assert!(env.lines().any(|l| l == want), "{want} missing in:\n{env}");
    }
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child), Some(0));
}
