//! Memory of the counting state (SPEC §6): a rule's key table is allocated on the rule's
//! first event, so an idle daemon holds no tables; after events it holds exactly the tables of
//! the rules that saw one. Live heap bytes are counted per thread by a global allocator (alloc,
//! alloc_zeroed and realloc add, dealloc subtracts), so parallel tests do not disturb it.

use logtrigger::config::Config;
use logtrigger::pattern::{Pattern, RuleSet};
use logtrigger::pipeline::{Pipeline, Sender, Source};
use logtrigger::track::KeyTracker;

use crate::counting::held;

fn default_config() -> Config {
    let text = std::fs::read("uci/logtrigger").unwrap();
    Config::parse_offline(&text, "uci/logtrigger").unwrap()
}

#[test]
fn idle_trackers_of_the_default_rules_hold_nothing() {
    let config = default_config();
    assert!(config.rules.len() >= 10, "the shipped rules");
    let (mut trackers, idle) = held(|| {
        let mut v = Vec::with_capacity(config.rules.len());
        for r in &config.rules {
            v.push(KeyTracker::new(r.max_keys, r.maxfail, r.time));
        }
        v
    });
    let vec_bytes = (trackers.capacity() * size_of::<KeyTracker>()) as i64;
    assert_eq!(idle, vec_bytes, "no table before a rule's first event");

    let ((), tables) = held(|| {
        for t in &mut trackers {
            t.event(b"192.0.2.1", 0);
        }
    });
    let expected: usize = config
        .rules
        .iter()
        .map(|r| KeyTracker::memory_for(r.max_keys, r.maxfail, r.time).unwrap())
        .sum();
    assert_eq!(
        tables, expected as i64,
        "exactly one table per rule that saw an event"
    );
    for (t, r) in trackers.iter().zip(&config.rules) {
        assert_eq!(t.allocated(), r.maxfail > 1, "{}", r.name);
    }
}

#[test]
fn pipeline_holds_one_compiled_copy_of_each_pattern_and_no_idle_table() {
    let config = default_config();
    let max = config.global.max_message;
    // What the compiled patterns alone hold.
    let (patterns, compiled) = held(|| {
        let v: Vec<Pattern> = config.rules.iter().map(|r| r.pattern.clone()).collect();
        v
    });
    let rules = config.rules.clone();
    let (mut p, idle) = held(|| Pipeline::with_rules(rules, max));
    drop(patterns);
    let n = config.rules.len();
    // The rules' patterns move into the rule set: the pipeline's own allocations (per rule its
    // state and a small placeholder pattern, plus two message buffers) stay below what a second
    // compiled copy of the patterns alone would take.
    eprintln!(
        "{n} rules: compiled patterns {compiled} B, pipeline's own {idle} B (max_message {max})"
    );
    assert!(
        idle < compiled,
        "{idle} B held besides {compiled} B of patterns"
    );
    // The match cache is made on the first message, not at load.
    let set = RuleSet::new((0..n).map(|i| p.pattern(i).clone()).collect());
    let (cache, cache_bytes) = held(|| set.cache());
    drop((cache, set));

    // An event allocates the tables of the rules that counted it, and nothing else.
    let line =
        b"<86>Nov  6 21:52:13 dropbear[1]: Bad password attempt for 'root' from 198.51.100.7:5555";
    let mut counted = Vec::with_capacity(config.rules.len());
    let ((), grown) = held(|| {
        p.process_frame(line, Source::Unix(Sender::Replayed), 100, &mut |h| {
            if !h.ignored {
                counted.push(h.index)
            }
        })
    });
    assert!(
        !counted.is_empty(),
        "the line is an attack the default rules count"
    );
    let tables: usize = counted
        .iter()
        .map(|&i| &config.rules[i])
        .map(|r| KeyTracker::memory_for(r.max_keys, r.maxfail, r.time).unwrap())
        .sum();
    assert!(tables > 0);
    assert_eq!(
        grown,
        tables as i64 + cache_bytes,
        "the first message allocates the match cache and the tables of the rules it counts"
    );
    let ((), again) =
        held(|| p.process_frame(line, Source::Unix(Sender::Replayed), 101, &mut |_| {}));
    assert_eq!(again, 0, "later events allocate nothing");
}
