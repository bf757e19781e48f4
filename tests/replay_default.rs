//! Replays the sample router logs through the SHIPPED default configuration with the real
//! binary (`logtrigger test --json`) and checks every rule's matches, ignored events and firings,
//! and the exact set of fired keys, against `tests/data/router.expected` (written by hand from
//! the scenario, including the injection attempts that must never ban 203.0.113.9).

use std::collections::BTreeMap;
use std::process::Command;

#[derive(Clone, Default, Debug, PartialEq)]
struct Counts {
    matches: u64,
    ignored: u64,
    firings: u64,
}

type Fires = BTreeMap<(String, String), u64>;

fn expected() -> (BTreeMap<String, Counts>, Fires) {
    let text = std::fs::read_to_string("tests/data/router.expected").unwrap();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut fires = Fires::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let w: Vec<&str> = line.split_whitespace().collect();
        let n: u64 = w[2].parse().unwrap();
        let c = counts.entry(w[1].to_string()).or_default();
        match w[0] {
            "matches" => c.matches = n,
            "ignored" => c.ignored = n,
            "firings" => c.firings = n,
            "fires" => {
                fires.insert((w[1].to_string(), w[3..].join(" ")), n);
            }
            other => panic!("unknown line kind {other}"),
        }
    }
    (counts, fires)
}

/// Runs the replay and tallies its JSON output; also checks the JSON summary agrees.
fn replay(input: &str) -> (BTreeMap<String, Counts>, Fires) {
    let out = Command::new(env!("CARGO_BIN_EXE_logtrigger"))
        .args(["test", "--json", "-c", "uci/logtrigger", input])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let field = |l: &str, k: &str| -> String {
        let at = l.find(&format!("\"{k}\":")).unwrap() + k.len() + 3;
        let rest = &l[at..];
        if let Some(s) = rest.strip_prefix('"') {
            s[..s.find('"').unwrap()].to_string()
        } else {
            rest[..rest.find([',', '}']).unwrap()].to_string()
        }
    };
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut fires = Fires::new();
    let mut summary = None;
    for l in stdout.lines() {
        if l.starts_with("{\"summary\"") {
            summary = Some(l.to_string());
            continue;
        }
        let rule = field(l, "rule");
        let c = counts.entry(rule.clone()).or_default();
        c.matches += 1;
        c.ignored += (field(l, "ignored") == "true") as u64;
        if field(l, "fired") == "true" {
            c.firings += 1;
            *fires.entry((rule, field(l, "key"))).or_default() += 1;
        }
    }
    let summary = summary.expect("a summary object");
    for (rule, c) in &counts {
        let want = format!(
            "{{\"rule\":\"{rule}\",\"matches\":{},\"ignored\":{},\"firings\":{}}}",
            c.matches, c.ignored, c.firings
        );
        assert!(summary.contains(&want), "summary lacks {want}: {summary}");
    }
    assert!(summary.contains("\"lines\":448"), "{summary}");
    (counts, fires)
}

fn check(input: &str) {
    let (want_counts, want_fires) = expected();
    let (counts, fires) = replay(input);
    for (rule, want) in &want_counts {
        let got = counts.get(rule).unwrap_or(&Counts::default()).clone();
        assert_eq!(&got, want, "{input}: rule {rule}");
    }
    for rule in counts.keys() {
        assert!(
            want_counts.contains_key(rule),
            "{input}: unexpected rule {rule}"
        );
    }
    // Every firing of a ban rule, key by key (logging rules fire on every match: not listed).
    let ban_fires: Fires = fires
        .into_iter()
        .filter(|((rule, _), _)| want_fires.keys().any(|(r, _)| r == rule))
        .collect();
    assert_eq!(ban_fires, want_fires, "{input}: fired keys");
    for (_, key) in ban_fires.keys() {
        // A key that names an address names the real sender, never the injected one.
        let k = key.trim_start_matches('[');
        assert!(
            !k.starts_with("203.0.113.9") || k.starts_with("203.0.113.9 "),
            "injected address fired: {key}"
        );
    }
}

#[test]
fn raw_frames_replay_as_expected() {
    check("tests/data/router.frames");
}

#[test]
fn logread_lines_replay_as_expected() {
    check("tests/data/router.log");
}

#[test]
fn adhoc_pattern_and_rule_filter() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_logtrigger"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&[
        "test",
        "--json",
        "-p",
        "Bad password attempt for %b from %s:%d",
        "-f",
        "user ip port",
        "tests/data/router.frames",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("\"fields\":{\"user\":\"'root'\",\"ip\":\"203.0.113.5\",\"port\":\"41000\"}"),
        "{out}"
    );
    let (code, out, _) = run(&[
        "test",
        "-c",
        "uci/logtrigger",
        "-r",
        "ddns",
        "tests/data/router.frames",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("ddns") && !out.contains("dropbear_bad_password"),
        "{out}"
    );
    let (code, _, err) = run(&[
        "test",
        "-c",
        "uci/logtrigger",
        "-r",
        "nosuchrule",
        "tests/data/router.frames",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no rule named 'nosuchrule'"), "{err}");
    let (code, _, err) = run(&["test", "-p", "bad %q", "tests/data/router.frames"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("pattern offset 4"), "{err}");
}
