//! logtrigger inline in front of OpenWrt's real `logd` (built from unmodified sources by
//! shared/tools/openwrt-build.sh): nothing is lost under a burst, the logger's socket keeps its
//! mode over restarts, a crash heals, a hung logger holds senders only for `forward_wait`, the
//! bytes logread shows are the same with and without logtrigger, and /dev/log is handed back
//! before scripts are waited for. Beside it, a stand-in logger that takes 1 ms per message
//! (in a temp directory) gets every message too.
//!
//! Each test runs its own ubusd and logd in a private mount namespace (a tmpfs over /dev with
//! links to the real entries, a FIFO over /proc/kmsg, a tmpfs over /var/run for ubus): the host's
//! /dev/log, kernel log and ubus are never touched. The test reaches the namespace's /dev/log
//! through /proc/PID/root and runs logread, logger and logtrigger inside it with nsenter.
//! Needs root and util-linux (unshare, nsenter, setpriv, logger).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::shared::{
    BIN, daemon_num, entry, forward_num, input_num, openwrt_prefix, parse_status, poll, temp_dir,
    text,
};
use serde_json::Value;

/// How long any condition is awaited.
const LIMIT: Duration = Duration::from_secs(20);

/// The private mount namespace with its own ubusd and logd, and logtrigger when started.
struct Sandbox {
    dir: PathBuf,
    prefix: PathBuf,
    /// Holds the namespace (a `sleep` inside it).
    holder: Child,
    ubusd: Option<Child>,
    logd: Option<Child>,
    lt: Option<Child>,
    /// Distinguishes the output files of successive logd and logtrigger runs.
    runs: usize,
}

/// The namespace's setup, run by `sh` under `unshare -m`; `$1` is the scratch directory.
const SETUP: &str = r#"set -eu
d=$1
mount --make-rprivate /
mkdir -p "$d/stage"
mount --rbind /dev "$d/stage"
mount -t tmpfs -o mode=0755,size=64k lt-logd-dev /dev
for e in "$d"/stage/* "$d"/stage/.[!.]*; do
	[ -e "$e" ] || [ -L "$e" ] || continue
	ln -s "$e" "/dev/${e##*/}"
done
rm -f /dev/log /dev/log.logd
mkfifo "$d/kmsg"
mount --bind "$d/kmsg" /proc/kmsg
mount -t tmpfs -o mode=0755,size=1m lt-logd-run /var/run
mkdir -p /var/run/ubus
exec 3<>"$d/kmsg"
: >"$d/ready"
exec sleep 100000
"#;

impl Sandbox {
    /// A namespace with ubusd and logd running; `None` (loudly) when OpenWrt's tools cannot be
    /// built here.
    fn new(name: &str) -> Option<Sandbox> {
        if std::env::var_os("LT_CROSS").is_some() {
            eprintln!("skipped under qemu: runs the host's logd in a mount namespace");
            return None;
        }
        let Some(prefix) = openwrt_prefix() else {
            eprintln!("!!!!! SKIPPING: OpenWrt's logd could not be built !!!!!");
            return None;
        };
        let dir = temp_dir(&format!("logd-{name}"));
        let holder = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", SETUP, "sh"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("setup.err")).unwrap())
            .spawn()
            .expect("unshare");
        let mut s = Sandbox {
            dir,
            prefix,
            holder,
            ubusd: None,
            logd: None,
            lt: None,
            runs: 0,
        };
        assert!(
            poll(LIMIT, || s.dir.join("ready").exists()),
            "namespace setup failed: {}",
            fs::read_to_string(s.dir.join("setup.err")).unwrap_or_default()
        );
        let ubusd = s.spawn("ubusd", &[s.tool("ubusd").as_os_str()]);
        s.ubusd = Some(ubusd);
        assert!(
            poll(LIMIT, || s.root(&s.var_run("ubus/ubus.sock")).exists()),
            "ubusd did not start"
        );
        s.start_logd();
        Some(s)
    }

    /// `/var/run/NAME` without symlinks (`/run/NAME` on Debian): a symlink met under
    /// /proc/PID/root would lead back to the test's own root.
    fn var_run(&self, name: &str) -> String {
        let run = fs::canonicalize("/var/run").unwrap_or_else(|_| PathBuf::from("/var/run"));
        format!("{}/{name}", run.display())
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.prefix.join("sbin").join(name)
    }

    /// `path` inside the namespace, as seen from the test.
    fn root(&self, path: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{path}", self.holder.id()))
    }

    /// A command run inside the namespace.
    fn ns(&self, args: &[&std::ffi::OsStr]) -> Command {
        let mut c = Command::new("nsenter");
        c.arg("-t")
            .arg(self.holder.id().to_string())
            .args(["-m", "--"])
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// A command run to completion inside the namespace, killed after `LIMIT`.
    fn ns_bounded(&self, args: &[&std::ffi::OsStr]) -> Command {
        let mut c = Command::new("timeout");
        c.arg(LIMIT.as_secs().to_string())
            .arg("nsenter")
            .arg("-t")
            .arg(self.holder.id().to_string())
            .args(["-m", "--"])
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Starts a process inside the namespace (nsenter execs it: the child is the process);
    /// its output goes to `NAME.N.out`.
    fn spawn(&mut self, name: &str, args: &[&std::ffi::OsStr]) -> Child {
        self.runs += 1;
        let out = fs::File::create(self.dir.join(format!("{name}.{}.out", self.runs))).unwrap();
        self.ns(args)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"))
    }

    fn start_logd(&mut self) {
        let logd = self.tool("logd");
        let child = self.spawn("logd", &[logd.as_os_str(), "-S".as_ref(), "4096".as_ref()]);
        self.logd = Some(child);
        let ubus = self.tool("ubus");
        let out = self
            .ns_bounded(&[ubus.as_os_str(), "-t".as_ref(), "10".as_ref()])
            .args(["wait_for", "log"])
            .output()
            .unwrap();
        assert!(out.status.success(), "logd did not start: {}", text(&out));
    }

    fn logd_pid(&self) -> i32 {
        self.logd.as_ref().expect("logd runs").id() as i32
    }

    /// Stops logd (SIGTERM; SIGKILL if it has not exited within `LIMIT`) and reaps it.
    fn stop_logd(&mut self) {
        if let Some(mut c) = self.logd.take() {
            let pid = c.id() as i32;
            kill(pid, libc::SIGTERM);
            if !poll(LIMIT, || c.try_wait().ok().flatten().is_some()) {
                let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
                eprintln!("logd {pid} ignored SIGTERM (waiting in {wchan:?}): SIGKILL");
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }

    /// Writes the configuration (socket /dev/log, forward /dev/log.logd, control in the scratch
    /// directory, no UDP, then `extra`) and starts logtrigger; waits until it sits in front of
    /// logd.
    fn start_lt(&mut self, extra: &str) {
        let config = self.config();
        fs::write(
            &config,
            format!(
                "config logtrigger 'global'\n\toption socket '/dev/log'\n\
                 \toption forward '/dev/log.logd'\n\toption control '{}'\n\
                 \tlist udp 'none'\n{extra}",
                self.dir.join("ctl.sock").display()
            ),
        )
        .unwrap();
        let child = self.spawn(
            "logtrigger",
            &[BIN.as_ref(), "-c".as_ref(), config.as_os_str()],
        );
        self.lt = Some(child);
        assert!(
            poll(LIMIT, || parse_status(&self.status())["daemon"]["takeover"]
                == "inline"),
            "logtrigger did not take over: {}",
            self.status()
        );
    }

    fn config(&self) -> PathBuf {
        self.dir.join("logtrigger.conf")
    }

    /// `logtrigger status --json` (empty when it does not answer).
    fn status(&self) -> String {
        let out = Command::new(BIN)
            .args(["status", "--json", "-c"])
            .arg(self.config())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A counter of the forward to logd.
    fn forward_num(&self, key: &str) -> Option<u64> {
        self.forward(key).as_u64()
    }

    /// A field of the forward to logd (`Null` when the daemon does not answer).
    fn forward(&self, key: &str) -> Value {
        entry(&self.status(), "forwards", "target", "unix:/dev/log.logd")
            .map_or(Value::Null, |f| f[key].clone())
    }

    fn daemon_num(&self, key: &str) -> Option<u64> {
        daemon_num(&self.status(), key)
    }

    /// Every line logread shows now, as bytes.
    fn logread(&self) -> Vec<Vec<u8>> {
        let out = self
            .ns_bounded(&[self.tool("logread").as_os_str()])
            .output()
            .unwrap();
        assert!(out.status.success(), "logread: {}", text(&out));
        out.stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// Lines of logread that contain `marker`.
    fn count(&self, marker: &str) -> usize {
        let m = marker.as_bytes();
        self.logread()
            .iter()
            .filter(|l| l.windows(m.len()).any(|w| w == m))
            .count()
    }

    /// A blocking datagram socket connected to the namespace's /dev/log, as syslog(3) uses.
    /// (A send that blocks for `LIMIT` fails: a test never hangs on a socket nobody reads.)
    fn sender(&self) -> UnixDatagram {
        let s = UnixDatagram::unbound().unwrap();
        s.connect(self.root("/dev/log")).unwrap();
        s.set_write_timeout(Some(LIMIT)).unwrap();
        s
    }

    /// Sends `<13>tag: MARKER N` for N in 0..n over one blocking socket.
    fn burst(&self, marker: &str, n: usize) {
        let s = self.sender();
        for i in 0..n {
            s.send(format!("<13>burst: {marker} {i}").as_bytes())
                .unwrap();
        }
    }

    /// `senders` programs at once, each sending `each` short frames over its own
    /// blocking socket (as syslog(3) does), `<13>lt-burst-tag: MARKER S N …` (logd takes the
    /// 16 bytes after the PRI for a timestamp when a space follows them: the tag avoids that).
    fn burst_from(&self, marker: &str, senders: usize, each: usize) {
        let pad = "x".repeat(20);
        std::thread::scope(|scope| {
            for k in 0..senders {
                let s = self.sender();
                let pad = &pad;
                scope.spawn(move || {
                    for i in 0..each {
                        s.send(format!("<13>lt-burst-tag: {marker} {k} {i} {pad}").as_bytes())
                            .unwrap();
                    }
                });
            }
        });
    }

    /// Waits until logread shows `want` lines with `marker`, or nothing changes for a second;
    /// returns the count.
    fn settle(&self, marker: &str, want: usize) -> usize {
        let (mut last, mut same) = (usize::MAX, 0);
        let mut n = 0;
        poll(LIMIT, || {
            n = self.count(marker);
            same = if n == last { same + 1 } else { 0 };
            last = n;
            n >= want || same >= 20
        });
        n
    }

    /// Stops logtrigger with `sig` and reaps it; its exit status.
    fn stop_lt(&mut self, sig: i32) -> Option<std::process::ExitStatus> {
        let mut c = self.lt.take()?;
        kill(c.id() as i32, sig);
        Some(reap(&mut c, "logtrigger"))
    }

    fn lt_output(&self) -> String {
        (1..=self.runs)
            .filter_map(|i| fs::read_to_string(self.dir.join(format!("logtrigger.{i}.out"))).ok())
            .collect()
    }

    fn mode(&self, path: &str) -> u32 {
        fs::symlink_metadata(self.root(path)).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    fn ino(&self, path: &str) -> Option<u64> {
        fs::symlink_metadata(self.root(path)).ok().map(|m| m.ino())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for c in [self.lt.as_mut(), self.logd.as_mut(), self.ubusd.as_mut()]
            .into_iter()
            .flatten()
        {
            kill(c.id() as i32, libc::SIGCONT);
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Waits (at most `LIMIT`) for a signalled child to exit; SIGKILL and fail if it does not.
fn reap(c: &mut Child, what: &str) -> std::process::ExitStatus {
    let mut status = None;
    poll(LIMIT, || {
        status = c.try_wait().ok().flatten();
        status.is_some()
    });
    status.unwrap_or_else(|| {
        let _ = c.kill();
        let _ = c.wait();
        panic!("{what} did not exit within {LIMIT:?}")
    })
}

/// True while `pid` exists and is not a zombie.
fn running(pid: i32) -> bool {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state letter follows the command name's closing parenthesis.
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    matches!(state, Some(c) if c != 'Z' && c != 'X')
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: plain kill(2) on a child of this test.
    unsafe { libc::kill(pid, sig) };
}

#[test]
fn a_burst_reaches_logread_whole_as_without_logtrigger() {
    let Some(direct) = Sandbox::new("burst-direct") else {
        return;
    };
    direct.burst_from("direct", 4, 500);
    let without = direct.settle("direct", 2000);
    drop(direct);

    let Some(mut inline) = Sandbox::new("burst-inline") else {
        return;
    };
    inline.start_lt("");
    inline.burst_from("inline", 4, 500);
    let with = inline.settle("inline", 2000);
    assert_eq!(without, 2000, "logd alone");
    assert_eq!(
        with,
        without,
        "through logtrigger: {}\n{}",
        inline.status(),
        inline.lt_output()
    );
    assert_eq!(
        inline.forward_num("dropped"),
        Some(0),
        "{}",
        inline.status()
    );
    eprintln!(
        "measured: burst of 2000 in logread: {without} without, {with} with logtrigger (queued {:?})",
        inline.forward_num("queued")
    );
}

#[test]
fn logd_restarts_leave_its_socket_0666_and_non_root_logging_works_after_exit() {
    let Some(mut s) = Sandbox::new("restarts") else {
        return;
    };
    s.start_lt("");
    let mut slowest = Duration::ZERO;
    for round in 1..=20u64 {
        s.stop_logd();
        s.start_logd();
        let bound = std::time::Instant::now();
        assert!(
            poll(LIMIT, || s.daemon_num("takeovers") == Some(round + 1)),
            "round {round}: not taken over again: {}\n{}",
            s.status(),
            s.lt_output()
        );
        slowest = slowest.max(bound.elapsed());
        // The new logd gets what is sent through logtrigger (this also waits until logd runs
        // its loop: a SIGTERM before that is lost in logd's start-up).
        let marker = format!("round-{round}-ok");
        s.sender()
            .send(format!("<13>lt-round-tag: {marker}").as_bytes())
            .unwrap();
        assert_eq!(s.settle(&marker, 1), 1, "round {round}: {}", s.status());
        assert_eq!(
            s.mode("/dev/log.logd"),
            0o666,
            "round {round}: logd's socket"
        );
        assert_eq!(
            s.mode("/dev/log"),
            0o666,
            "round {round}: logtrigger's socket"
        );
    }
    eprintln!("measured: 20 logd restarts, each taken over within {slowest:?} of logd's bind");
    s.burst("after-restarts", 5);
    assert_eq!(s.settle("after-restarts", 5), 5);

    let status = s.stop_lt(libc::SIGTERM).expect("logtrigger ran");
    assert!(status.success(), "{status:?}: {}", s.lt_output());
    assert!(!s.root("/dev/log.logd").exists(), "handed back");
    assert_eq!(s.mode("/dev/log"), 0o666);
    let out = s
        .ns_bounded(&[
            "setpriv".as_ref(),
            "--reuid=65534".as_ref(),
            "--regid=65534".as_ref(),
            "--clear-groups".as_ref(),
            "logger".as_ref(),
            "-t".as_ref(),
            "nobody".as_ref(),
            "non-root after exit".as_ref(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.settle("non-root after exit", 1), 1);
}

#[test]
fn sigkill_and_restart_heals_the_takeover() {
    let Some(mut s) = Sandbox::new("sigkill") else {
        return;
    };
    s.start_lt("");
    s.stop_lt(libc::SIGKILL);
    // Left behind: our dead socket at /dev/log, logd's at /dev/log.logd.
    assert!(s.root("/dev/log.logd").exists());
    s.start_lt("");
    assert_eq!(s.daemon_num("healed"), Some(1), "{}", s.status());
    s.burst("healed", 10);
    assert_eq!(s.settle("healed", 10), 10, "{}", s.status());
}

#[test]
fn a_stopped_logd_holds_senders_for_forward_wait_then_rules_still_fire() {
    let Some(mut s) = Sandbox::new("sigstop") else {
        return;
    };
    let fired = s.dir.join("fired");
    let script = s.dir.join("fire.sh");
    fs::write(
        &script,
        format!("#!/bin/sh\necho \"$LT_who\" >>{}\n", fired.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    s.start_lt(&format!(
        "\toption forward_wait '2000'\n\nconfig rule 'probe'\n\toption pattern 'rule probe %s'\n\
         \toption fields 'who'\n\toption maxfail '1'\n\toption script '{}'\n",
        script.display()
    ));
    kill(s.logd_pid(), libc::SIGSTOP);
    // A sender of 200 frames: logd's queue, logtrigger's outbox and socket queue hold a few
    // dozen; the rest waits until logtrigger gives up on logd.
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = s.sender();
    let counter = Arc::clone(&sent);
    let t = std::thread::spawn(move || {
        for i in 0..200 {
            sender
                .send(format!("<13>burst: stopped {i}").as_bytes())
                .unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
        }
        sender.send(b"<13>sshd: rule probe mallory").unwrap();
    });
    // While logd takes nothing, the sender is held (logtrigger does not read /dev/log)...
    let t0 = std::time::Instant::now();
    let held = poll(LIMIT, || s.forward("held") == Value::Bool(true));
    let held_at = sent.load(Ordering::SeqCst);
    // ...then, logd still stopped, the sender goes through (bounded): senders resumed while
    // the logger was still hung, and the rule fired meanwhile.
    let through = poll(LIMIT, || t.is_finished());
    let held_for = t0.elapsed();
    let fired_while_stopped = poll(LIMIT, || fired.exists());
    kill(s.logd_pid(), libc::SIGCONT);
    assert!(held && held_at < 200, "never held: {held_at} of 200 sent");
    assert!(
        through,
        "the sender stayed blocked: {} of 200 sent",
        sent.load(Ordering::SeqCst)
    );
    t.join().unwrap();
    assert!(fired_while_stopped, "no firing: {}", s.lt_output());
    assert_eq!(fs::read_to_string(&fired).unwrap(), "mallory\n");
    let dropped = s.forward_num("dropped").unwrap_or(0);
    assert!(dropped > 0, "drops are counted: {}", s.status());
    eprintln!(
        "measured: 201 frames sent to a stopped logd in {held_for:?} (forward_wait 2 s; held \
         after {held_at}), {dropped} dropped"
    );
    // logd drains again: new messages reach it, and nothing is held any more.
    s.burst("resumed", 5);
    assert_eq!(s.settle("resumed", 5), 5, "{}", s.status());
    let st = s.status();
    assert_eq!(s.forward("held"), Value::Bool(false), "{st}");
    // Every frame was forwarded or counted as dropped.
    let received = input_num(&st, "unix:/dev/log", "received").unwrap();
    let (sent_n, dropped) = (
        s.forward_num("sent").unwrap(),
        s.forward_num("dropped").unwrap(),
    );
    assert_eq!(received, sent_n + dropped, "{st}");
}

/// Frames logd treats specially: NUL, newline, invalid UTF-8, around its 1023-byte read size,
/// no PRI.
fn tricky_frames() -> Vec<Vec<u8>> {
    let long = |n: usize, tag: &str| {
        let mut f = format!("<13>tricky: {tag} ").into_bytes();
        while f.len() < n {
            f.push(b'a' + (f.len() % 26) as u8);
        }
        f
    };
    vec![
        b"<13>tricky: nul \0 after the nul".to_vec(),
        b"<13>tricky: new\nline and\r\ncrlf".to_vec(),
        b"<13>tricky: invalid \xff\xfe utf-8 \xc3\x28".to_vec(),
        long(1023, "len1023"),
        long(1024, "len1024"),
        long(2000, "len2000"),
        b"tricky: no pri at all".to_vec(),
        b"<13>Dec  7 02:48:33 tricky: with a 3164 timestamp".to_vec(),
        b"<999>tricky: pri out of range".to_vec(),
        b"<13>tricky: ".to_vec(),
    ]
}

/// logread's lines with "tricky", without the leading time logd stamped (`Mon Dec  7
/// 02:48:33 2026 `).
fn tricky_lines(s: &Sandbox) -> Vec<Vec<u8>> {
    let want = tricky_frames().len();
    s.settle("tricky", want);
    s.logread()
        .into_iter()
        .filter(|l| l.windows(6).any(|w| w == b"tricky"))
        .map(|l| l.get(25..).unwrap_or_default().to_vec())
        .collect()
}

#[test]
fn tricky_frames_show_the_same_bytes_with_and_without_logtrigger() {
    let Some(direct) = Sandbox::new("tricky-direct") else {
        return;
    };
    let Some(mut inline) = Sandbox::new("tricky-inline") else {
        return;
    };
    inline.start_lt("");
    for s in [&direct, &inline] {
        let tx = s.sender();
        for f in tricky_frames() {
            tx.send(&f).unwrap();
        }
    }
    let (a, b) = (tricky_lines(&direct), tricky_lines(&inline));
    // What logd makes of them on its own (see shared/vendor/openwrt/README.md): cut at the
    // NUL, newlines as spaces, no PRI as kern.emerg, the 3164 timestamp stripped. (Some of
    // the frames logread does not show at all, with or without logtrigger.)
    let shown = |want: &[u8]| a.iter().any(|l| l.as_slice() == want);
    for want in [
        &b"user.notice tricky: nul"[..],
        b"user.notice tricky: new line and\r crlf",
        b"kern.emerg tricky: no pri at all",
        b"user.notice tricky: with a 3164 timestamp",
    ] {
        assert!(
            shown(want),
            "{:?} in {a:?}",
            want.escape_ascii().to_string()
        );
    }
    let text =
        |v: &[Vec<u8>]| -> Vec<String> { v.iter().map(|l| l.escape_ascii().to_string()).collect() };
    assert_eq!(text(&a), text(&b), "without / with logtrigger");
}

#[test]
fn dev_log_is_handed_back_before_a_script_that_ignores_sigterm_is_waited_for() {
    let Some(mut s) = Sandbox::new("shutdown") else {
        return;
    };
    let pidfile = s.dir.join("script.pid");
    let script = s.dir.join("stubborn.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ntrap '' TERM\necho $$ >{}.tmp && mv {0}.tmp {0}\n\
             while :; do sleep 1; done\n",
            pidfile.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    s.start_lt(&format!(
        "\nconfig rule 'stubborn'\n\toption pattern 'stubborn %s'\n\toption fields 'who'\n\
         \toption maxfail '1'\n\toption script '{}'\n",
        script.display()
    ));
    let logd_ino = s.ino("/dev/log.logd").expect("taken over");
    s.sender().send(b"<13>sshd: stubborn eve").unwrap();
    assert!(poll(LIMIT, || pidfile.exists()), "{}", s.lt_output());

    let mut lt = s.lt.take().unwrap();
    let t0 = std::time::Instant::now();
    kill(lt.id() as i32, libc::SIGTERM);
    let pid: i32 = fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // /dev/log is logd's again while the script still runs: logtrigger did not wait for it
    // (nor for the grace period that ends in its SIGKILL) before handing /dev/log back.
    let mut script_ended_first = false;
    let restored = poll(LIMIT, || {
        script_ended_first |= !running(pid);
        s.ino("/dev/log") == Some(logd_ino)
    });
    assert!(restored, "/dev/log not handed back: {}", s.lt_output());
    let restored_after = t0.elapsed();
    assert!(
        !script_ended_first && running(pid),
        "the hand-back must come before the wait for scripts ({restored_after:?})"
    );
    let status = reap(&mut lt, "logtrigger");
    assert!(status.success(), "{status:?}");
    eprintln!(
        "measured: /dev/log handed back {restored_after:?} after SIGTERM, exit after {:?}",
        t0.elapsed()
    );
    assert!(!running(pid), "the stubborn script was killed at exit");
}

#[test]
fn a_logger_taking_1ms_per_message_loses_nothing() {
    // A stand-in logger in a temp directory (no namespace needed): it reads one datagram per
    // millisecond, as a slow logger on a busy router would.
    let s = crate::shared::Setup::new("slow-logger", "");
    let logger = UnixDatagram::bind(&s.socket).unwrap();
    logger
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let reader = std::thread::spawn(move || {
        let (mut got, mut buf) = (0, [0u8; 512]);
        while got < 1000 && logger.recv(&mut buf).is_ok() {
            got += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        got
    });
    let _daemon = s.start_ready(&[]);
    let tx = UnixDatagram::unbound().unwrap();
    tx.connect(&s.socket).unwrap();
    for i in 0..1000 {
        tx.send(format!("<13>slow: message {i}").as_bytes())
            .unwrap();
    }
    let got = reader.join().unwrap();
    let json = s.json();
    assert_eq!(got, 1000, "{json}");
    assert_eq!(forward_num(&json, "unix:", "dropped"), Some(0), "{json}");
}
