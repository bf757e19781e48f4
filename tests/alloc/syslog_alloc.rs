//! SPEC §1/§11: parsing a frame, building its subject and its human line (with warm buffers)
//! and deframing perform no heap allocation, for every frame shape.

use logtrigger::syslog::{self, deframe::Deframer};

use crate::counting::allocs;

const FRAMES: [&[u8]; 8] = [
    b"<84>Nov  6 21:52:13 dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234\n",
    b"<13>Nov 26 21:45:37 root: hello",
    b"<12>py unix default\0",
    b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"lication\"] An application event",
    b"<34>1 2003-10-11T22:14:15.003Z host su 77 ID47 - \xEF\xBB\xBF'su root' failed",
    b"<999>bad pri",
    b"<30>2024-03-05T07:08:09.123+01:00 gw netifd: Interface 'wan' is now up",
    b"<13>1 - h a p m [broken a=\"x] falls back",
];

#[test]
fn zero_allocations_per_frame() {
    let mut scratch = Vec::with_capacity(512);
    let mut deframer = Deframer::new(8192);
    let mut stream = Vec::new();
    for f in FRAMES {
        stream.extend_from_slice(format!("{} ", f.len()).as_bytes());
        stream.extend_from_slice(f);
    }
    // Warm up: localtime_r loads the time zone on its first call.
    let mut line = Vec::with_capacity(1024);
    syslog::parse(FRAMES[2]).human_line(b"x", 0, &mut line);
    let before = allocs();
    let mut subjects = 0usize;
    for _ in 0..10_000 {
        for frame in FRAMES {
            let m = syslog::parse(frame);
            let subject = m.subject(&mut scratch);
            line.clear();
            m.human_line(subject, 1_700_000_000, &mut line);
            subjects += line.len();
            if let Some(sd) = m.sd {
                for el in sd.elements() {
                    subjects += el
                        .params()
                        .map(|(_, v)| syslog::unescape(v).count())
                        .sum::<usize>();
                }
            }
        }
        let mut rest = &stream[..];
        while !rest.is_empty() {
            rest = &rest[deframer.push(rest)..];
            if let Some(f) = deframer.pop() {
                subjects += syslog::parse(f).msg.len();
            }
        }
    }
    let after = allocs();
    assert!(subjects > 0);
    assert_eq!(after - before, 0, "allocations while parsing");
}
