//! A daemon nothing can hang (SPEC §2, §9): a rule's file replaced by a FIFO or a symlink to a
//! device, a regular file at the control path, a status report of thousands of rules. Runs the
//! real binary in private temp directories.

mod common;

use common::*;
use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is NUL-terminated and outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

fn append(path: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn file_rule(path: &Path) -> String {
    format!(
        "\nconfig rule\n\toption name 'tail'\n\toption pattern 'bad login from %s'\n\
         \toption file '{}'\n",
        path.display()
    )
}

fn parse(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("invalid JSON ({e}): {json:.300}"))
}

/// The `file:` input's entry in a status report.
fn file_input(v: &serde_json::Value) -> serde_json::Value {
    v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"].as_str().is_some_and(|n| n.starts_with("file:")))
        .cloned()
        .unwrap()
}

#[test]
fn a_fifo_in_place_of_the_file_does_not_hang_the_daemon() {
    let s = Setup::new("fifo", "");
    let path = s.dir.join("app.log");
    mkfifo(&path);
    s.write_config(&file_rule(&path));
    let mut d = s.start_ready(&[]);
    assert!(
        wait_for(5000, || s
            .stderr()
            .contains("is a FIFO, not a regular file")),
        "{}",
        s.stderr()
    );
    // A writer on the FIFO: the daemon never opened it, so it is not read (and never blocks).
    let fifo_writer = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path);
    assert!(fifo_writer.is_err(), "no reader holds the FIFO open");
    assert_eq!(s.status(false).0, 0);

    // Replaced by a regular file: tailed from its start on the next directory event.
    let tmp = s.dir.join("app.log.new");
    fs::write(&tmp, "bad login from 192.0.2.1\n").unwrap();
    fs::rename(&tmp, &path).unwrap();
    assert!(
        wait_for(5000, || rule_num(&s.json(), "tail", "matches") == Some(1)),
        "{}",
        s.json()
    );

    // Replaced by a FIFO while it is tailed: still answering, the next file is read again.
    let fifo = s.dir.join("fifo2");
    mkfifo(&fifo);
    fs::rename(&fifo, &path).unwrap();
    append(&s.dir.join("poke"), "x\n"); // one more event in the directory
    assert!(wait_for(5000, || s.stderr().matches("is a FIFO").count() >= 2));
    assert_eq!(s.status(true).0, 0);
    fs::write(&tmp, "bad login from 192.0.2.2\n").unwrap();
    fs::rename(&tmp, &path).unwrap();
    assert!(
        wait_for(5000, || rule_num(&s.json(), "tail", "matches") == Some(2)),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}

#[test]
fn a_symlink_to_dev_zero_is_never_read() {
    let s = Setup::new("zero", "");
    let path = s.dir.join("app.log");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    s.write_config(&file_rule(&path));
    let mut d = s.start_ready(&[]);
    assert!(
        wait_for(5000, || s.stderr().contains("is a symbolic link")),
        "{}",
        s.stderr()
    );
    // Events in the directory make the daemon look at the path again; it still does not read.
    for i in 0..5 {
        append(&s.dir.join("other"), &format!("{i}\n"));
    }
    assert!(wait_for(2000, || s.json().contains("\"name\":\"file:")));
    let v = parse(&s.json());
    let input = file_input(&v);
    assert_eq!(input["received"], 0, "{input}");
    assert_eq!(input["truncated"], 0, "{input}");
    assert_eq!(input["errors"], 1, "reported once: {input}");
    assert_eq!(s.stderr().matches("is a symbolic link").count(), 1);

    // The link replaced by a regular file: tailed.
    fs::remove_file(&path).unwrap();
    append(&path, "bad login from 192.0.2.9\n");
    assert!(
        wait_for(5000, || rule_num(&s.json(), "tail", "matches") == Some(1)),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}

#[test]
fn a_file_that_appears_later_is_tailed() {
    let s = Setup::new("later", "");
    let path = s.dir.join("app.log");
    s.write_config(&file_rule(&path));
    let mut d = s.start_ready(&[]);
    append(
        &path,
        "bad login from 192.0.2.1\nbad login from 192.0.2.2\n",
    );
    assert!(
        wait_for(5000, || rule_num(&s.json(), "tail", "matches") == Some(2)),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}

#[test]
fn a_huge_append_is_read_in_bounded_turns_and_whole() {
    let s = Setup::new("huge", "");
    let path = s.dir.join("app.log");
    fs::write(&path, "").unwrap();
    s.write_config(&file_rule(&path));
    let mut d = s.start_ready(&[]);
    // 4 MiB in one write: many turns of 64 KiB; status answers between them and every line
    // is read.
    let line = format!("bad login from 192.0.2.1 {}\n", "x".repeat(100));
    let lines = 4 * 1024 * 1024 / line.len();
    append(&path, &line.repeat(lines));
    assert_eq!(s.status(false).0, 0);
    assert!(
        wait_for(20_000, || rule_num(&s.json(), "tail", "matches")
            == Some(lines as u64)),
        "{}",
        s.json()
    );
    stop(&mut d, &s);
}

#[test]
fn a_regular_file_at_the_control_path_is_an_error_and_left_alone() {
    let s = Setup::new("ctlfile", "");
    fs::write(&s.control, "precious\n").unwrap();
    let mut d = s.start(&[]);
    assert_eq!(wait_exit(&mut d), Some(2), "{}", s.stderr());
    assert!(
        s.stderr()
            .contains("is a regular file, not a socket; left alone"),
        "{}",
        s.stderr()
    );
    assert_eq!(fs::read_to_string(&s.control).unwrap(), "precious\n");

    fs::remove_file(&s.control).unwrap();
    fs::create_dir(&s.control).unwrap();
    let mut d = s.start(&[]);
    assert_eq!(wait_exit(&mut d), Some(2), "{}", s.stderr());
    assert!(s.stderr().contains("is a directory, not a socket"));
    assert!(s.control.is_dir());
}

#[test]
fn status_of_three_thousand_rules_is_whole_in_text_and_json() {
    let s = Setup::new("many", "");
    let mut extra = String::new();
    for i in 0..3000 {
        extra.push_str(&format!(
            "\nconfig rule\n\toption name 'rule_{i:04}_with_a_long_name'\n\
             \toption pattern 'failure {i} from %s'\n"
        ));
    }
    s.write_config(&extra);
    let mut d = s.start_ready(&[]);
    s.send(b"<13>app: failure 2999 from 192.0.2.1");
    assert!(wait_for(5000, || rule_num(
        &s.json(),
        "rule_2999_with_a_long_name",
        "matches"
    ) == Some(1)));

    let (code, json) = s.status(true);
    assert_eq!(code, 0);
    assert!(json.len() > 300_000, "{} bytes", json.len());
    let v = parse(&json);
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3000);
    assert_eq!(rules[0]["name"], "rule_0000_with_a_long_name");
    assert_eq!(rules[2999]["matches"], 1);

    let (code, text) = s.status(false);
    assert_eq!(code, 0);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("rules:")).collect();
    assert_eq!(lines.len(), 3000);
    assert!(
        lines[2999].contains("rule_2999_with_a_long_name"),
        "{}",
        lines[2999]
    );
    stop(&mut d, &s);
}

#[test]
fn check_refuses_a_configuration_that_could_exhaust_memory() {
    let s = Setup::new("memory", "");
    s.write_config(
        "\nconfig rule\n\toption name 'huge'\n\toption pattern 'bad login from %s'\n\
         \toption max_keys '1000000'\n\toption maxfail '10000'\n\toption time '600'\n",
    );
    let out = std::process::Command::new(BIN)
        .arg("check")
        .arg("-c")
        .arg(&s.config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    let want = format!(
        "{}:7: rule 'huge' needs up to 74.5 GiB for its key table (max_keys 1000000 × maxfail 10000)",
        s.config.display()
    );
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("above the memory limit of 16.0 MiB"), "{err}");
    // The daemon refuses it at start the same way, before allocating anything.
    let mut d = s.start(&[]);
    assert_eq!(wait_exit(&mut d), Some(1), "{}", s.stderr());
    assert!(s.stderr().contains(&want), "{}", s.stderr());
}

/// A network namespace of its own, deleted when dropped.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("lt-{tag}-{}", std::process::id());
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &name])
            .output();
        run(&["ip", "netns", "add", &name]);
        let ns = Netns(name);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    fn exec(&self, cmd: &[&str]) {
        let mut full = vec!["ip", "netns", "exec", &self.0];
        full.extend_from_slice(cmd);
        run(&full);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .output();
    }
}

fn run(cmd: &[&str]) {
    let out = std::process::Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_udp_address_configured_after_start_is_bound_and_receives() {
    if !have("ip") || !have("logger") {
        return;
    }
    let ns = Netns::new("freebind");
    let s = Setup::new("freebind", "");
    s.write_config(
        "\tlist udp '10.99.0.1:5514'\n\tlist udp '[fd99::1]:5514'\n\
         \nconfig rule\n\toption name 'remote'\n\toption pattern 'bad login from %s'\n\
         \toption source 'udp'\n",
    );
    // The daemon starts in the namespace before either address exists there.
    let log = fs::File::create(s.dir.join("stderr")).unwrap();
    let mut d = Daemon(
        std::process::Command::new("ip")
            .args(["netns", "exec", &ns.0, BIN, "-c"])
            .arg(&s.config)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    // The status client's abstract socket lives in a network namespace: ask from inside.
    let status = |json: bool| {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", &ns.0, BIN, "status", "-c"])
            .arg(&s.config);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        wait_for(10_000, || status(false).contains("udp:10.99.0.1:5514")),
        "{}",
        s.stderr()
    );
    let text = status(false);
    assert!(text.contains("udp:[fd99::1]:5514"), "{text}");

    // Then the addresses appear (netifd bringing the LAN up) and remote messages arrive.
    ns.exec(&["ip", "addr", "add", "10.99.0.1/24", "dev", "lo"]);
    ns.exec(&[
        "ip",
        "-6",
        "addr",
        "add",
        "fd99::1/128",
        "dev",
        "lo",
        "nodad",
    ]);
    for host in ["10.99.0.1", "fd99::1"] {
        ns.exec(&[
            "logger",
            "-d",
            "-n",
            host,
            "-P",
            "5514",
            "-t",
            "app",
            "bad login from x",
        ]);
    }
    assert!(
        wait_for(5000, || rule_num(&status(true), "remote", "matches")
            == Some(2)),
        "{}",
        status(true)
    );
    signal(&d, libc::SIGTERM);
    assert_eq!(wait_exit(&mut d), Some(0), "{}", s.stderr());
}

/// A UDP socket bound to `127.0.0.1:port` inside the network namespace `ns` (entered by a
/// thread of its own), with what it receives sent back over a channel.
fn collector_in(ns: &str, port: u16) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let f = fs::File::open(&path).unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: setns on an open namespace fd; only this thread changes namespace.
        assert_eq!(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }, 0);
        let sock = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        ready_tx.send(()).unwrap();
        let mut buf = [0u8; 2048];
        while let Ok(n) = sock.recv(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    ready.recv().unwrap();
    rx
}

#[test]
fn host_names_are_looked_up_off_the_loop_and_retried() {
    if !have("ip") || !have("unshare") || !have("mount") {
        return;
    }
    let ns = Netns::new("names");
    let s = Setup::new("names", "");
    // The daemon sees a hosts file of the test's own (a private mount namespace) and a name
    // server that refuses every query (nothing listens on port 53 in the new namespace).
    let hosts = s.dir.join("hosts");
    let resolv = s.dir.join("resolv.conf");
    fs::write(&hosts, "# nothing yet\n").unwrap();
    fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    s.write_config(
        "\tlist forward_udp 'collector.test:5515'\n\tlist ignoreip 'admin.test'\n\
         \nconfig rule\n\toption name 'login'\n\toption pattern 'bad login from %s'\n",
    );
    let script = format!(
        "mount --bind {} /etc/hosts && mount --bind {} /etc/resolv.conf && exec {BIN} -c {}",
        hosts.display(),
        resolv.display(),
        s.config.display()
    );
    let log = fs::File::create(s.dir.join("stderr")).unwrap();
    let mut d = Daemon(
        std::process::Command::new("ip")
            .args(["netns", "exec", &ns.0, "unshare", "-m", "sh", "-c", &script])
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let status = |json: bool| {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", &ns.0, BIN, "status", "-c"])
            .arg(&s.config);
        if json {
            c.arg("--json");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    // Unresolvable names: the daemon runs, warns, and answers.
    for want in [
        "forward_udp 'collector.test': cannot resolve host",
        "ignoreip 'admin.test': cannot resolve host",
    ] {
        assert!(
            wait_for(10_000, || s.stderr().contains(want)),
            "{}",
            s.stderr()
        );
    }
    assert!(status(false).contains("rules: name login"));
    s.send(b"<13>app: bad login from 10.0.0.5");
    assert!(wait_for(5000, || rule_num(
        &status(true),
        "login",
        "matches"
    ) == Some(1)));
    assert_eq!(rule_num(&status(true), "login", "ignored"), Some(0));

    // The names appear (written in place: the bind mount keeps the inode); the next retry
    // finds them.
    let received = collector_in(&ns.0, 5515);
    fs::write(&hosts, "127.0.0.1 collector.test\n10.0.0.5 admin.test\n").unwrap();
    for want in [
        "forward_udp 'collector.test': resolved",
        "ignoreip 'admin.test': resolved",
    ] {
        assert!(
            wait_for(20_000, || s.stderr().contains(want)),
            "{}",
            s.stderr()
        );
    }
    s.send(b"<13>app: bad login from 10.0.0.5");
    assert!(
        wait_for(5000, || rule_num(&status(true), "login", "ignored")
            == Some(1)),
        "{}",
        status(true)
    );
    let frame = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(frame, b"<13>app: bad login from 10.0.0.5");
    // Every name found: the lookup thread has ended.
    let threads = || {
        fs::read_to_string(format!("/proc/{}/status", d.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Threads:").map(|n| n.trim().to_string()))
    };
    assert!(
        wait_for(5000, || threads().as_deref() == Some("1")),
        "{:?}",
        threads()
    );

    // A reload looks the names up again and applies them without duplicating the collector.
    signal(&d, libc::SIGHUP);
    assert!(wait_for(5000, || num(
        &status(true),
        "\"daemon\":{",
        "reloads"
    ) == Some(1)));
    assert!(wait_for(5000, || threads().as_deref() == Some("1")));
    // One turn of the loop after the thread's results were waiting: they are applied.
    let _ = status(false);
    s.send(b"<13>app: bad login from 10.0.0.5");
    assert!(wait_for(5000, || rule_num(
        &status(true),
        "login",
        "ignored"
    ) == Some(2)));
    let v = parse(&status(true));
    let collectors = v["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "udp:127.0.0.1:5515")
        .count();
    assert_eq!(collectors, 1, "{v}");
    signal(&d, libc::SIGTERM);
    assert_eq!(wait_exit(&mut d), Some(0), "{}", s.stderr());
}

#[test]
fn a_fifo_at_the_config_path_never_blocks_a_reload() {
    let s = Setup::new("config-fifo", "");
    let mut d = s.start_ready(&[]);
    fs::remove_file(&s.config).unwrap();
    mkfifo(&s.config);
    signal(&d, libc::SIGHUP);
    assert!(
        wait_for(5000, || s.stderr().contains("reload refused")),
        "{}",
        s.stderr()
    );
    assert!(s.stderr().contains("not a regular file"), "{}", s.stderr());
    // The loop still runs: the old configuration answers (asked through the socket directly:
    // `status` would read the FIFO too, and wait).
    let text = logtrigger::daemon::control::query(
        &s.control,
        logtrigger::daemon::control::Format::Text,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    assert!(text.contains("reload_errors 1"), "{text}");
    signal(&d, libc::SIGTERM);
    assert_eq!(wait_exit(&mut d), Some(0), "{}", s.stderr());
}
