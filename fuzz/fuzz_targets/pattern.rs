//! Pattern compiler + matcher on arbitrary bytes: never panics, captures lie in the subject.
//!
//! Input: pattern bytes, a NUL, then the subject (no NUL: the whole input is both).
#![no_main]
use libfuzzer_sys::fuzz_target;
use logtrigger::pattern::{Cache, Captures, Engine, MAX_CAPTURES, Pattern, RuleSet};

fuzz_target!(|data: &[u8]| {
    let (pattern, subject) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let Ok(p) = Pattern::compile(pattern) else {
        return;
    };
    assert!(p.captures_len() <= MAX_CAPTURES);
    let mut cache = Cache::default();
    let mut caps = Captures::default();
    let found = p.find(subject, &mut cache, &mut caps);
    // Every engine alone: the segment engine (Pike VM when it gives up), the Pike VM, the
    // reverse engine with its lazy DFA, and with a store so small that it clears and gives up.
    let mut forced = [
        Engine::Segments,
        Engine::Pike,
        Engine::Reverse {
            dfa_states: usize::MAX,
        },
        Engine::Reverse { dfa_states: 2 },
    ]
    .map(|e| {
        let mut c = Cache::default();
        c.force(Some(e));
        (c, Captures::default())
    });
    for (c, caps) in &mut forced {
        assert_eq!(p.find(subject, c, caps), found);
    }
    // Anchored at the first byte: every engine agrees, and such a match is a match anywhere.
    let at_start = p.clone().at_start();
    let mut first = Captures::default();
    let found_first = at_start.find(subject, &mut cache, &mut first);
    assert!(!found_first || found);
    for (c, _) in &mut forced {
        let mut other = Captures::default();
        assert_eq!(at_start.find(subject, c, &mut other), found_first);
        assert!(!found_first || other == first, "engines disagree from the first byte");
    }
    let [_, (_, pike), (_, reverse), (_, tiny)] = &forced;
    if !found {
        return;
    }
    assert_eq!(*pike, caps, "engines disagree");
    assert_eq!(*reverse, caps, "reverse engine disagrees");
    assert_eq!(*tiny, caps, "reverse engine with a tiny lazy DFA disagrees");
    assert_eq!(forced[0].1, caps, "segment engine disagrees");
    assert_eq!(caps.len(), p.captures_len());
    let mut last_end = 0;
    for k in 0..caps.len() {
        let (a, b) = caps.span(k).unwrap();
        // Non-empty, inside the subject, in pattern order.
        assert!(a < b && b as usize <= subject.len(), "capture {k}");
        assert!(a >= last_end);
        last_end = b;
    }
    let mut out = Vec::new();
    p.fill(subject, &caps, &mut out);
    // The same pattern twice in a set reports two matches with the same captures.
    let set = RuleSet::new(vec![p.clone(), p]);
    let mut n = 0;
    set.for_each_match(
        subject,
        &mut cache,
        |_| true,
        |_, c| {
            assert_eq!(*c, caps);
            n += 1;
        },
    );
    assert_eq!(n, 2);
});
