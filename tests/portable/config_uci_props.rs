//! Properties of the UCI parser: any value survives libuci's export quoting (`'\''`) and double
//! quoting, list items keep their order and lines, and no input makes the parser panic.

use logtrigger::config::Config;
use logtrigger::config::uci::{self, Value};
use proptest::prelude::*;

/// libuci's export quoting: single quotes, each `'` written as `'\''`.
fn single_quoted(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// Double quotes with `\` and `"` escaped.
fn double_quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Values with the bytes that matter to the syntax, plus any other non-NUL character.
fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                '\'', '"', '\\', '#', ';', ' ', '\t', '\n', '\r', '%', 'a', 'é'
            ]),
            any::<char>().prop_filter("no NUL", |c| *c != '\0'),
        ],
        1..24,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn only_value(text: &str) -> Value {
    let doc = uci::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
    doc.sections[0].get("v").expect("option v").value.clone()
}

/// Bytes biased towards UCI's special characters and keywords.
fn uci_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::sample::select(vec![
            &b"config "[..],
            b"option ",
            b"list ",
            b"package ",
            b"c rule ",
            b"config logtrigger\n",
            b"o pattern 'a %s'\n",
            b"o name ",
            b"'",
            b"\"",
            b"\\",
            b"\\\n",
            b"#",
            b";",
            b"\n",
            b" ",
            b"none",
            b"udp ",
            b"ignoreip ",
            b"fields ",
            b"key ",
            b"10.0.0.0/8",
            b"[::1]:514",
            b"\xff",
        ])
        .prop_map(|s| s.to_vec()),
        proptest::collection::vec(any::<u8>(), 1..4),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn single_quoting_round_trips(v in value(), blank_lines in 0usize..3) {
        let text = format!("config a\n{}\toption v {}\n", "\n".repeat(blank_lines), single_quoted(&v));
        prop_assert_eq!(only_value(&text), Value::Single(v));
        let doc = uci::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(doc.sections[0].options[0].line, 2 + blank_lines);
    }

    #[test]
    fn double_quoting_round_trips(v in value()) {
        let text = format!("config a\n\toption v {}\n", double_quoted(&v));
        prop_assert_eq!(only_value(&text), Value::Single(v));
    }

    #[test]
    fn list_items_keep_order_and_lines(items in proptest::collection::vec(value(), 1..6)) {
        let mut text = String::from("config a\n");
        let mut want = Vec::new();
        let mut line = 2;
        for v in &items {
            text.push_str(&format!("\tlist v {}\n", single_quoted(v)));
            want.push((v.clone(), line));
            line += 1 + v.matches('\n').count();
        }
        prop_assert_eq!(only_value(&text), Value::List(want));
    }

    #[test]
    fn never_panics(bytes in uci_bytes()) {
        let _ = uci::parse(&bytes);
        let _ = Config::parse_offline(&bytes, "p");
    }

    #[test]
    fn errors_are_on_an_existing_line(bytes in uci_bytes()) {
        if let Err(e) = uci::parse(&bytes) {
            let lines = 1 + bytes.iter().filter(|&&b| b == b'\n').count();
            prop_assert!(e.line >= 1 && e.line <= lines, "{:?} has {} lines", e, lines);
        }
    }
}
