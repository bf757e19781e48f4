//! Inputs against real sockets and files (SPEC §2): takeover, forwarding, self-heal, UDP
//! allow/deny and rcvbuf, file tail. Runs as root in private temp directories; never touches
//! the host's /dev/log.

use std::fs;
use std::io::Write;
use std::os::fd::RawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use logtrigger::input::file::Files;
use logtrigger::input::udp::UdpInput;
use logtrigger::input::unix::{Mode, RECHECK, Ready, UnixConfig, UnixInput};
use logtrigger::ipnet::IpNet;

use crate::shared::temp_dir;

/// Waits (bounded) until `fd` is readable.
fn readable(fd: RawFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

fn cfg(dir: &Path, max: usize) -> UnixConfig {
    UnixConfig {
        socket: dir.join("log"),
        takeover: true,
        forward: dir.join("log.logd"),
        max_message: max,
        forward_wait: Duration::from_millis(1000),
    }
}

/// The fd the input wants polled for `ready`, if it wants it polled now.
fn fd_of(input: &UnixInput, ready: Ready) -> Option<RawFd> {
    input
        .interests()
        .into_iter()
        .flatten()
        .find(|i| i.2 == ready)
        .map(|i| i.0)
}

/// Reads the socket (as the daemon does when it is readable); the frames read.
fn recv(input: &mut UnixInput, f: &mut dyn FnMut(&[u8], &logtrigger::input::Meta)) -> usize {
    input.on_ready(Ready::Sock, f).frames
}

/// Milliseconds until the input's next deadline, as the daemon polls for it; -1: none.
fn timeout_ms(input: &UnixInput) -> i32 {
    input.deadline().map_or(-1, logtrigger::input::poll_timeout)
}

/// Serves the inotify watch; true when the socket was taken over again.
fn maintain(input: &mut UnixInput) -> bool {
    input
        .on_ready(Ready::Watch, &mut |_, _| {})
        .rebound
        .is_some_and(|r| r.is_ok())
}

/// A stand-in logger: a datagram socket bound at `path` with a large receive buffer.
fn stand_in(path: &Path) -> UnixDatagram {
    let s = UnixDatagram::bind(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

fn recv_all(input: &mut UnixInput) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    for _ in 0..50 {
        let fd = fd_of(input, Ready::Sock).unwrap();
        if !readable(fd, 100) && !got.is_empty() {
            break;
        }
        recv(input, &mut |f, _| got.push(f.to_vec()));
    }
    got
}

fn frames() -> Vec<Vec<u8>> {
    let mut big = vec![0u8; 60 * 1024];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    vec![
        b"<13>Nov 26 21:45:37 root: hello".to_vec(),
        b"<12>py unix default\0".to_vec(),
        b"\xff\xfe invalid utf-8 \x00 with NUL \x80".to_vec(),
        big,
    ]
}

#[test]
fn takeover_forwards_every_datagram_byte_for_byte() {
    let dir = temp_dir("fwd");
    let c = cfg(&dir, 8192);
    let logger = stand_in(&c.socket);
    let logger_ino = fs::metadata(&c.socket).unwrap().ino();
    let mut input = UnixInput::open(c.clone()).unwrap();
    assert_eq!(input.mode(), Mode::Inline);
    assert!(input.forwarding());
    assert_eq!(fs::metadata(&c.forward).unwrap().ino(), logger_ino);
    assert_ne!(fs::metadata(&c.socket).unwrap().ino(), logger_ino);
    assert_eq!(
        fs::metadata(&c.socket).unwrap().permissions().mode() & 0o777,
        0o666
    );

    let client = UnixDatagram::unbound().unwrap();
    let mut buf = vec![0u8; 128 * 1024];
    for f in frames() {
        client.send_to(&f, &c.socket).unwrap();
        // The pipeline sees at most max_message; the logger gets the datagram whole.
        let got = recv_all(&mut input);
        assert_eq!(got, vec![f[..f.len().min(8192)].to_vec()]);
        let n = logger.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &f[..]);
    }
    assert_eq!(input.stats.received, 4);
    assert_eq!(input.stats.truncated, 1);
    assert_eq!(input.outbox().unwrap().stats.sent, 4);

    drop(input);
    // Restored: the logger's own socket is back at `socket`, `forward` is gone.
    assert_eq!(fs::metadata(&c.socket).unwrap().ino(), logger_ino);
    assert!(!c.forward.exists());
    client.send_to(b"after", &c.socket).unwrap();
    let n = logger.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"after");
}

#[test]
fn logger_restart_is_taken_over_again() {
    let dir = temp_dir("restart");
    let c = cfg(&dir, 8192);
    let first = stand_in(&c.socket);
    let mut input = UnixInput::open(c.clone()).unwrap();
    assert_eq!(input.takeover.takeovers, 1);

    // The logger restarts: unlink the socket path (ours now) and bind a fresh one.
    drop(first);
    fs::remove_file(&c.socket).unwrap();
    let second = stand_in(&c.socket);
    let second_ino = fs::metadata(&c.socket).unwrap().ino();

    let watch = fd_of(&input, Ready::Watch).unwrap();
    let mut retaken = false;
    for _ in 0..10 {
        if readable(watch, 100) && maintain(&mut input) {
            retaken = true;
            break;
        }
    }
    assert!(retaken, "no re-takeover within a second");
    assert_eq!(input.mode(), Mode::Inline);
    assert_eq!(input.takeover.takeovers, 2);
    assert_eq!(fs::metadata(&c.forward).unwrap().ino(), second_ino);
    // Later inotify events from our own renames must not cause another takeover.
    while readable(watch, 50) {
        assert!(!maintain(&mut input));
    }

    let client = UnixDatagram::unbound().unwrap();
    let mut buf = [0u8; 256];
    for i in 0..20u8 {
        let msg = [b'm', i];
        client.send_to(&msg, &c.socket).unwrap();
        let got = recv_all(&mut input);
        assert_eq!(got, vec![msg.to_vec()]);
        let n = second.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &msg);
    }
    drop(input);
    assert_eq!(fs::metadata(&c.socket).unwrap().ino(), second_ino);
}

#[test]
fn crash_is_healed_at_start() {
    let dir = temp_dir("heal");
    let c = cfg(&dir, 8192);
    // After a crash: our dead socket at `socket`, the live logger at `forward`.
    let logger = stand_in(&c.forward);
    drop(UnixDatagram::bind(&c.socket).unwrap());
    let logger_ino = fs::metadata(&c.forward).unwrap().ino();

    let mut input = UnixInput::open(c.clone()).unwrap();
    assert_eq!(input.takeover.healed, 1);
    assert_eq!(input.mode(), Mode::Inline);
    assert_eq!(fs::metadata(&c.forward).unwrap().ino(), logger_ino);

    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"healed", &c.socket).unwrap();
    assert_eq!(recv_all(&mut input), vec![b"healed".to_vec()]);
    let mut buf = [0u8; 64];
    let n = logger.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"healed");
}

#[test]
fn free_socket_is_simply_bound() {
    let dir = temp_dir("owner");
    let c = cfg(&dir, 8192);
    let mut input = UnixInput::open(c.clone()).unwrap();
    assert_eq!(input.mode(), Mode::Owner);
    assert!(!input.forwarding());
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"x", &c.socket).unwrap();
    assert_eq!(recv_all(&mut input), vec![b"x".to_vec()]);
    drop(input);
    assert!(!c.socket.exists(), "an owned socket is removed on exit");
}

#[test]
fn live_socket_without_takeover_is_an_error() {
    let dir = temp_dir("nota");
    let mut c = cfg(&dir, 8192);
    c.takeover = false;
    let _logger = stand_in(&c.socket);
    let err = UnixInput::open(c.clone()).err().unwrap();
    assert!(err.to_string().contains("log"), "{err}");
}

#[test]
fn long_datagrams_are_truncated_counted_and_kept() {
    let dir = temp_dir("trunc");
    let c = cfg(&dir, 16);
    let mut input = UnixInput::open(c.clone()).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(&[b'a'; 100], &c.socket).unwrap();
    let mut got = Vec::new();
    assert!(readable(fd_of(&input, Ready::Sock).unwrap(), 1000));
    recv(&mut input, &mut |f, m| {
        got.push((f.to_vec(), m.truncated, m.cred))
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, vec![b'a'; 16]);
    assert!(got[0].1);
    let cred = got[0].2.expect("SO_PASSCRED credentials");
    assert_eq!(cred.pid, std::process::id());
    assert_eq!(input.stats.truncated, 1);
}

#[test]
fn a_stuck_logger_never_blocks_receiving() {
    let dir = temp_dir("stuck");
    let mut c = cfg(&dir, 1024);
    c.forward_wait = Duration::ZERO; // no back-pressure: drop at once
    let _logger = stand_in(&c.socket); // never reads
    let mut input = UnixInput::open(c.clone()).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.set_nonblocking(true).unwrap();
    let mut received = 0;
    for i in 0..3000u32 {
        let msg = format!("<13>flood {i} {}", "x".repeat(500));
        if client.send_to(msg.as_bytes(), &c.socket).is_err() {
            received += recv(&mut input, &mut |_, _| {});
            let _ = client.send_to(msg.as_bytes(), &c.socket);
        }
        received += recv(&mut input, &mut |_, _| {});
    }
    received += recv(&mut input, &mut |_, _| {});
    let s = input.outbox().unwrap().stats;
    assert!(s.dropped > 0, "{s:?}");
    // Every frame was sent, dropped, or still waits in the bounded retry queue.
    assert!(s.sent + s.dropped <= received as u64);
    assert!(
        received as u64 - (s.sent + s.dropped) <= 8,
        "{s:?} {received}"
    );
}

#[test]
fn udp_allow_list_and_rcvbuf() {
    let allow = [IpNet::parse("10.0.0.0/8").unwrap()];
    let mut input = UdpInput::open("127.0.0.1:0".parse().unwrap(), 1 << 20, 8192).unwrap();
    assert!(input.rcvbuf().unwrap() >= 1 << 20);
    let addr = input.local_addr();
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"<13>denied", addr).unwrap();
    assert!(readable(input.fd(), 1000));
    let mut got = Vec::new();
    input.recv(&allow, &mut |f, peer, _| got.push((f.to_vec(), peer)));
    assert!(got.is_empty());
    assert_eq!(input.stats.denied, 1);

    let allow = [IpNet::parse("127.0.0.0/8").unwrap()];
    client.send_to(b"<13>allowed", addr).unwrap();
    assert!(readable(input.fd(), 1000));
    input.recv(&allow, &mut |f, peer, _| got.push((f.to_vec(), peer)));
    assert_eq!(
        got,
        vec![(b"<13>allowed".to_vec(), client.local_addr().unwrap())]
    );
    assert_eq!(input.stats.received, 1);
}

#[test]
fn udp_v6_socket_is_v6_only_and_receives() {
    let Ok(mut input) = UdpInput::open("[::1]:0".parse().unwrap(), 0, 8192) else {
        return; // no IPv6 loopback in this namespace
    };
    let v6only = nix::sys::socket::getsockopt(
        &unsafe { std::os::fd::BorrowedFd::borrow_raw(input.fd()) },
        nix::sys::socket::sockopt::Ipv6V6Only,
    )
    .unwrap();
    assert!(v6only);
    let client = std::net::UdpSocket::bind("[::1]:0").unwrap();
    client.send_to(b"<13>v6", input.local_addr()).unwrap();
    assert!(readable(input.fd(), 1000));
    let mut got = Vec::new();
    let allow = logtrigger::input::udp::default_allow();
    input.recv(&allow, &mut |f, _, _| got.push(f.to_vec()));
    assert_eq!(got, vec![b"<13>v6".to_vec()]);
}

fn tail_lines(files: &mut Files) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    for _ in 0..20 {
        if !readable(files.fd(), 100) {
            break;
        }
        files.service(&mut |l, _| got.push(l.to_vec()));
    }
    got
}

fn append(path: &Path, text: &[u8]) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text).unwrap();
}

#[test]
fn file_tail_append_rotate_truncate() {
    let dir = temp_dir("tail");
    let path = dir.join("app.log");
    fs::write(&path, b"old history line\n").unwrap();
    let mut files = Files::open(std::slice::from_ref(&path), 8192).unwrap();

    append(&path, b"one\ntwo\npart");
    assert_eq!(
        tail_lines(&mut files),
        vec![b"one".to_vec(), b"two".to_vec()]
    );
    append(&path, b"ial\n");
    assert_eq!(tail_lines(&mut files), vec![b"partial".to_vec()]);

    // Rotation: rename, then a new file at the same path.
    fs::rename(&path, dir.join("app.log.1")).unwrap();
    append(&path, b"after rotate\n");
    assert_eq!(tail_lines(&mut files), vec![b"after rotate".to_vec()]);

    // Truncation (copytruncate), then shorter content.
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    append(&path, b"x\n");
    assert_eq!(tail_lines(&mut files), vec![b"x".to_vec()]);
}

#[test]
fn file_that_appears_later_is_read_from_its_start() {
    let dir = temp_dir("late");
    let path = dir.join("later.log");
    let mut files = Files::open(std::slice::from_ref(&path), 8192).unwrap();
    append(&path, b"first\n");
    assert_eq!(tail_lines(&mut files), vec![b"first".to_vec()]);
    append(&path, b"second\n");
    assert_eq!(tail_lines(&mut files), vec![b"second".to_vec()]);
}

#[test]
fn vanished_socket_is_left_to_the_logger_then_rebound() {
    let dir = temp_dir("vanish");
    let c = cfg(&dir, 8192);
    let _first = stand_in(&c.socket);
    let mut input = UnixInput::open(c.clone()).unwrap();
    // The logger unlinks the socket path (ours) and is slow to bind again.
    fs::remove_file(&c.socket).unwrap();
    let watch = fd_of(&input, Ready::Watch).unwrap();
    assert!(readable(watch, 1000));
    assert!(!maintain(&mut input));
    assert!(
        !c.socket.exists(),
        "the path is left free for the logger's bind"
    );
    assert!(timeout_ms(&input) > 0);
    // The logger binds within the delay: taken over, not fought over.
    let second = stand_in(&c.socket);
    let second_ino = fs::metadata(&c.socket).unwrap().ino();
    assert!(readable(watch, 1000));
    assert!(maintain(&mut input));
    assert_eq!(fs::metadata(&c.forward).unwrap().ino(), second_ino);
    assert_eq!(timeout_ms(&input), -1);
    drop(second);

    // Gone for good: after the delay we bind it ourselves.
    fs::remove_file(&c.socket).unwrap();
    fs::remove_file(&c.forward).unwrap();
    let mut bound = false;
    for _ in 0..40 {
        let t = timeout_ms(&input);
        readable(watch, if t < 0 { 100 } else { t });
        if maintain(&mut input) {
            bound = true;
            break;
        }
    }
    assert!(bound);
    assert_eq!(input.mode(), Mode::Owner);
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"back", &c.socket).unwrap();
    assert_eq!(recv_all(&mut input), vec![b"back".to_vec()]);
}

/// A socket file at `socket` that is not ours and refuses connections, as the path is between
/// the logger's bind creating the file and its socket accepting connections.
fn dead_socket_at(path: &Path) -> u64 {
    let half = path.with_file_name("half-bound");
    drop(UnixDatagram::bind(&half).unwrap());
    fs::rename(&half, path).unwrap();
    fs::metadata(path).unwrap().ino()
}

#[test]
fn a_socket_file_still_being_bound_is_not_removed() {
    let dir = temp_dir("midbind");
    let c = cfg(&dir, 8192);
    let _first = stand_in(&c.socket);
    let mut input = UnixInput::open(c.clone()).unwrap();
    // The logger restarts: unlink, then its bind has created the file but does not accept yet
    // (the kernel creates the file, and inotify reports it, before the socket is connectable).
    fs::remove_file(&c.socket).unwrap();
    let dead = dead_socket_at(&c.socket);
    let watch = fd_of(&input, Ready::Watch).unwrap();
    assert!(readable(watch, 1000));
    assert!(!maintain(&mut input), "must not bind over it");
    assert_eq!(fs::metadata(&c.socket).unwrap().ino(), dead, "left alone");
    let t = timeout_ms(&input);
    assert!(
        t > 0 && t <= RECHECK.as_millis() as i32 + 1,
        "recheck soon: {t}"
    );

    // The bind completes; no further inotify event is needed, the recheck timer finds it.
    let second = stand_in(&dir.join("bound"));
    let second_ino = fs::metadata(dir.join("bound")).unwrap().ino();
    fs::rename(dir.join("bound"), &c.socket).unwrap();
    std::thread::sleep(Duration::from_millis(timeout_ms(&input).max(0) as u64));
    assert!(maintain(&mut input));
    assert_eq!(input.mode(), Mode::Inline);
    assert_eq!(fs::metadata(&c.forward).unwrap().ino(), second_ino);
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"via us", &c.socket).unwrap();
    assert_eq!(recv_all(&mut input), vec![b"via us".to_vec()]);
    let mut buf = [0u8; 64];
    let n = second.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"via us");
}

#[test]
fn a_socket_file_that_stays_dead_is_replaced_after_the_delay() {
    let dir = temp_dir("staysdead");
    let c = cfg(&dir, 8192);
    let first = stand_in(&c.socket);
    let mut input = UnixInput::open(c.clone()).unwrap();
    drop(first);
    fs::remove_file(&c.socket).unwrap();
    dead_socket_at(&c.socket);
    let watch = fd_of(&input, Ready::Watch).unwrap();
    let mut bound = false;
    // Bounded: REBIND_DELAY plus slack, driven by the input's own timer.
    for _ in 0..300 {
        let t = timeout_ms(&input);
        readable(watch, if t < 0 { 100 } else { t });
        if maintain(&mut input) {
            bound = true;
            break;
        }
    }
    assert!(bound, "the dead file must be replaced after REBIND_DELAY");
    assert_eq!(input.mode(), Mode::Owner);
    // (The new file may reuse the dead one's inode number: check that it answers instead.)
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"ours now", &c.socket).unwrap();
    assert_eq!(recv_all(&mut input), vec![b"ours now".to_vec()]);
    assert_eq!(timeout_ms(&input), -1, "no timer left armed");
}

/// Sends `n` numbered frames without blocking while the input serves its fds as the daemon
/// does; the logger reads only when `drain` says so. Returns what the logger got.
fn pump(input: &mut UnixInput, socket: &Path, logger: &UnixDatagram, n: u32) -> Vec<Vec<u8>> {
    let client = UnixDatagram::unbound().unwrap();
    client.set_nonblocking(true).unwrap();
    logger.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    let mut next = 0;
    let mut blocked_once = false;
    for _ in 0..100_000 {
        if next < n {
            match client.send_to(format!("<13>m{next}").as_bytes(), socket) {
                Ok(_) => next += 1,
                Err(_) => blocked_once = true, // our socket's queue is full: the sender waits
            }
        }
        if let Some(fd) = fd_of(input, Ready::Sock)
            && readable(fd, 0)
        {
            recv(input, &mut |_, _| {});
        }
        // The logger is slow: it reads only once the sender had to wait.
        if blocked_once {
            while let Ok(k) = logger.recv(&mut buf) {
                got.push(buf[..k].to_vec());
            }
        }
        if let Some(fd) = input
            .interests()
            .into_iter()
            .flatten()
            .find(|i| i.2 == Ready::Out)
        {
            let mut p = libc::pollfd {
                fd: fd.0,
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut p, 1, 0) } > 0 {
                input.on_ready(Ready::Out, &mut |_, _| {});
            }
        }
        if got.len() == n as usize {
            break;
        }
    }
    assert!(blocked_once, "the sender never had to wait");
    got
}

#[test]
fn a_full_logger_holds_the_socket_unread_and_loses_nothing() {
    let dir = temp_dir("hold");
    let c = cfg(&dir, 1024);
    let logger = stand_in(&c.socket);
    let mut input = UnixInput::open(c.clone()).unwrap();
    let got = pump(&mut input, &c.socket, &logger, 300);
    let want: Vec<Vec<u8>> = (0..300).map(|i| format!("<13>m{i}").into_bytes()).collect();
    assert_eq!(got, want, "every frame, in order");
    let s = input.outbox().unwrap().stats;
    assert_eq!((s.sent, s.dropped), (300, 0), "{s:?}");
    assert!(s.queued > 0, "the logger's queue was full at times: {s:?}");
    assert!(!input.held());
}

#[test]
fn forward_wait_ends_the_hold_and_drops_are_counted() {
    let dir = temp_dir("holdend");
    let mut c = cfg(&dir, 1024);
    c.forward_wait = Duration::from_millis(200);
    let _logger = stand_in(&c.socket); // never reads
    let mut input = UnixInput::open(c.clone()).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.set_nonblocking(true).unwrap();
    // Fill the logger's queue and ours.
    let mut sent = 0;
    while client.send_to(b"<13>fill", &c.socket).is_ok() || !input.held() {
        sent += 1;
        recv(&mut input, &mut |_, _| {});
        assert!(sent < 10_000, "never held");
    }
    assert!(input.held());
    assert!(fd_of(&input, Ready::Sock).is_none(), "not read while held");
    let deadline = input.deadline().expect("the hold has a deadline");
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    assert!(left <= c.forward_wait);
    // The deadline passes: the socket is read again, and what the logger cannot take is
    // dropped and counted.
    std::thread::sleep(left);
    input.on_timer(std::time::Instant::now());
    assert!(!input.held());
    assert_eq!(
        input.deadline(),
        None,
        "no timer while the logger stays stuck: its POLLOUT wakes us"
    );
    let fd = fd_of(&input, Ready::Sock).expect("read again after forward_wait");
    assert!(readable(fd, 0));
    let n = recv(&mut input, &mut |_, _| {});
    assert!(n > 0);
    let s = input.outbox().unwrap().stats;
    assert!(s.dropped > 0, "{s:?}");
    assert_eq!(
        input.stats.received,
        s.sent + s.dropped + input.outbox().unwrap().waiting() as u64
    );
}

#[test]
fn logger_and_own_socket_stay_0666_after_a_takeover_mid_bind() {
    let dir = temp_dir("modes");
    let c = cfg(&dir, 1024);
    // The logger has bound with the umask's mode and not chmodded yet.
    let _logger = stand_in(&c.socket);
    fs::set_permissions(&c.socket, fs::Permissions::from_mode(0o755)).unwrap();
    let input = UnixInput::open(c.clone()).unwrap();
    assert_eq!(input.mode(), Mode::Inline);
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&c.forward), 0o666, "the logger's socket");
    assert_eq!(mode(&c.socket), 0o666, "ours");
    drop(input);
    assert_eq!(mode(&c.socket), 0o666, "the logger's socket, restored");
}
