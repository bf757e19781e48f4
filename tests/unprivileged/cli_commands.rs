//! The command line as an administrator uses it (SPEC §9), through the real binary: `--version`,
//! `-D 999`, `test` on a live feed (a FIFO, a pipe) showing each match before its input ends,
//! and tables that stay aligned whatever the length of a rule's name.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::shared::{BIN, Setup, ms, poll, stop, temp_dir};

#[test]
fn version_prints_the_version() {
    for flag in ["--version", "-V"] {
        let out = Command::new(BIN).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("logtrigger {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("Unrecognized argument: --bogus\n"), "{err}");
    assert!(
        err.contains("Run logtrigger --help for more information."),
        "{err}"
    );
    let out = Command::new(BIN).args(["test", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.starts_with("Usage: logtrigger test "), "{help}");
}

/// `-D 999` (the seed manual's "information overload") runs the daemon at the highest level:
/// every received frame is traced, which only level 9 does.
#[test]
fn debug_999_means_everything() {
    let s = Setup::new(
        "d999",
        "\nconfig rule\n\toption name 'r'\n\toption pattern 'hello %s'\n",
    );
    let mut d = s.start_ready(&["-D", "999"]);
    s.send(b"<13>app: hello overload");
    assert!(
        poll(ms(5000), || s
            .stderr()
            .contains("unix: <13>app: hello overload")),
        "{}",
        s.stderr()
    );
    assert!(
        poll(ms(5000), || s.stderr().contains("[r] tried")),
        "level 3 and above: every rule tried\n{}",
        s.stderr()
    );
    stop(&mut d, &s);
}

/// Collects a child's stdout on a thread, so the test can poll what was printed so far.
fn collect(child: &mut Child) -> Arc<Mutex<Vec<u8>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut out = child.stdout.take().unwrap();
    let shared = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            shared.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    seen
}

fn text(seen: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
}

const LINE: &[u8] =
    b"Fri Nov 27 21:45:37 2026 authpriv.warn dropbear[1]: Bad password for root from 192.0.2.7\n";

fn test_command(input: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args([
        "test",
        "-p",
        "Bad password for %s from %s",
        "-f",
        "user ip",
        input,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    c
}

/// The match is printed while the writer still holds the FIFO open: `test` does not wait for
/// the end of its input.
#[test]
fn test_on_a_fifo_prints_each_match_before_the_input_ends() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("feed");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut child = test_command(fifo.to_str().unwrap()).spawn().unwrap();
    let seen = collect(&mut child);
    let mut writer = open_writer(&fifo);
    writer.write_all(LINE).unwrap();
    assert!(
        poll(ms(10_000), || text(&seen).contains("matched:")),
        "no match shown while the feed is open: {:?}",
        text(&seen)
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the replay is still reading"
    );
    let shown = text(&seen);
    assert!(
        shown.contains("ip=\"192.0.2.7\"") && !shown.contains("Lines:"),
        "{shown}"
    );
    drop(writer);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        poll(ms(5000), || text(&seen).contains("Lines: 1")),
        "{}",
        text(&seen)
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// The writing end of a FIFO, once the reader has opened it (bounded: a non-blocking open
/// fails with ENXIO until then).
fn open_writer(fifo: &Path) -> fs::File {
    let mut file = None;
    let opened = poll(ms(10_000), || {
        file = fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
            .ok();
        file.is_some()
    });
    assert!(opened, "the replay never opened the FIFO");
    file.unwrap()
}

/// `logread -f | logtrigger test -`: a pipe on standard input behaves the same.
#[test]
fn test_on_a_pipe_prints_each_match_live() {
    let mut child = test_command("-").stdin(Stdio::piped()).spawn().unwrap();
    let seen = collect(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(LINE).unwrap();
    stdin.flush().unwrap();
    assert!(
        poll(ms(10_000), || text(&seen).contains("matched:")),
        "{:?}",
        text(&seen)
    );
    assert!(child.try_wait().unwrap().is_none());
    stdin.write_all(LINE).unwrap();
    assert!(
        poll(ms(10_000), || text(&seen).matches("matched:").count() == 2),
        "{:?}",
        text(&seen)
    );
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// The columns of each table line up (the first cell of a line is as wide as the widest name).
fn assert_aligned(table: &[&str], column: &str) {
    let header = table[0];
    let at = header.find(column).unwrap() + column.len();
    for row in &table[1..] {
        let cell_end = row[..at.min(row.len())].trim_end().len();
        assert!(
            row.len() >= at && cell_end == at,
            "column {column:?} misaligned:\n{}",
            table.join("\n")
        );
    }
}

/// Each row's cell of a left-aligned `column` starts where the header's does.
fn assert_starts(table: &[&str], column: &str) {
    let at = table[0].find(column).unwrap();
    for row in &table[1..] {
        let ok = row.get(at - 2..at) == Some("  ") && !row[at..].starts_with(' ');
        assert!(ok, "column {column:?} misaligned:\n{}", table.join("\n"));
    }
}

#[test]
fn tables_stay_aligned_with_long_rule_names() {
    let dir = temp_dir("tables");
    let long = "a_rule_name_much_longer_than_any_column_was_ever_meant_for";
    let cfg = dir.join("cfg");
    fs::write(
        &cfg,
        format!(
            "config rule '{long}'\n\toption pattern 'Bad password for %s from %s'\n\
             \toption fields 'user ip'\n\toption key 'ip'\n\toption maxfail '2'\n\
             config rule 'x'\n\toption pattern 'other %s'\n"
        ),
    )
    .unwrap();
    let input = dir.join("lines");
    fs::write(&input, [LINE, LINE, LINE].concat()).unwrap();
    let out = Command::new(BIN)
        .args(["test", "-c", cfg.to_str().unwrap(), input.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("rule "))
        .collect();
    assert_eq!(table.len(), 3, "{stdout}");
    for column in ["matches", "ignored", "firings"] {
        assert_aligned(&table, column);
    }
    assert!(
        table[1].starts_with(long) && table[1].ends_with(" 3        0        1"),
        "{stdout}"
    );

    let out = Command::new(BIN)
        .args(["check", "-c", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("rule "))
        .take(3)
        .collect();
    assert_eq!(table.len(), 3, "{stdout}");
    for column in ["enabled", "fires after", "key", "script"] {
        assert_starts(&table, column);
    }
    assert!(table[1].starts_with(&format!("{long}  yes")), "{stdout}");
    fs::remove_dir_all(&dir).unwrap();
}
