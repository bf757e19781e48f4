//! The crate's top-level modules import each other without a cycle (each `crate::MODULE` path
//! outside a file's test module is an edge), so that each can be understood and changed from
//! its dependencies up; and `unsafe` code and direct C library calls stay inside the OS
//! boundary, `src/sys/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Every `.rs` file under src/: its path relative to src/ (`daemon/mod.rs`) and its text.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap().to_string_lossy();
                files.push((rel.into_owned(), fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files
}

/// Top-level module → the top-level modules its non-test code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let module = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let code = text.split("\n#[cfg(test)]\nmod tests").next().unwrap();
        let edges = g.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && !name.is_empty() {
                edges.insert(name);
            }
        }
    }
    g
}

#[test]
fn modules_form_no_cycle() {
    let g = graph();
    assert!(
        g.contains_key("pipeline") && g.contains_key("source"),
        "{g:?}"
    );
    // Depth-first search from every module; a module met again on the current path is a cycle.
    fn visit(g: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>) {
        let last = path.last().unwrap().clone();
        for next in g.get(&last).into_iter().flatten() {
            assert!(!path.contains(next), "import cycle: {path:?} -> {next}");
            path.push(next.clone());
            visit(g, path);
            path.pop();
        }
    }
    for m in g.keys() {
        visit(&g, &mut vec![m.clone()]);
    }
    // `source` names nothing but the OS boundary, and the boundary names nothing.
    assert!(
        g["source"].iter().all(|m| m == "sys"),
        "source is a leaf above sys: {:?}",
        g["source"]
    );
    assert!(g["sys"].is_empty(), "sys is a leaf: {:?}", g["sys"]);
}

/// Where a line of Rust calls the C library directly: `libc::NAME(` (constants, types and
/// `size_of::<libc::T>()` are not calls).
fn libc_calls(line: &str) -> usize {
    line.match_indices("libc::")
        .filter(|(at, _)| {
            let rest = &line[at + 6..];
            let name = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[name..].trim_start().starts_with('(')
        })
        .count()
}

/// The code of a line: what precedes a `//` comment.
fn code_of(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// Every `unsafe` line and direct `libc` call in src/ outside the OS boundary (`src/sys/`), test
/// modules included, as `file:line: text`; and how many the boundary itself holds.
fn outside_the_boundary() -> (Vec<String>, usize) {
    let (mut outside, mut inside) = (Vec::new(), 0);
    for (rel, text) in sources() {
        let boundary = rel.starts_with("sys/") || rel == "sys.rs";
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line);
            let unsafe_words = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| *w == "unsafe")
                .count();
            let hits = unsafe_words + libc_calls(code);
            if hits == 0 {
                continue;
            }
            if boundary {
                inside += hits;
            } else {
                outside.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    outside.sort();
    (outside, inside)
}

#[test]
fn the_detector_sees_calls_and_unsafe() {
    assert_eq!(libc_calls("let n = libc::poll(fds, 1, -1);"), 1);
    assert_eq!(
        libc_calls("libc::SIGRTMAX () + libc::kill(p, libc::SIGTERM)"),
        2
    );
    assert_eq!(libc_calls("let x: libc::c_int = libc::EINTR;"), 0);
    assert_eq!(libc_calls("size_of::<libc::time_t>()"), 0);
    assert_eq!(
        code_of("let a = 1; // unsafe { libc::kill(1, 9) }"),
        "let a = 1; "
    );
}

#[test]
fn unsafe_code_and_libc_calls_live_only_in_the_os_boundary() {
    let (outside, inside) = outside_the_boundary();
    assert!(
        outside.is_empty(),
        "{} unsafe lines or libc calls outside src/sys:\n{}",
        outside.len(),
        outside.join("\n")
    );
    // The scan itself works: the boundary is where they are.
    assert!(inside > 10, "only {inside} found in src/sys");
}
