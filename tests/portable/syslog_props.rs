//! Properties of the parser and the deframer over generated frames made of syslog-ish pieces.

use logtrigger::syslog::{self, Format, deframe::Deframer};
use proptest::prelude::*;

/// Frames assembled from the tokens that steer the grammar, so that most branches are reached.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"<13>"[..]),
        Just(&b"<165>1 "[..]),
        Just(&b"<999>"[..]),
        Just(&b"Nov  6 21:52:13 "[..]),
        Just(&b"2003-10-11T22:14:15.003Z "[..]),
        Just(&b"- "[..]),
        Just(&b"host "[..]),
        Just(&b"app[12]: "[..]),
        Just(&b"[id a=\"x\\\"y\"]"[..]),
        Just(&b"\\"[..]),
        Just(&b"\""[..]),
        Just(&b"]"[..]),
        Just(&b":"[..]),
        Just(&b" "[..]),
        Just(&b"\n"[..]),
        Just(&b"\0"[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xff"[..]),
        Just(&b"12 "[..]),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn inside(frame: &[u8], part: &[u8]) -> bool {
    let (f, p) = (frame.as_ptr() as usize, part.as_ptr() as usize);
    part.is_empty() || (p >= f && p + part.len() <= f + frame.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_borrows_and_never_panics(f in frame()) {
        let m = syslog::parse(&f);
        for part in [m.timestamp, m.hostname, m.app_name, m.procid, m.msgid, m.sd.map(|s| s.raw)]
            .into_iter()
            .flatten()
            .chain([m.msg])
        {
            prop_assert!(inside(&f, part));
        }
        let mut scratch = Vec::new();
        let subject = m.subject(&mut scratch).to_vec();
        prop_assert!(subject.ends_with(m.msg));
        if m.format == Format::Rfc3164 {
            prop_assert!(f.windows(subject.len().max(1)).any(|w| w == &subject[..]) || subject.is_empty());
        }
        let mut json = Vec::new();
        syslog::json::write_message(&m, &mut json);
        prop_assert!(std::str::from_utf8(&json).is_ok());
    }

    #[test]
    fn trailers_do_not_change_the_parse(f in frame(), tail in prop::collection::vec(prop_oneof![Just(b'\0'), Just(b'\n'), Just(b'\r')], 0..4)) {
        let mut g = f.clone();
        g.extend_from_slice(&tail);
        let (a, b) = (syslog::parse(&f), syslog::parse(&g));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn deframer_is_split_independent(
        frames in prop::collection::vec(frame(), 0..6),
        counted in prop::collection::vec(any::<bool>(), 6),
        chunk in 1usize..20,
    ) {
        // Encode each frame with octet counting or LF termination (LF-free frames only).
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (f, c) in frames.iter().zip(&counted) {
            if *c && !f.is_empty() {
                stream.extend_from_slice(format!("{} ", f.len()).as_bytes());
                stream.extend_from_slice(f);
                expected.push(f.clone());
            } else {
                let line: Vec<u8> = f.iter().copied().filter(|&b| b != b'\n' && b != 0).collect();
                // A line starting with `<digits> ` would read as octet counting: not here.
                if line.is_empty() || line[0].is_ascii_digit() {
                    continue;
                }
                stream.extend_from_slice(&line);
                stream.push(b'\n');
                expected.push(line);
            }
        }
        let mut d = Deframer::new(8192);
        let mut got = Vec::new();
        for mut piece in stream.chunks(chunk) {
            while !piece.is_empty() {
                piece = &piece[d.push(piece)..];
                if let Some(f) = d.pop() {
                    got.push(f.to_vec());
                }
            }
        }
        prop_assert!(d.finish().is_none());
        prop_assert_eq!(got, expected);
    }
}
