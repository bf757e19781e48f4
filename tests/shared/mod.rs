//! Process helpers shared by the `e2e` and `package_support` test modules: the repository root,
//! bounded polling, printing a command's output, and finding programs in PATH.
//! Included with `#[path]` by those modules; owns no state and never touches the host.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How often a condition is re-checked.
pub const STEP: Duration = Duration::from_millis(50);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// True when `prog` can be run (found in PATH).
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
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
