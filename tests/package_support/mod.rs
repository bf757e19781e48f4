//! Shared helpers of the `package_*` integration tests: paths of the shipped files, scratch
//! directories and network namespaces that clean up after themselves (Drop), stub commands that
//! record their arguments, and polling with a bound. Never touches anything outside its scratch
//! directory or its own namespace.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

#[path = "../shared/mod.rs"]
mod shared;
#[allow(unused_imports)]
pub use shared::{have, openwrt_prefix, poll, repo, stdout, text};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A name unique to this test process and call.
pub fn unique(prefix: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A shipped file under openwrt-package/files.
pub fn shipped(name: &str) -> PathBuf {
    repo().join("openwrt-package/files").join(name)
}

/// The shells the scripts must run under: the router's (busybox ash) and a strict POSIX one.
pub const SHELLS: [&[&str]; 2] = [&["busybox", "ash"], &["sh"]];

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique(&format!("lt-{tag}")));
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
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

pub fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

/// A network namespace of our own, deleted on drop (with every nft table and ipset in it).
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new() -> Netns {
        let name = unique("lt-test");
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip (iproute2)");
        assert!(
            out.status.success(),
            "cannot create network namespace {name} (these tests need root and iproute2): {}",
            text(&out)
        );
        Netns { name }
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
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
