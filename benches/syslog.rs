//! ns per frame for the common shapes of SPEC §3: parse, and parse + subject (warm scratch).
//! Target: ≤ 100 ns for a typical 100-byte RFC3164 frame.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logtrigger::syslog;
use std::hint::black_box;

const SHAPES: [(&str, &[u8]); 5] = [
    (
        "rfc3164_dropbear_100B",
        b"<84>Nov  6 21:52:13 dropbear[17137]: Bad password attempt for 'root' from 192.168.1.5:51234\n",
    ),
    (
        "rfc3164_host_iso",
        b"<30>2024-03-05T07:08:09.123+01:00 gw netifd: Interface 'wan' is now up",
    ),
    (
        "rfc5424_sd",
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event",
    ),
    ("no_pri", b"<999>bad pri: this frame has no valid priority at all"),
    ("python_no_timestamp", b"<12>py unix default\0"),
];

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("syslog");
    for (name, frame) in SHAPES {
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| syslog::parse(black_box(frame)))
        });
        let mut scratch = Vec::with_capacity(512);
        group.bench_function(format!("parse+subject/{name}"), |b| {
            b.iter(|| {
                let m = syslog::parse(black_box(frame));
                m.subject(&mut scratch).len()
            })
        });
    }
    let mut stream = Vec::new();
    for _ in 0..100 {
        stream.extend_from_slice(SHAPES[0].1);
    }
    group.throughput(Throughput::Elements(100));
    group.bench_function("deframe_lf_100_frames", |b| {
        let mut d = syslog::deframe::Deframer::new(8192);
        b.iter(|| {
            let mut n = 0;
            let mut rest = black_box(&stream[..]);
            while !rest.is_empty() {
                rest = &rest[d.push(rest)..];
                if let Some(f) = d.pop() {
                    n += f.len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
