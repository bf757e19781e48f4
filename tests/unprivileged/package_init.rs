//! The procd init script under a stub rc.common (tests/scripts/fake-rc.common): the instance it
//! declares (after waiting for logd on ubus, and only for a configuration `logtrigger check`
//! accepts), its reload, its extra commands, and `stop` putting logd's socket back when a
//! takeover was left behind — all in a scratch directory, under sh and busybox ash.

use crate::shared::{SHELLS, Scratch, read, repo, shipped, text};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Output};

struct Harness {
    dir: Scratch,
    record: std::path::PathBuf,
}

impl Harness {
    fn new() -> Harness {
        let dir = Scratch::new("init");
        let record = dir.path("record");
        // `pidof` answers "no logtrigger running" unless the test says otherwise: the real one
        // could see another test's daemon.
        std::fs::create_dir(dir.path("bin")).unwrap();
        let pidof = dir.path("bin/pidof");
        std::fs::write(&pidof, "#!/bin/sh\n[ -e \"$PIDOF_RUNNING\" ]\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pidof, std::fs::Permissions::from_mode(0o755)).unwrap();
        // `ubus` and `logger` record their calls in the same record, to show the order.
        for tool in ["ubus", "logger"] {
            let stub = dir.path(&format!("bin/{tool}"));
            std::fs::write(
                &stub,
                format!("#!/bin/sh\nprintf '{tool} %s\\n' \"$*\" >>\"$RECORD\"\n"),
            )
            .unwrap();
            std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // Installed as /etc/init.d/logtrigger: rc.common names the service after the file.
        std::fs::create_dir(dir.path("init.d")).unwrap();
        std::fs::copy(shipped("logtrigger.init"), dir.path("init.d/logtrigger")).unwrap();
        Harness { dir, record }
    }

    fn run(&self, shell: &[&str], args: &[&str], env: &[(&str, &Path)]) -> Output {
        let path = format!(
            "{}:/usr/sbin:/usr/bin:/sbin:/bin",
            self.dir.path("bin").display()
        );
        let mut c = Command::new(shell[0]);
        c.args(&shell[1..])
            .arg(repo().join("tests/scripts/fake-rc.common"))
            .arg(self.dir.path("init.d/logtrigger"))
            .args(args)
            .env_clear()
            .env("PATH", path)
            .env("RECORD", &self.record)
            .env("PIDOF_RUNNING", self.dir.path("running"));
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run fake rc.common")
    }

    fn lines(&self) -> Vec<String> {
        read(&self.record).lines().map(str::to_owned).collect()
    }
}

/// The real binary, as the init script's program.
const BIN: &str = env!("CARGO_BIN_EXE_logtrigger");

#[test]
fn start_declares_one_respawning_instance_with_the_config() {
    for shell in SHELLS {
        let h = Harness::new();
        let config = h.dir.path("logtrigger.conf");
        std::fs::write(&config, "config logtrigger 'global'\n").unwrap();
        let env = [
            ("LT_INIT_PROG", Path::new(BIN)),
            ("LT_INIT_CONFIG", config.as_path()),
        ];
        let out = h.run(shell, &["start"], &env);
        assert!(out.status.success(), "{}", text(&out));
        let lines = h.lines();
        let command = format!("procd_set_param command {BIN} -c {}", config.display());
        let expect = [
            "procd_open_service logtrigger",
            "ubus -t 5 wait_for log",
            "procd_open_instance",
            &command,
            "procd_set_param respawn 3600 1 0",
            "procd_set_param stdout 1",
            "procd_set_param stderr 1",
            "procd_close_instance",
            "procd_add_reload_trigger logtrigger",
            "procd_close_service set",
        ];
        // In this order, each exactly once.
        let mut at = 0;
        for want in expect {
            let hits = lines.iter().filter(|l| l.starts_with(want)).count();
            assert_eq!(hits, 1, "{shell:?}: {want:?} in {lines:#?}");
            let pos = lines.iter().position(|l| l.starts_with(want)).unwrap();
            assert!(pos >= at, "{shell:?}: {want:?} out of order in {lines:#?}");
            at = pos;
        }
        assert_eq!(
            lines.iter().filter(|l| l.contains("open_instance")).count(),
            1
        );
    }
}

#[test]
fn init_script_has_the_documented_order_and_procd() {
    let src = read(&shipped("logtrigger.init"));
    assert!(src.starts_with("#!/bin/sh /etc/rc.common\n"));
    for line in ["USE_PROCD=1", "START=12", "STOP=88"] {
        assert!(src.lines().any(|l| l == line), "missing {line}");
    }
}

#[test]
fn reload_sends_sighup_instead_of_restarting() {
    for shell in SHELLS {
        let h = Harness::new();
        let (prog, _) = h.dir.recorder("logtrigger");
        std::fs::write(h.dir.path("running"), "").unwrap();
        let out = h.run(shell, &["reload"], &[("LT_INIT_PROG", prog.as_path())]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            h.lines(),
            ["procd_send_signal logtrigger * HUP"],
            "{shell:?}"
        );
    }
}

#[test]
fn reload_of_a_stopped_daemon_starts_it() {
    let h = Harness::new();
    let (prog, _) = h.dir.recorder("logtrigger");
    let out = h.run(SHELLS[0], &["reload"], &[("LT_INIT_PROG", prog.as_path())]);
    assert!(out.status.success(), "{}", text(&out));
    let lines = h.lines();
    assert!(
        lines.iter().any(|l| l.starts_with("procd_open_instance")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("HUP")), "{lines:?}");
}

/// A configuration `logtrigger check` refuses, and the reason it gives.
fn bad_config(h: &Harness) -> (std::path::PathBuf, &'static str) {
    let config = h.dir.path("bad.conf");
    std::fs::write(
        &config,
        "config logtrigger 'global'\n\toption takeover 'maybe'\n",
    )
    .unwrap();
    (config, "bad.conf:2: takeover 'maybe' is not a boolean")
}

#[test]
fn a_bad_config_is_not_started_and_the_admin_is_told() {
    for shell in SHELLS {
        let h = Harness::new();
        let (config, why) = bad_config(&h);
        let env = [
            ("LT_INIT_PROG", Path::new(BIN)),
            ("LT_INIT_CONFIG", config.as_path()),
        ];
        let out = h.run(shell, &["start"], &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("not started") && err.contains(why),
            "{}",
            text(&out)
        );
        let lines = h.lines();
        assert!(
            !lines.iter().any(|l| l.starts_with("procd_open_instance")),
            "no instance, so no respawn loop: {lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("logger -t logtrigger -p daemon.err") && l.contains(why)),
            "{lines:?}"
        );
    }
}

#[test]
fn a_bad_config_is_not_reloaded_and_the_admin_is_told() {
    for shell in SHELLS {
        let h = Harness::new();
        let (config, why) = bad_config(&h);
        std::fs::write(h.dir.path("running"), "").unwrap();
        let env = [
            ("LT_INIT_PROG", Path::new(BIN)),
            ("LT_INIT_CONFIG", config.as_path()),
        ];
        let out = h.run(shell, &["reload"], &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("not reloaded") && err.contains(why),
            "{}",
            text(&out)
        );
        let lines = h.lines();
        assert!(!lines.iter().any(|l| l.contains("HUP")), "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("logger ")), "{lines:?}");
    }
}

#[test]
fn extra_commands_are_declared_with_extra_command() {
    let src = read(&shipped("logtrigger.init"));
    assert!(
        !src.contains("EXTRA_COMMANDS="),
        "extra_command replaces EXTRA_COMMANDS"
    );
    for cmd in ["status", "unban"] {
        assert!(
            src.lines()
                .any(|l| l.starts_with(&format!("extra_command \"{cmd}\" "))),
            "{cmd}"
        );
    }
}

#[test]
fn status_and_unban_run_the_tools() {
    for shell in SHELLS {
        let h = Harness::new();
        let (prog, prog_calls) = h.dir.recorder("logtrigger");
        let (ipblock, ipblock_calls) = h.dir.recorder("ipblock.sh");
        let env = [
            ("LT_INIT_PROG", prog.as_path()),
            ("LT_INIT_IPBLOCK", ipblock.as_path()),
        ];
        let out = h.run(shell, &["status"], &env);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(read(&prog_calls), "status -c /etc/config/logtrigger\n");
        let out = h.run(shell, &["unban", "192.0.2.7"], &env);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(read(&ipblock_calls), "unban 192.0.2.7\n");
        let out = h.run(shell, &["unban"], &env);
        assert!(!out.status.success(), "unban without an address must fail");
        assert_eq!(read(&ipblock_calls).lines().count(), 1);
        let out = h.run(shell, &["help"], &env);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("unban") && help.contains("status"), "{help}");
    }
}

/// A scratch /dev/log setup: the live "logd" socket and the takeover's paths.
struct Sockets {
    socket: std::path::PathBuf,
    forward: std::path::PathBuf,
    logd: UnixDatagram,
}

/// logd's live socket bound at `forward` (where a takeover hard-links it); `socket` is absent.
fn left_behind(h: &Harness) -> Sockets {
    let socket = h.dir.path("log");
    let forward = h.dir.path("log.logd");
    let logd = UnixDatagram::bind(&forward).unwrap();
    logd.set_nonblocking(true).unwrap();
    Sockets {
        socket,
        forward,
        logd,
    }
}

fn stop(h: &Harness, shell: &[&str], s: &Sockets) -> Output {
    let out = h.run(
        shell,
        &["stop"],
        &[
            ("CFG_global_socket", &s.socket),
            ("CFG_global_forward", &s.forward),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        h.lines()
            .iter()
            .any(|l| l.trim_end() == "procd_kill logtrigger"),
        "{:?}",
        h.lines()
    );
    out
}

/// True when a datagram sent to `socket` arrives at logd.
fn reaches_logd(s: &Sockets) -> bool {
    let tx = UnixDatagram::unbound().unwrap();
    if tx.send_to(b"<13>ping", &s.socket).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.logd.recv(&mut buf), Ok(8))
}

#[test]
fn stop_restores_logd_socket_over_a_dead_takeover() {
    for shell in SHELLS {
        let h = Harness::new();
        let s = left_behind(&h);
        // The crashed daemon's socket: bound, then closed.
        drop(UnixDatagram::bind(&s.socket).unwrap());
        assert!(!reaches_logd(&s));
        stop(&h, shell, &s);
        assert!(!s.forward.exists(), "{shell:?}: forward still there");
        assert!(reaches_logd(&s), "{shell:?}: /dev/log does not reach logd");
    }
}

#[test]
fn stop_restores_a_missing_socket() {
    for shell in SHELLS {
        let h = Harness::new();
        let s = left_behind(&h);
        stop(&h, shell, &s);
        assert!(!s.forward.exists());
        assert!(reaches_logd(&s), "{shell:?}");
    }
}

#[test]
fn stop_leaves_a_running_daemon_alone() {
    let h = Harness::new();
    let s = left_behind(&h);
    let daemon = UnixDatagram::bind(&s.socket).unwrap();
    std::fs::write(h.dir.path("running"), "").unwrap();
    stop(&h, SHELLS[0], &s);
    // The daemon hands the socket back itself on SIGTERM; the script must not race it.
    assert!(s.forward.exists());
    let tx = UnixDatagram::unbound().unwrap();
    tx.send_to(b"x", &s.socket).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(daemon.recv(&mut buf).unwrap(), 1);
}

#[test]
fn stop_without_takeover_touches_nothing() {
    let h = Harness::new();
    let socket = h.dir.path("log");
    let forward = h.dir.path("log.logd");
    let logd = UnixDatagram::bind(&socket).unwrap();
    let out = h.run(
        SHELLS[0],
        &["stop"],
        &[
            ("CFG_global_socket", &socket),
            ("CFG_global_forward", &forward),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!forward.exists());
    UnixDatagram::unbound()
        .unwrap()
        .send_to(b"x", &socket)
        .unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(logd.recv(&mut buf).unwrap(), 1);
}
