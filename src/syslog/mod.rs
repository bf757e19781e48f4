//! Syslog frames (SPEC §3, §4): parse bytes into a [`Message`] that borrows from the frame.
//!
//! Owns: the RFC3164/RFC5424 convention, the match subject, the human `LT_message` line,
//! RFC6587 deframing and the JSON shape of `logtrigger parse`.
//! Never: copies the frame, fails on input, requires UTF-8, or allocates while parsing.

pub mod deframe;
pub mod json;
mod parse;

pub(crate) use parse::fixed_clock;
pub use parse::parse;

/// Which header convention a frame was parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Rfc3164,
    Rfc5424,
}

/// RFC5424 STRUCTURED-DATA, kept raw; iterate it without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructuredData<'a> {
    /// The raw bytes, from the first `[` to the last `]`.
    pub raw: &'a [u8],
}

/// One parsed frame. Every field borrows from the frame; `None` means absent (`-` in RFC5424).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub format: Format,
    pub facility: Option<u8>,
    pub severity: Option<u8>,
    pub version: Option<u16>,
    pub timestamp: Option<&'a [u8]>,
    pub hostname: Option<&'a [u8]>,
    pub app_name: Option<&'a [u8]>,
    pub procid: Option<&'a [u8]>,
    pub msgid: Option<&'a [u8]>,
    pub sd: Option<StructuredData<'a>>,
    pub msg: &'a [u8],
    pub bom: bool,
    /// RFC3164 only: the frame from the TAG (or MSG when there is none) to the end,
    /// which is the match subject of SPEC §4 as it appears in the frame.
    pub(crate) subject3164: &'a [u8],
}

impl<'a> Message<'a> {
    /// The match subject of SPEC §4: `TAG[PID]: MSG` (RFC3164: a slice of the frame; RFC5424:
    /// `APP[PROCID]: MSG` written into `scratch`, which does not allocate when its capacity
    /// already suffices). Just MSG when there is no tag / no app.
    pub fn subject<'s>(&'s self, scratch: &'s mut Vec<u8>) -> &'s [u8] {
        match (self.format, self.app_name) {
            (Format::Rfc3164, _) => self.subject3164,
            (Format::Rfc5424, None) => self.msg,
            (Format::Rfc5424, Some(app)) => {
                scratch.clear();
                write_tagged(Some(app), self.procid, self.msg, scratch);
                scratch
            }
        }
    }

    /// Appends the human line of SPEC §4 (`Mmm dd hh:mm:ss [HOST ]SUBJECT`) to `out`.
    /// The frame's own timestamp is shown as written (no time-zone conversion); `received`
    /// (epoch seconds) gives the time, in local time, when the frame had none.
    pub fn human_line(&self, subject: &[u8], received: i64, out: &mut Vec<u8>) {
        let clock = match self.timestamp.and_then(parse::clock) {
            Some(c) => c,
            None => local_clock(received),
        };
        write_clock(clock, out);
        out.push(b' ');
        if let Some(host) = self.hostname {
            out.extend_from_slice(host);
            out.push(b' ');
        }
        out.extend_from_slice(subject);
    }
}

/// Appends `APP[PROCID]: MSG` (`APP: MSG` without a procid, just MSG without an app): the
/// subject shape of SPEC §4, and the tag shape the local logger parses.
pub fn write_tagged(app: Option<&[u8]>, procid: Option<&[u8]>, msg: &[u8], out: &mut Vec<u8>) {
    if let Some(app) = app {
        out.extend_from_slice(app);
        if let Some(pid) = procid {
            out.push(b'[');
            out.extend_from_slice(pid);
            out.push(b']');
        }
        out.extend_from_slice(b": ");
    }
    out.extend_from_slice(msg);
}

/// Appends `Mmm dd hh:mm:ss` for `epoch` seconds in local time.
pub fn write_local_clock(epoch: i64, out: &mut Vec<u8>) {
    write_clock(local_clock(epoch), out);
}

/// `Mmm dd hh:mm:ss`, the day padded with a space as syslog does.
fn write_clock(c: parse::Clock, out: &mut Vec<u8>) {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS
        .get(usize::from(c.month).wrapping_sub(1))
        .unwrap_or(&b"???");
    out.extend_from_slice(*month);
    out.push(b' ');
    out.push(if c.day >= 10 {
        b'0' + c.day / 10 % 10
    } else {
        b' '
    });
    out.push(b'0' + c.day % 10);
    for (n, v) in [c.hour, c.minute, c.second].into_iter().enumerate() {
        out.push(if n == 0 { b' ' } else { b':' });
        out.push(b'0' + v / 10 % 10);
        out.push(b'0' + v % 10);
    }
}

/// The local wall clock at `epoch` seconds (localtime_r, so TZ and /etc/localtime apply).
fn local_clock(epoch: i64) -> parse::Clock {
    match crate::sys::clock::local(epoch) {
        Some(tm) => parse::Clock {
            month: tm.month,
            day: tm.day,
            hour: tm.hour,
            minute: tm.minute,
            second: tm.second,
        },
        None => parse::Clock {
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        },
    }
}

impl<'a> StructuredData<'a> {
    /// The SD-ELEMENTs in order, without allocation.
    pub fn elements(&self) -> SdElements<'a> {
        SdElements { rest: self.raw }
    }
}

/// Iterator over the SD-ELEMENTs of [`StructuredData`]; stops at the first malformed byte.
#[derive(Clone, Debug)]
pub struct SdElements<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SdElements<'a> {
    type Item = SdElement<'a>;

    fn next(&mut self) -> Option<SdElement<'a>> {
        match parse::sd_element(self.rest) {
            Ok((rest, (id, params))) => {
                self.rest = rest;
                Some(SdElement { id, params })
            }
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

/// One `[SD-ID PARAM…]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdElement<'a> {
    pub id: &'a [u8],
    /// The raw ` name="value"…` bytes between the id and the `]`.
    pub params: &'a [u8],
}

impl<'a> SdElement<'a> {
    /// The `(name, raw value)` pairs; values are still escaped (see [`unescape`]).
    pub fn params(&self) -> SdParams<'a> {
        SdParams { rest: self.params }
    }
}

/// Iterator over the `(name, raw value)` pairs of an [`SdElement`].
#[derive(Clone, Debug)]
pub struct SdParams<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SdParams<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match parse::sd_param(self.rest) {
            Ok((rest, pair)) => {
                self.rest = rest;
                Some(pair)
            }
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

/// The pieces of a raw PARAM-VALUE with `\"`, `\\` and `\]` unescaped; any other
/// backslash is kept (RFC5424 §6.3.3). Concatenated, the pieces are the value.
pub fn unescape(raw: &[u8]) -> Unescape<'_> {
    Unescape { rest: raw }
}

/// Appends the unescaped value of `raw` to `out`.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    for piece in unescape(raw) {
        out.extend_from_slice(piece);
    }
}

/// Iterator of [`unescape`].
#[derive(Clone, Debug)]
pub struct Unescape<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Unescape<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        // An escape pair yields just its second byte; otherwise yield up to the next escape.
        let mut n = 0;
        while n < self.rest.len() {
            let pair = (self.rest[n], self.rest.get(n + 1).copied());
            if let (b'\\', Some(b'"' | b'\\' | b']')) = pair {
                break;
            }
            n += 1;
        }
        let piece;
        if n == 0 {
            piece = &self.rest[1..2];
            self.rest = &self.rest[2..];
        } else {
            piece = &self.rest[..n];
            self.rest = &self.rest[n..];
        }
        Some(piece)
    }
}

/// `kern`, `user`, … `local7` (RFC5424 table; 12 `ntp`, 13 `security`, 14 `console`, 15 `cron2`
/// as fail2ban and glibc name them). Empty for values above 23.
pub fn facility_name(facility: u8) -> &'static str {
    const NAMES: [&str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "security", "console", "cron2", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];
    NAMES.get(facility as usize).copied().unwrap_or("")
}

/// `emerg`, `alert`, `crit`, `err`, `warning`, `notice`, `info`, `debug`.
pub fn severity_name(severity: u8) -> &'static str {
    const NAMES: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ];
    NAMES.get(severity as usize).copied().unwrap_or("")
}

#[cfg(test)]
mod tests;
