//! Rules in the running daemon (SPEC §4, §6, §9): SIGHUP keeps the counts of unchanged rules,
//! a broken file on SIGHUP keeps the old rules firing and is logged as `file:line: reason`,
//! and logtrigger's own messages never match.

use crate::shared::*;
use std::fs;

fn rule(name: &str, pattern: &str, extra: &str, script: &std::path::Path) -> String {
    format!(
        "\nconfig rule\n\toption name '{name}'\n\toption pattern '{pattern}'\n{extra}\
         \toption script '{}'\n",
        script.display()
    )
}

fn reloads(s: &Setup) -> Option<u64> {
    daemon_num(&s.json(), "reloads")
}

#[test]
fn reload_with_one_rule_changed_keeps_the_other_rules_counts() {
    let s = Setup::new("reload-keep", "");
    let counted_out = s.dir.join("counted.env");
    let other_out = s.dir.join("other.env");
    let counted = rule(
        "counted",
        "count for %s",
        "\toption maxfail '5'\n\toption time '600'\n",
        &s.env_script("counted.sh", &counted_out),
    );
    let other_sh = s.env_script("other.sh", &other_out);
    s.write_config(&format!(
        "{counted}{}",
        rule("other", "other %s", "", &other_sh)
    ));
    let mut d = s.start_ready(&[]);

    for _ in 0..4 {
        s.send(b"<13>app: count for k1");
    }
    s.send(b"<13>app: count for k2");
    assert!(
        poll(ms(5000), || rule_num(&s.json(), "counted", "keys")
            == Some(2)
            && rule_num(&s.json(), "counted", "matches") == Some(5)),
        "{}",
        s.json()
    );
    assert!(!counted_out.exists(), "4 of 5 must not fire");

    // Only `other` changes.
    s.write_config(&format!(
        "{counted}{}",
        rule("other", "changed %s", "", &other_sh)
    ));
    signal(&d, libc::SIGHUP);
    assert!(poll(ms(5000), || reloads(&s) == Some(1)), "{}", s.stderr());
    assert_eq!(
        rule_num(&s.json(), "counted", "keys"),
        Some(2),
        "{}",
        s.json()
    );

    s.send(b"<13>app: count for k1");
    assert!(
        poll(ms(5000), || counted_out.exists()),
        "the 5th event after the reload did not fire: {}",
        s.stderr()
    );
    let env = read_env(&counted_out);
    assert_eq!(env.get("LT_count").map(String::as_str), Some("5"));
    assert_eq!(env.get("LT_key").map(String::as_str), Some("k1"));
    // The changed rule uses its new pattern.
    s.send(b"<13>app: changed x");
    assert!(poll(ms(5000), || other_out.exists()), "{}", s.stderr());
    let env = read_env(&other_out);
    assert_eq!(
        env.get("LT_pattern").map(String::as_str),
        Some("changed %s")
    );
    stop(&mut d, &s);
}

#[test]
fn broken_reload_keeps_the_old_rules_firing() {
    let s = Setup::new("reload-broken", "");
    let out = s.dir.join("kept.env");
    let kept = rule(
        "kept",
        "kept %s",
        "\toption maxfail '2'\n",
        &s.env_script("kept.sh", &out),
    );
    s.write_config(&kept);
    let mut d = s.start_ready(&[]);
    s.send(b"<13>app: kept a");
    assert!(poll(ms(5000), || rule_num(&s.json(), "kept", "matches")
        == Some(1)));

    let good = s.config_text(&kept);
    let broken = format!(
        "{good}\nconfig rule\n\toption name 'bad'\n\toption pattern 'bad %s'\n\toption maxfail 'lots'\n"
    );
    let line = broken.lines().count(); // the last line is the bad one
    fs::write(&s.config, &broken).unwrap();
    signal(&d, libc::SIGHUP);
    let want = format!("{}:{line}: ", s.config.display());
    assert!(
        poll(ms(5000), || s.stderr().contains(&want)),
        "no `{want}` in: {}",
        s.stderr()
    );
    assert!(s.stderr().contains("maxfail"), "{}", s.stderr());
    // `status -c FILE` still finds the daemon while FILE does not validate.
    let j = s.json();
    assert_eq!(daemon_num(&j, "reload_errors"), Some(1), "{j}");
    assert_eq!(daemon_num(&j, "reloads"), Some(0), "{j}");
    assert_eq!(rule_num(&j, "bad", "matches"), None, "{j}");

    // The old rule still fires, with its count kept.
    s.send(b"<13>app: kept a");
    assert!(poll(ms(5000), || out.exists()), "{}", s.stderr());
    let env = read_env(&out);
    assert_eq!(env.get("LT_name").map(String::as_str), Some("kept"));
    assert_eq!(env.get("LT_count").map(String::as_str), Some("2"));
    stop(&mut d, &s);
}

#[test]
fn own_messages_never_fire() {
    let port = free_udp_port();
    let s = Setup::new("own", &format!("\tlist udp '127.0.0.1:{port}'\n"));
    let fired = s.dir.join("fired");
    let sh = s.script(
        "append.sh",
        &format!("echo \"$LT_message\" >> {}\n", fired.display()),
    );
    s.write_config(&format!(
        "\tlist udp '127.0.0.1:{port}'\n{}",
        rule("loop", "loop %s", "\toption source 'unix udp'\n", &sh)
    ));
    let mut d = s.start_ready(&["-D", "2"]);
    let own: [&[u8]; 4] = [
        b"<13>logtrigger: loop a",
        b"<13>Nov 26 21:45:37 logtrigger[123]: loop b",
        b"<13>Nov 26 21:45:37 router logtrigger: loop c",
        b"<13>1 2026-11-28T10:00:00Z router logtrigger 123 - - loop d",
    ];
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for f in own {
        s.send(f);
        udp.send_to(f, ("127.0.0.1", port)).unwrap();
    }
    // Sent after the others on the same sockets: once these fired, the others were processed.
    s.send(b"<13>other: loop unix");
    udp.send_to(b"<13>other: loop udp", ("127.0.0.1", port))
        .unwrap();
    assert!(
        poll(ms(5000), || fs::read_to_string(&fired)
            .unwrap_or_default()
            .lines()
            .count()
            == 2),
        "{}",
        s.stderr()
    );
    let j = s.json();
    assert_eq!(rule_num(&j, "loop", "matches"), Some(2), "{j}");
    assert_eq!(rule_num(&j, "loop", "firings"), Some(2), "{j}");
    let text = fs::read_to_string(&fired).unwrap();
    assert!(text.lines().all(|l| l.contains("other: loop u")), "{text}");
    stop(&mut d, &s);
}
