//! The matcher against the `regex` crate, bytes mode, on the translation of SPEC §5.
//!
//! Patterns are random sequences of literals, whitespace runs and conversions; subjects are
//! built from the same literals and conversion-like fragments, so most pairs are near-misses.

use logtrigger::pattern::{Cache, Captures, Engine, Pattern, RuleSet};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use regex::bytes::Regex;
use std::sync::atomic::{AtomicUsize, Ordering};

static PAIRS: AtomicUsize = AtomicUsize::new(0);
static MATCHED: AtomicUsize = AtomicUsize::new(0);
/// Pairs whose pattern has a scanset, and those of them that matched.
static SCAN_PAIRS: AtomicUsize = AtomicUsize::new(0);
static SCAN_MATCHED: AtomicUsize = AtomicUsize::new(0);

/// SPEC §5 translation, written from the table independently of the matcher's compiler.
fn translate(pattern: &[u8], at_start: bool) -> String {
    let mut re = String::from(if at_start { r"(?s-u)^" } else { r"(?s-u)^.*?" });
    let mut i = 0;
    let mut out_parts: Vec<String> = Vec::new();
    while i < pattern.len() {
        let b = pattern[i];
        if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            while i < pattern.len()
                && matches!(pattern[i], b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
            {
                i += 1;
            }
            out_parts.push(r"\s+".into());
            continue;
        }
        if b == b'%' && pattern[i + 1] == b'[' {
            let (class, len) = scanset_class(&pattern[i..]);
            out_parts.push(format!("({class}+)"));
            i += len;
            continue;
        }
        if b == b'%' {
            let c = pattern[i + 1];
            i += 2;
            let last = i == pattern.len();
            let part = match c {
                b'%' => r"\x25".to_string(),
                b'd' => r"\s*([+-]?[0-9]+)".into(),
                b'i' => r"\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))".into(),
                b'u' => r"\s*([0-9]+)".into(),
                b'f' => r"\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)".into(),
                b'o' => r"\s*([0-7]+)".into(),
                b'x' | b'X' => r"\s*((?:0[xX])?[0-9a-fA-F]+)".into(),
                b'c' => r"(.)".into(),
                b's' if last => r"\s*(.+)".into(),
                b's' => r"\s*(\S+?)".into(),
                b'b' if last => r"(.+)".into(),
                b'b' => r"(.+?)".into(),
                _ => unreachable!(),
            };
            out_parts.push(part);
            continue;
        }
        out_parts.push(format!(r"\x{b:02X}"));
        i += 1;
    }
    for p in out_parts {
        re.push_str(&p);
    }
    re.push('$');
    re
}

/// The regex class of the scanset at the start of `text` (`%[...]`), and the scanset's length:
/// C scanf's rules (`^` first negates, `]` first is a member, `a-z` a range, `-` last a member).
fn scanset_class(text: &[u8]) -> (String, usize) {
    let mut i = 2;
    let negate = text[i] == b'^';
    if negate {
        i += 1;
    }
    let first = i;
    let mut class = String::from(if negate { "[^" } else { "[" });
    while text[i] != b']' || i == first {
        let lo = text[i];
        if text.get(i + 1) == Some(&b'-') && text.get(i + 2).is_some_and(|&h| h != b']') {
            class.push_str(&format!(r"\x{lo:02X}-\x{:02X}", text[i + 2]));
            i += 3;
        } else {
            class.push_str(&format!(r"\x{lo:02X}"));
            i += 1;
        }
    }
    class.push(']');
    (class, i + 1)
}

const LITERALS: &[&[u8]] = &[
    b"a", b"b", b"ab", b"x", b":", b"[", b"]", b"'", b"IP", b"0", b"1", b".", b"e", b"-", b"%%",
];
const CONVS: &[&[u8]] = &[
    b"%d", b"%i", b"%u", b"%f", b"%o", b"%x", b"%X", b"%c", b"%s", b"%b", b"%[^']", b"%[a-c]",
    b"%[]x]", b"%[^ :]", b"%[0-9.]", b"%[^]a]", b"%[-a]", b"%[^\t ]", b"%[ab-]",
];
const SPACES: &[&[u8]] = &[b" ", b"  ", b"\t", b" \n"];
const FRAGMENTS: &[&[u8]] = &[
    b"12", b"-3", b"+7", b"0x1f", b"0X", b"07", b"08", b"0", b"1.5e3", b".5", b"5.", b"e+2",
    b"abc", b"a", b"b", b"IP:", b"\xff", b"\x00", b"%", b"x", b"q", b"::", b"'", b"a'b", b"]x",
    b"-a", b"1.2",
];

fn piece(kind: u8, i: usize) -> &'static [u8] {
    match kind % 3 {
        0 => LITERALS[i % LITERALS.len()],
        1 => CONVS[i % CONVS.len()],
        _ => SPACES[i % SPACES.len()],
    }
}

/// A pattern: 1..8 pieces.
fn pattern_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), any::<usize>()), 1..8)
        .prop_map(|v| v.iter().flat_map(|&(k, i)| piece(k, i).to_vec()).collect())
}

/// Subject recipe: indexes into the pattern's own pieces, fragments and spaces.
fn subject_strategy() -> impl Strategy<Value = Vec<(u8, usize)>> {
    prop::collection::vec((any::<u8>(), any::<usize>()), 0..12)
}

/// Builds a subject from the pattern text: its literal bytes in order, with conversions
/// replaced by fragments, mutated by the recipe.
fn build_subject(pattern: &[u8], recipe: &[(u8, usize)]) -> Vec<u8> {
    let mut s = Vec::new();
    let mut r = recipe.iter().cycle();
    let mut i = 0;
    while i < pattern.len() {
        let &(k, n) = r.next().unwrap_or(&(0, 0));
        if pattern[i] == b'%' {
            if pattern[i + 1] == b'%' {
                s.push(b'%');
            } else if pattern[i + 1] == b'[' {
                for _ in 0..=(k % 3) {
                    s.extend_from_slice(FRAGMENTS[n % FRAGMENTS.len()]);
                }
                i += scanset_class(&pattern[i..]).1;
                continue;
            } else {
                for _ in 0..=(k % 3) {
                    s.extend_from_slice(FRAGMENTS[n % FRAGMENTS.len()]);
                }
            }
            i += 2;
            continue;
        }
        match k % 11 {
            0 => {} // drop the byte
            1 => s.extend_from_slice(FRAGMENTS[n % FRAGMENTS.len()]),
            2 => s.extend_from_slice(SPACES[n % SPACES.len()]),
            _ => s.push(pattern[i]),
        }
        i += 1;
    }
    // Prefix and suffix noise.
    if let Some(&(k, n)) = recipe.first() {
        if k % 4 == 0 {
            let mut pre = FRAGMENTS[n % FRAGMENTS.len()].to_vec();
            pre.extend_from_slice(&s);
            s = pre;
        }
        if k % 5 == 1 {
            s.extend_from_slice(SPACES[n % SPACES.len()]);
        }
        if k % 7 == 2 {
            s.extend_from_slice(FRAGMENTS[(n / 7) % FRAGMENTS.len()]);
        }
    }
    if recipe.len() > 6 {
        // Repeat the subject: duplicates make the leftmost start matter.
        let copy = s.clone();
        s.extend_from_slice(b" ");
        s.extend_from_slice(&copy);
    }
    s
}

/// Caches that run every search on the Pike VM alone and on the reverse engine alone.
fn forced_caches() -> (Cache, Cache) {
    let mut pike = Cache::default();
    pike.force(Some(Engine::Pike));
    let mut reverse = Cache::default();
    reverse.force(Some(Engine::Reverse {
        dfa_states: usize::MAX,
    }));
    (pike, reverse)
}

fn check(
    pattern: &[u8],
    at_start: bool,
    subject: &[u8],
    re: &Regex,
    cache: &mut Cache,
) -> Result<(), TestCaseError> {
    let mut p = Pattern::compile(pattern).unwrap();
    if at_start {
        p = p.at_start();
    }
    let mut caps = Captures::default();
    let got = p.find(subject, cache, &mut caps);
    PAIRS.fetch_add(1, Ordering::Relaxed);
    if got {
        MATCHED.fetch_add(1, Ordering::Relaxed);
    }
    if pattern.windows(2).any(|w| w == b"%[") {
        SCAN_PAIRS.fetch_add(1, Ordering::Relaxed);
        SCAN_MATCHED.fetch_add(usize::from(got), Ordering::Relaxed);
    }
    let want = re.captures(subject);
    prop_assert_eq!(
        got,
        want.is_some(),
        "match? pattern {:?} subject {:?}",
        String::from_utf8_lossy(pattern),
        String::from_utf8_lossy(subject)
    );
    // The rule-set prefilter never hides a match.
    let set = RuleSet::new(vec![
        p.clone(),
        Pattern::compile(b"zz%d").unwrap(),
        p.clone(),
    ]);
    let mut seen = Vec::new();
    set.for_each_match(subject, cache, |i| i != 1, |i, c| seen.push((i, *c)));
    let want_seen = if got {
        vec![(0, caps), (2, caps)]
    } else {
        vec![]
    };
    prop_assert_eq!(&seen, &want_seen, "rule set disagrees");
    // A subset of a few patterns skips the set's scan; one outside the subset is never tried.
    let mut direct = Vec::new();
    set.for_each_match_in(subject, cache, 0b101, |_| true, |i, c| direct.push((i, *c)));
    prop_assert_eq!(&direct, &want_seen, "rule set subset disagrees");
    direct.clear();
    set.for_each_match_in(subject, cache, 0b100, |_| true, |i, c| direct.push((i, *c)));
    prop_assert_eq!(
        &direct[..],
        &want_seen[want_seen.len().min(1)..],
        "subset of one"
    );
    let (mut pike, mut reverse) = forced_caches();
    let mut pike_caps = Captures::default();
    prop_assert_eq!(
        p.find(subject, &mut pike, &mut pike_caps),
        got,
        "Pike VM disagrees"
    );
    if got {
        prop_assert_eq!(pike_caps, caps, "Pike VM captures differ");
    }
    let mut rev_caps = Captures::default();
    prop_assert_eq!(
        p.find(subject, &mut reverse, &mut rev_caps),
        got,
        "reverse engine disagrees"
    );
    if got {
        prop_assert_eq!(rev_caps, caps, "reverse engine captures differ");
    }
    if let Some(w) = want {
        prop_assert_eq!(caps.len(), w.len() - 1);
        for k in 0..caps.len() {
            let m = w.get(k + 1).unwrap();
            prop_assert_eq!(
                caps.span(k),
                Some((m.start() as u32, m.end() as u32)),
                "capture {} of pattern {:?} subject {:?}",
                k,
                String::from_utf8_lossy(pattern),
                String::from_utf8_lossy(subject)
            );
        }
    }
    Ok(())
}

proptest! {
    // 1250 patterns × 8 subjects = 10 000 pairs per run.
    #![proptest_config(ProptestConfig { cases: 1250, ..ProptestConfig::default() })]
    #[test]
    fn matches_regex_oracle(
        pattern in pattern_strategy(),
        at_start in prop::bool::weighted(0.25),
        recipes in prop::collection::vec(subject_strategy(), 8),
    ) {
        let re = Regex::new(&translate(&pattern, at_start)).unwrap();
        let mut cache = Cache::default();
        for recipe in &recipes {
            let subject = build_subject(&pattern, recipe);
            check(&pattern, at_start, &subject, &re, &mut cache)?;
        }
    }
}

/// Long patterns: the reverse engine's bitsets span several 64-bit words.
fn long_pattern_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), any::<usize>()), 20..90)
        .prop_map(|v| v.iter().flat_map(|&(k, i)| piece(k, i).to_vec()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn long_patterns_match_regex_oracle(
        pattern in long_pattern_strategy(),
        at_start in prop::bool::weighted(0.25),
        recipes in prop::collection::vec(subject_strategy(), 4),
    ) {
        if let Err(e) = Pattern::compile(&pattern) {
            // More than 16 conversions, or too many for one line to stay cheap: refused.
            let known = ["more than 16 conversions", "pattern too long", "pattern too ambiguous"];
            prop_assert!(known.iter().any(|k| e.reason.starts_with(k)), "{}", e);
            return Ok(());
        }
        let re = Regex::new(&translate(&pattern, at_start)).unwrap();
        let mut cache = Cache::default();
        for recipe in &recipes {
            let subject = build_subject(&pattern, recipe);
            check(&pattern, at_start, &subject, &re, &mut cache)?;
        }
    }
}

/// Runs after (or with) the property: the generator must produce both outcomes often.
#[test]
fn generator_mixes_matches_and_misses() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = (
        pattern_strategy(),
        prop::collection::vec(subject_strategy(), 8),
    );
    let (mut pairs, mut hits) = (0, 0);
    for _ in 0..300 {
        let (pattern, recipes) = strat.new_tree(&mut runner).unwrap().current();
        let re = Regex::new(&translate(&pattern, false)).unwrap();
        for recipe in &recipes {
            pairs += 1;
            hits += re.is_match(&build_subject(&pattern, recipe)) as usize;
        }
    }
    eprintln!("{hits} of {pairs} generated pairs match");
    assert!(
        hits * 10 > pairs && hits * 10 < pairs * 9,
        "{hits} of {pairs}"
    );
}

#[test]
fn property_ran_enough_pairs() {
    // Only meaningful when the property ran in this process (it always does in a full run).
    matches_regex_oracle();
    let pairs = PAIRS.load(Ordering::Relaxed);
    assert!(pairs >= 10_000, "{pairs} pairs");
    eprintln!(
        "{} of {pairs} pairs matched",
        MATCHED.load(Ordering::Relaxed)
    );
    let (scan, scan_hits) = (
        SCAN_PAIRS.load(Ordering::Relaxed),
        SCAN_MATCHED.load(Ordering::Relaxed),
    );
    eprintln!("scansets: {scan_hits} of {scan} pairs matched");
    assert!(scan >= 3000 && scan_hits >= 300, "{scan_hits} of {scan}");
}

/// Long subjects (the reverse engine's and the Pike VM's territory) against the oracle.
#[test]
fn long_subjects_match_oracle() {
    let mut words = b"a a ".repeat(4000);
    words.extend_from_slice(b" b");
    let mut colons = b"x:".repeat(3000);
    colons.extend_from_slice(b"x!");
    let mut digits = b"1 ".repeat(3000);
    digits.extend_from_slice(b"1x");
    let mut ws = b"id= ".to_vec();
    ws.extend_from_slice(&b" \t".repeat(5000));
    ws.extend_from_slice(b"7 end");
    let mut late = b"x ".repeat(40_000);
    late.extend_from_slice(b"from 1.2.3.4 port 22");
    let mut tail_miss = digits.clone();
    tail_miss.extend_from_slice(b"!");
    // Mid-sized: the backtracker exceeds its step budget and hands over to the reverse engine.
    let mut mid = b"1 ".repeat(500);
    mid.extend_from_slice(b"1x");
    let mut mid_miss = mid.clone();
    mid_miss.extend_from_slice(b" x");
    // 16 conversions: the reverse engine's widest sets, and many lazy DFA states.
    let mut floats = b"a ".to_vec();
    floats.extend_from_slice(&b"1.5e3 -7 .5 0x1f ".repeat(300));
    floats.extend_from_slice(b"1x");
    let wide = "%b %f %f %f %f %f %f %f %f %f %f %f %f %f %f %fx";
    let cases: &[(&str, &[u8])] = &[
        (wide, &floats),
        (wide, &floats[..floats.len() - 1]),
        ("%d %d %d %d %d %d %d %dx", &mid),
        ("%d %d %d %d %d %d %d %dx", &mid_miss),
        ("%d %d %d %d %d %d %d %d%s", &mid_miss),
        ("from %s", &late),
        ("x %b port %d", &late),
        ("%d %d %d %d %dx%s", &tail_miss),
        ("%d %d %d %d %dx%s", &digits),
        ("%s a %s", &words),
        ("%s a %s a %s b", &words),
        ("%b:%b:%b:%b:%b:%b:%b:%b!", &colons),
        ("%b:%b:%s", &colons),
        ("%d %d %d %d %dx", &digits),
        ("%d %d %d %d %d", &digits[..digits.len() - 1]),
        ("id=%d %s", &ws),
        ("%s", &ws),
    ];
    // The default lazy DFA, one so small that it clears and gives up, and none at all.
    let mut caches = [Cache::default(), Cache::default(), Cache::default()];
    caches[1].force(Some(Engine::Reverse { dfa_states: 2 }));
    caches[2].force(Some(Engine::Reverse { dfa_states: 0 }));
    // Each cache sees every case, in order, anywhere and from the first byte.
    for (pattern, subject) in cases {
        for at_start in [false, true] {
            let re = Regex::new(&translate(pattern.as_bytes(), at_start)).unwrap();
            for cache in &mut caches {
                check(pattern.as_bytes(), at_start, subject, &re, cache).unwrap();
            }
        }
    }
}

#[test]
fn oracle_agrees_on_seed_example() {
    let re = Regex::new(&translate(b"dnsmasq-dhcp[%d]: DHCPACK(%s) %s", false)).unwrap();
    let s = b"dnsmasq-dhcp[4273]: DHCPACK(br-lan) 192.168.2.153 'mac address' 'computer name'";
    let c = re.captures(s).unwrap();
    assert_eq!(&c[1], b"4273");
    assert_eq!(&c[3], b"192.168.2.153 'mac address' 'computer name'");
}
