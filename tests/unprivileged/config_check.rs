//! `logtrigger check -c FILE` run as a real process (SPEC §9): report and exit 0 on a good file,
//! `FILE:LINE: reason` on stderr and exit 1 on a broken or unreadable one.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        Dir(crate::shared::temp_dir(&format!("check-{name}")))
    }

    fn file(&self, name: &str, text: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check(config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logtrigger"))
        .arg("check")
        .arg("-c")
        .arg(config)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn good_file_prints_rules_and_globals() {
    let dir = Dir::new("good");
    let script = dir.file("ban.sh", b"#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = dir.file(
        "logtrigger",
        format!(
            "config logtrigger 'global'\n\toption socket 'none'\n\tlist udp '127.0.0.1:5514'\n\n\
             config rule\n\toption name 'SIP_WrongPass'\n\
             \toption pattern 'Freeswitch: SIP registration failed User:%s IP:%s'\n\
             \toption fields 'user ip'\n\toption key 'ip'\n\toption script '{}'\n\
             \toption time '600'\n\toption maxfail '5'\n\toption bantime '3600'\n\n\
             config rule 'quiet'\n\toption pattern 'x %d'\n\toption enabled '0'\n\n\
             config rule 'tagged'\n\toption program 'dropbear'\n\
             \toption pattern 'dropbear[%d]: x %s'\n",
            script.display()
        )
        .as_bytes(),
    );
    let out = check(&cfg);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no warning for an executable script");
    for want in [
        "OK, 3 rule(s), 2 enabled",
        "rule 'SIP_WrongPass' (line 5)",
        "'Freeswitch: SIP registration failed User:%s IP:%s'",
        "fields         user ip",
        "key            ip",
        "5 match(es) within 600 s",
        "LT_bantime     3600",
        "rule 'quiet' (line 15)",
        "enabled        no",
        "socket         none",
        "udp            127.0.0.1:5514",
        "max_keys       1024",
        "matches from   anywhere in the message",
        "matches from   the start of the message (the pattern begins with its program's tag)",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
    assert!(stdout.contains(&format!("script         {}", script.display())));
}

#[test]
fn missing_or_non_executable_script_is_a_warning() {
    let dir = Dir::new("warn");
    let script = dir.file("ban.sh", b"#!/bin/sh\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cfg = dir.file(
        "cfg",
        format!(
            "config rule\n\toption name a\n\toption pattern 'a %s'\n\toption script '{}'\n\
             config rule\n\toption name b\n\toption pattern 'b %s'\n\toption script '/nonexistent/b.sh'\n",
            script.display()
        )
        .as_bytes(),
    );
    let out = check(&cfg);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    let c = cfg.display();
    assert!(
        stderr.contains(&format!(
            "{c}:1: warning: rule 'a': script {} is not executable",
            script.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{c}:5: warning: rule 'b': script /nonexistent/b.sh does not exist"
        )),
        "{stderr}"
    );
}

#[test]
fn broken_files_print_file_line_reason_and_exit_1() {
    let dir = Dir::new("broken");
    let cases: &[(&[u8], usize, &str)] = &[
        (b"config rule\n\toption name 'x\n", 2, "unterminated ' (end of file inside quotes)"),
        (b"config logtrigger\n\n\toption debug 'lots'\n", 3, "debug 'lots' is not a whole number"),
        (b"config logtrigger\n\toption sokcet '/dev/log'\n", 2, "unknown option 'sokcet' in config logtrigger: did you mean 'socket'?"),
        (b"config rules\n", 1, "unknown section type 'rules': did you mean 'rule'?"),
        (b"config rule\n\toption name r\n\toption pattern 'a %s %s'\n\toption fields 'user host'\n", 4,
         "field 'host' would overwrite the built-in LT_host"),
        (b"config rule\n\toption name r\n\toption pattern 'a %s'\n\toption maxfail 0\n", 4,
         "maxfail '0' is out of range 1..=10000"),
        (b"config logtrigger\n\toption forward '/dev/\xfe'\n", 2, "value is not valid UTF-8 (invalid byte at offset 5)"),
    ];
    for (i, (body, line, reason)) in cases.iter().enumerate() {
        let cfg = dir.file(&format!("cfg{i}"), body);
        let out = check(&cfg);
        assert_eq!(out.status.code(), Some(1), "{}", text(body));
        assert_eq!(
            text(&out.stderr),
            format!("{}:{line}: {reason}\n", cfg.display())
        );
        assert_eq!(text(&out.stdout), "", "nothing printed for a refused file");
    }
}

#[test]
fn pattern_error_names_the_pattern_line() {
    let dir = Dir::new("pattern");
    let cfg = dir.file(
        "cfg",
        b"config rule\n\toption name r\n\toption pattern 'a %q'\n",
    );
    let out = check(&cfg);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let prefix = format!("{}:3: pattern offset ", cfg.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
}

#[test]
fn unreadable_file_exits_1_with_a_message() {
    let dir = Dir::new("unreadable");
    let missing = dir.0.join("missing");
    let out = check(&missing);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "{}: cannot read configuration: ",
            missing.display()
        )),
        "{stderr}"
    );
    // A directory cannot be read as a file either.
    let out = check(&dir.0);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read configuration"));
}
