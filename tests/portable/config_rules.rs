//! `config rule` sections (SPEC §6–§8): defaults, fields, key, extras, clashes, ranges.
//! These tests compile patterns, so they need `Pattern::compile` from the pattern module.

use std::path::PathBuf;

use logtrigger::config::{Config, SourceKind, Sources};
use logtrigger::ipnet::IpNet;

const SIP: &str = "Freeswitch: SIP registration failed User:%s IP:%s";

fn config(text: &str) -> Config {
    Config::parse(text.as_bytes(), "cfg").unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// A rule section with `body` after its name and pattern (lines 1–3).
fn rule_text(body: &str) -> String {
    format!("config rule\n\toption name 'r'\n\toption pattern '{SIP}'\n{body}")
}

fn error(text: &str) -> String {
    match Config::parse(text.as_bytes(), "cfg") {
        Ok(_) => panic!("{text:?} accepted"),
        Err(e) => e.to_string(),
    }
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|s| IpNet::parse(s).unwrap()).collect()
}

#[test]
fn full_rule_is_understood() {
    let c = config(&format!(
        "config logtrigger 'global'\n\toption max_keys '50'\n\n\
         config rule\n\
         \toption name 'SIP_WrongPass'\n\
         \toption pattern '{SIP}'\n\
         \toption fields 'user ip'\n\
         \toption key 'ip'\n\
         \toption script '/etc/logtrigger/ipblock.sh'\n\
         \toption time '600'\n\
         \toption maxfail '5'\n\
         \toption enabled '1'\n\
         \toption program 'freeswitch'\n\
         \toption source 'udp'\n\
         \tlist ignoreip '192.168.1.0/24'\n\
         \toption bantime '3600'\n\
         \tlist note 'a'\n\tlist note 'b'\n"
    ));
    assert_eq!(c.rules.len(), 1);
    let r = &c.rules[0];
    assert_eq!(r.name, "SIP_WrongPass");
    assert_eq!(r.pattern.source(), SIP.as_bytes());
    assert_eq!(r.pattern.captures_len(), 2);
    assert_eq!(r.fields, ["user", "ip"]);
    assert_eq!(r.key, [1]);
    assert_eq!(r.key_src, "ip");
    assert_eq!(r.script, Some(PathBuf::from("/etc/logtrigger/ipblock.sh")));
    assert_eq!(r.time, Some(600));
    assert_eq!(r.maxfail, 5);
    assert!(r.enabled);
    assert_eq!(r.program.as_deref(), Some("freeswitch"));
    assert_eq!(r.source, Sources::NONE.with(SourceKind::Udp));
    assert_eq!(r.file, None);
    assert_eq!(
        r.ignoreip,
        nets(&["127.0.0.0/8", "::1", "192.168.1.0/24"]),
        "global list first, then the rule's own"
    );
    assert_eq!(r.max_keys, 50, "inherited from the global max_keys");
    assert_eq!(
        r.extra,
        [
            ("bantime".to_string(), "3600".to_string()),
            ("note".to_string(), "a b".to_string())
        ]
    );
    assert_eq!(r.line, 4);
}

#[test]
fn rule_defaults() {
    let c = config(&rule_text(""));
    let r = &c.rules[0];
    assert!(r.fields.is_empty());
    assert_eq!(r.key, [0, 1], "no key: all captured values");
    assert_eq!(r.key_src, "");
    assert_eq!(r.script, None);
    assert_eq!(r.time, None);
    assert_eq!(r.maxfail, 1);
    assert!(r.enabled);
    assert_eq!(r.max_keys, 1024);
    assert_eq!(r.ignoreip, nets(&["127.0.0.0/8", "::1"]));
    assert!(r.extra.is_empty());
    assert_eq!(
        (r.program.as_ref(), r.source, r.file.as_ref()),
        (None, Sources::LOCAL, None)
    );
    assert_eq!(r.verify, None);
}

#[test]
fn rule_options() {
    let c = config(&rule_text(
        "\toption enabled 'no'\n\toption file '/var/log/messages'\n\toption source 'file'\n\
         \toption max_keys '7'\n\tlist ignoreip 'none'\n\tlist ignoreip '10.0.0.0/8'\n\
         \toption fields 'user ip'\n",
    ));
    let r = &c.rules[0];
    assert!(!r.enabled);
    assert_eq!(r.file, Some(PathBuf::from("/var/log/messages")));
    assert_eq!(r.source, Sources::NONE.with(SourceKind::File));
    assert_eq!(r.max_keys, 7);
    assert_eq!(
        r.ignoreip,
        nets(&["10.0.0.0/8"]),
        "'none' drops the global list"
    );
    assert_eq!(r.fields, ["user", "ip"]);
    assert_eq!(r.key, [0, 1], "no key: every value");
}

#[test]
fn key_of_several_fields_in_key_order() {
    let c = config(&rule_text(
        "\toption fields 'user ip'\n\toption key 'ip user'\n",
    ));
    assert_eq!(c.rules[0].key, [1, 0]);
    assert_eq!(c.rules[0].key_src, "ip user");
}

#[test]
fn fields_and_key_may_be_lists() {
    let c = config(&rule_text(
        "\tlist fields 'user'\n\tlist fields 'ip'\n\tlist key 'ip'\n",
    ));
    assert_eq!(c.rules[0].fields, ["user", "ip"]);
    assert_eq!(c.rules[0].key, [1]);
}

#[test]
fn section_name_is_the_default_rule_name() {
    let c = config(&format!("config rule 'ssh'\n\toption pattern '{SIP}'\n"));
    assert_eq!(c.rules[0].name, "ssh");
}

#[test]
fn anonymous_rules_are_named_as_uci_shows_them() {
    // libuci counts every section of type rule for `@rule[N]`, named ones included.
    let c = config(
        "config logtrigger\n\
         config rule\n\toption pattern 'a %d'\n\
         config rule 'named'\n\toption pattern 'b %d'\n\
         config rule\n\toption pattern 'c %d'\n\
         config rule\n\toption name 'given'\n\toption pattern 'd %d'\n",
    );
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["@rule[0]", "named", "@rule[2]", "given"]);
}

#[test]
fn option_name_wins_over_the_section_name() {
    let c = config(&format!(
        "config rule 'ssh'\n\toption name 'sshd_fail'\n\toption pattern '{SIP}'\n"
    ));
    assert_eq!(c.rules[0].name, "sshd_fail");
}

#[test]
fn several_rules_keep_their_order_and_global_may_come_last() {
    let c = config(
        "config rule\n\toption name a\n\toption pattern 'x %d'\n\
         config rule\n\toption name b\n\toption pattern 'y %s'\n\
         config logtrigger\n\toption max_keys 9\n",
    );
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(c.rules.iter().all(|r| r.max_keys == 9));
    assert_eq!(c.rule("b").unwrap().line, 4);
}

#[test]
fn invalid_rules_name_line_and_reason() {
    let cases: Vec<(String, &str)> = vec![
        (
            "config rule\n\toption pattern 'x'\n\toption name ' '\n".into(),
            "cfg:3: rule name is empty",
        ),
        (
            "config rule\n\toption name r\n".into(),
            "cfg:1: rule 'r' has no pattern",
        ),
        (
            rule_text("\toption fields 'user ip extra'\n"),
            "cfg:4: fields names 3 value(s) but the pattern has 2 conversion(s): name every conversion in pattern order, or none",
        ),
        (
            rule_text("\toption fields 'user user'\n"),
            "cfg:4: field 'user' is named twice",
        ),
        (
            rule_text("\toption fields 'user 1ip'\n"),
            "cfg:4: field name '1ip' is not valid (use [A-Za-z_][A-Za-z0-9_]*)",
        ),
        (
            rule_text("\toption fields 'user-name'\n"),
            "cfg:4: field name 'user-name' is not valid (use [A-Za-z_][A-Za-z0-9_]*)",
        ),
        (
            rule_text("\toption fields 'user host'\n"),
            "cfg:4: field 'host' would overwrite the built-in LT_host",
        ),
        (
            rule_text("\toption fields 'message'\n"),
            "cfg:4: field 'message' would overwrite the built-in LT_message",
        ),
        (
            rule_text("\toption fields 'user ip'\n\toption key 'port'\n"),
            "cfg:5: key 'port' is not one of the rule's fields (user ip)",
        ),
        (
            rule_text("\toption key 'ip'\n"),
            "cfg:4: key 'ip' is not a field: the rule has no option fields",
        ),
        (
            rule_text("\toption fields 'user ip'\n\toption key 'ip ip'\n"),
            "cfg:5: key 'ip' is named twice",
        ),
        (
            rule_text("\toption fields 'user ip'\n\toption key ' '\n"),
            "cfg:5: key names no field",
        ),
        (
            rule_text("\toption script 'ipblock.sh'\n"),
            "cfg:4: script 'ipblock.sh' must be an absolute path",
        ),
        (
            rule_text("\toption file 'messages'\n"),
            "cfg:4: file 'messages' must be an absolute path",
        ),
        (
            rule_text("\toption time '0'\n"),
            "cfg:4: time '0' is out of range 1s..=365d",
        ),
        (
            rule_text("\toption time '10min'\n"),
            "cfg:4: time '10min' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)",
        ),
        (
            rule_text("\toption maxfail '0'\n"),
            "cfg:4: maxfail '0' is out of range 1..=10000",
        ),
        (
            rule_text("\toption maxfail '10001'\n"),
            "cfg:4: maxfail '10001' is out of range 1..=10000",
        ),
        (
            rule_text("\toption max_keys '1000001'\n"),
            "cfg:4: max_keys '1000001' is out of range 1..=1000000",
        ),
        (
            rule_text("\toption enabled 'sometimes'\n"),
            "cfg:4: enabled 'sometimes' is not a boolean (use 1/0, yes/no, on/off, true/false)",
        ),
        (
            rule_text("\toption source 'tcp'\n"),
            "cfg:4: source 'tcp' is not one of unix, udp, file, kmsg",
        ),
        (
            rule_text("\toption program ' '\n"),
            "cfg:4: program is empty",
        ),
        (
            rule_text("\tlist ignoreip '1.2.3.4/40'\n"),
            "cfg:4: ignoreip: '1.2.3.4/40': prefix length must be 0..=32",
        ),
        (
            rule_text("\tlist time '5'\n"),
            "cfg:4: 'time' takes one value: use 'option time', not 'list'",
        ),
        (
            rule_text("\toption string 'x'\n"),
            "cfg:4: option 'string' would overwrite the built-in LT_string",
        ),
        (
            rule_text("\toption datetime 'x'\n"),
            "cfg:4: option 'datetime' would overwrite the built-in LT_datetime",
        ),
        (
            rule_text("\toption fields 'user ip'\n\toption ip 'x'\n"),
            "cfg:5: option 'ip' would overwrite the field LT_ip",
        ),
        (
            rule_text("\toption 1abc 'x'\n"),
            "cfg:4: option '1abc' cannot be exported as LT_1abc (not a variable name)",
        ),
        (
            format!("{}\n{}", rule_text(""), rule_text("")),
            "cfg:5: duplicate rule name 'r' (first at line 1)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(error(&text), want, "{text:?}");
    }
}

#[test]
fn pattern_errors_point_at_the_pattern_line() {
    for bad in ["a %q b", "%5s", "trailing %"] {
        let e = Config::parse(
            format!("config rule\n\toption name r\n\n\toption pattern '{bad}'\n").as_bytes(),
            "cfg",
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{bad}");
        assert!(e.reason.starts_with("pattern offset "), "{bad}: {e}");
        assert!(e.to_string().starts_with("cfg:4: pattern offset "), "{e}");
    }
}

#[test]
fn disabled_rules_are_validated_too() {
    let e = error(&rule_text("\toption enabled 0\n\toption maxfail 0\n"));
    assert_eq!(e, "cfg:5: maxfail '0' is out of range 1..=10000");
}

#[test]
fn verify_and_source_options() {
    let rule = |body: &str| {
        format!("config rule\n\toption name 'r'\n\toption pattern 'from %s port %d'\n{body}")
    };
    let c = config(&rule(
        "\toption fields 'ip port'\n\toption verify 'conntrack'\n\toption source 'unix udp'\n",
    ));
    let r = &c.rules[0];
    assert_eq!(r.verify, Some(logtrigger::config::Verify::Conntrack));
    assert_eq!(
        r.source,
        Sources::NONE.with(SourceKind::Unix).with(SourceKind::Udp)
    );
    // A one-field key is an address too.
    let c = config(&rule(
        "\toption fields 'addr port'\n\toption key 'addr'\n\toption verify 'conntrack'\n",
    ));
    assert!(c.rules[0].verify.is_some());
    let err = |body: &str| {
        Config::parse(rule(body).as_bytes(), "t")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("\toption verify 'ping'\n"),
        "t:4: verify 'ping' is not known (the only proof is 'conntrack')"
    );
    assert_eq!(
        err("\toption verify 'conntrack'\n"),
        "t:4: verify needs the address a firing is about: name a field 'ip' or key on one field"
    );
    assert_eq!(
        err("\tlist source 'unix'\n\tlist source 'tcp'\n"),
        "t:5: source 'tcp' is not one of unix, udp, file, kmsg"
    );
}

/// A pattern that begins with the tag of its rule's `program` (`NAME[%d]:`) matches from the
/// start of the message only; any other pattern may start anywhere (SPEC §5), whatever the
/// option order.
#[test]
fn a_pattern_beginning_with_its_programs_tag_matches_from_the_start() {
    let cases = [
        (
            Some("dropbear"),
            "dropbear[%d]: Bad password attempt for %b",
            true,
        ),
        (Some("openvpn(server)"), "openvpn(server)[%d]: %b", true),
        (Some("dropbear"), "Bad password attempt for %b", false),
        (Some("dropbear"), "dropbear: x %s", false),
        (Some("dropbear"), "dropbear[x]: %s", false),
        (Some("dropbear"), "dropbear %d: %b", false),
        (Some("kernel"), "usb[%d] %s", false),
        (None, "dropbear[%d]: %b", false),
    ];
    for (program, pattern, at_start) in cases {
        let program = program.map_or(String::new(), |p| format!("\toption program '{p}'\n"));
        for text in [
            format!("config rule\n{program}\toption pattern '{pattern}'\n"),
            format!("config rule\n\toption pattern '{pattern}'\n{program}"),
        ] {
            let c = config(&text);
            assert_eq!(c.rules[0].pattern.is_at_start(), at_start, "{text:?}");
        }
    }
}
