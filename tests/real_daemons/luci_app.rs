//! luci-app-logtrigger in a real browser against OpenWrt's real web stack: `luci-sandbox.sh`
//! (beside this repository, in `shared/tools`) runs ubusd, rpcd, uhttpd with LuCI, the app, the
//! logtrigger daemon and ipblock.sh in private mount, pid and network namespaces; Debian's
//! chromium, driven by `tests/luci/app_test.py` (selenium), logs in through LuCI's login form and
//! checks the counters, a real ban and its unban in nftables, the rule tester, a rule disabled with
//! Save & Apply (the daemon reloads), the error notifications and that an anonymous `/ubus` call
//! is refused. Needs root and the packages `scripts/deps.sh` installs (chromium, chromium-driver,
//! python3-selenium). Never touches the host: the sandbox has its own network namespace.

use crate::shared;

use crate::shared::{repo, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const LOGTRIGGER: &str = env!("CARGO_BIN_EXE_logtrigger");

/// One sandbox, taken down when dropped (also when an assertion fails).
struct Sandbox {
    script: PathBuf,
    dir: PathBuf,
}

impl Sandbox {
    fn up() -> Sandbox {
        let script = repo()
            .parent()
            .expect("the repository has a parent directory")
            .join("shared/tools/luci-sandbox.sh");
        assert!(
            script.exists(),
            "{} not found: the LuCI test needs shared/tools beside the repository",
            script.display()
        );
        let dir = std::env::temp_dir().join(format!("lt-luci-{}", std::process::id()));
        let sandbox = Sandbox { script, dir };
        let app = repo().join("luci-app-logtrigger");
        let out = sandbox
            .command("up")
            .env("APP_DIRS", &app)
            .env("EXTRA_ROOT", repo().join("tests/luci/root"))
            .env("LOGTRIGGER_BIN", LOGTRIGGER)
            .env("IPBLOCK", repo().join("openwrt-package/files/ipblock.sh"))
            .output()
            .expect("run luci-sandbox.sh");
        assert!(
            out.status.success(),
            "sandbox did not come up: {}",
            text(&out)
        );
        sandbox
    }

    fn command(&self, verb: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg(&self.script)
            .arg(verb)
            .env("SANDBOX_DIR", &self.dir)
            .stdin(Stdio::null());
        c
    }

    /// A command run inside the chroot (busybox sh).
    fn sh(&self, cmd: &str) -> Output {
        self.command("sh")
            .arg(cmd)
            .output()
            .expect("run luci-sandbox.sh sh")
    }

    /// The sandbox's logs, for failure messages.
    fn logs(&self) -> String {
        let mut all = String::new();
        for name in ["init", "rpcd", "logtrigger", "uhttpd"] {
            let path = self.dir.join(format!("{name}.log"));
            let body = std::fs::read_to_string(&path).unwrap_or_default();
            let tail: Vec<&str> = body.lines().rev().take(30).collect();
            all += &format!("--- {}\n", path.display());
            for l in tail.iter().rev() {
                all += l;
                all.push('\n');
            }
        }
        all
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.command("down").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian's python with its selenium (a python earlier in PATH may lack it).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn browser_ready() -> Result<(), String> {
    for p in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(p).exists() {
            return Err(format!(
                "{p} missing (scripts/deps.sh installs chromium-driver)"
            ));
        }
    }
    let out = Command::new(python())
        .args(["-c", "import selenium"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "python3-selenium missing (scripts/deps.sh installs it): {}",
            text(&out)
        ));
    }
    Ok(())
}

#[test]
fn the_page_shows_bans_tests_lines_and_applies_rules_in_a_real_browser() {
    if let Err(e) = browser_ready() {
        panic!("{e}");
    }
    let sandbox = Sandbox::up();

    // The daemon of the sandbox answers before the browser starts.
    let ready = shared::poll(Duration::from_secs(10), || {
        sandbox.sh("logtrigger status --json").status.success()
    });
    assert!(ready, "the daemon does not answer:\n{}", sandbox.logs());

    let shot_dir = repo().join("target/luci");
    std::fs::create_dir_all(&shot_dir).expect("create target/luci");
    let shot = shot_dir.join("luci-logtrigger.png");
    let _ = std::fs::remove_file(&shot);

    let out = sandbox
        .command("exec")
        .arg("timeout")
        .arg("150")
        .arg(python())
        .arg(repo().join("tests/luci/app_test.py"))
        .arg(&sandbox.script)
        .arg(&shot)
        .output()
        .expect("run the browser test");
    assert!(
        out.status.success() && shared::stdout(&out).contains("luci-test: all steps passed"),
        "browser test failed (screenshot of the failure: {}.failed.png): {}\n{}",
        shot.display(),
        text(&out),
        sandbox.logs()
    );
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "not a PNG screenshot"
    );
}

/// The names `re` captures in `text`, sorted.
fn names(re: &str, text: &str) -> Vec<String> {
    let re = regex::Regex::new(re).expect("regex");
    let mut v: Vec<String> = re.captures_iter(text).map(|c| c[1].to_string()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn the_acl_grants_exactly_the_methods_the_page_calls_and_the_plugin_serves() {
    let app = repo().join("luci-app-logtrigger");
    let read = |p: &str| std::fs::read_to_string(app.join(p)).expect(p);
    let view = read("htdocs/luci-static/resources/view/logtrigger/overview.js");
    let acl = read("root/usr/share/rpcd/acl.d/luci-app-logtrigger.json");
    let plugin = read("root/usr/share/rpcd/ucode/luci.logtrigger");
    let menu = read("root/usr/share/luci/menu.d/luci-app-logtrigger.json");

    let called = names(r"object: 'luci\.logtrigger',\s*method: '(\w+)'", &view);
    assert_eq!(called, ["bans", "status", "test", "unban"]);
    let served = names(r"(?m)^\t(\w+): \{$", &plugin);
    assert_eq!(
        served, called,
        "the plugin serves other methods than the page calls"
    );

    // read: what only looks; write: what changes the router
    let group = |name: &str| {
        let start = acl.find(&format!("\"{name}\"")).expect("ACL group");
        let body = &acl[start..];
        let end = body.find('}').expect("group end");
        names(r#""(\w+)""#, &body[..end])
    };
    assert_eq!(group("read"), ["bans", "read", "status", "test", "ubus"]);
    assert_eq!(group("write"), ["ubus", "unban", "write"]);
    assert!(acl.contains("\"uci\": [ \"logtrigger\" ]"));
    assert!(
        menu.contains("\"acl\": [ \"luci-app-logtrigger\" ]")
            && acl.contains("\"luci-app-logtrigger\""),
        "the menu entry depends on the app's ACL"
    );
}
