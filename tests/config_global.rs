//! The global section of SPEC §8: defaults, every option, `none`, CIDRs and each invalid value.
//! (No rule here: these tests do not depend on the pattern compiler.)

use std::net::SocketAddr;
use std::path::PathBuf;

use logtrigger::config::{Config, Error, Global};
use logtrigger::ipnet::IpNet;

fn global(body: &str) -> Global {
    let text = format!("config logtrigger 'global'\n{body}");
    match Config::parse(text.as_bytes(), "cfg") {
        Ok(c) => c.global,
        Err(e) => panic!("{body:?}: {e}"),
    }
}

/// The error for `body` inside the global section (which starts at line 1).
fn error(body: &str) -> String {
    let text = format!("config logtrigger 'global'\n{body}");
    match Config::parse(text.as_bytes(), "cfg") {
        Ok(c) => panic!("{body:?} accepted: {:?}", c.global),
        Err(e) => e.to_string(),
    }
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|s| IpNet::parse(s).unwrap()).collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn defaults_without_any_section() {
    let c = Config::parse(b"", "cfg").unwrap();
    assert!(c.rules.is_empty());
    let g = c.global;
    assert_eq!(g, Global::default());
    assert_eq!(g.socket, Some(PathBuf::from("/dev/log")));
    assert!(g.takeover);
    assert_eq!(g.forward, PathBuf::from("/dev/log.logd"));
    assert_eq!(g.udp, vec![addr("0.0.0.0:514"), addr("[::]:514")]);
    assert_eq!(
        g.udp_allow,
        nets(&[
            "127.0.0.0/8",
            "::1",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
            "169.254.0.0/16",
            "fe80::/10"
        ])
    );
    assert!(g.udp_forward);
    assert_eq!(g.rcvbuf, 1 << 20);
    assert!(g.forward_udp.is_empty());
    assert!(!g.kmsg);
    assert_eq!(g.debug, 0);
    assert_eq!(g.max_message, 8192);
    assert_eq!(g.max_jobs, 4);
    assert_eq!(g.max_queue, 64);
    assert_eq!(g.script_timeout, 30);
    assert_eq!(g.max_keys, 1024);
    assert_eq!(g.ignoreip, nets(&["127.0.0.0/8", "::1"]));
    assert_eq!(g.control, Some(PathBuf::from("/var/run/logtrigger.sock")));
}

#[test]
fn default_udp_allow_covers_private_ranges_only() {
    let g = Global::default();
    let allowed = |ip: &str| IpNet::any_contains(&g.udp_allow, &ip.parse().unwrap());
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.31.255.1",
        "192.168.1.5",
        "169.254.3.4",
        "::1",
        "fd12:3456::1",
        "fe80::1",
    ] {
        assert!(allowed(ip), "{ip}");
    }
    for ip in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "192.169.0.1"] {
        assert!(!allowed(ip), "{ip}");
    }
}

#[test]
fn every_option_is_read() {
    let g = global(
        "\toption socket '/tmp/log'\n\toption takeover 'no'\n\toption forward '/tmp/log.real'\n\
         \tlist udp '127.0.0.1:5514'\n\tlist udp '[::1]:5514'\n\tlist udp_allow '10.0.0.0/8'\n\
         \tlist udp_allow 'fd00::/8'\n\toption udp_forward 'off'\n\toption rcvbuf '262144'\n\
         \tlist forward_udp '192.0.2.7:514'\n\tlist forward_udp '[2001:db8::7]:1514'\n\
         \toption kmsg 'on'\n\toption debug '5'\n\toption max_message '2048'\n\
         \toption max_jobs '2'\n\toption max_queue '0'\n\toption script_timeout '10'\n\
         \toption max_keys '100'\n\tlist ignoreip '192.168.1.0/24'\n\toption control '/tmp/lt.sock'\n",
    );
    assert_eq!(g.socket, Some(PathBuf::from("/tmp/log")));
    assert!(!g.takeover);
    assert_eq!(g.forward, PathBuf::from("/tmp/log.real"));
    assert_eq!(g.udp, vec![addr("127.0.0.1:5514"), addr("[::1]:5514")]);
    assert_eq!(g.udp_allow, nets(&["10.0.0.0/8", "fd00::/8"]));
    assert!(!g.udp_forward);
    assert_eq!(g.rcvbuf, 262144);
    assert_eq!(
        g.forward_udp,
        vec![addr("192.0.2.7:514"), addr("[2001:db8::7]:1514")]
    );
    assert!(g.kmsg);
    assert_eq!(g.debug, 5);
    assert_eq!(g.max_message, 2048);
    assert_eq!(g.max_jobs, 2);
    assert_eq!(g.max_queue, 0);
    assert_eq!(g.script_timeout, 10);
    assert_eq!(g.max_keys, 100);
    // A configured list replaces the default one.
    assert_eq!(g.ignoreip, nets(&["192.168.1.0/24"]));
    assert_eq!(g.control, Some(PathBuf::from("/tmp/lt.sock")));
}

#[test]
fn none_turns_inputs_off() {
    let g = global(
        "\toption socket 'none'\n\tlist udp 'none'\n\toption control 'none'\n\
         \tlist ignoreip 'none'\n\tlist forward_udp 'none'\n",
    );
    assert_eq!(g.socket, None);
    assert!(g.udp.is_empty());
    assert_eq!(g.control, None);
    assert!(g.ignoreip.is_empty());
    assert!(g.forward_udp.is_empty());
}

#[test]
fn option_form_of_a_list_is_a_list_of_one() {
    let g = global("\toption udp '127.0.0.1:514'\n");
    assert_eq!(g.udp, vec![addr("127.0.0.1:514")]);
}

#[test]
fn forward_udp_forms() {
    let g = global("\tlist forward_udp '192.0.2.1'\n\tlist forward_udp 'localhost:1514'\n");
    assert_eq!(g.forward_udp, [addr("192.0.2.1:514")]);
    // A host name is kept as a name: the daemon looks it up off its loop.
    assert_eq!(g.forward_hosts, [("localhost".to_string(), 1514)]);
}

#[test]
fn cidr_host_bits_are_masked() {
    let g = global("\tlist udp_allow '192.168.1.77/24'\n\tlist udp_allow '2001:db8::1/32'\n");
    assert_eq!(g.udp_allow, nets(&["192.168.1.0/24", "2001:db8::/32"]));
}

#[test]
fn invalid_values_name_line_and_reason() {
    let cases = [
        (
            "\toption takeover 'maybe'\n",
            "cfg:2: takeover 'maybe' is not a boolean (use 1/0, yes/no, on/off, true/false)",
        ),
        (
            "\toption kmsg '2'\n",
            "cfg:2: kmsg '2' is not a boolean (use 1/0, yes/no, on/off, true/false)",
        ),
        (
            "\toption debug 'x'\n",
            "cfg:2: debug 'x' is not a whole number",
        ),
        (
            "\toption rcvbuf '100'\n",
            "cfg:2: rcvbuf '100' is out of range 4096..=67108864",
        ),
        (
            "\toption max_message '100000'\n",
            "cfg:2: max_message '100000' is out of range 480..=65536",
        ),
        (
            "\toption max_jobs '0'\n",
            "cfg:2: max_jobs '0' is out of range 1..=64",
        ),
        (
            "\toption max_queue '-1'\n",
            "cfg:2: max_queue '-1' is not a whole number",
        ),
        (
            "\toption script_timeout '0'\n",
            "cfg:2: script_timeout '0' is out of range 1s..=1d",
        ),
        (
            "\toption max_keys '0'\n",
            "cfg:2: max_keys '0' is out of range 1..=1000000",
        ),
        (
            "\toption socket 'dev/log'\n",
            "cfg:2: socket 'dev/log' must be an absolute path",
        ),
        (
            "\toption control 'x.sock'\n",
            "cfg:2: control 'x.sock' must be an absolute path",
        ),
        (
            "\toption forward 'none'\n",
            "cfg:2: forward cannot be 'none' (use option takeover '0' to not take over the socket)",
        ),
        (
            "\tlist udp '0.0.0.0'\n",
            "cfg:2: udp '0.0.0.0' is not ADDR:PORT or [IPV6]:PORT",
        ),
        (
            "\tlist udp '::1:514'\n",
            "cfg:2: udp '::1:514' is not ADDR:PORT or [IPV6]:PORT",
        ),
        (
            "\tlist udp '127.0.0.1:514'\n\tlist udp 'none'\n",
            "cfg:3: udp 'none' cannot be combined with other values",
        ),
        (
            "\tlist udp_allow '10.0.0.0/33'\n",
            "cfg:2: udp_allow: '10.0.0.0/33': prefix length must be 0..=32",
        ),
        (
            "\tlist ignoreip 'fd00::/129'\n",
            "cfg:2: ignoreip: 'fd00::/129': prefix length must be 0..=128",
        ),
        (
            "\tlist ignoreip '127.0.0.1'\n\n\tlist ignoreip '10.0.0.300'\n",
            "cfg:4: ignoreip: '10.0.0.300' is not an IP address or CIDR network",
        ),
        (
            "\tlist forward_udp 'a/b'\n",
            "cfg:2: forward_udp 'a/b' is not HOST:PORT",
        ),
        (
            "\tlist forward_udp 'host:70000'\n",
            "cfg:2: forward_udp 'host:70000': port '70000' is not 0..=65535",
        ),
        (
            "\tlist debug '1'\n",
            "cfg:2: 'debug' takes one value: use 'option debug', not 'list'",
        ),
        (
            "\toption sokcet '/dev/log'\n",
            "cfg:2: unknown option 'sokcet' in config logtrigger: did you mean 'socket'?",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(error(body), want, "{body:?}");
    }
}

#[test]
fn forward_and_socket_must_differ() {
    let e = Config::parse(
        b"\n\nconfig logtrigger\n\toption socket '/tmp/x'\n\toption forward '/tmp/x'\n",
        "cfg",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cfg:3: forward must be another path than socket (it is where the real logger's socket is moved)"
    );
}

#[test]
fn host_names_are_kept_for_the_daemon_to_look_up() {
    // Loading never touches the network: an unresolvable name is not an error here (the
    // daemon warns and retries).
    let g = global(
        "\tlist forward_udp 'no-such-host.invalid:514'\n\tlist ignoreip '10.0.0.0/8'\n\
         \tlist ignoreip 'Home.DynDNS.example'\n",
    );
    assert!(g.forward_udp.is_empty());
    assert_eq!(g.forward_hosts, [("no-such-host.invalid".to_string(), 514)]);
    assert_eq!(g.ignoreip, nets(&["10.0.0.0/8"]));
    assert_eq!(g.ignore_hosts, ["home.dyndns.example"]);
}

#[test]
fn section_errors() {
    let e = Config::parse(b"config logtrigger\nconfig logtrigger 'g2'\n", "f").unwrap_err();
    assert_eq!(
        e.to_string(),
        "f:2: only one 'config logtrigger' section is allowed (first at line 1)"
    );
    let e = Config::parse(b"config rule\n\nconfig rulez\n", "f").unwrap_err();
    assert_eq!(
        e,
        Error {
            file: "f".into(),
            line: 3,
            reason: "unknown section type 'rulez': did you mean 'rule'?".into()
        }
    );
}

#[test]
fn syntax_errors_carry_the_file_name() {
    let e = Config::parse(
        b"config logtrigger\n\toption debug '1\n",
        "/etc/config/logtrigger",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/config/logtrigger:2: unterminated ' (end of file inside quotes)"
    );
    let e = Config::parse(b"config logtrigger\n\toption socket '/dev/\xfflog'\n", "f").unwrap_err();
    assert_eq!(
        e.to_string(),
        "f:2: value is not valid UTF-8 (invalid byte at offset 5)"
    );
}

#[test]
fn load_reads_the_file_or_says_why_not() {
    let dir = std::env::temp_dir().join(format!("lt-config-global-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("logtrigger");
    std::fs::write(&path, "config logtrigger\n\toption debug 3\n").unwrap();
    assert_eq!(Config::load(&path).unwrap().global.debug, 3);
    let missing = dir.join("missing");
    let e = Config::load(&missing).unwrap_err();
    assert_eq!(e.line, 0);
    assert_eq!(e.file, missing.display().to_string());
    assert!(
        e.to_string().starts_with(&format!(
            "{}: cannot read configuration: ",
            missing.display()
        )),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
