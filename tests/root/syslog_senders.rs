//! Frames captured from real senders (util-linux `logger`, busybox `logger`, Python's
//! SysLogHandler, a C program using syslog(3)) on sockets this test owns, then parsed.
//!
//! Programs that only write `/dev/log` run in a private mount namespace (`unshare -m`) where a
//! temporary directory holding our socket is bind-mounted over `/dev`: the host's `/dev` is never
//! touched. A missing tool skips its test with a loud message (scripts/deps.sh installs them).

use logtrigger::syslog::{self, Format, Message};
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::shared::{have, temp_dir};

fn unix_socket(path: &Path) -> UnixDatagram {
    let sock = UnixDatagram::bind(path).unwrap();
    // Bounded wait for a datagram the sender has already sent (the sender has exited).
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock
}

fn udp_socket() -> (UdpSocket, u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    (sock, port)
}

fn recv_unix(sock: &UnixDatagram) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let n = sock.recv(&mut buf).expect("a datagram from the sender");
    buf.truncate(n);
    buf
}

fn recv_udp(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let n = sock.recv(&mut buf).expect("a datagram from the sender");
    buf.truncate(n);
    buf
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `script` with `/dev` replaced by `dev` (holding our `log` socket) in a private mount
/// namespace; returns its stdout.
fn with_private_dev_log(dev: &Path, script: &str) -> String {
    std::fs::write(dev.join("null"), b"").unwrap();
    let d = dev.display();
    let setup = format!("mount --bind /dev/null {d}/null && mount --bind {d} /dev && {script}");
    run(Command::new("unshare").args(["-m", "sh", "-c", &setup]))
}

fn hostname() -> String {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    h.trim().to_string()
}

fn text(b: Option<&[u8]>) -> Option<&str> {
    b.map(|b| std::str::from_utf8(b).unwrap())
}

fn subject(m: &Message<'_>) -> Vec<u8> {
    let mut scratch = Vec::new();
    m.subject(&mut scratch).to_vec()
}

fn human(m: &Message<'_>) -> String {
    let mut out = Vec::new();
    m.human_line(&subject(m), 0, &mut out);
    String::from_utf8(out).unwrap()
}

/// The frame's own `Mmm dd hh:mm:ss` starts the human line.
fn assert_bsd_clock_kept(m: &Message<'_>) {
    let ts = text(m.timestamp).unwrap();
    let line = human(m);
    assert_eq!(&line[..3], &ts[..3], "{line} vs {ts}");
    assert_eq!(&line[7..15], &ts[7..15], "{line} vs {ts}");
}

#[test]
fn util_linux_logger_unix_socket() {
    if !have("logger") {
        return;
    }
    let dir = temp_dir("logger-unix");
    let path = dir.join("log");
    let sock = unix_socket(&path);
    let p = path.to_str().unwrap();

    run(Command::new("logger")
        .args(["-u", p, "-t", "lttest", "-p", "authpriv.warning"])
        .arg("Bad password attempt for 'root' from 192.168.1.5:51234"));
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164, "{frame:?}");
    assert_eq!((m.facility, m.severity), (Some(10), Some(4)));
    assert!(m.timestamp.is_some());
    assert_eq!(
        m.hostname, None,
        "local default format has no hostname: {frame:?}"
    );
    assert_eq!(text(m.app_name), Some("lttest"));
    assert_eq!(m.procid, None);
    assert_eq!(
        m.msg,
        b"Bad password attempt for 'root' from 192.168.1.5:51234"
    );
    assert_eq!(
        subject(&m),
        b"lttest: Bad password attempt for 'root' from 192.168.1.5:51234"
    );
    assert_bsd_clock_kept(&m);

    // -i: the logger's pid in the tag.
    run(Command::new("logger").args(["-u", p, "-t", "lttest", "-i", "with pid"]));
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(text(m.app_name), Some("lttest"));
    assert!(
        m.procid.unwrap().iter().all(u8::is_ascii_digit),
        "{frame:?}"
    );
    assert_eq!(m.msg, b"with pid");

    run(Command::new("logger").args(["-u", p, "--rfc3164", "-t", "lttest", "classic"]));
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164);
    assert_eq!((m.facility, m.severity), (Some(1), Some(5)));
    let short_host = hostname().split('.').next().unwrap().to_string();
    assert_eq!(text(m.hostname), Some(short_host.as_str()), "{frame:?}");
    assert_eq!(text(m.app_name), Some("lttest"));
    assert_eq!(m.msg, b"classic");
    assert!(human(&m).ends_with(&format!(" {short_host} lttest: classic")));

    run(Command::new("logger")
        .args(["-u", p, "--rfc5424", "-t", "lttest", "-i"])
        .args([
            "--msgid",
            "ID47",
            "--sd-id",
            "ex@32473",
            "--sd-param",
            r#"who="a \"b\" c\\d""#,
            "modern",
        ]));
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc5424, "{frame:?}");
    assert_eq!(
        (m.facility, m.severity, m.version),
        (Some(1), Some(5), Some(1))
    );
    assert_eq!(text(m.hostname), Some(hostname().as_str()));
    assert_eq!(text(m.app_name), Some("lttest"));
    assert!(m.procid.unwrap().iter().all(u8::is_ascii_digit));
    assert_eq!(text(m.msgid), Some("ID47"));
    let ids: Vec<_> = m.sd.unwrap().elements().map(|e| e.id).collect();
    assert!(ids.contains(&&b"timeQuality"[..]), "{frame:?}");
    let ex =
        m.sd.unwrap()
            .elements()
            .find(|e| e.id == b"ex@32473")
            .unwrap();
    let (name, raw) = ex.params().next().unwrap();
    assert_eq!(name, b"who");
    let mut value = Vec::new();
    syslog::unescape_into(raw, &mut value);
    assert_eq!(value, br#"a "b" c\d"#, "{frame:?}");
    assert_eq!(m.msg, b"modern");
    let expected = format!("lttest[{}]: modern", text(m.procid).unwrap());
    assert_eq!(subject(&m), expected.as_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn util_linux_logger_udp() {
    if !have("logger") {
        return;
    }
    let (sock, port) = udp_socket();
    let port = port.to_string();
    let udp = ["-d", "-n", "127.0.0.1", "-P", &port, "-t", "lttest"];
    run(Command::new("logger")
        .args(udp)
        .args(["-p", "local3.err", "over udp"]));
    let frame = recv_udp(&sock);
    let m = syslog::parse(&frame);
    // util-linux defaults to RFC5424 on the network.
    assert_eq!(m.format, Format::Rfc5424, "{frame:?}");
    assert_eq!((m.facility, m.severity), (Some(19), Some(3)));
    assert!(m.timestamp.is_some());
    assert_eq!(text(m.hostname), Some(hostname().as_str()));
    assert_eq!(text(m.app_name), Some("lttest"));
    assert_eq!(m.msg, b"over udp");
    assert_eq!(subject(&m), b"lttest: over udp");

    run(Command::new("logger")
        .args(udp)
        .args(["--rfc3164", "old style"]));
    let frame = recv_udp(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164);
    assert!(m.hostname.is_some());
    assert_eq!(text(m.app_name), Some("lttest"));
    assert_eq!(m.msg, b"old style");
}

#[test]
fn busybox_logger_in_private_namespace() {
    if !have("busybox") || !have("unshare") {
        return;
    }
    let dir = temp_dir("busybox");
    let dev = dir.join("dev");
    std::fs::create_dir(&dev).unwrap();
    let sock = unix_socket(&dev.join("log"));
    let script = r#"busybox logger -t dropbear -p authpriv.warning "Bad password attempt for 'root' from 10.1.2.3:4444""#;
    with_private_dev_log(&dev, script);
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164, "{frame:?}");
    assert_eq!((m.facility, m.severity), (Some(10), Some(4)));
    assert!(m.timestamp.is_some());
    assert_eq!(m.hostname, None);
    assert_eq!(text(m.app_name), Some("dropbear"));
    assert_eq!(m.msg, b"Bad password attempt for 'root' from 10.1.2.3:4444");
    assert_bsd_clock_kept(&m);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn c_syslog3_in_private_namespace() {
    if !have("gcc") || !have("unshare") {
        return;
    }
    let dir = temp_dir("c-syslog");
    let src = dir.join("send.c");
    let bin = dir.join("send");
    std::fs::write(
        &src,
        r#"#include <stdio.h>
#include <syslog.h>
#include <unistd.h>
int main(void) {
    printf("%d\n", (int)getpid());
    fflush(stdout);
    openlog("ctest", LOG_PID, LOG_AUTHPRIV);
    syslog(LOG_WARNING, "Failed password for %s from %s port %d", "root", "10.0.0.9", 22);
    closelog();
    return 0;
}
"#,
    )
    .unwrap();
    run(Command::new("gcc").arg("-o").arg(&bin).arg(&src));
    let dev = dir.join("dev");
    std::fs::create_dir(&dev).unwrap();
    let sock = unix_socket(&dev.join("log"));
    let pid = with_private_dev_log(&dev, &format!("exec {}", bin.display()));
    let frame = recv_unix(&sock);
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164, "{frame:?}");
    assert_eq!((m.facility, m.severity), (Some(10), Some(4)));
    assert!(m.timestamp.is_some());
    assert_eq!(m.hostname, None);
    assert_eq!(text(m.app_name), Some("ctest"));
    assert_eq!(text(m.procid), Some(pid.trim()));
    assert_eq!(m.msg, b"Failed password for root from 10.0.0.9 port 22");
    let expected = format!(
        "ctest[{}]: Failed password for root from 10.0.0.9 port 22",
        pid.trim()
    );
    assert_eq!(subject(&m), expected.as_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn python_sysloghandler_unix_and_udp() {
    if !have("python3") {
        return;
    }
    let dir = temp_dir("python");
    let path = dir.join("log");
    let sock = unix_socket(&path);
    let (udp, port) = udp_socket();
    let script = format!(
        r#"
import logging, logging.handlers, os
plain = logging.getLogger("plain")
plain.addHandler(logging.handlers.SysLogHandler(address={path:?}))
plain.warning("py unix default")
plain.handlers[0].close()
tagged = logging.getLogger("tagged")
h = logging.handlers.SysLogHandler(address=("127.0.0.1", {port}),
        facility=logging.handlers.SysLogHandler.LOG_AUTH)
h.setFormatter(logging.Formatter("pyapp[%(process)d]: %(message)s"))
tagged.addHandler(h)
tagged.error("login failed for bob")
h.close()
print(os.getpid())
"#,
        path = path.to_str().unwrap()
    );
    let pid = run(Command::new("python3").arg("-c").arg(script));

    let frame = recv_unix(&sock);
    assert!(frame.ends_with(b"\0"), "Python appends a NUL: {frame:?}");
    let m = syslog::parse(&frame);
    assert_eq!(m.format, Format::Rfc3164);
    assert_eq!((m.facility, m.severity), (Some(1), Some(4)));
    assert_eq!((m.timestamp, m.hostname, m.app_name), (None, None, None));
    assert_eq!(m.msg, b"py unix default");
    assert_eq!(subject(&m), b"py unix default");
    // No timestamp: the human line uses the receive time (epoch 0 here) and the subject.
    assert!(human(&m).ends_with(":00 py unix default"), "{}", human(&m));

    let frame = recv_udp(&udp);
    let m = syslog::parse(&frame);
    assert_eq!((m.facility, m.severity), (Some(4), Some(3)), "{frame:?}");
    assert_eq!(m.timestamp, None);
    assert_eq!(text(m.app_name), Some("pyapp"));
    assert_eq!(text(m.procid), Some(pid.trim()));
    assert_eq!(m.msg, b"login failed for bob");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// util-linux `logger -T` over TCP, with octet counting and with LF framing: three messages
/// on one connection, deframed (in small reads) and parsed.
#[test]
fn util_linux_logger_tcp_deframed() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::process::Stdio;
    if !have("logger") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    for framing in [&["--octet-count"][..], &[]] {
        let mut child = Command::new("logger")
            .args(["-T", "-n", "127.0.0.1", "-P", &port, "-t", "tcpt"])
            .args(framing)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"first line\nsecond line\nthird 12 line\n")
            .unwrap();
        drop(stdin);
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        assert!(child.wait().unwrap().success());
        let mut deframer = syslog::deframe::Deframer::new(8192);
        let mut msgs = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = conn.read(&mut buf).expect("read within the timeout");
            if n == 0 {
                break;
            }
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                rest = &rest[deframer.push(rest)..];
                if let Some(frame) = deframer.pop() {
                    let m = syslog::parse(frame);
                    assert_eq!(m.format, Format::Rfc5424, "{frame:?}");
                    assert_eq!(text(m.app_name), Some("tcpt"));
                    msgs.push(m.msg.to_vec());
                }
            }
        }
        assert!(deframer.finish().is_none(), "{framing:?}");
        assert_eq!(
            msgs,
            [&b"first line"[..], b"second line", b"third 12 line"],
            "{framing:?}"
        );
    }
}
