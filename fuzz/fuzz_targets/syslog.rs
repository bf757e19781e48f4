//! Fuzzes the syslog parser (parse, subject, human line, JSON) and the RFC6587 deframer.
//!
//! Invariants checked: nothing panics; every borrowed field lies inside the frame; the
//! RFC3164 subject is a suffix of the frame and ends with MSG; the JSON is valid UTF-8 and
//! starts/ends as one object; the deframer never yields more than its maximum, and yields the
//! same frames however the stream is split.
#![no_main]
use libfuzzer_sys::fuzz_target;
use logtrigger::syslog::{self, Format, deframe::Deframer};

fn inside(frame: &[u8], part: &[u8]) -> bool {
    let (f, p) = (frame.as_ptr() as usize, part.as_ptr() as usize);
    part.is_empty() || (p >= f && p + part.len() <= f + frame.len())
}

fn check_frame(frame: &[u8], scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
    let m = syslog::parse(frame);
    for part in [m.timestamp, m.hostname, m.app_name, m.procid, m.msgid, m.sd.map(|s| s.raw)]
        .into_iter()
        .flatten()
        .chain([m.msg])
    {
        assert!(inside(frame, part));
    }
    if let Some(sd) = m.sd {
        for el in sd.elements() {
            for (_, raw) in el.params() {
                let mut v = Vec::new();
                syslog::unescape_into(raw, &mut v);
                assert!(v.len() <= raw.len());
            }
        }
    }
    let subject = m.subject(scratch).to_vec();
    assert!(subject.ends_with(m.msg));
    if m.format == Format::Rfc3164 {
        assert!(inside(frame, m.subject(scratch)));
    }
    out.clear();
    m.human_line(&subject, 1_700_000_000, out);
    assert!(out.ends_with(&subject));
    out.clear();
    syslog::json::write_message(&m, out);
    let json = std::str::from_utf8(out).expect("JSON is UTF-8");
    assert!(json.starts_with("{\"format\":") && json.ends_with("}"));
    assert!(!json.bytes().any(|b| b < 0x20));
}

fn deframe(data: &[u8], max: usize, chunk: usize) -> (Vec<Vec<u8>>, u32) {
    let mut d = Deframer::new(max);
    let mut frames = Vec::new();
    for mut piece in data.chunks(chunk.max(1)) {
        while !piece.is_empty() {
            let used = d.push(piece);
            assert!(used <= piece.len());
            piece = &piece[used..];
            if let Some(f) = d.pop() {
                assert!(f.len() <= max.max(1));
                frames.push(f.to_vec());
            }
        }
    }
    if let Some(f) = d.finish() {
        frames.push(f.to_vec());
    }
    (frames, d.truncated())
}

fuzz_target!(|data: &[u8]| {
    let mut scratch = Vec::new();
    let mut out = Vec::new();
    check_frame(data, &mut scratch, &mut out);
    // The first byte picks the deframer limit and the chunking, the rest is the stream.
    if let Some((&knob, stream)) = data.split_first() {
        let max = usize::from(knob & 0x3f) + 1;
        let whole = deframe(stream, max, stream.len());
        let split = deframe(stream, max, usize::from(knob >> 6) + 1);
        assert_eq!(whole, split);
        for f in &whole.0 {
            check_frame(f, &mut scratch, &mut out);
        }
    }
});
