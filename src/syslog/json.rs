//! The JSON object `logtrigger parse` prints for a message (SPEC §9).
//!
//! Owns: the key set and order (`format facility severity version timestamp hostname app_name
//! procid msgid sd msg bom`) and JSON string escaping. Never: fails or emits invalid JSON or
//! invalid UTF-8 — bytes that are not UTF-8 become U+FFFD.

use super::{Format, Message, unescape};

/// Appends `msg` as one JSON object (no trailing newline) to `out`.
pub fn write_message(msg: &Message<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"format\":");
    out.extend_from_slice(match msg.format {
        Format::Rfc3164 => b"\"rfc3164\"",
        Format::Rfc5424 => b"\"rfc5424\"",
    });
    key(b"facility", out);
    number(msg.facility.map(u32::from), out);
    key(b"severity", out);
    number(msg.severity.map(u32::from), out);
    key(b"version", out);
    number(msg.version.map(u32::from), out);
    for (name, value) in [
        (&b"timestamp"[..], msg.timestamp),
        (b"hostname", msg.hostname),
        (b"app_name", msg.app_name),
        (b"procid", msg.procid),
        (b"msgid", msg.msgid),
    ] {
        key(name, out);
        optional_string(value, out);
    }
    key(b"sd", out);
    match msg.sd {
        None => out.extend_from_slice(b"null"),
        Some(sd) => {
            out.push(b'{');
            for (n, element) in sd.elements().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                string([element.id], out);
                out.extend_from_slice(b":{");
                for (p, (name, raw)) in element.params().enumerate() {
                    if p > 0 {
                        out.push(b',');
                    }
                    string([name], out);
                    out.push(b':');
                    string(unescape(raw), out);
                }
                out.push(b'}');
            }
            out.push(b'}');
        }
    }
    key(b"msg", out);
    string([msg.msg], out);
    key(b"bom", out);
    out.extend_from_slice(if msg.bom { b"true" } else { b"false" });
    out.push(b'}');
}

/// `,"name":`
fn key(name: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\":");
}

fn number(v: Option<u32>, out: &mut Vec<u8>) {
    let Some(mut v) = v else {
        out.extend_from_slice(b"null");
        return;
    };
    let mut digits = [0u8; 10];
    let mut n = digits.len();
    loop {
        n -= 1;
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[n..]);
}

fn optional_string(v: Option<&[u8]>, out: &mut Vec<u8>) {
    match v {
        Some(s) => string([s], out),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `bytes` as a JSON string literal (invalid UTF-8 shown as U+FFFD).
pub fn quote(bytes: &[u8], out: &mut Vec<u8>) {
    string([bytes], out);
}

/// A JSON string made of the concatenated `pieces`. Invalid UTF-8 is judged per piece, which
/// is exact for the callers here: unescaping only ever splits around ASCII bytes.
fn string<'p>(pieces: impl IntoIterator<Item = &'p [u8]>, out: &mut Vec<u8>) {
    out.push(b'"');
    for piece in pieces {
        for chunk in piece.utf8_chunks() {
            escape(chunk.valid(), out);
            if !chunk.invalid().is_empty() {
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
        }
    }
    out.push(b'"');
}

fn escape(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..0x20 | 0x7f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
}
