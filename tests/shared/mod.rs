//! The one helper module of the integration tests: the repository and the binary under test,
//! private temp directories (removed on drop), bounded polling, programs found in PATH, the
//! daemon started on a config of its own (killed if a test fails), `status --json` read with a
//! JSON parser, rule scripts that record what they received, network namespaces of the test's
//! own, and OpenWrt's real userland built beside the repository.
//!
//! The test binaries include it with `#[path]` (`alloc` needs none of it). It owns no state
//! beyond a name counter and never touches the host: nothing outside its temp directories and
//! namespaces.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The daemon binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_logtrigger");

/// How often a condition is re-checked.
pub const STEP: Duration = Duration::from_millis(20);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `n` milliseconds, for polling bounds.
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `cond` every [`STEP`] until it holds or `limit` passes; returns whether it held.
pub fn poll(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(STEP);
    }
}

/// A command's status and both outputs, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file's text, empty when it cannot be read.
pub fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

/// Is `tool` on PATH? A missing tool skips its test loudly (scripts/deps.sh installs them).
pub fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()));
    if !found {
        eprintln!("!!!!! SKIPPING: `{tool}` is not installed (run scripts/deps.sh) !!!!!");
    }
    found
}

/// A name unique to this test process and call.
pub fn unique(prefix: &str) -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A fresh private directory (left behind: [`Scratch`] and [`Setup`] remove theirs).
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(unique(&format!("lt-{name}")));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        Scratch(temp_dir(tag))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes an executable `#!/bin/sh` script.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write stub");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod stub");
        p
    }

    /// A stub command that appends its arguments (one line per call) to `<name>.calls`.
    pub fn recorder(&self, name: &str) -> (PathBuf, PathBuf) {
        let calls = self.path(&format!("{name}.calls"));
        let body = format!("printf '%s\\n' \"$*\" >>'{}'\nexit 0", calls.display());
        (self.script(name, &body), calls)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn ino(p: &Path) -> Option<u64> {
    fs::symlink_metadata(p).ok().map(|m| m.ino())
}

/// A UDP port that was free a moment ago on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A unix datagram socket bound at `path`, reads bounded to 3 s.
pub fn stand_in(path: &Path) -> UnixDatagram {
    let s = UnixDatagram::bind(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s
}

/// A daemon's private directory: its config, sockets and stderr log.
pub struct Setup {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub forward: PathBuf,
    pub control: PathBuf,
    pub config: PathBuf,
}

impl Setup {
    pub fn new(name: &str, extra: &str) -> Setup {
        Setup::with_socket(name, "log", extra)
    }

    /// Like `new`, with the unix socket at `dir/socket_rel` (its directory is created).
    pub fn with_socket(name: &str, socket_rel: &str, extra: &str) -> Setup {
        let dir = temp_dir(&format!("run-{name}"));
        let socket = dir.join(socket_rel);
        fs::create_dir_all(socket.parent().unwrap()).unwrap();
        let s = Setup {
            forward: PathBuf::from(format!("{}.logd", socket.display())),
            socket,
            control: dir.join("ctl.sock"),
            config: dir.join("logtrigger"),
            dir,
        };
        s.write_config(extra);
        s
    }

    /// The global section (socket, forward, control in the temp dir) followed by `extra`.
    pub fn config_text(&self, extra: &str) -> String {
        // `list udp 'none'` unless the test brings its own UDP addresses.
        let udp = if extra.contains("list udp ") {
            ""
        } else {
            "\tlist udp 'none'\n"
        };
        format!(
            "config logtrigger 'global'\n\
             \toption socket '{}'\n\
             \toption forward '{}'\n\
             \toption control '{}'\n\
             {udp}{extra}",
            self.socket.display(),
            self.forward.display(),
            self.control.display()
        )
    }

    pub fn write_config(&self, extra: &str) {
        fs::write(&self.config, self.config_text(extra)).unwrap();
    }

    pub fn start(&self, args: &[&str]) -> Daemon {
        let log = fs::File::create(self.dir.join("stderr")).unwrap();
        Daemon(
            Command::new(BIN)
                .arg("-c")
                .arg(&self.config)
                .args(args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    /// Starts the daemon and waits until it answers on its control socket (its start is over).
    pub fn start_ready(&self, args: &[&str]) -> Daemon {
        let d = self.start(args);
        assert!(
            poll(ms(10_000), || self.status(false).0 == 0),
            "daemon not ready: {}",
            self.stderr()
        );
        d
    }

    pub fn stderr(&self) -> String {
        read(&self.dir.join("stderr"))
    }

    pub fn status(&self, json: bool) -> (i32, String) {
        let mut c = Command::new(BIN);
        c.arg("status").arg("-c").arg(&self.config);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// `status --json` of the running daemon (empty when it does not answer).
    pub fn json(&self) -> String {
        self.status(true).1
    }

    /// Sends one datagram to the daemon's unix socket.
    pub fn send(&self, frame: &[u8]) {
        let c = UnixDatagram::unbound().unwrap();
        c.send_to(frame, &self.socket).unwrap();
    }

    /// A script in the temp dir that writes its `LT_*` environment, sorted, to `out`
    /// (atomically: readers never see a half-written file).
    pub fn env_script(&self, name: &str, out: &Path) -> PathBuf {
        let body = format!(
            "env | grep '^LT_' | sort > {0}.tmp.$$ && mv {0}.tmp.$$ {0}\n",
            out.display()
        );
        self.script(name, &body)
    }

    /// An executable `#!/bin/sh` script in the temp dir.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.join(name);
        fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

impl Drop for Setup {
    /// Removes the temp directory of a passing test; a failing one keeps it for inspection.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The daemon under test; killed if a failing test leaves it running.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Daemon {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

pub fn signal(child: &Child, sig: i32) {
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// The exit code of `child` once it has exited, within 10 s.
pub fn wait_exit(child: &mut Child) -> Option<i32> {
    let mut code = None;
    poll(ms(10_000), || match child.try_wait() {
        Ok(Some(s)) => {
            code = s.code();
            true
        }
        _ => false,
    });
    code
}

/// SIGTERM, then a clean exit with code 0.
pub fn stop(d: &mut Daemon, s: &Setup) {
    signal(d, libc::SIGTERM);
    assert_eq!(wait_exit(d), Some(0), "{}", s.stderr());
}

/// The `LT_*` variables of an `env_script` output, by name.
pub fn read_env(path: &Path) -> BTreeMap<String, String> {
    read(path)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Direct children of `pid` with their state letter (from /proc/PID/stat).
pub fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let list = read(&t.path().join("children"));
        for c in list
            .split_whitespace()
            .filter_map(|c| c.parse::<u32>().ok())
        {
            out.push((c, process_state(c).unwrap_or('?')));
        }
    }
    out
}

/// The state letter of a process, `None` once it is gone.
pub fn process_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) S …`: the state follows the last ')' (comm may hold spaces or parentheses).
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// A `status --json` report parsed (`Null` when it is empty: the daemon did not answer).
/// Anything else that is not JSON fails the test: the report must always be valid.
pub fn parse_status(json: &str) -> Value {
    if json.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(json).unwrap_or_else(|e| panic!("invalid JSON ({e}): {json:.300}"))
}

/// Counter `key` of a one-object section of the report (`daemon`, `scripts`, `pipeline`).
pub fn section_num(json: &str, section: &str, key: &str) -> Option<u64> {
    parse_status(json)[section][key].as_u64()
}

/// The entry of list `section` (`rules`, `inputs`, `forwards`) whose `field` is `name`, or
/// starts with it when `name` ends with ':' (`unix:`, `udp:`, `file:`: the first of that kind).
pub fn entry(json: &str, section: &str, field: &str, name: &str) -> Option<Value> {
    let named = |v: &&Value| {
        v[field].as_str().is_some_and(|n| {
            if name.ends_with(':') {
                n.starts_with(name)
            } else {
                n == name
            }
        })
    };
    parse_status(json)[section]
        .as_array()?
        .iter()
        .find(named)
        .cloned()
}

/// The counter `key` of the rule named `rule`.
pub fn rule_num(json: &str, rule: &str, key: &str) -> Option<u64> {
    entry(json, "rules", "name", rule)?[key].as_u64()
}

/// The counter `key` of the input named `name` (see [`entry`]).
pub fn input_num(json: &str, name: &str, key: &str) -> Option<u64> {
    entry(json, "inputs", "name", name)?[key].as_u64()
}

/// The counter `key` of the forwarding target `target` (see [`entry`]).
pub fn forward_num(json: &str, target: &str, key: &str) -> Option<u64> {
    entry(json, "forwards", "target", target)?[key].as_u64()
}

/// The counter `key` of the `daemon` section.
pub fn daemon_num(json: &str, key: &str) -> Option<u64> {
    section_num(json, "daemon", key)
}

/// The counter `key` of the `scripts` section.
pub fn script_num(json: &str, key: &str) -> Option<u64> {
    section_num(json, "scripts", key)
}

/// A shipped file under openwrt-package/files.
pub fn shipped(name: &str) -> PathBuf {
    repo().join("openwrt-package/files").join(name)
}

/// The shells the scripts must run under: the router's (busybox ash) and a strict POSIX one.
pub const SHELLS: [&[&str]; 2] = [&["busybox", "ash"], &["sh"]];

/// A network namespace of our own and the processes started in it: on drop (panics included)
/// the processes are killed and the namespace is deleted, with every nft table and ipset in it.
pub struct Netns {
    pub name: String,
    procs: Vec<Child>,
}

impl Netns {
    pub fn new() -> Netns {
        Netns::tagged("test")
    }

    /// A namespace named `lt-TAG-PID-N`.
    pub fn tagged(tag: &str) -> Netns {
        let name = unique(&format!("lt-{tag}"));
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip (iproute2)");
        assert!(
            out.status.success(),
            "cannot create network namespace {name} (these tests need root and iproute2): {}",
            text(&out)
        );
        Netns {
            name,
            procs: Vec::new(),
        }
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("ip netns exec")
    }

    /// Runs a command inside the namespace that must succeed.
    pub fn must(&self, args: &[&str]) {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }

    /// Starts a process inside the namespace, silenced; it is killed on drop.
    pub fn spawn(&mut self, args: &[&str]) {
        let child = self
            .cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.procs.push(child);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// OpenWrt's own userland (`logd`, `logread`, `ubusd`, `ubus`, `uci`), built from the unmodified
/// sources in `shared/vendor/openwrt` by `shared/tools/openwrt-build.sh` beside this repository
/// (idempotent: milliseconds once built). Returns the install prefix (`PREFIX/sbin/logd` …), or
/// `None` with a loud message when the build is impossible here.
pub fn openwrt_prefix() -> Option<PathBuf> {
    use std::sync::OnceLock;
    static PREFIX: OnceLock<Option<PathBuf>> = OnceLock::new();
    PREFIX
        .get_or_init(|| {
            let script = repo().parent()?.join("shared/tools/openwrt-build.sh");
            let out = Command::new("bash").arg(&script).output().ok()?;
            let last = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()?
                .trim()
                .to_string();
            let p = PathBuf::from(&last);
            if out.status.success() && p.join("sbin/logd").exists() {
                Some(p)
            } else {
                eprintln!("!!!!! OpenWrt tools unavailable: {}", text(&out));
                None
            }
        })
        .clone()
}
