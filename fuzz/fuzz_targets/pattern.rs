//! Pattern compiler + matcher on arbitrary bytes: never panics, captures lie in the subject.
//!
//! Input: pattern bytes, a NUL, then the subject (no NUL: the whole input is both).
#![no_main]
use libfuzzer_sys::fuzz_target;
use logtrigger::pattern::{Cache, Captures, MAX_CAPTURES, Pattern, RuleSet};

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
    let mut pike = Captures::default();
    assert_eq!(p.find_pike(subject, &mut cache, &mut pike), found);
    let mut reverse = Captures::default();
    assert_eq!(p.find_reverse(subject, &mut cache, &mut reverse), found);
    if !found {
        return;
    }
    assert_eq!(pike, caps, "engines disagree");
    assert_eq!(reverse, caps, "reverse engine disagrees");
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
