//! Helpers shared by the daemon integration tests: a private temp directory with a config, the
//! real binary started on it (killed if a test fails), bounded polling, `status --json` reading,
//! rule scripts that record what they received. Never touches the host's /dev/log.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_logtrigger");

pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("lt-run-{}-{name}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Polls `cond` every 20 ms for at most `ms` milliseconds.
pub fn wait_for(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..ms / 20 {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

pub fn ino(p: &Path) -> Option<u64> {
    fs::symlink_metadata(p).ok().map(|m| m.ino())
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

/// A UDP port that was free a moment ago on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
        let dir = temp_dir(name);
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
            wait_for(10_000, || self.status(false).0 == 0),
            "daemon not ready: {}",
            self.stderr()
        );
        d
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
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

pub fn wait_exit(child: &mut Child) -> Option<i32> {
    let mut code = None;
    wait_for(10_000, || match child.try_wait() {
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

pub fn stand_in(path: &Path) -> UnixDatagram {
    let s = UnixDatagram::bind(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s
}

/// The `LT_*` variables of an `env_script` output, by name.
pub fn read_env(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The JSON object (`{…}`, no nesting inside) of `json` that contains `marker`.
pub fn object<'a>(json: &'a str, marker: &str) -> Option<&'a str> {
    let at = json.find(marker)?;
    let start = match marker.find('{') {
        Some(i) => at + i,
        None => json[..at].rfind('{')?,
    };
    let end = at + json[at..].find('}')?;
    Some(&json[start..=end])
}

/// The number `"key":N` inside the object of `json` that contains `marker`.
pub fn num(json: &str, marker: &str, key: &str) -> Option<u64> {
    let obj = object(json, marker)?;
    let pat = format!("\"{key}\":");
    let at = obj.find(&pat)? + pat.len();
    let digits: String = obj[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The counter `key` of the rule named `rule`.
pub fn rule_num(json: &str, rule: &str, key: &str) -> Option<u64> {
    num(json, &format!("\"name\":\"{rule}\""), key)
}

/// The counter `key` of the `scripts` section.
pub fn script_num(json: &str, key: &str) -> Option<u64> {
    num(json, "\"scripts\":{", key)
}

/// Direct children of `pid` with their state letter (from /proc/PID/stat).
pub fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let list = fs::read_to_string(t.path().join("children")).unwrap_or_default();
        for c in list
            .split_whitespace()
            .filter_map(|c| c.parse::<u32>().ok())
        {
            let stat = fs::read_to_string(format!("/proc/{c}/stat")).unwrap_or_default();
            // `pid (comm) S …`: the state follows the last ')'.
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].trim_start().chars().next())
                .unwrap_or('?');
            out.push((c, state));
        }
    }
    out
}
