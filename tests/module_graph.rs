//! The crate's top-level modules import each other without a cycle (each `crate::MODULE` path
//! outside a file's test module is an edge), so that each can be understood and changed from
//! its dependencies up.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module → the top-level modules its non-test code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let module = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            if module == "main" || module == "lib" || !rel.ends_with(".rs") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
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
    assert!(
        g["source"].is_empty(),
        "source is a leaf: {:?}",
        g["source"]
    );
}
