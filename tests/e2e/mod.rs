//! The end-to-end lab: network namespaces linked by veth pairs, processes started inside them, a
//! scratch directory, and a guard (`Lab`, Drop) that kills every process and deletes every
//! namespace on every path, panics included. Also the stand-ins the test owns: a unix datagram
//! receiver (the "system logger" logtrigger forwards to) and UDP sockets bound inside a namespace.
//!
//! Must never touch the host: interfaces are created directly inside their namespaces, nothing is
//! bound or mounted outside the scratch directory, and `/dev/log` (and `/var/log`,
//! `/usr/sbin/logtrigger`) are redirected only inside private mount namespaces (`devlog.sh`).
//! Needs root, iproute2, util-linux (unshare, mount) and, for `track_connections`, nftables.
#![allow(dead_code)]

pub mod router;
#[path = "../shared/mod.rs"]
mod shared;
pub mod uci;
#[allow(unused_imports)]
pub use shared::{have, poll, repo, stdout, text};

use std::fs::{self, File};
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long any condition is awaited before the test gives up.
pub const LIMIT: Duration = Duration::from_secs(15);
/// Runs a command to completion; panics (with the command) only when it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed.
pub fn must(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?} failed: {}", text(&out));
    out
}

/// A command run inside network namespace `ns`.
pub fn in_ns(ns: &str, args: &[&str]) -> Command {
    let mut c = ip(&["netns", "exec", ns]);
    c.args(args);
    c
}

fn ip(args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(args);
    c
}

/// The tail of a file, for diagnostics.
pub fn tail(path: &Path, max: usize) -> String {
    let bytes = fs::read(path).unwrap_or_default();
    let start = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// A process the lab started, with its output captured in the scratch directory.
struct Proc {
    name: String,
    child: Child,
    out: PathBuf,
}

/// The guard: namespaces, processes and scratch directory of one test.
pub struct Lab {
    pub dir: PathBuf,
    prefix: String,
    netns: Vec<String>,
    procs: Vec<Proc>,
    /// Extra text printed when the test fails (set by the test as it learns more).
    diagnostics: Vec<Box<dyn Fn() -> String>>,
}

impl Lab {
    /// A lab whose namespaces are named `lte2e-<tag>-<pid>-<role>`.
    pub fn new(tag: &str) -> Lab {
        let prefix = format!("lte2e-{tag}-{}", std::process::id());
        let dir = std::env::temp_dir().join(&prefix);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Lab {
            dir,
            prefix,
            netns: Vec::new(),
            procs: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A new empty directory in the scratch directory.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        fs::create_dir_all(&p).expect("create scratch subdir");
        p
    }

    /// Creates the namespace of `role` (loopback up) and returns its name.
    pub fn netns(&mut self, role: &str) -> String {
        let name = format!("{}-{role}", self.prefix);
        let out = run(&mut ip(&["netns", "add", &name]));
        assert!(
            out.status.success(),
            "cannot create network namespace {name} (the end-to-end test needs root and \
             iproute2): {}",
            text(&out)
        );
        self.netns.push(name.clone());
        must(&mut ip(&["-n", &name, "link", "set", "lo", "up"]));
        name
    }

    /// The names of this lab's namespaces that `ip netns list` still shows.
    pub fn listed(&self) -> Vec<String> {
        let out = run(&mut ip(&["netns", "list"]));
        stdout(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&self.prefix))
            .map(str::to_string)
            .collect()
    }

    /// A veth pair `a_if` (in `a`) ↔ `b_if` (in `b`), created inside the namespaces (never in
    /// the host's), both ends up, with the given addresses (`nodad`: usable at once).
    pub fn link(
        &self,
        a: &str,
        a_if: &str,
        a_addrs: &[&str],
        b: &str,
        b_if: &str,
        b_addrs: &[&str],
    ) {
        must(&mut ip(&[
            "-n", a, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b,
        ]));
        for (ns, dev, addrs) in [(a, a_if, a_addrs), (b, b_if, b_addrs)] {
            for addr in addrs {
                let mut args = vec!["-n", ns, "addr", "add", addr, "dev", dev];
                if addr.contains(':') {
                    args.push("nodad");
                }
                must(&mut ip(&args));
            }
            must(&mut ip(&["-n", ns, "link", "set", dev, "up"]));
        }
    }

    /// A command run inside namespace `ns`.
    pub fn cmd(&self, ns: &str, args: &[&str]) -> Command {
        in_ns(ns, args)
    }

    /// A command run inside `ns` and inside a private mount namespace where `/dev/log` leads to
    /// `sock` and, when `varlog` is given, `/var/log` is that directory and
    /// `/usr/sbin/logtrigger` is the binary under test, as on a router (see devlog.sh).
    pub fn cmd_devlog(
        &self,
        ns: &str,
        sock: &Path,
        varlog: Option<&Path>,
        args: &[&str],
    ) -> Command {
        let stage = tempdir_in(&self.dir, "stage");
        let script = repo().join("tests/e2e/devlog.sh");
        let mut c = self.cmd(ns, &["unshare", "-m", "--propagation", "private", "sh"]);
        c.arg(script).arg(sock).arg(stage);
        if let Some(v) = varlog {
            c.arg("-v").arg(v);
            c.arg("-b").arg(env!("CARGO_BIN_EXE_logtrigger"));
        }
        c.arg("--").args(args);
        c
    }

    /// Starts a long-running process; its stdout+stderr go to `<name>.out` in the scratch dir.
    pub fn spawn(&mut self, name: &str, mut cmd: Command) -> u32 {
        let out = self.path(&format!("{name}.out"));
        let file = File::create(&out).expect("create output file");
        let err = file.try_clone().expect("dup output file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        let pid = child.id();
        self.procs.push(Proc {
            name: name.to_string(),
            child,
            out,
        });
        pid
    }

    /// The captured output of a started process.
    pub fn output_of(&self, name: &str) -> String {
        tail(&self.path(&format!("{name}.out")), 1 << 20)
    }

    /// Whether the started process `name` is still running.
    pub fn alive(&mut self, name: &str) -> bool {
        self.procs
            .iter_mut()
            .find(|p| p.name == name)
            .is_some_and(|p| matches!(p.child.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM to `name` and waits (bounded) for its exit status.
    pub fn terminate(&mut self, name: &str, limit: Duration) -> Option<std::process::ExitStatus> {
        let p = self.procs.iter_mut().find(|p| p.name == name)?;
        if let Ok(Some(st)) = p.child.try_wait() {
            return Some(st);
        }
        // SAFETY: plain kill(2) on the pid of a child we have not reaped yet.
        unsafe { libc::kill(p.child.id() as libc::pid_t, libc::SIGTERM) };
        let mut status = None;
        poll(limit, || {
            status = p.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }

    /// Adds a diagnostic printed if the test fails.
    pub fn on_failure(&mut self, f: impl Fn() -> String + 'static) {
        self.diagnostics.push(Box::new(f));
    }

    /// Everything worth reading when something went wrong.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for p in &self.procs {
            s += &format!("----- {} output ({}) -----\n", p.name, p.out.display());
            s += &tail(&p.out, 16 * 1024);
            s.push('\n');
        }
        for d in &self.diagnostics {
            s += &d();
            s.push('\n');
        }
        s
    }

    /// Pids of the processes inside namespace `ns`.
    pub fn pids(&self, ns: &str) -> Vec<libc::pid_t> {
        let out = run(&mut ip(&["netns", "pids", ns]));
        stdout(&out)
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    }

    /// Kills every process and deletes every namespace; returns what could not be cleaned.
    pub fn teardown(&mut self) -> Vec<String> {
        let mut left = Vec::new();
        // First what our processes started (dropbear's sessions, logtrigger's scripts), while
        // their parents still live to reap them: no zombie is left for init.
        let ours: Vec<libc::pid_t> = self
            .procs
            .iter()
            .map(|p| p.child.id() as libc::pid_t)
            .collect();
        for ns in &self.netns {
            poll(Duration::from_secs(2), || {
                let others: Vec<_> = self
                    .pids(ns)
                    .into_iter()
                    .filter(|pid| !ours.contains(pid))
                    .collect();
                for pid in &others {
                    // SAFETY: kill(2) of a pid that `ip netns pids` reports inside our namespace.
                    unsafe { libc::kill(*pid, libc::SIGKILL) };
                }
                others.is_empty()
            });
        }
        for p in &mut self.procs {
            if let Ok(None) = p.child.try_wait() {
                let _ = p.child.kill();
            }
            let _ = p.child.wait();
        }
        self.procs.clear();
        for ns in std::mem::take(&mut self.netns) {
            // Anything still there (a child forked meanwhile, an orphan) dies with -9.
            let gone = poll(Duration::from_secs(5), || {
                let pids = self.pids(&ns);
                for pid in &pids {
                    // SAFETY: as above.
                    unsafe { libc::kill(*pid, libc::SIGKILL) };
                }
                pids.is_empty()
            });
            if !gone {
                left.push(format!("processes in {ns}: {:?}", self.pids(&ns)));
            }
            let out = run(&mut ip(&["netns", "del", &ns]));
            if !out.status.success() {
                left.push(format!("ip netns del {ns}: {}", text(&out)));
            }
        }
        left
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("===== end-to-end lab diagnostics =====\n{}", self.report());
        }
        let left = self.teardown();
        if !left.is_empty() {
            eprintln!("end-to-end lab: could not clean up: {left:?}");
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A fresh empty directory `<base>/<prefix>-N`.
fn tempdir_in(base: &Path, prefix: &str) -> PathBuf {
    for n in 0.. {
        let p = base.join(format!("{prefix}-{n}"));
        if fs::create_dir(&p).is_ok() {
            return p;
        }
    }
    unreachable!()
}

/// A unix datagram socket the test owns, collecting every datagram in a background thread: the
/// stand-in for the system logger (logtrigger's `forward`) or for logtrigger itself.
pub struct Receiver {
    pub path: PathBuf,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub fn unix(path: &Path) -> Receiver {
        let _ = fs::remove_file(path);
        let sock = UnixDatagram::bind(path).expect("bind the stand-in unix socket");
        // Anyone (dropbear's children, scripts) may write to it, as to /dev/log.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o666)).expect("chmod socket");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        Self::collect(path.to_path_buf(), move |buf| sock.recv(buf))
    }

    pub fn udp(sock: UdpSocket) -> Receiver {
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        Self::collect(PathBuf::new(), move |buf| sock.recv(buf))
    }

    fn collect(
        path: PathBuf,
        mut recv: impl FnMut(&mut [u8]) -> std::io::Result<usize> + Send + 'static,
    ) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (g, s) = (got.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !s.load(Ordering::Relaxed) {
                match recv(&mut buf) {
                    Ok(n) => g.lock().unwrap().push(buf[..n].to_vec()),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
        Receiver {
            path,
            got,
            stop,
            thread: Some(thread),
        }
    }

    /// Every datagram received so far, lossily as text.
    pub fn lines(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .collect()
    }

    /// How many datagrams received so far contain every one of `needles`.
    pub fn count(&self, needles: &[&str]) -> usize {
        self.lines()
            .iter()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .count()
    }

    /// A shareable view of the received datagrams (for diagnostics closures).
    pub fn shared(&self) -> Arc<Mutex<Vec<Vec<u8>>>> {
        self.got.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds a UDP socket inside namespace `ns` (setns(2) in a short-lived thread: the socket keeps
/// the namespace it was created in, the test process stays in the host's).
pub fn udp_in(ns: &str, addr: &str) -> UdpSocket {
    let (ns, addr) = (ns.to_string(), addr.to_string());
    std::thread::spawn(move || {
        let f = File::open(format!("/run/netns/{ns}")).expect("open the namespace file");
        use std::os::fd::AsRawFd;
        // SAFETY: setns(2) on a valid fd; it changes only this thread's network namespace.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        UdpSocket::bind(&addr).unwrap_or_else(|e| panic!("bind udp {addr} in {ns}: {e}"))
    })
    .join()
    .expect("udp_in thread")
}

/// Makes the kernel track connections in namespace `ns`, as a router's firewall does (fw4's
/// rules use `ct state`): without a rule that uses conntrack nothing is tracked, and `verify
/// conntrack` would see no connection at all. Accepts everything.
pub fn track_connections(ns: &str) {
    let rules = "table inet lab_fw {\n\
                 \tchain input { type filter hook input priority 0; policy accept;\n\
                 \t\tct state established,related accept; }\n\
                 \tchain forward { type filter hook forward priority 0; policy accept;\n\
                 \t\tct state established,related accept; }\n}\n";
    let mut c = in_ns(ns, &["nft", "-f", "-"]);
    c.stdin(Stdio::piped());
    let mut child = c.spawn().expect("run nft in the lab");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rules.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "nft -f (ct state): {}", text(&out));
}

/// The programs of `progs` that are not installed (not found in PATH).
pub fn have_all(progs: &[&str]) -> Vec<String> {
    progs
        .iter()
        .filter(|p| !have(p))
        .map(|p| p.to_string())
        .collect()
}
