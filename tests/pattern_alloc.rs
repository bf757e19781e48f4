//! Matching performs no heap allocation once the cache has warmed up (SPEC §1, §5).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use logtrigger::pattern::{Cache, Captures, Pattern, RuleSet};

/// Counts allocations and reallocations made by a thread that has set `COUNTING`, per thread
/// (the test harness's own threads allocate too, and the tests of this file run in parallel).
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCS.with(|a| a.set(a.get() + 1));
    }
}

/// Allocations counted on this thread so far.
fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PATTERNS: &[&str] = &[
    "Bad password attempt for '%s' from %s",
    "Login attempt for nonexistent user from %s",
    "dnsmasq-dhcp[%d]: DHCPACK(%s) %s",
    "%s a %s a %s b",
    "t=%f x=%x i=%i o=%o u=%u c=%c %%",
    "%b:%b:%b!",
    "from '%[^']' failed for '%s:%d' (callid: %[^']) - Failed to authenticate",
    "%[a-c]%[^ ]",
];

fn subjects() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        b"dropbear[1]: Bad password attempt for 'root' from 1.2.3.4:22".to_vec(),
        b"dropbear[1]: Login attempt for nonexistent user from 5.6.7.8:22".to_vec(),
        b"dnsmasq-dhcp[4273]: DHCPACK(br-lan) 192.168.2.153 aa:bb name".to_vec(),
        b"t=1.5e3 x=0xff i=017 o=7 u=3 c=! %".to_vec(),
        b"kernel: nothing to see here".to_vec(),
        b"a:b:c:d!".to_vec(),
        b"Request 'REGISTER' from '\"100\" <sip:100@pbx>' failed for '198.51.100.7:5060' (callid: 1f2e) - Failed to authenticate".to_vec(),
        b"abcab+x".to_vec(),
    ];
    let mut long = b"a a ".repeat(64);
    long.extend_from_slice(b" b");
    v.push(long);
    v
}

#[test]
fn matching_after_warm_up_allocates_nothing() {
    let set = RuleSet::new(
        PATTERNS
            .iter()
            .map(|p| Pattern::compile(p.as_bytes()).unwrap())
            .collect(),
    );
    let subjects = subjects();
    let mut cache = Cache::default();
    let mut caps = Captures::default();
    // Warm-up: every pattern once, so the cache reaches its final size.
    for s in &subjects {
        set.for_each_match(s, &mut cache, |_| true, |_, _| {});
    }
    // The counter works: one allocation inside the window is seen.
    COUNTING.with(|c| c.set(true));
    let probe = allocs();
    drop(std::hint::black_box(Box::new(1u8)));
    assert_eq!(allocs(), probe + 1);
    let before = allocs();
    let mut matches = 0usize;
    for n in 0..100_000 {
        let s = &subjects[n % subjects.len()];
        if n % 2 == 0 {
            set.for_each_match(s, &mut cache, |_| true, |_, c| matches += c.len() + 1);
        } else {
            let p = set.pattern(n % set.len());
            matches += p.find(s, &mut cache, &mut caps) as usize;
        }
    }
    COUNTING.with(|c| c.set(false));
    let after = allocs();
    assert_eq!(after - before, 0, "allocations during 100 000 matches");
    assert!(matches > 10_000, "the subjects do match: {matches}");
}

#[test]
fn presized_cache_never_allocates() {
    let set = RuleSet::new(
        PATTERNS
            .iter()
            .map(|p| Pattern::compile(p.as_bytes()).unwrap())
            .collect(),
    );
    let mut cache = set.cache();
    let mut long = b"a a ".repeat(20_000);
    long.extend_from_slice(b" b");
    // A trailing-%s pattern matching late: the Pike VM's budget runs out, the reverse engine ends.
    let mut late = b"x ".repeat(20_000);
    late.extend_from_slice(b"Login attempt for nonexistent user from 1.2.3.4");
    let mut subjects = subjects();
    subjects.push(long);
    subjects.push(late);
    // Scansets on a long subject: the reverse engine.
    let mut quoted = b"from 'x' failed for 'a:1' (callid: ".repeat(1000);
    quoted.extend_from_slice(b"z) - Failed to authenticate");
    subjects.push(quoted);
    COUNTING.with(|c| c.set(true));
    let before = allocs();
    let mut matches = 0;
    // First use, every engine (the long subjects go to the Pike VM and the reverse engine).
    for s in &subjects {
        set.for_each_match(s, &mut cache, |_| true, |_, _| matches += 1);
    }
    let after = allocs();
    COUNTING.with(|c| c.set(false));
    assert_eq!(after - before, 0);
    assert!(matches >= 5, "{matches}");
}
