//! `logtrigger parse [--hex] [FILE…|-]` (SPEC §9): one JSON object per input frame.
//!
//! Owns: reading lines (each one frame, or with `--hex` the hex of a frame's bytes) and printing
//! them parsed. Never: stops at a bad line or file — it reports it on stderr, carries on, and
//! exits 1 at the end.

use crate::syslog;
use std::io::{self, BufRead, BufReader, Write};

/// Print each input frame parsed, one JSON object per line.
pub struct Args {
    /// each input line is a frame's bytes in hex
    pub hex: bool,
    /// input files (default or `-`: standard input)
    pub files: Vec<String>,
}

pub fn run(args: Args) -> i32 {
    let files = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files
    };
    // The same writer type as `test` uses: one copy of BufWriter's code in the binary.
    let mut out = io::BufWriter::new(io::stdout());
    let mut ok = true;
    for name in &files {
        let result = match super::open_input(name) {
            Ok(f) => print_frames(name, BufReader::new(f), args.hex, &mut out),
            Err(e) => Err(Problem::Read(e)),
        };
        match result {
            Ok(true) => {}
            Ok(false) => ok = false,
            // stdout gone (e.g. a closed pipe): nothing more can be printed.
            Err(Problem::Write(e)) => {
                eprintln!("logtrigger parse: stdout: {e}");
                return 1;
            }
            Err(Problem::Read(e)) => {
                eprintln!("logtrigger parse: {name}: {e}");
                ok = false;
            }
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("logtrigger parse: stdout: {e}");
        return 1;
    }
    if ok { 0 } else { 1 }
}

enum Problem {
    Read(io::Error),
    Write(io::Error),
}

/// Prints every line of `input`; `Ok(false)` when some line was bad hex.
fn print_frames(
    name: &str,
    mut input: impl BufRead,
    hex: bool,
    out: &mut impl Write,
) -> Result<bool, Problem> {
    let mut line = Vec::new();
    let mut frame = Vec::new();
    let mut json = Vec::new();
    let mut all_good = true;
    for number in 1.. {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(Problem::Read)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let bytes = if hex {
            frame.clear();
            if let Err(reason) = decode_hex(&line, &mut frame) {
                eprintln!("logtrigger parse: {name}:{number}: bad hex: {reason}");
                all_good = false;
                continue;
            }
            &frame
        } else {
            &line
        };
        json.clear();
        syslog::json::write_message(&syslog::parse(bytes), &mut json);
        json.push(b'\n');
        out.write_all(&json).map_err(Problem::Write)?;
    }
    Ok(all_good)
}

/// Hex digits (either case, whitespace between bytes ignored) → bytes.
fn decode_hex(text: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut high: Option<u8> = None;
    for &c in text {
        if c.is_ascii_whitespace() {
            if high.is_some() {
                return Err("odd number of digits");
            }
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err("not a hex digit"),
        };
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
    }
    match high {
        Some(_) => Err("odd number of digits"),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding() {
        let mut out = Vec::new();
        assert_eq!(decode_hex(b"3c31333e 41 0a\r", &mut out), Ok(()));
        assert_eq!(out, b"<13>A\n");
        out.clear();
        assert_eq!(decode_hex(b"3c3", &mut out), Err("odd number of digits"));
        assert_eq!(decode_hex(b"3 c", &mut out), Err("odd number of digits"));
        assert_eq!(decode_hex(b"zz", &mut out), Err("not a hex digit"));
    }

    #[test]
    fn lines_and_bad_hex() {
        let mut out = Vec::new();
        let good = print_frames("t", &b"<13>a: b\r\n<12>c"[..], false, &mut out).ok();
        assert_eq!(good, Some(true));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains(r#""app_name":"a""#) && text.contains(r#""msg":"c""#));
        let mut out = Vec::new();
        let good = print_frames("t", &b"xx\n3c31333e6869\n"[..], true, &mut out).ok();
        assert_eq!(good, Some(false));
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }
}
