//! The shipped shell scripts: syntax under every shell, shellcheck, and logit.sh's behaviour
//! (file per rule name, rotation, refused names, one line per message).

use crate::shared::{SHELLS, Scratch, read, shipped, text};
use std::process::Command;

const SCRIPTS: [&str; 5] = [
    "ipblock.sh",
    "logit.sh",
    "logtrigger.init",
    "logtrigger.fw4",
    "logtrigger.uci-defaults",
];

#[test]
fn every_script_parses_under_sh_and_busybox_ash() {
    for script in SCRIPTS {
        let path = shipped(script);
        assert!(path.is_file(), "{} missing", path.display());
        for shell in SHELLS {
            let out = Command::new(shell[0])
                .args(&shell[1..])
                .arg("-n")
                .arg(&path)
                .output()
                .expect("run shell");
            assert!(
                out.status.success(),
                "{shell:?} -n {script}: {}",
                text(&out)
            );
        }
    }
}

#[test]
fn every_script_is_shellcheck_clean() {
    for script in SCRIPTS {
        let out = Command::new("shellcheck")
            .args(["-s", "sh"])
            .arg(shipped(script))
            .output()
            .expect("shellcheck is installed by scripts/deps.sh");
        assert!(out.status.success(), "shellcheck {script}:\n{}", text(&out));
    }
}

fn logit(shell: &[&str], dir: &Scratch, name: &str, message: &str, max: Option<u32>) -> bool {
    let mut c = Command::new(shell[0]);
    c.args(&shell[1..])
        .arg(shipped("logit.sh"))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LOGIT_DIR", &dir.0)
        .env("LT_name", name)
        .env("LT_message", message);
    if let Some(m) = max {
        c.env("LOGIT_MAX", m.to_string());
    }
    c.status().expect("run logit.sh").success()
}

#[test]
fn logit_writes_each_rule_to_its_file() {
    let cases = [
        ("DDNS", "ddns.log"),
        ("Login", "logins.log"),
        ("LoginFailed", "failedlogins.log"),
        ("Dropbear", "dropbear.log"),
        ("MiniUPnPd", "miniupnpd.log"),
        ("Dropbear_Exit", "dropbear.log"),
        ("SomethingElse", "logtrigger.log"),
        // The names of the shipped default configuration (uci/logtrigger).
        ("ddns", "ddns.log"),
        ("logins_luci", "logins.log"),
        ("failed_logins", "failedlogins.log"),
        ("dropbear", "dropbear.log"),
        ("miniupnpd", "miniupnpd.log"),
    ];
    for shell in SHELLS {
        let dir = Scratch::new("logit");
        for (name, file) in cases {
            let msg = format!("Nov 28 12:00:00 test: message of {name}");
            assert!(logit(shell, &dir, name, &msg, None), "{shell:?} {name}");
            let got = read(&dir.path(file));
            assert!(
                got.contains(&format!("{msg}\n")),
                "{name} -> {file}: {got:?}"
            );
        }
        assert_eq!(read(&dir.path("ddns.log")).lines().count(), 2);
        assert_eq!(read(&dir.path("dropbear.log")).lines().count(), 3);
    }
}

#[test]
fn logit_keeps_one_line_per_message_and_strips_control_bytes() {
    let dir = Scratch::new("logit");
    let evil = "first\nNov 28 forged line\r\x1b[31m";
    assert!(logit(SHELLS[0], &dir, "Login", evil, None));
    let got = read(&dir.path("logins.log"));
    assert_eq!(got, "firstNov 28 forged line[31m\n");
}

#[test]
fn logit_refuses_names_that_could_leave_its_directory() {
    for shell in SHELLS {
        let dir = Scratch::new("logit");
        let sub = dir.path("sub");
        std::fs::create_dir(&sub).unwrap();
        for name in ["../escape", "a/b", "..", "x..y", "/etc/passwd"] {
            let mut c = Command::new(shell[0]);
            let ok = c
                .args(&shell[1..])
                .arg(shipped("logit.sh"))
                .env("LOGIT_DIR", &sub)
                .env("LT_name", name)
                .env("LT_message", "should not be written")
                .status()
                .unwrap()
                .success();
            assert!(!ok, "{shell:?}: name {name:?} accepted");
        }
        let written: Vec<_> = walk(&dir.0);
        assert!(written.is_empty(), "files written: {written:?}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn logit_rotates_to_dot_one_and_stays_bounded() {
    for shell in SHELLS {
        let dir = Scratch::new("logit");
        let line = "x".repeat(99); // 100 bytes with the newline
        for _ in 0..50 {
            assert!(logit(shell, &dir, "DDNS", &line, Some(1000)));
        }
        let cur = std::fs::metadata(dir.path("ddns.log")).unwrap().len();
        let old = std::fs::metadata(dir.path("ddns.log.1")).unwrap().len();
        // A file is rotated once it exceeds the limit, so each holds at most limit + one line.
        assert!(cur <= 1100 && old <= 1100, "{shell:?}: sizes {cur} {old}");
        assert!(old > 1000, "{shell:?}: rotated file holds {old} bytes");
        assert!(!dir.path("ddns.log.2").exists());
        assert_eq!((cur + old) % 100, 0, "only whole lines");
    }
}

#[test]
fn uci_defaults_registers_the_firewall_include_once() {
    let prefix = crate::shared::openwrt_prefix()
        .expect("OpenWrt's uci is built by scripts/deps.sh (shared/tools/openwrt-build.sh)");
    let dir = Scratch::new("ucidef");
    let conf = dir.path("config");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(
        conf.join("firewall"),
        "config defaults\n\toption input 'ACCEPT'\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path("bin")).unwrap();
    // The script calls plain `uci` (on the router: /etc/config); here it edits the scratch copy.
    dir.script(
        "bin/uci",
        &format!(
            "exec '{}' -c '{}' \"$@\"",
            prefix.join("bin/uci").display(),
            conf.display()
        ),
    );
    for shell in SHELLS {
        for _ in 0..2 {
            let out = Command::new(shell[0])
                .args(&shell[1..])
                .arg(shipped("logtrigger.uci-defaults"))
                .env_clear()
                .env(
                    "PATH",
                    format!(
                        "{}:/usr/sbin:/usr/bin:/sbin:/bin",
                        dir.path("bin").display()
                    ),
                )
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
        }
    }
    let show = Command::new(dir.path("bin/uci"))
        .args(["show", "firewall"])
        .output()
        .unwrap();
    let show = String::from_utf8_lossy(&show.stdout).into_owned();
    assert_eq!(
        show.lines().filter(|l| l.ends_with("=include")).count(),
        1,
        "{show}"
    );
    for want in [
        "firewall.logtrigger=include",
        "firewall.logtrigger.type='script'",
        "firewall.logtrigger.path='/usr/share/logtrigger/fw4.include'",
        "firewall.logtrigger.fw4_compatible='1'",
        "firewall.@defaults[0].input='ACCEPT'",
    ] {
        assert!(show.lines().any(|l| l == want), "{want} not in {show}");
    }
}
