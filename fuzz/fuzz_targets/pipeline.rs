//! The whole in-process path on arbitrary datagrams: the shipped configuration, each input split
//! at `\n` into frames, every frame through parse → filter → match → key → count, and the script
//! environment of every firing. Never panics; every hit's key and captures lie inside the subject.
#![no_main]
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use logtrigger::config::Config;
use logtrigger::pipeline::{self, Cred, Pipeline, Sender, Source};

static PIPELINE: Mutex<Option<Pipeline>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let mut guard = PIPELINE.lock().unwrap();
    let p = guard.get_or_insert_with(|| {
        let text = include_bytes!("../../uci/logtrigger");
        Pipeline::new(&Config::parse_offline(text, "uci/logtrigger").unwrap())
    });
    let udp = Source::Udp("192.0.2.1:514".parse().unwrap());
    for (i, frame) in data.split(|&b| b == b'\n').enumerate() {
        // A trusted local sender, a remote one, and an unprivileged local one whose process
        // (any pid, mostly gone) is looked up by name for rules with `program`.
        let stranger = Sender::Cred(Cred {
            pid: frame.len() as u32,
            uid: 65534,
        });
        let source = match i % 3 {
            0 => Source::Unix(Sender::Replayed),
            1 => udp,
            _ => Source::Unix(stranger),
        };
        p.process_frame(frame, source, i as i64, &mut |hit| {
            assert!(hit.key.len() <= hit.subject.len() + hit.caps.len());
            for c in 0..hit.caps.len() {
                assert!(hit.caps.get(c, hit.subject).len() <= hit.subject.len());
            }
            if hit.outcome.fired {
                let _ = pipeline::job(hit, source, i as i64);
            }
        });
    }
});
