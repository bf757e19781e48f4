//! The allocation audit of SPEC §11: after warm-up, messages through parse → match → count
//! (no firing) make zero heap allocations, even under a flood of distinct keys.

use logtrigger::config::Config;
use logtrigger::pipeline::{Pipeline, Sender, Source};

use crate::counting::allocs;

fn frames(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            match i % 10 {
                0 => format!("<84>Nov  6 21:52:13 dropbear[{i}]: Bad password attempt for 'root' from {ip}:5555"),
                1 => format!("<165>1 2003-10-11T22:14:15.003Z host app {i} ID47 [a@1 b=\"c\"] Request 'REGISTER' from '<sip:1@x>' failed for '{ip}:5060' - Failed to authenticate"),
                2 => format!("<30>Nov  6 21:52:13 dnsmasq-dhcp[4273]: DHCPACK(br-lan) {ip} 00:11:22:{:02x}:{:02x}:{:02x} laptop", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                _ => format!("<30>Nov  6 21:52:13 netifd: Interface 'wan' is now up {i}"),
            }
            .into_bytes()
        })
        .collect()
}

#[test]
fn zero_allocations_per_message_after_warm_up() {
    let conf = "
config logtrigger 'global'
	option max_keys '1024'

config rule
	option name 'dropbear'
	option pattern 'Bad password attempt for %b from %s:%d'
	option fields 'user ip port'
	option key 'ip'
	option maxfail '1000'
	option time '600'

config rule
	option name 'sip'
	option pattern 'failed for %s:%d%b'
	option fields 'ip port rest'
	option key 'ip'
	option maxfail '1000'

config rule
	option name 'dhcp'
	option pattern 'DHCPACK(%s) %s %s %s'
	option fields 'iface ip mac hostname'
	option key 'mac'
	option maxfail '1000'
";
    let config = Config::parse(conf.as_bytes(), "alloc").unwrap();
    let mut p = Pipeline::new(&config);
    let input = frames(100_000);
    let mut hits = 0usize;
    let mut fired = 0usize;
    for f in input.iter().take(2000) {
        p.process_frame(f, Source::Unix(Sender::Replayed), 1, &mut |h| {
            fired += h.outcome.fired as usize
        });
    }
    let before = allocs();
    for (i, f) in input.iter().enumerate() {
        p.process_frame(
            f,
            Source::Unix(Sender::Replayed),
            2 + i as i64 / 1000,
            &mut |h| {
                hits += 1;
                fired += h.outcome.fired as usize;
            },
        );
    }
    let after = allocs();
    assert_eq!(after - before, 0, "allocations during 100 000 messages");
    assert_eq!(hits, 30_000, "every dropbear, sip and dhcp frame matched");
    assert_eq!(fired, 0);
    assert!(
        p.stats(0).evicted > 0,
        "10 000 distinct keys overflowed max_keys"
    );
    assert_eq!(p.stats(0).keys, 1024);
}

/// The trust checks (SPEC §2, §6) on the per-message path: a sender's process name read from
/// `/proc` for a rule with `program`, a cut frame, a NUL in an address: none allocates.
#[test]
fn trust_checks_allocate_nothing() {
    let conf = "
config rule
	option name 'pw'
	option program 'dropbear'
	option pattern 'Bad password attempt for %b from %s:%d'
	option fields 'user ip port'
	option key 'ip'
	option maxfail '1000'
	option script '/bin/true'
	list ignoreip '192.168.0.0/16'
";
    let config = Config::parse(conf.as_bytes(), "alloc").unwrap();
    let mut p = Pipeline::new(&config);
    // Neither root nor PID 1: the process name (this test's) is read and is not dropbear.
    let stranger = Source::Unix(Sender::Cred(logtrigger::pipeline::Cred {
        pid: std::process::id(),
        uid: 65534,
    }));
    let frame = b"<84>dropbear[7]: Bad password attempt for 'root' from 203.0.113.9:22".to_vec();
    let nul = b"<84>dropbear[7]: Bad password attempt for 'root' from 192.168.1.\x0010:22".to_vec();
    let mut cut = b"<84>dropbear[7]: Bad password attempt for '".to_vec();
    let tail = b"' from 203.0.113.9:22\n";
    cut.resize(1024 - tail.len(), b'x');
    cut.extend_from_slice(tail);
    let trusted = Source::Unix(Sender::Replayed);
    let inputs = [(&frame, stranger), (&nul, trusted), (&cut, trusted)];
    for (f, s) in inputs {
        p.process_frame(f, s, 1, &mut |_| {});
    }
    let before = allocs();
    let mut hits = 0;
    for i in 0..3000 {
        let (f, s) = inputs[i % 3];
        p.process_frame(f, s, 2, &mut |_| hits += 1);
    }
    assert_eq!(allocs() - before, 0, "allocations during 3000 messages");
    assert_eq!(hits, 3000);
    let st = p.stats(0);
    assert_eq!((st.untrusted, st.ignored, st.truncated), (1001, 1001, 1001));
}
