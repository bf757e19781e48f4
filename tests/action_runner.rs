//! The script runner against real `/bin/sh` scripts (SPEC §7): the environment byte for byte,
//! the process state a script starts in, `max_jobs`, the queue, timeouts (TERM, then KILL),
//! process groups, spawn failures, captured output and reaping.
//!
//! Tests share one lock: each one ends by asserting that the test process has no child left
//! (running or zombie), which only means something when no other test is spawning meanwhile.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use logtrigger::action::{FireInfo, Job, Limits, Runner, Stats, Submitted, build_env};
use logtrigger::pipeline::Source;

static LOCK: Mutex<()> = Mutex::new(());

/// Generous bound for anything that should take milliseconds on an idle machine.
const BOUND: Duration = Duration::from_secs(60);

/// A scratch directory, removed on drop, plus the test lock.
struct Scratch {
    dir: PathBuf,
    _guard: MutexGuard<'static, ()>,
}

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let guard = LOCK.lock().unwrap_or_else(|poison| poison.into_inner());
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lt_action_{}_{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch { dir, _guard: guard }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes an executable `#!/bin/sh` script; `@` in `body` stands for the scratch directory.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.path(name);
        let body = body.replace('@', self.dir.to_str().unwrap());
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn limits(max_jobs: usize, max_queue: usize, timeout: Duration) -> Limits {
    Limits {
        max_jobs,
        max_queue,
        timeout,
        debug: 0,
    }
}

fn job(script: &Path, env: &[(&str, &str)]) -> Job {
    job_of("test", script, env)
}

/// A job of rule `rule`.
fn job_of(rule: &str, script: &Path, env: &[(&str, &str)]) -> Job {
    let env = env
        .iter()
        .map(|(n, v)| (OsString::from(n), OsString::from(v)))
        .collect();
    Job {
        rule: rule.to_string(),
        script: script.to_path_buf(),
        env,
        counted: false,
    }
}

/// Calls `service` until `done` holds; false if `bound` passed first.
fn service_until(
    runner: &mut Runner,
    bound: Duration,
    mut done: impl FnMut(&Runner) -> bool,
) -> bool {
    let start = Instant::now();
    loop {
        runner.service(Instant::now());
        if done(runner) {
            return true;
        }
        if start.elapsed() > bound {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn idle(runner: &Runner) -> bool {
    runner.running() == 0 && runner.queued() == 0
}

/// Services the runner until `path` exists (the script signals it got that far).
fn wait_for_file(runner: &mut Runner, path: &Path) {
    assert!(
        service_until(runner, BOUND, |_| path.exists()),
        "{} never appeared",
        path.display()
    );
}

/// Children of this process (any thread), with their state letter from /proc/PID/stat.
fn children() -> Vec<(u32, char)> {
    let mut found = Vec::new();
    for task in fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(list) = fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        for pid in list
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            found.push((pid, process_state(pid).unwrap_or('?')));
        }
    }
    found
}

/// The state letter of a process, `None` once it is gone.
fn process_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the `(comm)` field, which may itself contain spaces or parentheses.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

fn assert_no_children() {
    assert_eq!(children(), vec![], "children left (pid, state)");
}

/// A process that is gone, or a zombie waiting for its new parent (not us) to reap it.
fn is_dead(pid: u32) -> bool {
    matches!(process_state(pid), None | Some('Z') | Some('X'))
}

#[test]
fn environment_reaches_the_script_byte_for_byte() {
    let scratch = Scratch::new();
    let out = scratch.path("env");
    let script = scratch.script("dump.sh", "cat /proc/$$/environ > @/env");
    let pwned = scratch.path("pwned");
    let nasty = format!(
        "$(touch {}); ' \" \\ `touch {}` \n|;&",
        pwned.display(),
        pwned.display()
    );
    let fields: [(&str, &[u8]); 3] = [
        ("user", nasty.as_bytes()),
        ("ip", b"192.168.1.5"),
        ("raw", b"nul\0gone \xff\xfe end"),
    ];
    let extra = [("bantime".to_string(), "3600".to_string())];
    let path = Path::new("/var/log/auth log");
    let info = FireInfo {
        name: "SIP_WrongPass",
        pattern: b"User:%s IP:%s %b",
        string: b"User:x IP:192.168.1.5 y",
        message: b"Nov 26 21:45:37 router sip[7]: User:x\0 IP:192.168.1.5",
        key: b"192.168.1.5",
        count: 5,
        fields: &fields,
        host: b"router",
        program: b"sip",
        pid: b"7",
        facility: Some(4),
        severity: Some(3),
        source: Source::File(path),
        when: 1_700_000_000,
        extra: &extra,
    };
    let env = build_env(&info);
    let mut runner = Runner::new(limits(1, 1, Duration::ZERO));
    let submitted = runner.submit(
        Job {
            rule: "SIP_WrongPass".into(),
            script,
            env: env.clone(),
            counted: true,
        },
        Instant::now(),
    );
    assert_eq!(submitted, Submitted::Started);
    assert!(service_until(&mut runner, BOUND, idle));
    assert_eq!(runner.stats().succeeded, 1);

    let dumped = fs::read(&out).unwrap();
    let mut got: Vec<(Vec<u8>, Vec<u8>)> = dumped
        .split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=').expect("NAME=VALUE");
            (entry[..eq].to_vec(), entry[eq + 1..].to_vec())
        })
        .collect();
    let mut want: Vec<(Vec<u8>, Vec<u8>)> = env
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    got.sort();
    want.sort();
    // Exactly build_env's variables: nothing of the test process leaked (env_clear).
    assert_eq!(got, want);

    let lookup = |name: &str| {
        got.iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| v.clone())
    };
    let expected: [(&str, &[u8]); 14] = [
        ("PATH", b"/usr/sbin:/usr/bin:/sbin:/bin"),
        ("LT_name", b"SIP_WrongPass"),
        ("LT_user", nasty.as_bytes()),
        ("LT_raw", b"nulgone \xff\xfe end"),
        (
            "LT_message",
            b"Nov 26 21:45:37 router sip[7]: User:x IP:192.168.1.5",
        ),
        ("LT_source", b"file:/var/log/auth log"),
        ("LT_generator", b"/var/log/auth log"),
        ("LT_facility", b"auth"),
        ("LT_severity", b"err"),
        ("LT_count", b"5"),
        ("LT_key", b"192.168.1.5"),
        ("LT_ip", b"192.168.1.5"),
        ("LT_bantime", b"3600"),
        ("LT_datetime", b"1700000000"),
    ];
    for (name, value) in expected {
        assert_eq!(lookup(name).as_deref(), Some(value), "{name}");
    }
    assert!(!pwned.exists(), "a value was evaluated by a shell");
    assert_no_children();
}

#[test]
fn script_starts_in_a_clean_process_state() {
    let scratch = Scratch::new();
    let script = scratch.script(
        "state.sh",
        // Builtins only for the signal state: sh's own mask changes around every fork it makes.
        // (and the shell's fds are read from a subshell, as a redirection would change them).
        "fds=$(readlink /proc/$$/cwd /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); echo \"$fds\" > @/fds
         { while IFS= read -r l; do case $l in SigBlk*|SigIgn*) echo \"$l\";; esac; done < /proc/$$/status
           echo \"pgrp $(cut -d' ' -f5 /proc/$$/stat) pid $$\"; } > @/state",
    );
    // What a signalfd daemon does: block signals, and ignore one for good measure.
    // SAFETY: plain libc calls on local data; SIGUSR1 is used by nothing else in this binary.
    let old_mask = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigaddset(&mut set, libc::SIGHUP);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        libc::signal(libc::SIGUSR1, libc::SIG_IGN);
        old
    };
    let mut runner = Runner::new(limits(1, 1, Duration::ZERO));
    runner.submit(job(&script, &[]), Instant::now());
    // SAFETY: restores what was saved above.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
        libc::signal(libc::SIGUSR1, libc::SIG_DFL);
    }
    assert!(service_until(&mut runner, BOUND, idle));
    assert_eq!(runner.stats().succeeded, 1);

    let state = fs::read_to_string(scratch.path("state")).unwrap();
    let lines: Vec<&str> = state.lines().collect();
    assert_eq!(lines[0], "SigBlk:\t0000000000000000");
    // Signals 1–31 must be at their default. (32 and 33 belong to the C library, which refuses
    // to change them; a test environment may hand them down ignored.)
    let ignored = u64::from_str_radix(lines[1].trim_start_matches("SigIgn:\t"), 16).unwrap();
    assert_eq!(ignored & 0x7fff_ffff, 0, "{}", lines[1]);
    let words: Vec<&str> = lines[2].split(' ').collect();
    assert_eq!(words[0], "pgrp");
    assert_eq!(words[1], words[3], "the script leads its own process group");
    let fds = fs::read_to_string(scratch.path("fds")).unwrap();
    assert_eq!(
        fds.lines().collect::<Vec<_>>(),
        ["/", "/dev/null", "/dev/null", "/dev/null"]
    );
    assert_no_children();
}

#[test]
fn max_jobs_is_never_exceeded() {
    let scratch = Scratch::new();
    let script = scratch.script(
        "job.sh",
        "echo \"start $$\" >> @/log; sleep 0.01; echo \"end $$\" >> @/log",
    );
    let mut runner = Runner::new(limits(3, 200, Duration::ZERO));
    let now = Instant::now();
    // Three rules in turn: each may take a slot while it runs nothing.
    let rules = ["a", "b", "c"];
    let results: Vec<Submitted> = (0..200)
        .map(|i| runner.submit(job_of(rules[i % 3], &script, &[]), now))
        .collect();
    assert_eq!(results[..3], [Submitted::Started; 3]);
    assert!(results[3..].iter().all(|&r| r == Submitted::Queued));
    assert_eq!((runner.running(), runner.queued()), (3, 197));

    let mut most = 0;
    let finished = service_until(&mut runner, Duration::from_secs(300), |r| {
        most = most.max(r.running());
        idle(r)
    });
    assert!(finished);
    assert!(most <= 3);
    let stats = runner.stats();
    assert_eq!(
        (stats.started, stats.succeeded, stats.failed, stats.dropped),
        (200, 200, 0, 0)
    );

    // Scripts log their own start and end: at no point were more than three alive.
    let log = fs::read_to_string(scratch.path("log")).unwrap();
    let (mut alive, mut peak, mut lines) = (0i32, 0, 0);
    for line in log.lines() {
        lines += 1;
        match line.split(' ').next() {
            Some("start") => alive += 1,
            Some("end") => alive -= 1,
            _ => panic!("bad log line {line:?}"),
        }
        peak = peak.max(alive);
        assert!(alive >= 0);
    }
    assert_eq!(lines, 400);
    assert!(peak <= 3, "{peak} scripts ran at once");
    assert_no_children();
}

#[test]
fn queue_is_fifo_and_overflow_is_dropped_and_counted() {
    let scratch = Scratch::new();
    let script = scratch.script(
        "wait.sh",
        "while [ ! -e @/go ]; do sleep 0.02; done; echo \"$LT_n\" >> @/order",
    );
    let mut runner = Runner::new(limits(1, 2, Duration::ZERO));
    let now = Instant::now();
    let results: Vec<Submitted> = (0..5)
        .map(|i| runner.submit(job(&script, &[("LT_n", &i.to_string())]), now))
        .collect();
    use Submitted::*;
    assert_eq!(results, [Started, Queued, Queued, Dropped, Dropped]);
    assert_eq!(runner.stats().dropped, 2);

    fs::write(scratch.path("go"), "").unwrap();
    assert!(service_until(&mut runner, BOUND, |r| {
        assert!(r.running() <= 1);
        idle(r)
    }));
    assert_eq!(
        fs::read_to_string(scratch.path("order")).unwrap(),
        "0\n1\n2\n"
    );
    let stats = runner.stats();
    assert_eq!((stats.started, stats.succeeded, stats.dropped), (3, 3, 2));
    assert_no_children();
}

/// Starts `body` with no timeout, waits until it wrote `@/ready`, then lowers the timeout so the
/// next `service` call times it out: the script is surely past its setup when TERM arrives.
fn time_out(scratch: &Scratch, body: &str) -> Runner {
    let script = scratch.script("slow.sh", body);
    let mut runner = Runner::new(limits(1, 1, Duration::ZERO));
    runner.submit(job(&script, &[]), Instant::now());
    assert_eq!(runner.next_deadline(), None);
    wait_for_file(&mut runner, &scratch.path("ready"));
    assert_eq!(runner.running(), 1, "the script ended early");
    runner.set_limits(limits(1, 1, Duration::from_millis(1)));
    assert!(runner.next_deadline().is_some());
    runner
}

#[test]
fn timeout_sends_sigterm() {
    let scratch = Scratch::new();
    let mut runner = time_out(&scratch, "echo > @/ready; sleep 100");
    assert!(service_until(&mut runner, BOUND, idle));
    let stats = runner.stats();
    assert_eq!(
        (stats.timed_out, stats.killed, stats.succeeded, stats.failed),
        (1, 0, 0, 0)
    );
    assert_eq!(runner.next_deadline(), None);
    assert_no_children();
}

#[test]
fn script_ignoring_sigterm_gets_sigkill_after_grace() {
    let scratch = Scratch::new();
    let mut runner = time_out(&scratch, "trap '' TERM; echo > @/ready; sleep 100");
    let termed = Instant::now();
    runner.service(termed);
    assert_eq!(runner.running(), 1);
    // The next deadline is the SIGKILL, five seconds after the SIGTERM.
    assert_eq!(
        runner.next_deadline(),
        Some(termed + Duration::from_secs(5))
    );
    assert!(service_until(&mut runner, BOUND, idle));
    let stats = runner.stats();
    assert_eq!((stats.timed_out, stats.killed), (1, 1));
    assert_no_children();
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let scratch = Scratch::new();
    // One grandchild dies of the group's SIGTERM; the other ignores it and must get the SIGKILL
    // the runner sends to the group as soon as the script itself is gone.
    let mut runner = time_out(
        &scratch,
        "sleep 100 & echo $! > @/g1
         (trap '' TERM; exec sleep 100) & echo $! > @/g2
         echo > @/ready; wait",
    );
    assert!(service_until(&mut runner, BOUND, idle));
    assert_eq!(runner.stats().timed_out, 1);
    for name in ["g1", "g2"] {
        let pid: u32 = fs::read_to_string(scratch.path(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let start = Instant::now();
        while !is_dead(pid) {
            assert!(
                start.elapsed() < BOUND,
                "grandchild {name} (pid {pid}) survived"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert_no_children();
}

#[test]
fn scripts_that_cannot_run_or_fail_are_counted() {
    let scratch = Scratch::new();
    let missing = scratch.path("missing.sh");
    let not_exec = scratch.path("plain.sh");
    fs::write(&not_exec, "#!/bin/sh\nexit 0\n").unwrap();
    let exit3 = scratch.script("exit3.sh", "exit 3");
    let killed = scratch.script("self_kill.sh", "kill -9 $$");
    let mut runner = Runner::new(limits(4, 4, Duration::ZERO));
    let now = Instant::now();
    assert_eq!(runner.submit(job(&missing, &[]), now), Submitted::Started);
    assert_eq!(runner.submit(job(&not_exec, &[]), now), Submitted::Started);
    assert_eq!(
        runner.submit(job(&scratch.dir, &[]), now),
        Submitted::Started
    );
    assert_eq!(runner.running(), 0, "nothing could be spawned");
    assert_eq!(runner.stats().failed, 3);
    runner.submit(job(&exit3, &[]), now);
    runner.submit(job(&killed, &[]), now);
    assert!(service_until(&mut runner, BOUND, idle));
    let stats = runner.stats();
    assert_eq!((stats.started, stats.failed, stats.succeeded), (2, 5, 0));
    assert_no_children();
}

#[test]
fn shutdown_terminates_kills_and_reaps_everything() {
    let scratch = Scratch::new();
    let polite = scratch.script("polite.sh", "echo > @/ready_$LT_n; sleep 100");
    let stubborn = scratch.script(
        "stubborn.sh",
        "trap '' TERM; echo > @/ready_$LT_n; sleep 100",
    );
    let mut runner = Runner::new(limits(3, 5, Duration::ZERO));
    let now = Instant::now();
    runner.submit(job_of("a", &polite, &[("LT_n", "0")]), now);
    runner.submit(job_of("b", &stubborn, &[("LT_n", "1")]), now);
    runner.submit(job_of("c", &polite, &[("LT_n", "2")]), now);
    runner.submit(job_of("c", &polite, &[("LT_n", "3")]), now);
    assert_eq!((runner.running(), runner.queued()), (3, 1));
    for n in 0..3 {
        wait_for_file(&mut runner, &scratch.path(&format!("ready_{n}")));
    }
    runner.shutdown(Duration::from_millis(300));
    assert_eq!((runner.running(), runner.queued()), (0, 0));
    let stats = runner.stats();
    assert_eq!(
        (stats.started, stats.failed, stats.timed_out, stats.dropped),
        (3, 3, 0, 1)
    );
    assert_no_children();
}

#[test]
fn dropping_the_runner_leaves_no_child() {
    let scratch = Scratch::new();
    let script = scratch.script("s.sh", "echo > @/ready; sleep 100");
    let mut runner = Runner::new(limits(1, 1, Duration::ZERO));
    runner.submit(job(&script, &[]), Instant::now());
    wait_for_file(&mut runner, &scratch.path("ready"));
    drop(runner);
    assert_no_children();
}

/// Runs `f` with this process's stderr sent to a file, and returns what was written there.
fn capture_stderr(path: &Path, f: impl FnOnce()) -> Vec<u8> {
    let file = fs::File::create(path).unwrap();
    // SAFETY: plain descriptor juggling; the saved copy restores stderr afterwards.
    let saved = unsafe { libc::dup(2) };
    assert!(saved >= 0);
    unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&file), 2) };
    f();
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
    fs::read(path).unwrap()
}

#[test]
fn debug_2_shows_output_line_by_line_without_blocking() {
    let scratch = Scratch::new();
    // 3 MB on one line, then short lines on both streams: the runner must keep draining.
    let script = scratch.script(
        "chatty.sh",
        "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo 'out line'; echo 'err line' >&2; printf 'no newline'",
    );
    let mut stats = Stats::default();
    let mut fds_seen = false;
    let log = capture_stderr(&scratch.path("stderr"), || {
        let mut runner = Runner::new(Limits {
            debug: 2,
            ..limits(1, 1, Duration::ZERO)
        });
        runner.submit(job(&script, &[("LT_x", "a\nb")]), Instant::now());
        fds_seen = runner.poll_fds().len() == 2;
        assert!(service_until(&mut runner, BOUND, idle));
        assert!(runner.poll_fds().is_empty());
        stats = runner.stats();
    });
    assert!(fds_seen, "stdout and stderr pipes are offered to poll");
    assert_eq!((stats.succeeded, stats.killed), (1, 0));
    let log = String::from_utf8(log).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("logtrigger: [test] "))
        .collect();
    let cut = format!("logtrigger: [test] script: {}…", "a".repeat(1024));
    for want in [
        "logtrigger: [test] env LT_x=a\\x0ab",
        cut.as_str(),
        "logtrigger: [test] script: out line",
        "logtrigger: [test] script: err line",
        "logtrigger: [test] script: no newline",
    ] {
        assert!(
            lines.contains(&want),
            "missing {:.80}… in {log:.2000}",
            want
        );
    }
    assert!(log.len() < 64 * 1024, "the long line was cut, not copied");
    assert_no_children();
}

#[test]
fn a_rule_keeps_the_last_slot_free_and_shares_the_queue_fairly() {
    let scratch = Scratch::new();
    let script = scratch.script(
        "wait.sh",
        "while [ ! -e @/go ]; do sleep 0.02; done; echo \"$LT_n\" >> @/order",
    );
    let mut runner = Runner::new(limits(3, 4, Duration::ZERO));
    let now = Instant::now();
    let n = |i: usize| i.to_string();
    // A logging rule fires 20 times: it takes two slots, never the third, and fills the queue
    // of 4; the rest of its firings are dropped.
    let results: Vec<Submitted> = (0..20)
        .map(|i| runner.submit(job_of("log", &script, &[("LT_n", &n(i))]), now))
        .collect();
    use Submitted::*;
    assert_eq!(
        results[..6],
        [Started, Started, Queued, Queued, Queued, Queued]
    );
    assert!(results[6..].iter().all(|&r| r == Dropped));
    assert_eq!((runner.running(), runner.queued()), (2, 4));
    // A ban fires now: it starts at once in the kept slot. The next ones take the places of the
    // logging rule's newest waiting jobs until both rules hold as many; then a ban is dropped.
    let ban = |i: usize| job_of("ban", &script, &[("LT_n", &format!("ban{i}"))]);
    assert_eq!(runner.submit(ban(0), now), Started);
    assert_eq!(runner.submit(ban(1), now), Queued);
    assert_eq!(runner.submit(ban(2), now), Queued);
    assert_eq!(runner.queued(), 4, "the queue stays bounded");
    assert_eq!(
        runner.submit(ban(3), now),
        Dropped,
        "2 waiting each: a fair share"
    );
    assert_eq!(
        runner.submit(job_of("log", &script, &[("LT_n", "late")]), now),
        Dropped
    );
    // A rule that counts before it fires (a ban proper) takes the place of a job of a rule
    // that fires on every match, however many of its own wait.
    let counted = |i: usize| Job {
        counted: true,
        ..job_of("counted", &script, &[("LT_n", &format!("ban-counted{i}"))])
    };
    for i in 0..4 {
        assert_eq!(runner.submit(counted(i), now), Queued);
    }
    assert_eq!(runner.queued(), 4);
    assert_eq!(
        runner.submit(counted(4), now),
        Dropped,
        "nothing of an every-match rule is left to make room"
    );
    fs::write(scratch.path("go"), "").unwrap();
    assert!(service_until(&mut runner, BOUND, |r| {
        assert!(r.running() <= 3);
        idle(r)
    }));
    let order = fs::read_to_string(scratch.path("order")).unwrap();
    let mut bans: Vec<&str> = order.lines().filter(|l| l.starts_with("ban")).collect();
    bans.sort();
    assert_eq!(
        bans,
        [
            "ban-counted0",
            "ban-counted1",
            "ban-counted2",
            "ban-counted3",
            "ban0"
        ]
    );
    let mut logs: Vec<&str> = order.lines().filter(|l| !l.starts_with("ban")).collect();
    logs.sort();
    assert_eq!(logs, ["0", "1"], "the waiting ones made room: {order}");
    assert_eq!(runner.stats().dropped, 14 + 2 + 1 + 1 + 4 + 1);
    assert_no_children();
}

#[test]
fn free_slots_go_to_the_rules_in_turn() {
    let scratch = Scratch::new();
    let script = scratch.script(
        "wait.sh",
        "while [ ! -e @/go ]; do sleep 0.02; done; echo \"$LT_n\" >> @/order",
    );
    let mut runner = Runner::new(limits(1, 64, Duration::ZERO));
    let now = Instant::now();
    // With one slot: the first logging job runs, 9 more wait, then 3 bans wait behind them.
    for i in 0..10 {
        runner.submit(job_of("log", &script, &[("LT_n", &format!("log{i}"))]), now);
    }
    for i in 0..3 {
        runner.submit(job_of("ban", &script, &[("LT_n", &format!("ban{i}"))]), now);
    }
    fs::write(scratch.path("go"), "").unwrap();
    assert!(service_until(&mut runner, BOUND, idle));
    let order = fs::read_to_string(scratch.path("order")).unwrap();
    let order: Vec<&str> = order.lines().collect();
    // Served in turn: a ban never waits behind more than one logging job.
    assert_eq!(
        order[..7],
        ["log0", "ban0", "log1", "ban1", "log2", "ban2", "log3"]
    );
    assert_eq!(order.len(), 13);
    assert_no_children();
}
