//! `logtrigger test` (SPEC §9): replay log lines through the rules, like `fail2ban-regex`.
//!
//! Each input line is a raw frame (`<PRI>…`), a line as `logread` prints it, or plain text; the
//! counting windows use the line's own timestamp when it has one, else the current time.
//! Scripts run only with `--run`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::action::{Limits, Runner};
use crate::config::Config;
use crate::pipeline::{Hit, Pipeline, Sender, Source};
use crate::syslog;

/// Replay log lines (file lines or raw frames) through the rules.
pub struct Args {
    /// configuration file (default /etc/config/logtrigger)
    pub config: PathBuf,
    /// only this rule
    pub rule: Option<String>,
    /// an ad-hoc pattern instead of the configured rules
    pub pattern: Option<String>,
    /// field names for the ad-hoc pattern
    pub fields: Option<String>,
    /// one JSON object per match, then a summary object
    pub json: bool,
    /// really run the scripts of firing rules
    pub run: bool,
    /// input files (default or `-`: standard input)
    pub files: Vec<String>,
}

pub fn run(args: Args) -> i32 {
    let config = match load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let mut replay = Replay::new(&config, &args);
    let inputs = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files.clone()
    };
    for name in &inputs {
        match replay.input(name) {
            Ok(()) => {}
            Err(Problem::Read(e)) => {
                eprintln!("logtrigger test: {name}: {e}");
                return 1;
            }
            // stdout gone (the reader of a live feed quit): nothing more can be shown.
            Err(Problem::Write(e)) => {
                eprintln!("logtrigger test: stdout: {e}");
                return 1;
            }
        }
    }
    replay.finish();
    0
}

/// The configuration to replay: the file, one rule of it, or an ad-hoc pattern.
fn load(args: &Args) -> Result<Config, String> {
    let mut config = match &args.pattern {
        Some(p) => {
            let mut text = format!(
                "config rule\n\toption name 'pattern'\n\toption pattern {}\n",
                quote(p)
            );
            if let Some(f) = &args.fields {
                text += &format!("\toption fields {}\n", quote(f));
            }
            // The lines of this made-up file mean nothing to the user: say which option it was.
            Config::parse(text.as_bytes(), "-p").map_err(|mut e| {
                e.file = if e.line == 4 { "-f" } else { "-p" }.to_string();
                e.line = 0;
                e
            })
        }
        None => Config::load(&args.config),
    }
    .map_err(|e| e.to_string())?;
    if let Some(name) = &args.rule {
        config.rules.retain(|r| &r.name == name);
        if config.rules.is_empty() {
            return Err(format!("logtrigger test: no rule named '{name}'"));
        }
    }
    Ok(config)
}

/// Quotes a value for UCI: single quotes, with `'\''` for an embedded quote.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Why an input stopped early.
enum Problem {
    Read(std::io::Error),
    Write(std::io::Error),
}

struct Replay {
    pipeline: Pipeline,
    runner: Option<Runner>,
    json: bool,
    lines: u64,
    /// The time of a line without a timestamp: the start of the replay.
    now: i64,
    /// The last frame timestamp converted, and its epoch: consecutive lines share most of them.
    last_ts: (Vec<u8>, Option<i64>),
    /// One output record, reused.
    record: Vec<u8>,
    out: std::io::BufWriter<std::io::Stdout>,
}

impl Replay {
    fn new(config: &Config, args: &Args) -> Replay {
        let g = &config.global;
        let runner = args.run.then(|| {
            Runner::new(Limits {
                max_jobs: g.max_jobs,
                max_queue: g.max_queue,
                timeout: Duration::from_secs(g.script_timeout.into()),
                debug: g.debug,
            })
        });
        Replay {
            pipeline: Pipeline::new(config),
            runner,
            json: args.json,
            lines: 0,
            now: now(),
            last_ts: (Vec::new(), None),
            record: Vec::new(),
            out: std::io::BufWriter::new(std::io::stdout()),
        }
    }

    fn input(&mut self, name: &str) -> Result<(), Problem> {
        let file = super::open_input(name).map_err(Problem::Read)?;
        // A pipe, FIFO, socket or terminal may be a live feed (`logread -f | logtrigger test -`):
        // each match is shown as it happens. A regular file is replayed with buffered output.
        let live = !file.metadata().map_err(Problem::Read)?.is_file();
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let path = Path::new(name);
        let as_file = self
            .pipeline
            .rules()
            .iter()
            .any(|r| r.file.as_deref() == Some(path));
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(Problem::Read)? == 0 {
                return Ok(());
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            self.lines += 1;
            self.line(&line, as_file.then_some(path));
            if live && !self.out.buffer().is_empty() {
                self.out.flush().map_err(Problem::Write)?;
            }
        }
    }

    fn line(&mut self, line: &[u8], file: Option<&Path>) {
        let Replay {
            pipeline,
            runner,
            json,
            lines,
            now,
            last_ts,
            record,
            out,
        } = self;
        let now = *now;
        let mut report = |hit: &Hit, when: i64, source: Source| {
            record.clear();
            if *json {
                write_json(record, *lines, hit);
            } else {
                write_human(record, *lines, hit);
            }
            let _ = out.write_all(record);
            if let (Some(r), true) = (runner.as_mut(), hit.outcome.fired)
                && let Some(job) = crate::pipeline::job(hit, source, when)
            {
                r.submit(job, Instant::now());
            }
        };
        if let Some(path) = file {
            let source = Source::File(path);
            pipeline.process_subject(line, None, source, now, &mut |h| report(h, now, source));
            return;
        }
        let (frame, when) = match split_logread(line) {
            Some((when, rest)) => (rest, Some(when)),
            None => (line, None),
        };
        let msg = syslog::parse(frame);
        let when = when
            .or_else(|| msg.timestamp.and_then(|ts| cached_epoch(last_ts, ts, now)))
            .unwrap_or(now);
        // A replayed line: its sender was vouched for by the logger, not by credentials here.
        let source = Source::Unix(Sender::Replayed);
        // A replayed line carries no sign of a cut (logd and logread drop the newline).
        pipeline.process_message(&msg, source, false, when, &mut |h| report(h, when, source));
        if let Some(r) = runner.as_mut() {
            r.service(Instant::now());
        }
    }

    fn finish(&mut self) {
        if let Some(r) = self.runner.as_mut() {
            while r.running() + r.queued() > 0 {
                r.service(Instant::now());
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.summary();
    }

    fn summary(&mut self) -> std::io::Result<()> {
        let p = &self.pipeline;
        if self.json {
            write!(
                self.out,
                "{{\"summary\":{{\"lines\":{},\"rules\":[",
                self.lines
            )?;
            for (i, r) in p.rules().iter().enumerate() {
                let s = p.stats(i);
                let sep = if i > 0 { "," } else { "" };
                write!(
                    self.out,
                    "{sep}{{\"rule\":{},\"matches\":{},\"ignored\":{},\"firings\":{}}}",
                    json_str(r.name.as_bytes()),
                    s.matches,
                    s.ignored,
                    s.firings
                )?;
            }
            writeln!(self.out, "]}}}}")?;
        } else {
            writeln!(self.out, "\nLines: {}", self.lines)?;
            let rows: Vec<Vec<String>> = p
                .rules()
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let s = p.stats(i);
                    vec![
                        r.name.clone(),
                        s.matches.to_string(),
                        s.ignored.to_string(),
                        s.firings.to_string(),
                    ]
                })
                .collect();
            let header = ["rule", "matches", "ignored", "firings"];
            let table = super::table(&header, &rows, &[1, 2, 3]);
            self.out.write_all(table.as_bytes())?;
        }
        self.out.flush()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Names a capture: its field name, or `%N` (1-based) when it has none.
fn field_name<'h>(hit: &'h Hit, c: usize) -> std::borrow::Cow<'h, str> {
    match hit.rule.fields.get(c) {
        Some(name) => name.into(),
        None => format!("%{}", c + 1).into(),
    }
}

// Writing into a Vec cannot fail, so the io::Results of write! below are dropped. Values are
// quoted as JSON strings (`"…"` with `\"`, `\\` and control characters escaped): the same text
// `{:?}` gave for printable values, without the Debug machinery (the router build drops it).
fn write_human(out: &mut Vec<u8>, line: u64, hit: &Hit) {
    let _ = write!(out, "line {line}: {} matched:", hit.rule.name);
    for c in 0..hit.caps.len() {
        let _ = write!(out, " {}=", field_name(hit, c));
        syslog::json::quote(hit.caps.get(c, hit.subject), out);
    }
    out.extend_from_slice(b" key=");
    syslog::json::quote(hit.key, out);
    let _ = if hit.ignored {
        writeln!(out, " (ignoreip: not counted)")
    } else {
        let fired = if hit.outcome.fired { " FIRED" } else { "" };
        writeln!(
            out,
            " count={}/{}{fired}",
            hit.outcome.count, hit.rule.maxfail
        )
    };
}

fn write_json(out: &mut Vec<u8>, line: u64, hit: &Hit) {
    let _ = write!(out, "{{\"line\":{line},\"rule\":");
    syslog::json::quote(hit.rule.name.as_bytes(), out);
    out.extend_from_slice(b",\"fields\":{");
    for c in 0..hit.caps.len() {
        if c > 0 {
            out.push(b',');
        }
        syslog::json::quote(field_name(hit, c).as_bytes(), out);
        out.push(b':');
        syslog::json::quote(hit.caps.get(c, hit.subject), out);
    }
    out.extend_from_slice(b"},\"key\":");
    syslog::json::quote(hit.key, out);
    let _ = writeln!(
        out,
        ",\"count\":{},\"fired\":{},\"ignored\":{}}}",
        hit.outcome.count, hit.outcome.fired, hit.ignored
    );
}

/// A JSON string literal for bytes (invalid UTF-8 shown as U+FFFD).
fn json_str(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len() + 2);
    syslog::json::quote(b, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A `logread` line: `Www Mmm dd hh:mm:ss yyyy fac.sev REST` → (epoch, REST).
fn split_logread(line: &[u8]) -> Option<(i64, &[u8])> {
    let s = std::str::from_utf8(line.get(..25)?).ok()?;
    let (wday, rest) = s.split_at(4);
    if !wday.ends_with(' ') || !wday[..3].bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mon = month(rest.get(..3)?.as_bytes())?;
    let day = num(rest.get(4..6)?.trim())?;
    let (h, m, sec) = hms(rest.get(7..15)?)?;
    let year = num(rest.get(16..20)?)? as i32;
    let tail = line.get(25..)?;
    let sp = tail.iter().position(|&b| b == b' ')?;
    if !tail[..sp].contains(&b'.') {
        return None;
    }
    Some((local_epoch(year, mon, day, h, m, sec)?, &tail[sp + 1..]))
}

fn month(b: &[u8]) -> Option<u32> {
    let pos = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(b))?;
    Some(pos as u32 + 1)
}

/// A field of decimal digits only (at most 9, so it fits). One small function instead of
/// `str::parse` for three integer types.
fn num(s: &str) -> Option<u32> {
    let ok = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

fn hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.splitn(3, ':').map(num);
    Some((it.next()??, it.next()??, it.next()??))
}

/// [`epoch`] of `ts`, remembered for the next line with the same timestamp bytes.
fn cached_epoch(last: &mut (Vec<u8>, Option<i64>), ts: &[u8], now: i64) -> Option<i64> {
    if last.0 != ts {
        last.0.clear();
        last.0.extend_from_slice(ts);
        last.1 = epoch(ts, now);
    }
    last.1
}

/// Epoch seconds of a frame timestamp: `Mmm d hh:mm:ss` (this year, or last year when that
/// would be in the future), `Mmm dd yyyy hh:mm:ss`, `Mmm dd hh:mm:ss yyyy`, or RFC3339.
fn epoch(ts: &[u8], now: i64) -> Option<i64> {
    if let Some((mon, day, h, m, sec)) = bsd_fixed(ts) {
        return this_or_last_year(mon, day, h, m, sec, now);
    }
    let s = std::str::from_utf8(ts).ok()?;
    if s.as_bytes().first()?.is_ascii_digit() {
        return rfc3339(s);
    }
    let mon = month(s.get(..3)?.as_bytes())?;
    let mut parts = s[3..].split_ascii_whitespace();
    let day = num(parts.next()?)?;
    let mut next = parts.next()?;
    let mut year = None;
    if !next.contains(':') {
        year = Some(num(next)? as i32);
        next = parts.next()?;
    }
    let (h, m, sec) = hms(next.split('.').next()?)?;
    if let Some(y) = parts.next() {
        year = Some(num(y)? as i32);
    }
    match year {
        Some(y) => local_epoch(y, mon, day, h, m, sec),
        None => this_or_last_year(mon, day, h, m, sec, now),
    }
}

/// The common `Mmm dd hh:mm:ss` (day space-padded or zero-padded), read without splitting.
fn bsd_fixed(ts: &[u8]) -> Option<(u32, u32, u32, u32, u32)> {
    let c = crate::syslog::fixed_clock(ts)?;
    let n = u32::from;
    Some((n(c.month), n(c.day), n(c.hour), n(c.minute), n(c.second)))
}

/// A timestamp without a year is this year's, or last year's when this year's is in the future.
fn this_or_last_year(mon: u32, day: u32, h: u32, m: u32, sec: u32, now: i64) -> Option<i64> {
    let this = current_year();
    let t = local_epoch(this, mon, day, h, m, sec)?;
    if t > now + 86_400 {
        local_epoch(this - 1, mon, day, h, m, sec)
    } else {
        Some(t)
    }
}

/// `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`.
fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let field = |r: std::ops::Range<usize>| num(s.get(r)?).map(i64::from);
    let (y, mo, d) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (h, mi, se) = (field(11..13)?, field(14..16)?, field(17..19)?);
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest.as_bytes().first()? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let oh = i64::from(num(rest.get(1..3)?)?);
            let om = i64::from(num(rest.get(4..6)?)?);
            let o = oh * 3600 + om * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Local time to epoch seconds. `mktime` reads the time-zone file on every call (glibc, with TZ
/// unset), so one call per hour of log is made and the minutes and seconds are added to it.
fn local_epoch(year: i32, mon: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    type Hour = (i32, u32, u32, u32);
    thread_local! {
        static LAST: std::cell::Cell<Option<(Hour, i64)>> = const { std::cell::Cell::new(None) };
    }
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let hour = (year, mon, day, h);
    let base = match LAST.get() {
        Some((k, base)) if k == hour => base,
        _ => {
            let base = mktime(year, mon, day, h)?;
            LAST.set(Some((hour, base)));
            base
        }
    };
    Some(base + i64::from(m) * 60 + i64::from(s))
}

fn mktime(year: i32, mon: u32, day: u32, h: u32) -> Option<i64> {
    crate::sys::clock::from_local(year, mon, day, h)
}

/// This year, read once: a replay does not straddle New Year often enough to matter.
fn current_year() -> i32 {
    static YEAR: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *YEAR.get_or_init(|| crate::sys::clock::local(now()).map_or(1970, |tm| tm.year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("2003-10-11T22:14:15.003Z"), Some(1_065_910_455));
        assert_eq!(
            rfc3339("2003-08-24T05:14:15.000003-07:00"),
            Some(1_061_727_255)
        );
        assert_eq!(rfc3339("2003-08-24"), None);
    }

    #[test]
    fn bsd_times_are_ordered() {
        let a = epoch(b"Nov  6 21:52:13 2025", now()).unwrap();
        let b = epoch(b"Nov 6 21:52:14 2025", now()).unwrap();
        assert_eq!(b - a, 1);
        assert_eq!(epoch(b"Nov 06 2025 21:52:13", now()), Some(a));
        assert!(epoch(b"Foo 06 21:52:13", now()).is_none());
        assert!(epoch(b"Nov 06 25:52:13", now()).is_none());
    }

    #[test]
    fn fixed_width_times_agree_with_the_general_reader() {
        let now = now();
        let fixed = epoch(b"Nov  6 21:52:13", now).unwrap();
        assert!(bsd_fixed(b"Nov  6 21:52:13").is_some());
        assert_eq!(epoch(b"Nov 6 21:52:13", now), Some(fixed));
        assert_eq!(epoch(b"Nov 06 21:52:13", now), Some(fixed));
        assert_eq!(epoch(b"Nov 06 21:52:13.250", now), Some(fixed));
        assert!(epoch(b"Nov  6 2x:52:13", now).is_none());
        assert!(epoch(b"Nov  6 24:52:13", now).is_none());
    }

    #[test]
    fn logread_lines() {
        let l = b"Fri Nov 27 21:45:37 2026 authpriv.warn dropbear[1]: Bad password";
        let (t, rest) = split_logread(l).unwrap();
        assert_eq!(rest, b"dropbear[1]: Bad password");
        assert_eq!(epoch(b"Nov 27 21:45:37 2026", now()), Some(t));
        assert!(split_logread(b"<13>Nov 27 21:45:37 root: hello world, a long line").is_none());
    }

    #[test]
    fn uci_quoting() {
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
