//! End to end, with real components: a real SSH server (dropbear) and real SSH clients guessing
//! passwords over veth links between network namespaces, real syslog (dropbear's syslog(3) into
//! logtrigger's socket, `logger` over UDP), the real logtrigger binary running the shipped default
//! configuration, the shipped ipblock.sh, and the kernel's nftables.
//!
//! The lab (see `e2e/mod.rs`): a "router" namespace running logtrigger and dropbear (its kernel
//! tracking connections, as fw4 makes it), an "attacker" namespace (IPv4 + IPv6), a LAN "admin"
//! namespace in a private range the shipped `ignoreip` holds, and a "device" namespace sending
//! syslog over UDP. `/dev/log` is redirected only inside private mount
//! namespaces; nothing on the host changes. Every namespace and process goes away on every path.
//!
//! Needs root and: iproute2, util-linux (unshare, logger), dropbear-bin, openssh-client, sshpass,
//! nftables, conntrack, bash (scripts/deps.sh installs them).

mod e2e;

use e2e::router::{banned, status_num};
use e2e::{LIMIT, Lab, Receiver, in_ns, must, poll, repo, run, stdout, text, udp_in};
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

// The lab's addresses: test-only, and they exist only inside the lab's namespaces. The attacker
// and the addresses named in SIP lines are documentation ranges (RFC 5737 / RFC 3849), i.e.
// "the Internet", so that no private range the shipped `ignoreip` might hold covers them.
const R_ATT4: &str = "203.0.113.1";
const ATT4: &str = "203.0.113.2";
const R_ATT6: &str = "2001:db8:1::1";
const ATT6: &str = "2001:db8:1::2";
const R_ADM4: &str = "10.99.2.1";
const ADM4: &str = "10.99.2.2";
const R_DEV4: &str = "10.99.3.1";
const DEV_NET4: &str = "10.99.3.0/24";
const R_DEV6: &str = "fd99:3::1";
const DEV_NET6: &str = "fd99:3::/64";
/// The addresses the device's SIP lines blame: one sent as RFC5424 over IPv4, one as RFC3164
/// over IPv6.
const SIP_5424: &str = "198.51.100.77";
const SIP_3164: &str = "198.51.100.78";

/// The bantime the lab gives the dropbear ban rules (seconds): short, so that expiry is observed,
/// and long enough to check a ban's effect before it lapses. The other ban rules (SIP) get a
/// minute: their bans are lifted by hand.
const BANTIME: &str = "8";

const TOOLS: &[&str] = &[
    "ip",
    "unshare",
    "mount",
    "logger",
    "dropbear",
    "dropbearkey",
    "ssh",
    "sshpass",
    "nft",
    "bash",
    "timeout",
];

fn require_tools() {
    let missing = e2e::have_all(TOOLS);
    assert!(
        missing.is_empty(),
        "the end-to-end test needs {missing:?} (run scripts/deps.sh as root)"
    );
}

/// The four namespaces and their links.
struct Net {
    lab: Lab,
    router: String,
    attacker: String,
    admin: String,
    device: String,
}

fn build(tag: &str) -> Net {
    let mut lab = Lab::new(tag);
    let router = lab.netns("router");
    let attacker = lab.netns("attacker");
    let admin = lab.netns("admin");
    let device = lab.netns("device");
    lab.link(
        &router,
        "r-wan",
        &[&format!("{R_ATT4}/24"), &format!("{R_ATT6}/64")],
        &attacker,
        "eth0",
        &[&format!("{ATT4}/24"), &format!("{ATT6}/64")],
    );
    lab.link(
        &router,
        "r-lan",
        &[&format!("{R_ADM4}/24")],
        &admin,
        "eth0",
        &[&format!("{ADM4}/24")],
    );
    lab.link(
        &router,
        "r-dev",
        &[&format!("{R_DEV4}/24"), &format!("{R_DEV6}/64")],
        &device,
        "eth0",
        &["10.99.3.2/24", "fd99:3::2/64"],
    );
    Net {
        lab,
        router,
        attacker,
        admin,
        device,
    }
}

/// Starts dropbear in the router, its syslog going to `log_sock`; waits until it accepts.
fn start_dropbear(net: &mut Net, log_sock: &Path) {
    let key = net.lab.path("dropbear_ed25519_host_key");
    must(std::process::Command::new("dropbearkey").args([
        "-t",
        "ed25519",
        "-f",
        key.to_str().unwrap(),
    ]));
    let cmd = net.lab.cmd_devlog(
        &net.router,
        log_sock,
        None,
        &["dropbear", "-F", "-p", "22", "-r", key.to_str().unwrap()],
    );
    net.lab.spawn("dropbear", cmd);
    let (a, l) = (net.attacker.clone(), net.admin.clone());
    let up = poll(LIMIT, || {
        tcp(&a, R_ATT4) == Some(0) && tcp(&a, R_ATT6) == Some(0) && tcp(&l, R_ADM4) == Some(0)
    });
    assert!(
        up,
        "dropbear does not accept connections in the router namespace"
    );
}

/// Opens a TCP connection to HOST:22 from namespace `ns`: Some(0) connected, Some(124) no
/// answer within 1 s (dropped), other codes refused/unreachable.
fn tcp(ns: &str, host: &str) -> Option<i32> {
    let script = format!("exec 3<>/dev/tcp/{host}/22");
    run(&mut in_ns(ns, &["timeout", "1", "bash", "-c", &script]))
        .status
        .code()
}

/// One SSH login attempt with a wrong password (one password prompt per connection).
fn ssh_wrong_password(ns: &str, user: &str, host: &str) -> Output {
    run(&mut in_ns(
        ns,
        &[
            "timeout",
            ATTEMPT_LIMIT,
            "sshpass",
            "-p",
            "wrong-password",
            "ssh",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "ConnectTimeout=5",
            &format!("{user}@{host}"),
            "true",
        ],
    ))
}

/// `n` failed logins from `ns`, in a thread; the thread returns each attempt's output.
fn guess(ns: &str, host: &str, n: usize) -> std::thread::JoinHandle<Vec<Output>> {
    let (ns, host) = (ns.to_string(), host.to_string());
    std::thread::spawn(move || {
        (0..n)
            .map(|_| ssh_wrong_password(&ns, "root", &host))
            .collect()
    })
}

/// Seconds one SSH attempt may take. An attempt that triggers a ban can be cut off by it: dropbear
/// logs the failure before it answers (after its failure delay), and a fast ban drops the answer.
const ATTEMPT_LIMIT: &str = "4";

/// Every attempt failed at password authentication; with `last_may_hang`, the last one may
/// instead have been cut off by the ban it caused (killed by `timeout`: 124).
fn assert_refused(who: &str, outs: &[Output], last_may_hang: bool) {
    for (i, o) in outs.iter().enumerate() {
        let err = String::from_utf8_lossy(&o.stderr);
        let refused = !o.status.success() && err.contains("Permission denied");
        let cut = last_may_hang && i + 1 == outs.len() && o.status.code() == Some(124);
        assert!(
            refused || cut,
            "{who}: attempt {i} did not fail at password authentication: {}",
            text(o)
        );
    }
}

/// The daemon-independent half: the namespaces, dropbear's syslog through the private /dev/log,
/// IPv4 and IPv6 SSH failures and UDP syslog from the device all reach sockets the test owns.
/// When this passes and `password_guessing_is_banned_end_to_end` fails, look at logtrigger.
#[test]
fn lab_plumbing_reaches_test_sockets() {
    require_tools();
    let mut net = build("plumb");
    let devlog = Receiver::unix(&net.lab.path("log.sock"));
    start_dropbear(&mut net, &devlog.path);

    let v4 = ssh_wrong_password(&net.attacker, "root", R_ATT4);
    let v6 = ssh_wrong_password(&net.attacker, "root", R_ATT6);
    assert_refused("attacker", &[v4, v6], false);
    let want4 = format!("Bad password attempt for 'root' from {ATT4}:");
    let want6 = format!("Bad password attempt for 'root' from {ATT6}:");
    let arrived = poll(LIMIT, || {
        devlog.count(&["dropbear[", &want4]) == 1 && devlog.count(&["dropbear[", &want6]) == 1
    });
    assert!(arrived, "dropbear's syslog lines: {:#?}", devlog.lines());

    let udp4 = Receiver::udp(udp_in(&net.router, &format!("{R_DEV4}:514")));
    let udp6 = Receiver::udp(udp_in(&net.router, &format!("[{R_DEV6}]:514")));
    send_sip(&net.device, R_DEV4, "--rfc5424", SIP_5424, 1);
    send_sip(&net.device, R_DEV6, "--rfc3164", SIP_3164, 1);
    let arrived = poll(LIMIT, || {
        udp4.count(&["<", " asterisk ", &sip_line(SIP_5424)]) == 1
            && udp6.count(&["<", " asterisk[2600]:", &sip_line(SIP_3164)]) == 1
    });
    assert!(
        arrived,
        "UDP syslog from the device: v4 {:#?} v6 {:#?}",
        udp4.lines(),
        udp6.lines()
    );

    let left = net.lab.teardown();
    assert!(left.is_empty(), "teardown left {left:?}");
    assert!(
        net.lab.listed().is_empty(),
        "namespaces left: {:?}",
        net.lab.listed()
    );
}

/// The SIP failure line the shipped Asterisk rule matches, blaming `addr`.
fn sip_line(addr: &str) -> String {
    format!(
        "NOTICE[2633]: chan_sip.c:28468 in handle_request_register: Registration from \
         '<sip:100@{R_DEV4}>' failed for '{addr}:5060' - Wrong password"
    )
}

/// `n` SIP failure lines from the device to the router's UDP 514, in the given `logger` format.
fn send_sip(device: &str, router_ip: &str, format: &str, addr: &str, n: usize) {
    for _ in 0..n {
        must(&mut in_ns(
            device,
            &[
                "logger",
                "-d",
                "-n",
                router_ip,
                "-P",
                "514",
                format,
                "-p",
                "local0.notice",
                "-t",
                "asterisk",
                "--id=2600",
                &sip_line(addr),
            ],
        ));
    }
}

fn is_banned(router: &str, addr: &str) -> bool {
    let set = if addr.contains(':') { "ban6" } else { "ban4" };
    banned(router, set).iter().any(|a| a == addr)
}

/// The shipped configuration, adapted to the lab (see e2e/uci.rs), checked by `logtrigger check`.
fn lab_config(lab: &Lab) -> std::path::PathBuf {
    let shipped = fs::read_to_string(repo().join("uci/logtrigger"))
        .expect("read the shipped default configuration uci/logtrigger");
    let dir = lab.dir.to_str().unwrap().to_string();
    let files = format!("{}/", repo().join("openwrt-package/files").display());
    let sock = format!("{dir}/log.sock");
    let forward = format!("{dir}/logd.sock");
    let control = format!("{dir}/control.sock");
    let udp4 = format!("{R_DEV4}:514");
    let udp6 = format!("[{R_DEV6}]:514");
    let text = e2e::uci::adapt(
        &shipped,
        &e2e::uci::Lab {
            options: &[
                ("socket", &sock),
                ("takeover", "0"),
                ("forward", &forward),
                ("control", &control),
                ("udp_forward", "1"),
            ],
            replace_lists: &["udp"],
            lists: &[
                ("udp", &udp4),
                ("udp", &udp6),
                ("udp_allow", DEV_NET4),
                ("udp_allow", DEV_NET6),
            ],
            script_dir: ("/etc/logtrigger/", &files),
            bantimes: &[("dropbear", BANTIME), ("", "60")],
            // The PBX is another box sending over UDP: its rules take UDP, and its callers never
            // cross the router, so the router's connection table cannot vouch for them.
            rule_options: &[
                ("asterisk_", "source", Some("unix udp")),
                ("asterisk_", "verify", None),
            ],
        },
    );
    let path = lab.path("logtrigger.conf");
    fs::write(&path, text).expect("write the lab config");
    must(
        std::process::Command::new(env!("CARGO_BIN_EXE_logtrigger")).args([
            "check",
            "-c",
            path.to_str().unwrap(),
        ]),
    );
    path
}

/// `logtrigger status --json`, run inside the router's namespace: the client receives the reply
/// on an abstract unix address, and abstract addresses belong to a network namespace.
fn status_json(router: &str, conf: &Path) -> String {
    let bin = env!("CARGO_BIN_EXE_logtrigger");
    let conf = conf.to_str().unwrap();
    let out = run(&mut in_ns(router, &[bin, "status", "-c", conf, "--json"]));
    format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr))
}

/// Whether the host's own namespace has a `table inet logtrigger` (the lab must never add one).
fn host_table() -> bool {
    run(std::process::Command::new("nft").args(["list", "table", "inet", "logtrigger"]))
        .status
        .success()
}

#[test]
fn password_guessing_is_banned_end_to_end() {
    require_tools();
    let host_had_table = host_table();
    let mut net = build("attack");
    let router = net.router.clone();
    // The stand-in system logger: logtrigger forwards every local datagram here byte for byte,
    // and (udp_forward) every remote message reformatted for logd.
    let logd = Receiver::unix(&net.lab.path("logd.sock"));
    let varlog = net.lab.subdir("varlog");
    let blocklog = varlog.join("blockedIPs.log");
    let conf = lab_config(&net.lab);
    let sock = net.lab.path("log.sock");
    e2e::track_connections(&router);

    // Diagnostics printed if anything below fails.
    {
        let (r, c, b, f) = (
            router.clone(),
            conf.clone(),
            blocklog.clone(),
            logd.shared(),
        );
        net.lab.on_failure(move || {
            let nft = run(&mut in_ns(&r, &["nft", "list", "ruleset"]));
            let fwd: Vec<String> = f
                .lock()
                .unwrap()
                .iter()
                .map(|d| String::from_utf8_lossy(d).into_owned())
                .collect();
            format!(
                "----- lab config {} -----\n{}\n----- nft ruleset in the router -----\n{}\n\
                 ----- blockedIPs.log -----\n{}\n----- status -----\n{}\n\
                 ----- forwarded to the stand-in logd ({}) -----\n{}",
                c.display(),
                e2e::tail(&c, 64 * 1024),
                text(&nft),
                e2e::tail(&b, 8192),
                status_json(&r, &c),
                fwd.len(),
                fwd.join("\n")
            )
        });
    }

    // logtrigger in the router, /dev/log and /var/log private to it (so ipblock.sh's `logger`
    // comes back to it and its block log stays in the lab).
    let bin = env!("CARGO_BIN_EXE_logtrigger");
    let cmd = net.lab.cmd_devlog(
        &router,
        &sock,
        Some(&varlog),
        &[bin, "-c", conf.to_str().unwrap(), "-D", "2"],
    );
    net.lab.spawn("logtrigger", cmd);
    let ready = poll(LIMIT, || {
        sock.exists() && net.lab.path("control.sock").exists()
    });
    assert!(
        ready && net.lab.alive("logtrigger"),
        "logtrigger did not bind its sockets"
    );
    start_dropbear(&mut net, &sock);

    // The attacks: 5 failures over IPv4 and 5 over IPv6 from the attacker, 10 from the admin.
    let att4 = guess(&net.attacker, R_ATT4, 5);
    let att6 = guess(&net.attacker, R_ATT6, 5);
    let admin = guess(&net.admin, R_ADM4, 10);

    // The attacker is banned: in the sets, and its next connection is dropped. Checked as soon
    // as each ban lands (it lasts only BANTIME seconds).
    assert!(
        poll(LIMIT, || is_banned(&router, ATT4)),
        "{ATT4} never landed in ban4"
    );
    assert_eq!(
        tcp(&net.attacker, R_ATT4),
        Some(124),
        "a banned IPv4 attacker still reaches port 22"
    );
    assert!(
        poll(LIMIT, || is_banned(&router, ATT6)),
        "{ATT6} never landed in ban6"
    );
    assert_eq!(
        tcp(&net.attacker, R_ATT6),
        Some(124),
        "a banned IPv6 attacker still reaches port 22"
    );

    // The admin: logtrigger received all 10 of its lines (forwarded byte for byte), yet the
    // admin is not banned.
    assert_refused("admin", &admin.join().unwrap(), false);
    let admin_line = format!("Bad password attempt for 'root' from {ADM4}:");
    assert!(
        poll(LIMIT, || logd.count(&["dropbear[", &admin_line]) == 10),
        "logtrigger did not forward the admin's 10 failures to the logger"
    );
    // ...and counted them as ignored (ignoreip) with no script running or waiting: had any of
    // them fired, its ban would be in the set by now.
    let rule = r#"{"name":"dropbear_bad_password""#;
    let settled = poll(LIMIT, || {
        let st = status_json(&router, &conf);
        status_num(&st, rule, "ignored") == Some(10)
            && status_num(&st, r#""scripts":{"#, "running") == Some(0)
            && status_num(&st, r#""scripts":{"#, "queued") == Some(0)
    });
    assert!(
        settled,
        "status does not show the admin's 10 failures ignored and the scripts idle:\n{}",
        status_json(&router, &conf)
    );
    assert!(
        !is_banned(&router, ADM4),
        "the admin (in ignoreip) was banned"
    );
    assert_eq!(tcp(&net.admin, R_ADM4), Some(0), "the admin cannot connect");
    // The logging rules ran logit.sh for the failures (into the lab's /var/log).
    let failed = varlog.join("failedlogins.log");
    let logged = |addr: &str| {
        let needle = format!("Bad password attempt for 'root' from {addr}:");
        e2e::tail(&failed, 1 << 20).matches(&needle).count()
    };
    assert!(
        poll(LIMIT, || logged(ATT4) >= 1 && logged(ADM4) >= 1),
        "logit.sh did not log the failures in failedlogins.log"
    );

    // A device sends SIP failures over UDP: RFC5424 over IPv4, RFC3164 over IPv6.
    send_sip(&net.device, R_DEV4, "--rfc5424", SIP_5424, 5);
    send_sip(&net.device, R_DEV6, "--rfc3164", SIP_3164, 5);
    assert!(
        poll(LIMIT, || is_banned(&router, SIP_5424)),
        "{SIP_5424} (RFC5424 over UDP) never banned"
    );
    assert!(
        poll(LIMIT, || is_banned(&router, SIP_3164)),
        "{SIP_3164} (RFC3164 over UDP) never banned"
    );
    // `ipblock.sh unban` lifts one ban by hand and leaves the other.
    let mut unban = net.lab.cmd_devlog(
        &router,
        &sock,
        Some(&varlog),
        &[
            "sh",
            repo()
                .join("openwrt-package/files/ipblock.sh")
                .to_str()
                .unwrap(),
            "unban",
            SIP_5424,
        ],
    );
    must(&mut unban);
    assert!(
        !is_banned(&router, SIP_5424),
        "unban left {SIP_5424} banned"
    );
    assert!(
        is_banned(&router, SIP_3164),
        "unban of {SIP_5424} lifted {SIP_3164}"
    );

    // The device's lines also reached the local logger, reformatted as logd parses them.
    let logd_shape = regex::Regex::new(
        r"^<\d{1,3}>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ asterisk(\[\d+\])?: NOTICE\[2633\]: chan_sip",
    )
    .unwrap();
    for addr in [SIP_5424, SIP_3164] {
        let line = sip_line(addr);
        assert!(
            poll(LIMIT, || logd.count(&[&line]) == 5),
            "the device's lines blaming {addr} were not all forwarded to the logger"
        );
        for l in logd.lines().iter().filter(|l| l.contains(&line)) {
            assert!(
                logd_shape.is_match(l.trim_end_matches(['\n', '\0'])),
                "forwarded remote line not in logd's shape: {l:?}"
            );
        }
    }

    assert_refused("attacker (IPv4)", &att4.join().unwrap(), true);
    assert_refused("attacker (IPv6)", &att6.join().unwrap(), true);

    // The short bans expire by themselves, and the attacker connects again.
    assert!(
        poll(LIMIT, || !is_banned(&router, ATT4)
            && !is_banned(&router, ATT6)),
        "the attacker's bans did not expire after {BANTIME} s"
    );
    let (a, a4, a6) = (net.attacker.clone(), R_ATT4, R_ATT6);
    assert!(
        poll(LIMIT, || tcp(&a, a4) == Some(0) && tcp(&a, a6) == Some(0)),
        "the attacker still cannot connect after its bans expired"
    );
    // ipblock.sh's own syslog line came back through the private /dev/log and was forwarded
    // (tag logtrigger: never matched, so a ban cannot feed itself).
    assert!(
        poll(LIMIT, || logd
            .count(&["logtrigger", &format!("ipblock: banned {ATT4} ")])
            >= 1),
        "ipblock.sh's syslog line did not reach the logger through logtrigger"
    );

    // The block log, many seconds after the admin's failures: every ban, and never the admin.
    let log = fs::read_to_string(&blocklog).unwrap_or_default();
    for addr in [ATT4, ATT6, SIP_5424, SIP_3164] {
        assert!(
            log.contains(&format!("banned {addr} ")),
            "block log lacks {addr}:\n{log}"
        );
    }
    assert!(!log.contains(ADM4), "the block log names the admin:\n{log}");

    // Clean exit on SIGTERM, then nothing left behind.
    let st = net.lab.terminate("logtrigger", Duration::from_secs(5));
    assert!(
        st.is_some_and(|s| s.success()),
        "logtrigger did not exit cleanly on SIGTERM: {st:?}"
    );
    let left = net.lab.teardown();
    assert!(left.is_empty(), "teardown left {left:?}");
    assert!(
        net.lab.listed().is_empty(),
        "namespaces left: {:?}",
        net.lab.listed()
    );
    assert!(
        host_had_table || !host_table(),
        "a logtrigger table appeared in the host's own namespace"
    );
}
