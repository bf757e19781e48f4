//! The control socket (`control`, SPEC §9): a unix datagram socket answering status requests.
//!
//! Protocol: the client binds an abstract address, sends one datagram `t` (text) or `j` (JSON);
//! the daemon replies with one datagram holding the whole report. Stateless, so the single-threaded
//! poll loop never waits on a slow client.
//!
//! Owns: the server socket (mode 0600) and the client side of the query.
//! Never: blocks the daemon (replies are non-blocking; a client that cannot take one loses it).

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

/// The daemon's end.
pub struct Control {
    sock: UnixDatagram,
    path: PathBuf,
}

impl Control {
    /// Binds `path`. Fails when another daemon answers there (two daemons would fight over
    /// /dev/log); a dead socket file is replaced.
    pub fn bind(path: &Path) -> io::Result<Control> {
        match probe(path) {
            Probe::Alive => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{}: another logtrigger is running", path.display()),
                ));
            }
            Probe::Dead => {
                let _ = fs::remove_file(path);
            }
            Probe::Absent => {}
        }
        let ctx = |e: io::Error| crate::input::context(e, "bind", &path.display());
        let sock = UnixDatagram::bind(path).map_err(ctx)?;
        sock.set_nonblocking(true)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(ctx)?;
        Ok(Control {
            sock,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Answers every waiting request with `report(format)`.
    pub fn serve(&self, report: &mut dyn FnMut(Format) -> String) {
        let mut req = [0u8; 16];
        for _ in 0..16 {
            let Ok((n, from)) = self.sock.recv_from(&mut req) else {
                return;
            };
            let format = if req.get(..n).is_some_and(|r| r.starts_with(b"j")) {
                Format::Json
            } else {
                Format::Text
            };
            let text = report(format);
            if self.sock.send_to_addr(text.as_bytes(), &from).is_err() {
                let _ = self.sock.send_to_addr(b"status report too large\n", &from);
            }
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Asks the daemon listening at `path` for its report (the `status` sub-command).
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
    sock.send(if format == Format::Json { b"j" } else { b"t" })?;
    let mut buf = vec![0u8; 1 << 20];
    let n = sock.recv(&mut buf)?;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
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
}
