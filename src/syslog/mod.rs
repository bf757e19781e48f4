//! Syslog frames (SPEC §3, §4): parse bytes into a [`Message`] that borrows from the frame.
//!
//! Owns: the RFC3164/RFC5424 convention, the match subject, the human `LT_message` line,
//! RFC6587 deframing and the JSON shape of `logtrigger parse`.
//! Never: copies the frame, fails on input, requires UTF-8, or allocates while parsing.

pub mod deframe;
pub mod json;
mod parse;

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
    /// already suffices).
    pub fn subject<'s>(&'s self, scratch: &'s mut Vec<u8>) -> &'s [u8] {
        let _ = scratch;
        todo!()
    }

    /// Appends the human line of SPEC §4 (`Mmm dd hh:mm:ss [HOST ]SUBJECT`) to `out`.
    /// `received` (epoch seconds) gives the time, in local time, when the frame had no timestamp.
    pub fn human_line(&self, subject: &[u8], received: i64, out: &mut Vec<u8>) {
        let _ = (subject, received, out);
        todo!()
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
    const NAMES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
    NAMES.get(severity as usize).copied().unwrap_or("")
}
