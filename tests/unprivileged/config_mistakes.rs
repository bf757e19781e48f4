//! Mistakes a router administrator makes in /etc/config/logtrigger (SPEC §8), each with the
//! verdict it must get: refused with `file:line: reason`, accepted with a `check` warning, or
//! accepted meaning what the admin meant. One table: typos that would silently become `LT_*`
//! variables, partial `fields`, `10m`, anonymous sections, blank-separated lists, keys that are
//! not addresses, bans without proof of presence, and more.

use logtrigger::cli::check::warnings;
use logtrigger::config::Config;

/// What the configuration must get.
enum Verdict {
    /// Refused: the whole `file:line: reason` message.
    Refused(&'static str),
    /// Refused with a message that starts so (for figures computed from internal layouts).
    RefusedStarting(&'static str),
    /// Accepted, with exactly these `check` warnings (after `file:line: warning: rule 'NAME': `).
    Warned(&'static [&'static str]),
    /// Accepted without warnings, and meaning what the check asserts.
    Means(fn(&Config)),
}

use Verdict::{Means, Refused, RefusedStarting, Warned};

/// The dropbear line as a rule: name, pattern and every field named (lines 1–4), then `body`.
fn dropbear(body: &str) -> String {
    format!(
        "config rule 'ssh'\n\
         \toption pattern 'Bad password for %s from %s:%d'\n\
         \toption fields 'user ip port'\n\
         \toption key 'ip'\n{body}"
    )
}

/// A complete ban rule that `check` has nothing to say about, then `body` (from line 9).
fn ban(body: &str) -> String {
    dropbear(&format!(
        "\toption script '/etc/logtrigger/ipblock.sh'\n\
         \toption maxfail '5'\n\
         \toption time '10m'\n\
         \toption verify 'conntrack'\n{body}"
    ))
}

fn global(body: &str) -> String {
    format!("config logtrigger 'global'\n{body}")
}

const BAN_WITHOUT_VERIFY: &str = "a ban without option verify 'conntrack': any line naming an address can ban it, even one that never connected";

fn cases() -> Vec<(&'static str, String, Verdict)> {
    vec![
        // --- typos that used to become LT_<typo> and change what the rule does ---
        (
            "maxfail misspelt",
            dropbear("\toption maxfial '5'\n"),
            Refused("cfg:5: unknown option 'maxfial': did you mean 'maxfail'?"),
        ),
        (
            "enabled without its d",
            dropbear("\toption enable '0'\n"),
            Refused("cfg:5: unknown option 'enable': did you mean 'enabled'?"),
        ),
        (
            "time with swapped letters",
            dropbear("\toption tiem '600'\n"),
            Refused("cfg:5: unknown option 'tiem': did you mean 'time'?"),
        ),
        (
            "MaxFail in other case",
            dropbear("\toption MaxFail '5'\n"),
            Refused("cfg:5: unknown option 'MaxFail': did you mean 'maxfail'?"),
        ),
        (
            "script misspelt",
            dropbear("\toption scirpt '/etc/logtrigger/ipblock.sh'\n"),
            Refused("cfg:5: unknown option 'scirpt': did you mean 'script'?"),
        ),
        (
            "pattern misspelt: the typo is named, not the missing pattern",
            "config rule 'r'\n\toption patern 'a %s'\n".to_string(),
            Refused("cfg:2: unknown option 'patern': did you mean 'pattern'?"),
        ),
        (
            "ignoreip misspelt in a rule",
            dropbear("\tlist ingoreip '10.0.0.0/8'\n"),
            Refused("cfg:5: unknown option 'ingoreip': did you mean 'ignoreip'?"),
        ),
        (
            "global option misspelt",
            global("\toption max_job '8'\n"),
            Refused("cfg:2: unknown option 'max_job' in config logtrigger: did you mean 'max_jobs'?"),
        ),
        (
            "section type misspelt",
            "config rules 'r'\n\toption pattern 'a'\n".to_string(),
            Refused("cfg:1: unknown section type 'rules': did you mean 'rule'?"),
        ),
        (
            "global section type misspelt",
            "config logtriger\n".to_string(),
            Refused("cfg:1: unknown section type 'logtriger': did you mean 'logtrigger'?"),
        ),
        (
            "a rule option in the global section",
            global("\toption maxfail '3'\n"),
            Refused("cfg:2: 'maxfail' is a rule option: set it in a 'config rule' section"),
        ),
        (
            "a global option in a rule",
            dropbear("\toption debug '2'\n"),
            Refused("cfg:5: 'debug' is a global option: set it in 'config logtrigger', not in a rule"),
        ),
        (
            "an option for the script far from every known name is exported",
            ban("\toption bantime '1h'\n"),
            Means(|c| {
                let extra = &c.rules[0].extra;
                assert!(extra.contains(&("bantime".into(), "1h".into())), "{extra:?}");
            }),
        ),
        // --- fields name none or every conversion ---
        (
            "fields naming the first two of three conversions",
            "config rule 'r'\n\toption pattern 'Bad password for %s from %s:%d'\n\toption fields 'ip port'\n".to_string(),
            Refused("cfg:3: fields names 2 value(s) but the pattern has 3 conversion(s): name every conversion in pattern order, or none"),
        ),
        (
            "fields naming more values than conversions",
            "config rule 'r'\n\toption pattern 'from %s'\n\toption fields 'ip port'\n".to_string(),
            Refused("cfg:3: fields names 2 value(s) but the pattern has 1 conversion(s): name every conversion in pattern order, or none"),
        ),
        (
            "fields with a dash",
            "config rule 'r'\n\toption pattern 'for %s from %s'\n\toption fields 'user-name ip'\n".to_string(),
            Refused("cfg:3: field name 'user-name' is not valid (use [A-Za-z_][A-Za-z0-9_]*)"),
        ),
        (
            "a field named like a built-in variable",
            "config rule 'r'\n\toption pattern 'for %s from %s'\n\toption fields 'message ip'\n".to_string(),
            Refused("cfg:3: field 'message' would overwrite the built-in LT_message"),
        ),
        (
            "key naming no field",
            dropbear("\toption key 'addr'\n"),
            Refused("cfg:5: key 'addr' is not one of the rule's fields (user ip port)"),
        ),
        (
            "fields as a list with blanks inside items",
            "config rule 'r'\n\toption pattern 'for %s from %s:%d'\n\tlist fields 'user ip'\n\tlist fields 'port'\n".to_string(),
            Means(|c| assert_eq!(c.rules[0].fields, ["user", "ip", "port"])),
        ),
        // --- durations ---
        (
            "time in minutes, as fail2ban writes it",
            dropbear("\toption time '10m'\n"),
            Means(|c| assert_eq!(c.rules[0].time, Some(600))),
        ),
        (
            "time in hours and days",
            dropbear("\toption time '1d'\n"),
            Means(|c| assert_eq!(c.rules[0].time, Some(86400))),
        ),
        (
            "time with a unit word",
            dropbear("\toption time '10 min'\n"),
            Refused("cfg:5: time '10 min' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)"),
        ),
        (
            "time as a fraction",
            dropbear("\toption time '1.5h'\n"),
            Refused("cfg:5: time '1.5h' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)"),
        ),
        (
            "a ban time the ban script would not read",
            dropbear("\toption bantime '1 hour'\n"),
            Refused("cfg:5: bantime '1 hour' is not a duration (seconds, or a number with s m h d w: 90, 10m, 1h, 1d)"),
        ),
        (
            "a ban time with a unit reaches the script as written",
            dropbear("\toption bantime '2h'\n"),
            Means(|c| {
                let extra = &c.rules[0].extra;
                assert!(extra.iter().any(|(k, v)| k == "bantime" && v == "2h"), "{extra:?}");
            }),
        ),
        (
            "time of zero",
            dropbear("\toption time '0m'\n"),
            Refused("cfg:5: time '0m' is out of range 1s..=365d"),
        ),
        (
            "script_timeout in minutes",
            global("\toption script_timeout '2m'\n"),
            Means(|c| assert_eq!(c.global.script_timeout, 120)),
        ),
        (
            "script_timeout of two days",
            global("\toption script_timeout '2d'\n"),
            Refused("cfg:2: script_timeout '2d' is out of range 1s..=1d"),
        ),
        (
            "maxfail in words",
            dropbear("\toption maxfail 'five'\n"),
            Refused("cfg:5: maxfail 'five' is not a whole number"),
        ),
        (
            "time given as a list",
            dropbear("\tlist time '600'\n"),
            Refused("cfg:5: 'time' takes one value: use 'option time', not 'list'"),
        ),
        // --- section names ---
        (
            "uci add logtrigger rule: an anonymous rule without option name",
            "config rule\n\toption pattern 'a %d'\nconfig rule 'named'\n\toption pattern 'b %d'\nconfig rule\n\toption pattern 'c %d'\n".to_string(),
            Means(|c| {
                let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
                assert_eq!(names, ["@rule[0]", "named", "@rule[2]"]);
            }),
        ),
        (
            "a named section is the rule's name",
            dropbear(""),
            Means(|c| assert_eq!(c.rules[0].name, "ssh")),
        ),
        (
            "two rules with one name",
            format!("{}config rule\n\toption name 'ssh'\n\toption pattern 'x %d'\n", dropbear("")),
            Refused("cfg:5: duplicate rule name 'ssh' (first at line 1)"),
        ),
        (
            "a section name with a dash",
            "config rule 'ssh-fail'\n".to_string(),
            Refused("cfg:1: invalid character in section name (only A-Z a-z 0-9 _)"),
        ),
        (
            "a rule without a pattern",
            "config rule 'r'\n\toption maxfail '5'\n".to_string(),
            Refused("cfg:1: rule 'r' has no pattern"),
        ),
        // --- lists written as one option ---
        (
            "ignoreip: two networks in one option",
            global("\toption ignoreip '192.168.1.0/24 10.0.0.0/8'\n"),
            Means(|c| {
                let got: Vec<String> = c.global.ignoreip.iter().map(|n| n.to_string()).collect();
                assert_eq!(got, ["192.168.1.0/24", "10.0.0.0/8"]);
            }),
        ),
        (
            "a rule's ignoreip: two networks in one option",
            dropbear("\toption ignoreip '192.0.2.0/24 2001:db8::/32'\n"),
            Means(|c| assert_eq!(c.rules[0].ignoreip.len(), 4, "global defaults + 2")),
        ),
        (
            "fields: one option",
            dropbear(""),
            Means(|c| assert_eq!(c.rules[0].fields, ["user", "ip", "port"])),
        ),
        (
            "a DynDNS name in ignoreip (looked up by the daemon, not at load)",
            global("\tlist ignoreip 'Home.DynDNS.org'\n"),
            Means(|c| assert_eq!(c.global.ignore_hosts, ["home.dyndns.org"])),
        ),
        (
            "ignoreip separated by commas",
            global("\toption ignoreip '192.168.1.0/24,10.0.0.0/8'\n"),
            Refused("cfg:2: ignoreip: '192.168.1.0/24,10.0.0.0/8': separate several values with blanks, not commas"),
        ),
        (
            "ignoreip with an impossible prefix",
            global("\tlist ignoreip '192.168.1.0/33'\n"),
            Refused("cfg:2: ignoreip: '192.168.1.0/33': prefix length must be 0..=32"),
        ),
        (
            "udp without a port",
            global("\tlist udp '0.0.0.0'\n"),
            Refused("cfg:2: udp '0.0.0.0' is not ADDR:PORT or [IPV6]:PORT"),
        ),
        (
            "debug as the seed manual's users type it",
            global("\toption debug '999'\n"),
            Means(|c| assert_eq!(c.global.debug, 9)),
        ),
        (
            "verify misspelt as an option name",
            ban("\toption verfy 'conntrack'\n"),
            Refused("cfg:9: unknown option 'verfy': did you mean 'verify'?"),
        ),
        (
            "verify misspelt as a value",
            dropbear("\toption verify 'conntrak'\n"),
            Refused("cfg:5: verify 'conntrak' is not known (the only proof is 'conntrack')"),
        ),
        (
            "source naming a network instead of an input",
            dropbear("\toption source 'lan'\n"),
            Refused("cfg:5: source 'lan' is not one of unix, udp, file, kmsg"),
        ),
        (
            "source: two inputs in one option",
            dropbear("\toption source 'unix udp'\n"),
            Means(|c| {
                let kinds: Vec<&str> = c.rules[0].source.kinds().map(|k| k.as_str()).collect();
                assert_eq!(kinds, ["unix", "udp"]);
            }),
        ),
        (
            "a key table far beyond a router's memory",
            dropbear("\toption max_keys '1000000'\n\toption maxfail '10000'\n"),
            RefusedStarting("cfg:1: rule 'ssh' needs up to "),
        ),
        // --- regex habits (the pattern compiler says how to write them here) ---
        (
            "a fail2ban filter pasted as a pattern",
            "config rule 'r'\n\toption pattern '^.*Bad password .* <HOST>'\n".to_string(),
            Refused("cfg:2: pattern offset 0: a leading '^' is a regex anchor: a pattern may start matching anywhere, so leave it out (the text after it then starts the match; a pattern that begins with its rule's program as a tag, NAME[%d]:, matches from the start of the message)"),
        ),
        (
            "regex wildcards in a pattern",
            "config rule 'r'\n\toption pattern 'Bad password .* from %s'\n".to_string(),
            Refused("cfg:2: pattern offset 13: '.*' is regex: write %b for any text, or %s for one word (a real '.*' in the line: write %[.]*)"),
        ),
        // --- other values ---
        (
            "a relative script path",
            dropbear("\toption script 'ipblock.sh'\n"),
            Refused("cfg:5: script 'ipblock.sh' must be an absolute path"),
        ),
        (
            "enabled as a sentence",
            dropbear("\toption enabled 'yes please'\n"),
            Refused("cfg:5: enabled 'yes please' is not a boolean (use 1/0, yes/no, on/off, true/false)"),
        ),
        (
            "an unterminated quote",
            dropbear("\toption maxfail '5\n"),
            Refused("cfg:5: unterminated ' (end of file inside quotes)"),
        ),
        (
            "a pattern whose tag is not the rule's program (OpenSSH before 9.8 logs as sshd)",
            "config rule 'r'\n\toption program 'sshd'\n\toption pattern 'sshd-session[%d]: Invalid user %s from %s port %d'\n\toption fields 'procid user ip port'\n\toption key 'ip'\n\toption maxfail '3'\n\toption script '/bin/true'\n".to_string(),
            Refused("cfg:3: the pattern begins with the tag 'sshd-session[…]' but program is 'sshd': the rule sees only sshd's messages, so it could match only a copy of the line inside another message; write the same name in both"),
        ),
        // --- legal, probably not meant: check warns ---
        (
            "a ban rule without proof of presence",
            dropbear("\toption script '/etc/logtrigger/ipblock.sh'\n\toption maxfail '5'\n"),
            Warned(&[BAN_WITHOUT_VERIFY]),
        ),
        (
            "a ban rule counting per user name",
            ban("\toption key 'user'\n"),
            Warned(&["ipblock.sh bans LT_ip, but failures are counted per 'user': add option key 'ip' so that they are counted per address"]),
        ),
        (
            "a ban rule whose address field is not called ip",
            "config rule 'r'\n\toption pattern 'for %s from %s'\n\toption fields 'user addr'\n\toption key 'addr'\n\toption script '/etc/logtrigger/ipblock.sh'\n\toption verify 'conntrack'\n".to_string(),
            Warned(&["ipblock.sh bans the address in LT_ip, but the rule has no field 'ip' (name the address conversion ip in option fields)"]),
        ),
        (
            "a counting rule keyed by user name",
            dropbear("\toption key 'user'\n\toption maxfail '3'\n\toption script '/bin/true'\n"),
            Warned(&["failures are counted per 'user', which is not an address field (ip, addr, src, …): one sender trying many values is never caught"]),
        ),
        (
            "a counting rule without field names",
            "config rule 'r'\n\toption pattern 'for %s from %s'\n\toption maxfail '3'\n\toption script '/bin/true'\n".to_string(),
            Warned(&["failures are counted per all captured values (the rule has no option fields), which is not an address field (ip, addr, src, …): one sender trying many values is never caught"]),
        ),
        (
            "a counting rule keyed by src_ip",
            "config rule 'r'\n\toption pattern 'for %s from %s'\n\toption fields 'user src_ip'\n\toption key 'src_ip'\n\toption maxfail '3'\n\toption script '/bin/true'\n".to_string(),
            Means(|c| assert_eq!(c.rules[0].key, [1])),
        ),
        (
            "a logging rule (fires on every match) needs no address key",
            "config rule 'r'\n\toption pattern 'login for %s'\n\toption fields 'user'\n\toption script '/bin/true'\n".to_string(),
            Means(|c| assert_eq!(c.rules[0].maxfail, 1)),
        ),
        (
            "a complete ban rule",
            ban(""),
            Means(|c| {
                let r = &c.rules[0];
                assert_eq!((r.maxfail, r.time, r.key.as_slice()), (5, Some(600), &[1][..]));
            }),
        ),
    ]
}

#[test]
fn admin_mistakes_get_their_verdict() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (what, text, verdict) in &cases {
        let parsed = Config::parse_offline(text.as_bytes(), "cfg");
        // Warnings about the intent of a rule; the script files of the table need not exist.
        let intent = |c: &Config| -> Vec<String> {
            warnings(c, "cfg")
                .into_iter()
                .filter(|w| !w.contains(": script /"))
                .collect()
        };
        let problem = match (verdict, parsed) {
            (Refused(want), Err(e)) if e.to_string() == *want => None,
            (Refused(want), Err(e)) => Some(format!("refused with\n  {e}\nnot\n  {want}")),
            (Refused(want), Ok(_)) => Some(format!("accepted, not refused with {want}")),
            (RefusedStarting(want), Err(e)) if e.to_string().starts_with(want) => None,
            (RefusedStarting(want), Err(e)) => Some(format!("refused with\n  {e}\nnot\n  {want}…")),
            (RefusedStarting(want), Ok(_)) => Some(format!("accepted, not refused with {want}…")),
            (_, Err(e)) => Some(format!("refused: {e}")),
            (Warned(want), Ok(c)) => {
                let prefix = format!("cfg:1: warning: rule '{}': ", c.rules[0].name);
                let want: Vec<String> = want.iter().map(|w| format!("{prefix}{w}")).collect();
                let got = intent(&c);
                (got != want).then(|| format!("warnings\n  {got:#?}\nnot\n  {want:#?}"))
            }
            (Means(check), Ok(c)) => {
                let got = intent(&c);
                if got.is_empty() {
                    let meant =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&c)));
                    meant
                        .is_err()
                        .then(|| "does not mean what the admin meant".to_string())
                } else {
                    Some(format!("unexpected warnings {got:#?}"))
                }
            }
        };
        if let Some(p) = problem {
            failures.push(format!("{what}:\n{text}\n=> {p}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
