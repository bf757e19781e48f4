//! A router for attack tests: a namespace running the real logtrigger binary with the SHIPPED
//! configuration (adapted only where a shared machine needs it, see uci.rs), the shipped
//! ipblock.sh and logit.sh, nftables, and a kernel that tracks connections as fw4 makes it.
//! Peers are namespaces linked to it; a peer can hold a live TCP connection to the router, so
//! that proof of presence (`verify conntrack`) alone cannot be what protects it.
//!
//! Never touches the host: everything lives in the lab's namespaces and scratch directory.

use super::{LIMIT, Lab, Receiver, in_ns, must, poll, repo, run, stdout, text, track_connections};
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What a test changes in the shipped configuration, besides the lab's paths.
#[derive(Default)]
pub struct Options<'a> {
    /// UDP receivers (`list udp`) and the senders they accept (`list udp_allow`, added).
    pub udp: &'a [&'a str],
    pub udp_allow: &'a [&'a str],
    /// Rule options set or removed, by rule-name prefix (see uci.rs).
    pub rule_options: &'a [(&'a str, &'a str, Option<&'a str>)],
}

pub struct Router {
    pub lab: Lab,
    pub ns: String,
    pub conf: PathBuf,
    pub sock: PathBuf,
    pub varlog: PathBuf,
    /// The stand-in system logger logtrigger forwards to.
    pub logd: Receiver,
    /// Both ends of every held connection (dropped with the router).
    held: Vec<TcpStream>,
    next_link: u32,
}

/// Runs `f` in a thread that has entered network namespace `ns` (sockets keep the namespace
/// they were created in; the test process stays in the host's).
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        let file = File::open(format!("/run/netns/{ns}")).expect("open the namespace file");
        // SAFETY: setns(2) on a valid fd; it changes only this thread's network namespace.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        f()
    })
    .join()
    .expect("namespace thread")
}

impl Router {
    /// A fresh router namespace tracking connections; logtrigger starts with [`Router::start`]
    /// (after the peers, so that their links' addresses exist for `list udp`).
    pub fn new(tag: &str) -> Router {
        let mut lab = Lab::new(tag);
        let ns = lab.netns("router");
        track_connections(&ns);
        let logd = Receiver::unix(&lab.path("logd.sock"));
        let varlog = lab.subdir("varlog");
        let (sock, conf) = (lab.path("log.sock"), lab.path("logtrigger.conf"));
        Router {
            lab,
            ns,
            conf,
            sock,
            varlog,
            logd,
            held: Vec::new(),
            next_link: 0,
        }
    }

    /// Starts logtrigger with the shipped configuration and waits until it listens.
    pub fn start(&mut self, opts: &Options) {
        write_config(&self.lab, opts);
        let bin = env!("CARGO_BIN_EXE_logtrigger");
        let cmd = self.lab.cmd_devlog(
            &self.ns,
            &self.sock,
            Some(&self.varlog),
            &[bin, "-c", self.conf.to_str().unwrap(), "-D", "2"],
        );
        self.lab.spawn("logtrigger", cmd);
        let control = self.lab.path("control.sock");
        let sock = self.sock.clone();
        let ready = poll(LIMIT, || sock.exists() && control.exists());
        assert!(
            ready && self.lab.alive("logtrigger"),
            "logtrigger did not start: {}",
            self.lab.output_of("logtrigger")
        );
        let r = self;
        let (ns, conf, log) = (
            r.ns.clone(),
            r.conf.clone(),
            r.varlog.join("blockedIPs.log"),
        );
        r.lab.on_failure(move || {
            let nft = run(&mut in_ns(&ns, &["nft", "list", "ruleset"]));
            let ct = run(&mut in_ns(&ns, &["conntrack", "-L"]));
            format!(
                "----- nft ruleset -----\n{}\n----- conntrack -----\n{}\n----- blockedIPs.log \
                 -----\n{}\n----- status -----\n{}",
                stdout(&nft),
                text(&ct),
                super::tail(&log, 8192),
                status_of(&ns, &conf)
            )
        });
    }

    /// A peer namespace `role` linked to the router: the router side gets `.1`, the peer `.2`
    /// of `net` (an IPv4 /24 prefix like "198.51.100"), plus `extra` addresses on the peer (the
    /// router routes the whole /24 to it). Returns the peer's namespace.
    pub fn peer(&mut self, role: &str, net: &str, extra: &[&str]) -> String {
        let peer = self.lab.netns(role);
        let (r_if, p_if) = (format!("r{}", self.next_link), "eth0".to_string());
        self.next_link += 1;
        let mut addrs = vec![format!("{net}.2/24")];
        addrs.extend(extra.iter().map(|a| format!("{a}/32")));
        let addr_refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
        self.lab.link(
            &self.ns,
            &r_if,
            &[&format!("{net}.1/24")],
            &peer,
            &p_if,
            &addr_refs,
        );
        peer
    }

    /// `from` (an address of namespace `peer`) opens a TCP connection to the router's
    /// `router_ip` and holds it open: the router's kernel tracks it (original source `from`).
    pub fn hold(&mut self, peer: &str, from: &str, router_ip: &str) {
        let at: SocketAddr = format!("{router_ip}:0").parse().unwrap();
        let listener = in_netns(&self.ns, move || TcpListener::bind(at).expect("listen"));
        let to = listener.local_addr().unwrap();
        let src: SocketAddr = format!("{from}:0").parse().unwrap();
        let client = in_netns(peer, move || {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("socket");
            s.bind(&src.into()).expect("bind the peer's address");
            s.connect_timeout(&to.into(), Duration::from_secs(5))
                .expect("connect to the router");
            TcpStream::from(s)
        });
        let (server, _) = listener.accept().expect("accept");
        self.held.push(client);
        self.held.push(server);
    }

    /// Sends one frame to logtrigger's local socket from this (root) process.
    pub fn send_as_root(&self, frame: &[u8]) {
        let s = UnixDatagram::unbound().unwrap();
        s.send_to(frame, &self.sock).expect("send to logtrigger");
    }

    /// `logtrigger status --json`, run inside the router's namespace.
    pub fn status(&self) -> String {
        status_of(&self.ns, &self.conf)
    }

    /// A rule's counter in the status (e.g. `matches`, `ignored`, `untrusted`, `truncated`).
    pub fn rule_num(&self, rule: &str, key: &str) -> Option<u64> {
        status_num(&self.status(), &format!(r#"{{"name":"{rule}""#), key)
    }

    /// Whether `addr` is in the router's ban sets.
    pub fn is_banned(&self, addr: &str) -> bool {
        let set = if addr.contains(':') { "ban6" } else { "ban4" };
        banned(&self.ns, set).iter().any(|a| a == addr)
    }

    /// Every address in the ban sets.
    pub fn bans(&self) -> Vec<String> {
        let mut v = banned(&self.ns, "ban4");
        v.extend(banned(&self.ns, "ban6"));
        v
    }

    /// Waits until the daemon has no script running or waiting.
    pub fn settle(&self) -> bool {
        poll(LIMIT, || {
            let st = self.status();
            status_num(&st, r#""scripts":{"#, "running") == Some(0)
                && status_num(&st, r#""scripts":{"#, "queued") == Some(0)
        })
    }
}

/// The shipped configuration adapted to the router lab, checked by `logtrigger check`.
fn write_config(lab: &Lab, opts: &Options) -> PathBuf {
    let shipped = fs::read_to_string(repo().join("uci/logtrigger")).expect("read uci/logtrigger");
    let dir = lab.dir.to_str().unwrap();
    let files = format!("{}/", repo().join("openwrt-package/files").display());
    let (sock, forward, control) = (
        format!("{dir}/log.sock"),
        format!("{dir}/logd.sock"),
        format!("{dir}/control.sock"),
    );
    let mut lists: Vec<(&str, &str)> = opts.udp.iter().map(|u| ("udp", *u)).collect();
    if opts.udp.is_empty() {
        lists.push(("udp", "none"));
    }
    lists.extend(opts.udp_allow.iter().map(|a| ("udp_allow", *a)));
    let text = super::uci::adapt(
        &shipped,
        &super::uci::Lab {
            options: &[
                ("socket", &sock),
                ("takeover", "0"),
                ("forward", &forward),
                ("control", &control),
            ],
            replace_lists: &["udp"],
            lists: &lists,
            script_dir: ("/etc/logtrigger/", &files),
            bantimes: &[("", "120")],
            rule_options: opts.rule_options,
        },
    );
    let path = lab.path("logtrigger.conf");
    fs::write(&path, text).expect("write the lab config");
    must(Command::new(env!("CARGO_BIN_EXE_logtrigger")).args([
        "check",
        "-c",
        path.to_str().unwrap(),
    ]));
    path
}

fn status_of(ns: &str, conf: &Path) -> String {
    let bin = env!("CARGO_BIN_EXE_logtrigger");
    let out = run(&mut in_ns(
        ns,
        &[bin, "status", "-c", conf.to_str().unwrap(), "--json"],
    ));
    format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr))
}

/// A number in the daemon's status JSON: `key` of the object that starts with `object` (e.g.
/// `{"name":"dropbear_bad_password"` in `rules`, or `"scripts":{`). None when absent, and when
/// the text is no report (a daemon not answering yet).
pub fn status_num(json: &str, object: &str, key: &str) -> Option<u64> {
    let obj = &json[json.find(object)? + object.len()..];
    let obj = &obj[..obj.find('}')?];
    let re = regex::Regex::new(&format!(r#""{}":(\d+)"#, regex::escape(key))).unwrap();
    re.captures(obj)?[1].parse().ok()
}

/// Elements of a ban set, empty when the table does not exist yet.
pub fn banned(ns: &str, set: &str) -> Vec<String> {
    let out = run(&mut in_ns(
        ns,
        &["nft", "list", "set", "inet", "logtrigger", set],
    ));
    let listing = stdout(&out);
    let Some(start) = listing.find("elements = {") else {
        return Vec::new();
    };
    let body = &listing[start + "elements = {".len()..];
    let body = &body[..body.find('}').unwrap_or(body.len())];
    body.split(',')
        .filter_map(|e| e.split_whitespace().next())
        .map(str::to_string)
        .collect()
}
