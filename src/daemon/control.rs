//! The control socket (`control`, SPEC §9): a unix datagram socket answering status requests.
//!
//! Protocol: the client binds an abstract address and sends `t` (text) or `j` (JSON). The daemon
//! renders the whole report once, keeps it for that client, and replies with its first
//! [`CHUNK`] bytes; each reply starts with `+` (more follows) or `.` (the last piece). The client
//! asks for the next piece with `t@OFFSET` / `j@OFFSET`, so a report of any size (thousands of
//! rules) arrives whole and consistent, one bounded datagram at a time. A piece asked for by a
//! client whose report is gone (another client asked meanwhile) is answered with `!`: the
//! client starts over.
//!
//! Owns: the server socket (mode 0600), the one report being sent, and the client side.
//! Never: blocks the daemon (replies are non-blocking; a client that cannot take one loses it),
//! or replaces anything at its path but a dead socket.

use std::cell::RefCell;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::input::unix::{Probe, probe};

/// Which rendering a client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Bytes of a report per reply datagram (well below the default socket buffers, so a
/// reply is never refused for its size).
pub const CHUNK: usize = 32 * 1024;

/// The longest report a client accepts (a broken daemon cannot make it loop forever).
const REPORT_MAX: usize = 64 << 20;

/// The daemon's end.
pub struct Control {
    sock: UnixDatagram,
    path: PathBuf,
    /// The report being sent: the client's address and the rendered text.
    sending: RefCell<Option<(Vec<u8>, String)>>,
}

impl Control {
    /// Binds `path`. Fails when another daemon answers there (two daemons would fight over
    /// /dev/log) or when the path is anything but a socket; a dead socket file is replaced.
    pub fn bind(path: &Path) -> io::Result<Control> {
        match probe(path) {
            Probe::Alive => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{}: another logtrigger is running", path.display()),
                ));
            }
            Probe::Dead => replace_dead(path)?,
            Probe::Absent => {}
        }
        let ctx = |e: io::Error| crate::input::context(e, "bind", &path.display());
        let sock = UnixDatagram::bind(path).map_err(ctx)?;
        sock.set_nonblocking(true)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(ctx)?;
        Ok(Control {
            sock,
            path: path.to_path_buf(),
            sending: RefCell::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Answers every waiting request: a new one with the first piece of `report(format)`,
    /// a continuation with the next piece of the report kept for that client.
    pub fn serve(&self, report: &mut dyn FnMut(Format) -> String) {
        let mut req = [0u8; 32];
        for _ in 0..16 {
            let Ok((n, from)) = self.sock.recv_from(&mut req) else {
                return;
            };
            let Some(peer) = from.as_abstract_name().or(from.as_pathname().map(|p| {
                use std::os::unix::ffi::OsStrExt;
                p.as_os_str().as_bytes()
            })) else {
                continue; // an unnamed client cannot be answered
            };
            let req = req.get(..n).unwrap_or_default();
            let format = if req.starts_with(b"j") {
                Format::Json
            } else {
                Format::Text
            };
            let mut sending = self.sending.borrow_mut();
            let offset = match continuation(req) {
                None => {
                    *sending = Some((peer.to_vec(), report(format)));
                    0
                }
                Some(at) => match sending.as_ref() {
                    Some((p, _)) if p == peer => at,
                    _ => {
                        let _ = self.sock.send_to_addr(b"!", &from);
                        continue;
                    }
                },
            };
            let Some((_, text)) = sending.as_ref() else {
                continue;
            };
            let piece = text.as_bytes().get(offset..).unwrap_or_default();
            let last = piece.len() <= CHUNK;
            let piece = &piece[..piece.len().min(CHUNK)];
            let mut reply = Vec::with_capacity(piece.len() + 1);
            reply.push(if last { b'.' } else { b'+' });
            reply.extend_from_slice(piece);
            let _ = self.sock.send_to_addr(&reply, &from);
            if last {
                *sending = None;
            }
        }
    }
}

/// The offset of a continuation request (`t@OFFSET`, `j@OFFSET`); `None` for a new request.
fn continuation(req: &[u8]) -> Option<usize> {
    let digits = req.get(1..)?.strip_prefix(b"@")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Removes a dead socket file at `path`; anything that is not a socket (a regular file, a
/// directory, a symlink) is an error and stays untouched: `control` may be mistyped to name a
/// file someone needs.
fn replace_dead(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_socket() {
        let what = if meta.is_dir() {
            "a directory"
        } else if meta.file_type().is_symlink() {
            "a symbolic link"
        } else if meta.is_file() {
            "a regular file"
        } else {
            "not a socket"
        };
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: is {what}, not a socket; left alone (remove it or choose another path)",
                path.display()
            ),
        ));
    }
    fs::remove_file(path)
}

impl Drop for Control {
    /// Removes the socket file, unless something else has taken the path since.
    fn drop(&mut self) {
        use std::os::unix::fs::FileTypeExt;
        if fs::symlink_metadata(self.path.as_path()).is_ok_and(|m| m.file_type().is_socket()) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Asks the daemon listening at `path` for its report (the `status` sub-command), piece by
/// piece; starts over (a few times) when the daemon dropped the report for another client.
pub fn query(path: &Path, format: Format, timeout: Duration) -> io::Result<String> {
    // Unique per call: two queries of one process (or a forked child still holding the first
    // socket) must not collide on the abstract name.
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!("logtrigger-status-{}-{seq}-{nanos}", std::process::id());
    let sock = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
    sock.set_read_timeout(Some(timeout))?;
    sock.connect(path)?;
    let letter = if format == Format::Json { 'j' } else { 't' };
    let mut buf = vec![0u8; CHUNK + 1];
    for _ in 0..8 {
        if let Some(text) = fetch(&sock, letter, &mut buf)? {
            return Ok(String::from_utf8_lossy(&text).into_owned());
        }
    }
    Err(io::Error::new(
        io::ErrorKind::Interrupted,
        "the report kept being dropped for other clients",
    ))
}

/// One whole report; `None` when the daemon dropped it midway (start over).
fn fetch(sock: &UnixDatagram, letter: char, buf: &mut [u8]) -> io::Result<Option<Vec<u8>>> {
    let mut text = Vec::new();
    loop {
        let req = if text.is_empty() {
            letter.to_string()
        } else {
            format!("{letter}@{}", text.len())
        };
        sock.send(req.as_bytes())?;
        let n = sock.recv(buf)?;
        let reply = buf.get(..n).unwrap_or_default();
        match reply.split_first() {
            Some((b'.', piece)) => {
                text.extend_from_slice(piece);
                return Ok(Some(text));
            }
            Some((b'+', piece)) if !piece.is_empty() && text.len() < REPORT_MAX => {
                text.extend_from_slice(piece)
            }
            Some((b'!', _)) => return Ok(None),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "malformed status reply",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip_and_second_daemon_refused() {
        let dir = std::env::temp_dir().join(format!("lt-control-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let path = dir.join("c.sock");
        let _ = fs::remove_file(&path);
        let control = Control::bind(&path).unwrap();
        assert!(Control::bind(&path).is_err());
        let server = std::thread::spawn(move || {
            let mut served = 0;
            for _ in 0..200 {
                control.serve(&mut |f| {
                    served += 1;
                    format!("{f:?}")
                });
                if served == 2 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            served
        });
        let t = query(&path, Format::Text, Duration::from_secs(3)).unwrap();
        let j = query(&path, Format::Json, Duration::from_secs(3)).unwrap();
        assert_eq!((t.as_str(), j.as_str()), ("Text", "Json"));
        assert_eq!(server.join().unwrap(), 2);
        assert!(
            !path.exists(),
            "the socket is removed when the daemon stops"
        );
    }

    fn serve_until(control: Control, requests: usize, report: String) {
        let mut served = 0;
        for _ in 0..2000 {
            control.serve(&mut |_| {
                served += 1;
                report.clone()
            });
            if served == requests && control.sending.borrow().is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("not served");
    }

    #[test]
    fn a_report_of_many_pieces_arrives_whole() {
        let dir = std::env::temp_dir().join(format!("lt-control-big-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let path = dir.join("c.sock");
        let control = Control::bind(&path).unwrap();
        let report: String = (0..20_000).map(|i| format!("rule {i} é\n")).collect();
        assert!(report.len() > 5 * CHUNK);
        let want = report.clone();
        let server = std::thread::spawn(move || serve_until(control, 1, report));
        let got = query(&path, Format::Text, Duration::from_secs(3)).unwrap();
        assert_eq!(got, want);
        server.join().unwrap();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_continuation_for_a_dropped_report_is_refused() {
        let dir = std::env::temp_dir().join(format!("lt-control-drop-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let path = dir.join("c.sock");
        let control = Control::bind(&path).unwrap();
        let client = UnixDatagram::bind_addr(
            &SocketAddr::from_abstract_name(b"lt-control-drop-test").unwrap(),
        )
        .unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        client.connect(&path).unwrap();
        client.send(b"t@100").unwrap();
        control.serve(&mut |_| String::from("x"));
        let mut buf = [0u8; 16];
        let n = client.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"!");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_a_socket_is_replaced_at_the_control_path() {
        let dir = std::env::temp_dir().join(format!("lt-control-file-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let file = dir.join("file");
        fs::write(&file, b"precious").unwrap();
        let e = Control::bind(&file)
            .err()
            .expect("a regular file is refused");
        assert!(
            e.to_string().contains("is a regular file, not a socket"),
            "{e}"
        );
        assert_eq!(fs::read(&file).unwrap(), b"precious");
        let sub = dir.join("sub");
        fs::create_dir_all(&sub).unwrap();
        let e = Control::bind(&sub).err().expect("a directory is refused");
        assert!(e.to_string().contains("is a directory"), "{e}");
        assert!(sub.is_dir());
        // A dead socket (its daemon gone) is replaced.
        let dead = dir.join("dead.sock");
        drop(UnixDatagram::bind(&dead).unwrap());
        assert!(Control::bind(&dead).is_ok());
        let _ = fs::remove_dir_all(&dir);
    }
}
