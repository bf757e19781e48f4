//! The environment of a firing script (SPEC §7): `PATH` and the `LT_*` variables.
//!
//! Owns: the names, order and formatting of the variables.
//! Never: requires UTF-8, passes a NUL byte, lets a field or option replace a built-in variable.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::source::Source;
use crate::syslog::{facility_name, severity_name};

/// The only inherited-looking variable: scripts find `nft`, `logger`… here.
pub const PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Names (without `LT_`) of the built-in variables, in the order [`build_env`] emits them.
/// A field or extra option with one of these names is a config error (SPEC §7); `build_env`
/// skips such a name rather than let it overwrite the built-in.
pub const BUILTIN_NAMES: [&str; 16] = [
    "name",
    "message",
    "pattern",
    "string",
    "key",
    "count",
    "host",
    "program",
    "pid",
    "facility",
    "severity",
    "source",
    "generator",
    "date",
    "time",
    "datetime",
];

/// Everything a firing knows, borrowed from the message and the rule.
#[derive(Clone, Copy, Debug)]
pub struct FireInfo<'a> {
    /// Rule name.
    pub name: &'a str,
    /// Rule pattern text.
    pub pattern: &'a [u8],
    /// The pattern with the captured values filled in.
    pub string: &'a [u8],
    /// The human line of SPEC §4.
    pub message: &'a [u8],
    /// The key values joined by one space.
    pub key: &'a [u8],
    /// Events in the window when the rule fired.
    pub count: u32,
    /// Named fields and their values.
    pub fields: &'a [(&'a str, &'a [u8])],
    /// Header values, empty when absent.
    pub host: &'a [u8],
    pub program: &'a [u8],
    pub pid: &'a [u8],
    /// Names via `crate::syslog::facility_name` / `severity_name`; empty when `None`.
    pub facility: Option<u8>,
    pub severity: Option<u8>,
    pub source: Source<'a>,
    /// Epoch seconds of the event.
    pub when: i64,
    /// Rule options that are not known options, exported as `LT_<option>`.
    pub extra: &'a [(String, String)],
}

/// The whole environment of a script, in this order:
/// `PATH`, then `LT_` + each of [`BUILTIN_NAMES`] in order, then `LT_<field>` for each named field
/// (in `fields` order), then `LT_<option>` for each extra option (in `extra` order).
/// Values are the raw bytes with every NUL removed. A field or option whose name is empty,
/// contains `=` or NUL, or repeats a name already emitted is skipped.
pub fn build_env(info: &FireInfo) -> Vec<(OsString, OsString)> {
    let mut env =
        Vec::with_capacity(1 + BUILTIN_NAMES.len() + info.fields.len() + info.extra.len());
    env.push((OsString::from("PATH"), OsString::from(PATH)));
    let (date, time) = local_date_time(info.when);
    let count = info.count.to_string();
    let datetime = info.when.to_string();
    let source = source_value(&info.source);
    let values: [&[u8]; 16] = [
        info.name.as_bytes(),
        info.message,
        info.pattern,
        info.string,
        info.key,
        count.as_bytes(),
        info.host,
        info.program,
        info.pid,
        info.facility.map_or("", facility_name).as_bytes(),
        info.severity.map_or("", severity_name).as_bytes(),
        &source,
        generator_value(&info.source),
        date.as_bytes(),
        time.as_bytes(),
        datetime.as_bytes(),
    ];
    for (name, value) in BUILTIN_NAMES.iter().zip(values) {
        env.push((var_name(name), var_value(value)));
    }
    let named = info.fields.iter().map(|(n, v)| (*n, *v));
    let extra = info.extra.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
    for (name, value) in named.chain(extra) {
        let var = var_name(name);
        if valid_name(name) && !env.iter().any(|(n, _)| *n == var) {
            env.push((var, var_value(value)));
        }
    }
    env
}

/// An extra name is usable when it cannot corrupt the `NAME=VALUE` entry.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b == b'=' || b == 0)
}

fn var_name(name: &str) -> OsString {
    let mut bytes = Vec::with_capacity(3 + name.len());
    bytes.extend_from_slice(b"LT_");
    bytes.extend_from_slice(name.as_bytes());
    OsString::from_vec(bytes)
}

/// `value` without its NUL bytes (an environment entry ends at the first NUL).
fn var_value(value: &[u8]) -> OsString {
    OsString::from_vec(value.iter().copied().filter(|&b| b != 0).collect())
}

/// `unix`, `udp:IP` (the sender's address without its port: a ban script wants the address,
/// and the port of a UDP sender is arbitrary), `file:PATH` or `kmsg`.
fn source_value(source: &Source) -> Vec<u8> {
    match source {
        Source::Unix(_) => b"unix".to_vec(),
        // An IPv4 sender seen on a dual-stack socket (`::ffff:a.b.c.d`) is shown as IPv4.
        Source::Udp(addr) => format!("udp:{}", addr.ip().to_canonical()).into_bytes(),
        Source::File(path) => [b"file:", path.as_os_str().as_bytes()].concat(),
        Source::Kmsg => b"kmsg".to_vec(),
    }
}

/// `syslog` for sockets, the file path for files, `kmsg` for the kernel.
fn generator_value<'a>(source: &Source<'a>) -> &'a [u8] {
    match *source {
        Source::Unix(_) | Source::Udp(_) => b"syslog",
        Source::File(path) => path.as_os_str().as_bytes(),
        Source::Kmsg => b"kmsg",
    }
}

/// `(%Y/%m/%d, %H:%M:%S)` of `when` in local time; empty strings if the C library cannot
/// convert it (out of `time_t` range on a 32-bit `time_t`).
fn local_date_time(when: i64) -> (String, String) {
    let Some(tm) = crate::sys::clock::local(when) else {
        return (String::new(), String::new());
    };
    let date = format!("{:04}/{:02}/{:02}", tm.year, tm.month, tm.day);
    let time = format!("{:02}:{:02}:{:02}", tm.hour, tm.minute, tm.second);
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::path::Path;

    fn info<'a>(
        source: Source<'a>,
        fields: &'a [(&'a str, &'a [u8])],
        extra: &'a [(String, String)],
    ) -> FireInfo<'a> {
        FireInfo {
            name: "SIP_WrongPass",
            pattern: b"Freeswitch: SIP registration failed User:%s IP:%s",
            string: b"Freeswitch: SIP registration failed User:evil IP:9.9.9.9",
            message: b"Nov 26 21:45:37 router freeswitch[12]: SIP registration failed",
            key: b"9.9.9.9",
            count: 5,
            fields,
            host: b"router",
            program: b"freeswitch",
            pid: b"12",
            facility: Some(10),
            severity: Some(4),
            source,
            when: 1_700_000_000,
            extra,
        }
    }

    fn lookup(env: &[(OsString, OsString)], name: &str) -> Option<Vec<u8>> {
        env.iter()
            .find(|(n, _)| n.as_bytes() == name.as_bytes())
            .map(|(_, v)| v.as_bytes().to_vec())
    }

    /// `date -d @WHEN +FORMAT` in the same time zone as this process: an independent oracle.
    fn date_cmd(when: i64, format: &str) -> Vec<u8> {
        let out = std::process::Command::new("date")
            .arg("-d")
            .arg(format!("@{when}"))
            .arg(format!("+{format}"))
            .output()
            .expect("date runs");
        assert!(out.status.success());
        out.stdout.strip_suffix(b"\n").expect("newline").to_vec()
    }

    #[test]
    fn every_builtin_variable_in_order() {
        let fields: [(&str, &[u8]); 2] = [("user", b"evil"), ("ip", b"9.9.9.9")];
        let extra = [("bantime".to_string(), "3600".to_string())];
        let env = build_env(&info(
            Source::Unix(crate::source::Sender::Replayed),
            &fields,
            &extra,
        ));
        let names: Vec<&[u8]> = env.iter().map(|(n, _)| n.as_bytes()).collect();
        let mut expected: Vec<Vec<u8>> = vec![b"PATH".to_vec()];
        expected.extend(BUILTIN_NAMES.iter().map(|n| format!("LT_{n}").into_bytes()));
        expected.extend([
            b"LT_user".to_vec(),
            b"LT_ip".to_vec(),
            b"LT_bantime".to_vec(),
        ]);
        assert_eq!(names, expected);

        let want: [(&str, &[u8]); 19] = [
            ("PATH", b"/usr/sbin:/usr/bin:/sbin:/bin"),
            ("LT_name", b"SIP_WrongPass"),
            (
                "LT_pattern",
                b"Freeswitch: SIP registration failed User:%s IP:%s",
            ),
            (
                "LT_string",
                b"Freeswitch: SIP registration failed User:evil IP:9.9.9.9",
            ),
            (
                "LT_message",
                b"Nov 26 21:45:37 router freeswitch[12]: SIP registration failed",
            ),
            ("LT_key", b"9.9.9.9"),
            ("LT_count", b"5"),
            ("LT_host", b"router"),
            ("LT_program", b"freeswitch"),
            ("LT_pid", b"12"),
            ("LT_facility", b"authpriv"),
            ("LT_severity", b"warning"),
            ("LT_source", b"unix"),
            ("LT_generator", b"syslog"),
            ("LT_datetime", b"1700000000"),
            ("LT_user", b"evil"),
            ("LT_ip", b"9.9.9.9"),
            ("LT_bantime", b"3600"),
            ("LT_date", &date_cmd(1_700_000_000, "%Y/%m/%d")),
        ];
        for (name, value) in want {
            assert_eq!(lookup(&env, name).as_deref(), Some(value), "{name}");
        }
        let time = date_cmd(1_700_000_000, "%H:%M:%S");
        assert_eq!(lookup(&env, "LT_time"), Some(time));
    }

    #[test]
    fn sources_and_generators() {
        let udp4: SocketAddr = "192.168.1.5:51234".parse().unwrap();
        let udp6: SocketAddr = "[fd00::1]:514".parse().unwrap();
        let path = Path::new("/var/log/a b.log");
        let mapped: SocketAddr = "[::ffff:10.0.0.7]:514".parse().unwrap();
        let cases: [(Source, &[u8], &[u8]); 6] = [
            (Source::Udp(mapped), b"udp:10.0.0.7", b"syslog"),
            (
                Source::Unix(crate::source::Sender::Replayed),
                b"unix",
                b"syslog",
            ),
            (Source::Udp(udp4), b"udp:192.168.1.5", b"syslog"),
            (Source::Udp(udp6), b"udp:fd00::1", b"syslog"),
            (
                Source::File(path),
                b"file:/var/log/a b.log",
                b"/var/log/a b.log",
            ),
            (Source::Kmsg, b"kmsg", b"kmsg"),
        ];
        for (source, want_source, want_generator) in cases {
            let env = build_env(&info(source, &[], &[]));
            assert_eq!(lookup(&env, "LT_source").as_deref(), Some(want_source));
            assert_eq!(
                lookup(&env, "LT_generator").as_deref(),
                Some(want_generator)
            );
        }
    }

    #[test]
    fn absent_headers_are_empty_and_nul_is_removed() {
        let fields: [(&str, &[u8]); 1] = [("user", b"a\0b\xff\0")];
        let mut fire = info(Source::Kmsg, &fields, &[]);
        fire.facility = None;
        fire.severity = None;
        fire.host = b"";
        fire.program = b"";
        fire.pid = b"";
        fire.message = b"\0x\0";
        let env = build_env(&fire);
        for name in [
            "LT_facility",
            "LT_severity",
            "LT_host",
            "LT_program",
            "LT_pid",
        ] {
            assert_eq!(lookup(&env, name).as_deref(), Some(&b""[..]), "{name}");
        }
        assert_eq!(lookup(&env, "LT_user").as_deref(), Some(&b"ab\xff"[..]));
        assert_eq!(lookup(&env, "LT_message").as_deref(), Some(&b"x"[..]));
        assert!(
            env.iter()
                .all(|(n, v)| !n.as_bytes().contains(&0) && !v.as_bytes().contains(&0))
        );
    }

    #[test]
    fn names_cannot_overwrite_builtins_or_break_entries() {
        let fields: [(&str, &[u8]); 4] = [
            ("name", b"x"),
            ("a=b", b"x"),
            ("", b"x"),
            ("ip", b"1.2.3.4"),
        ];
        let extra = [
            ("ip".to_string(), "5.6.7.8".to_string()),
            ("count".to_string(), "9".into()),
        ];
        let env = build_env(&info(
            Source::Unix(crate::source::Sender::Replayed),
            &fields,
            &extra,
        ));
        assert_eq!(env.len(), 1 + BUILTIN_NAMES.len() + 1);
        assert_eq!(
            lookup(&env, "LT_name").as_deref(),
            Some(&b"SIP_WrongPass"[..])
        );
        assert_eq!(lookup(&env, "LT_count").as_deref(), Some(&b"5"[..]));
        assert_eq!(lookup(&env, "LT_ip").as_deref(), Some(&b"1.2.3.4"[..]));
    }

    #[test]
    fn dates_around_epoch_and_far_future() {
        // 2100-01-01 only where time_t can hold it (64-bit time_t).
        let wide = std::mem::size_of::<libc::time_t>() >= 8;
        let whens = [
            0,
            86_399,
            951_782_400,
            if wide { 4_102_444_800 } else { 1 << 30 },
        ];
        for when in whens {
            let env = build_env(
                &info(Source::Unix(crate::source::Sender::Replayed), &[], &[]).with_when(when),
            );
            assert_eq!(lookup(&env, "LT_date"), Some(date_cmd(when, "%Y/%m/%d")));
            assert_eq!(lookup(&env, "LT_time"), Some(date_cmd(when, "%H:%M:%S")));
            assert_eq!(
                lookup(&env, "LT_datetime"),
                Some(when.to_string().into_bytes())
            );
        }
    }

    impl<'a> FireInfo<'a> {
        fn with_when(mut self, when: i64) -> Self {
            self.when = when;
            self
        }
    }
}
