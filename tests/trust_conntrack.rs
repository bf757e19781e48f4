//! Proof of presence (SPEC §6, `option verify 'conntrack'`) against the kernel's real
//! connection tracking table, in a network namespace the test creates: an address with a live
//! TCP connection to the "router" is banned, one without is refused, counted and logged.
//! Needs root, iproute2, nftables and socat (scripts/deps.sh installs them).

mod common;

use std::fs;
use std::process::{Child, Command, Stdio};

use common::*;

/// A network namespace and the processes started in it; all gone on drop, panics included.
struct Netns {
    name: String,
    procs: Vec<Child>,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("lt-{tag}-{}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot create network namespace {name} (needs root)");
        Netns {
            name,
            procs: Vec::new(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    fn must(&self, args: &[&str]) {
        let out = self.cmd(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }

    fn spawn(&mut self, args: &[&str]) {
        let child = self
            .cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.procs.push(child);
    }

    /// `logtrigger status --json` run inside the namespace: the client's reply address is an
    /// abstract socket, which belongs to a network namespace.
    fn status(&self, s: &Setup) -> Option<String> {
        let out = self
            .cmd(&[BIN, "status", "--json", "-c", s.config.to_str().unwrap()])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The namespace's connection tracking table.
    fn table(&self) -> String {
        let out = self
            .cmd(&["cat", "/proc/net/nf_conntrack"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

#[test]
fn verify_conntrack_bans_only_addresses_the_kernel_tracks() {
    if !(have("nft") && have("socat") && have("ip")) {
        return;
    }
    let mut ns = Netns::new("verify");
    ns.must(&["ip", "link", "set", "lo", "up"]);
    for a in ["198.51.100.1/32", "203.0.113.7/32", "203.0.113.8/32"] {
        ns.must(&["ip", "addr", "add", a, "dev", "lo"]);
    }
    // Connections are tracked only once a rule needs it, as fw4's rules do.
    ns.must(&[
        "nft",
        "add table inet ltv; add chain inet ltv input { type filter hook input priority 0; }; \
         add rule inet ltv input ct state established,related accept",
    ]);
    // The router's service, and a client at 203.0.113.7 holding a connection to it.
    ns.spawn(&[
        "socat",
        "TCP-LISTEN:2222,bind=198.51.100.1,reuseaddr,fork",
        "EXEC:cat",
    ]);
    assert!(
        wait_for(5000, || ns
            .cmd(&[
                "socat",
                "-u",
                "OPEN:/dev/null",
                "TCP:198.51.100.1:2222,bind=198.51.100.1"
            ])
            .status()
            .is_ok_and(|s| s.success())),
        "the listener did not come up"
    );
    ns.spawn(&[
        "socat",
        "TCP:198.51.100.1:2222,bind=203.0.113.7",
        "EXEC:sleep 60",
    ]);
    assert!(
        wait_for(5000, || ns.table().contains("src=203.0.113.7 ")),
        "no tracked connection from 203.0.113.7:\n{}",
        ns.table()
    );
    assert!(!ns.table().contains("src=203.0.113.8 "));

    let s = Setup::new("verify", "");
    let out = s.dir.join("bans");
    let ban = s.script("ban.sh", &format!("echo \"$LT_ip\" >> {}\n", out.display()));
    s.write_config(&format!(
        "\nconfig rule\n\toption name 'ban'\n\toption pattern 'fail from %s'\n\
         \toption fields 'ip'\n\toption maxfail '2'\n\toption verify 'conntrack'\n\
         \toption script '{}'\n",
        ban.display()
    ));
    let config = s.config.to_str().unwrap().to_string();
    let mut d = Daemon(
        ns.cmd(&[BIN, "-c", &config])
            .stdout(Stdio::null())
            .stderr(fs::File::create(s.dir.join("stderr")).unwrap())
            .spawn()
            .unwrap(),
    );
    assert!(
        wait_for(10_000, || ns.status(&s).is_some()),
        "{}",
        s.stderr()
    );
    let json = || ns.status(&s).unwrap_or_default();
    for line in [
        "<13>x: fail from 203.0.113.8",
        "<13>x: fail from 203.0.113.8",
        "<13>x: fail from 203.0.113.7",
        "<13>x: fail from 203.0.113.7",
        "<13>x: fail from [::ffff:203.0.113.7]:22",
        "<13>x: fail from [::ffff:203.0.113.7]:22",
    ] {
        s.send(line.as_bytes());
    }
    let bans = || -> Vec<String> {
        let text = fs::read_to_string(&out).unwrap_or_default();
        let mut v: Vec<String> = text.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert!(
        wait_for(10_000, || bans().len() == 2
            && rule_num(&json(), "ban", "unverified") == Some(1)),
        "{}\n{}",
        json(),
        s.stderr()
    );
    // The connected address was banned, in both spellings (an IPv4-mapped IPv6 address with a
    // port is proven by its IPv4 entry); the other was refused, counted and logged.
    assert_eq!(bans(), ["203.0.113.7", "[::ffff:203.0.113.7]:22"]);
    let j = json();
    assert_eq!(rule_num(&j, "ban", "firings"), Some(3), "{j}");
    // Proven (and run) or refused, every key was forgotten after the pass.
    assert_eq!(rule_num(&j, "ban", "keys"), Some(0), "{j}");
    assert!(
        s.stderr()
            .contains("[ban] refused for '203.0.113.8': no connection from 203.0.113.8"),
        "{}",
        s.stderr()
    );
    signal(&d, libc::SIGTERM);
    assert_eq!(wait_exit(&mut d), Some(0), "{}", s.stderr());
}
