//! Real syslog clients reach the rules of the running daemon (SPEC §2, §4, §7): Python's
//! SysLogHandler over the unix socket and UDP, util-linux `logger --rfc5424` over both, and
//! busybox `logger` writing `/dev/log` inside a private mount namespace where our socket is
//! bind-mounted over `/dev` (the host's `/dev/log` is never touched). The rule's script dumps
//! its environment; each test checks it variable by variable.

use crate::shared::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Client {
    s: Setup,
    out: PathBuf,
    port: u16,
}

fn client(name: &str) -> Client {
    let port = free_udp_port();
    let s = Setup::with_socket(name, "dev/log", "");
    let out = s.dir.join("env");
    let script = s.env_script("env.sh", &out);
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n\
         \nconfig rule\n\toption name 'bad_pw'\n\toption source 'unix udp'\n\
         \toption pattern 'Bad password for %s from %s'\n\toption fields 'user ip'\n\
         \toption key 'ip'\n\toption bantime '600'\n\toption script '{}'\n",
        script.display()
    ));
    Client { s, out, port }
}

fn run(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hostname() -> String {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    h.trim().to_string()
}

/// What one client must have produced.
struct Want<'a> {
    ip: &'a str,
    pid: &'a str,
    host: &'a str,
    source: &'a str,
}

/// Waits for the script's environment and checks it variable by variable.
fn check(c: &Client, w: Want<'_>) {
    assert!(
        poll(ms(10_000), || c.out.exists()),
        "the script did not run: {}",
        c.s.stderr()
    );
    let env = read_env(&c.out);
    let string = format!("Bad password for root from {}", w.ip);
    let exact: BTreeMap<&str, &str> = [
        ("LT_name", "bad_pw"),
        ("LT_pattern", "Bad password for %s from %s"),
        ("LT_string", &string),
        ("LT_user", "root"),
        ("LT_ip", w.ip),
        ("LT_key", w.ip),
        ("LT_count", "1"),
        ("LT_program", "dropbear"),
        ("LT_pid", w.pid),
        ("LT_host", w.host),
        ("LT_facility", "authpriv"),
        ("LT_severity", "warning"),
        ("LT_source", w.source),
        ("LT_generator", "syslog"),
        ("LT_bantime", "600"),
    ]
    .into_iter()
    .collect();
    for (k, v) in exact {
        assert_eq!(env.get(k).map(String::as_str), Some(v), "{k} in {env:#?}");
    }
    // `Mmm dd hh:mm:ss [HOST ]TAG[PID]: MSG`, as logread shows it.
    let host = if w.host.is_empty() {
        String::new()
    } else {
        format!("{} ", regex::escape(w.host))
    };
    let pid = if w.pid.is_empty() {
        String::new()
    } else {
        format!(r"\[{}\]", w.pid)
    };
    let line = format!(
        r"^[A-Z][a-z]{{2}} [ 123]\d \d\d:\d\d:\d\d {host}dropbear{pid}: {}$",
        regex::escape(&string)
    );
    let message = env.get("LT_message").cloned().unwrap_or_default();
    assert!(
        regex::Regex::new(&line).unwrap().is_match(&message),
        "LT_message {message:?} !~ {line}"
    );
    let date = regex::Regex::new(r"^\d{4}/\d\d/\d\d$").unwrap();
    let time = regex::Regex::new(r"^\d\d:\d\d:\d\d$").unwrap();
    assert!(date.is_match(&env["LT_date"]), "{env:#?}");
    assert!(time.is_match(&env["LT_time"]), "{env:#?}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t: i64 = env["LT_datetime"].parse().unwrap();
    assert!((now - t).abs() < 300, "LT_datetime {t}, now {now}");
}

const PY: &str = r#"
import logging, logging.handlers, sys
addr = sys.argv[1] if sys.argv[2] == "unix" else ("127.0.0.1", int(sys.argv[1]))
h = logging.handlers.SysLogHandler(address=addr, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
h.ident = "dropbear[" + sys.argv[3] + "]: "
log = logging.getLogger("lt")
log.propagate = False
log.addHandler(h)
log.warning("Bad password for root from " + sys.argv[4])
h.close()
"#;

#[test]
fn python_syslog_handler_unix() {
    if !have("python3") {
        return;
    }
    let c = client("py-unix");
    let mut d = c.s.start_ready(&[]);
    let sock = c.s.socket.to_str().unwrap();
    run(Command::new("python3").args(["-c", PY, sock, "unix", "77", "192.0.2.1"]));
    check(
        &c,
        Want {
            ip: "192.0.2.1",
            pid: "77",
            host: "",
            source: "unix",
        },
    );
    stop(&mut d, &c.s);
}

#[test]
fn python_syslog_handler_udp() {
    if !have("python3") {
        return;
    }
    let c = client("py-udp");
    let mut d = c.s.start_ready(&[]);
    let port = c.port.to_string();
    run(Command::new("python3").args(["-c", PY, &port, "udp", "78", "192.0.2.2"]));
    check(
        &c,
        Want {
            ip: "192.0.2.2",
            pid: "78",
            host: "",
            source: "udp:127.0.0.1",
        },
    );
    stop(&mut d, &c.s);
}

#[test]
fn util_linux_logger_rfc5424_unix() {
    if !have("logger") {
        return;
    }
    let c = client("logger-unix");
    let mut d = c.s.start_ready(&[]);
    let sock = c.s.socket.to_str().unwrap();
    run(Command::new("logger").args([
        "--rfc5424",
        "-u",
        sock,
        "-t",
        "dropbear",
        "--id=4242",
        "-p",
        "authpriv.warning",
        "Bad password for root from 192.0.2.3",
    ]));
    check(
        &c,
        Want {
            ip: "192.0.2.3",
            pid: "4242",
            host: &hostname(),
            source: "unix",
        },
    );
    stop(&mut d, &c.s);
}

#[test]
fn util_linux_logger_rfc5424_udp() {
    if !have("logger") {
        return;
    }
    let c = client("logger-udp");
    let mut d = c.s.start_ready(&[]);
    let port = c.port.to_string();
    run(Command::new("logger").args([
        "-d",
        "-n",
        "127.0.0.1",
        "-P",
        &port,
        "--rfc5424",
        "-t",
        "dropbear",
        "--id=4243",
        "-p",
        "authpriv.warning",
        "Bad password for root from 192.0.2.4",
    ]));
    check(
        &c,
        Want {
            ip: "192.0.2.4",
            pid: "4243",
            host: &hostname(),
            source: "udp:127.0.0.1",
        },
    );
    stop(&mut d, &c.s);
}

#[test]
fn busybox_logger_in_private_namespace() {
    if !have("busybox") || !have("unshare") {
        return;
    }
    let c = client("busybox");
    let mut d = c.s.start_ready(&[]);
    let dev = c.s.socket.parent().unwrap();
    std::fs::write(dev.join("null"), b"").unwrap();
    let dev = dev.display();
    // Inside the namespace only: /dev is our directory, so /dev/log is the daemon's socket.
    let script = format!(
        "mount --bind /dev/null {dev}/null && mount --bind {dev} /dev && \
         busybox logger -t dropbear -p authpriv.warning 'Bad password for root from 192.0.2.5'"
    );
    let host_dev_log = ino(std::path::Path::new("/dev/log"));
    run(Command::new("unshare").args(["-m", "sh", "-c", &script]));
    assert_eq!(
        ino(std::path::Path::new("/dev/log")),
        host_dev_log,
        "the host's /dev/log is untouched"
    );
    check(
        &c,
        Want {
            ip: "192.0.2.5",
            pid: "",
            host: "",
            source: "unix",
        },
    );
    stop(&mut d, &c.s);
}
