//! The whole per-message path (parse → subject → match all rules → count) with the SHIPPED default
//! configuration, on the sample router log (mostly lines no rule matches) and on an attack line.
//!
//!     cargo bench --bench pipeline

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logtrigger::config::Config;
use logtrigger::pipeline::{Pipeline, Sender, Source};

fn pipeline() -> Pipeline {
    let text = std::fs::read("uci/logtrigger").unwrap();
    Pipeline::new(&Config::parse_offline(&text, "uci/logtrigger").unwrap())
}

fn benches(c: &mut Criterion) {
    let log = std::fs::read("tests/data/router.frames").unwrap();
    let frames: Vec<&[u8]> = log
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut g = c.benchmark_group("pipeline");

    let mut p = pipeline();
    let mut i = 0usize;
    g.throughput(Throughput::Elements(1));
    g.bench_function("router_log_mix", |b| {
        b.iter(|| {
            let f = frames[i % frames.len()];
            i += 1;
            let mut hits = 0u32;
            p.process_frame(
                black_box(f),
                Source::Unix(Sender::Replayed),
                1_000_000 + i as i64,
                &mut |_| hits += 1,
            );
            hits
        })
    });

    let noise = b"<30>Nov 28 12:00:01 dnsmasq-dhcp[4273]: DHCPREQUEST(br-lan) 192.168.1.153 00:11:22:33:44:55";
    let mut p = pipeline();
    g.bench_function("no_rule_matches", |b| {
        b.iter(|| {
            p.process_frame(
                black_box(noise),
                Source::Unix(Sender::Replayed),
                1,
                &mut |_| {},
            )
        })
    });

    let attack = b"<84>Nov 28 12:00:01 dropbear[17137]: Bad password attempt for 'root' from 203.0.113.5:51234";
    let mut p = pipeline();
    let mut t = 0i64;
    g.bench_function("dropbear_bad_password", |b| {
        b.iter(|| {
            t += 1;
            p.process_frame(
                black_box(attack),
                Source::Unix(Sender::Replayed),
                t,
                &mut |_| {},
            )
        })
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
