//! `logtrigger parse` run as the real binary on stdin, files and `--hex`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logtrigger"))
        .arg("parse")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logtrigger");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// One printed line, parsed (a line that is not JSON fails the test).
fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn stdin_lines() {
    let input = b"<84>Nov  6 21:52:13 dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234\n\
<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event\n\
<999>bad pri\r\n\
<13>caf\xe9";
    let out = run(&[], input);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        r#"{"format":"rfc3164","facility":10,"severity":4,"version":null,"timestamp":"Nov  6 21:52:13","hostname":null,"app_name":"dropbear","procid":"17137","msgid":null,"sd":null,"msg":"Bad password attempt for 'root' from 192.168.1.5:51234","bom":false}"#
    );
    assert_eq!(
        lines[1],
        r#"{"format":"rfc5424","facility":20,"severity":5,"version":1,"timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","app_name":"evntslog","procid":null,"msgid":"ID47","sd":{"exampleSDID@32473":{"iut":"3"}},"msg":"An application event","bom":false}"#
    );
    let (bad_pri, latin1) = (json(lines[2]), json(lines[3]));
    assert!(bad_pri["facility"].is_null(), "{bad_pri}");
    assert_eq!(bad_pri["msg"], "<999>bad pri");
    assert_eq!(latin1["msg"], "caf\u{FFFD}", "{latin1}");
}

#[test]
fn hex_frames_with_nul_and_newline_inside() {
    // `<12>py unix default\0`, and `<13>a: b\nc` with an embedded LF, as hex.
    let input = b"3c31323e707920756e69782064656661756c7400\n3C31333E613A20620A63\n";
    let out = run(&["--hex", "-"], input);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let (nul, newline) = (json(lines[0]), json(lines[1]));
    assert_eq!((&nul["facility"], &nul["severity"]), (&1.into(), &4.into()));
    assert_eq!(nul["msg"], "py unix default");
    assert_eq!(newline["app_name"], "a");
    assert_eq!(newline["msg"], "b\nc");
}

#[test]
fn bad_hex_and_missing_file_exit_1() {
    let out = run(&["--hex"], b"3c31333e\nnot hex\n3c31333e41\n");
    assert_eq!(out.status.code(), Some(1));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.lines().count(), 2, "good lines still print");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("-:2: bad hex"), "{err}");

    let dir = crate::shared::temp_dir("parse");
    let file = dir.join("frames.log");
    std::fs::write(&file, b"<13>app: from file\n").unwrap();
    let missing = dir.join("missing.log");
    let out = run(&[missing.to_str().unwrap(), file.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("missing.log"), "{err}");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.lines().any(|l| json(l)["msg"] == "from file"),
        "{printed}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
