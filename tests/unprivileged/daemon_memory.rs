//! Idle memory of the real daemon (budget: idle RSS ≤ 1 MB on the router). The binary under test
//! is the test build (debug, glibc), whose code pages say nothing about the release musl build, so
//! this test reads only the anonymous memory (heap, stack, data: `Anonymous:` of
//! /proc/PID/smaps_rollup), which depends on what the daemon allocates and touches, not on the
//! machine's load. bench/idle.sh measures the whole RSS of the release build.

use crate::shared::*;
use std::fs;

/// Anonymous resident kB of a running process.
fn anonymous_kb(pid: u32) -> u64 {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("Anonymous:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("Anonymous: in smaps_rollup")
}

/// Anonymous kB of an idle daemon started on `extra` (after the global section), once it
/// answers on its control socket.
fn idle_anonymous_kb(name: &str, extra: &str) -> u64 {
    let s = Setup::new(name, extra);
    let mut d = s.start_ready(&[]);
    let kb = anonymous_kb(d.id());
    stop(&mut d, &s);
    kb
}

/// The `config rule` sections of the shipped default configuration.
fn default_rules() -> (String, usize) {
    let text = fs::read_to_string("uci/logtrigger").unwrap();
    let at = text.find("\nconfig rule").expect("rules in uci/logtrigger");
    let rules = text[at..].to_string();
    let n = rules.matches("\nconfig rule").count();
    (rules, n)
}

#[test]
fn idle_daemon_with_the_default_rules_holds_no_key_tables() {
    let port = free_udp_port();
    let udp = format!("\tlist udp '127.0.0.1:{port}'\n\toption takeover '0'\n");
    let (rules, n) = default_rules();
    let bare = idle_anonymous_kb("mem-bare", &udp);
    let full = idle_anonymous_kb("mem-rules", &format!("{udp}{rules}"));
    let per_rule = full.saturating_sub(bare) / n as u64;
    eprintln!("idle anonymous memory: {bare} kB without rules, {full} kB with {n} rules");
    // Compiled patterns and rule state take ~20 kB per rule. When key tables (128 KiB each for
    // the default limits) were allocated and partly filled at start, and patterns kept in three
    // copies, the same daemon held ~45 kB per rule more.
    assert!(
        per_rule <= 32,
        "{per_rule} kB per rule ({bare} → {full} kB)"
    );
    assert!(full <= 1024, "idle anonymous memory {full} kB > 1 MiB");
}
