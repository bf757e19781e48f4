//! Opening the daemon's inputs and outputs from the configuration, and re-opening on reload
//! only what the new configuration changed.
//!
//! Owns: the set of open inputs and outputs ([`Io`]) and the errors that name what failed.
//! Never: runs on the per-message path, or re-takes `/dev/log` when only other settings changed.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::control::Control;
use super::log;
use crate::config::{Config, Global};
use crate::input::file::Files;
use crate::input::forward::Outbox;
use crate::input::kmsg::Kmsg;
use crate::input::udp::UdpInput;
use crate::input::unix::{UnixConfig, UnixInput};

/// Every input and output, rebuilt (in parts) on reload.
#[derive(Default)]
pub struct Io {
    pub unix: Option<UnixInput>,
    pub udp: Vec<UdpInput>,
    pub files: Option<Files>,
    pub kmsg: Option<Kmsg>,
    pub remotes: Vec<Outbox>,
    pub control: Option<Control>,
}

/// The rules' `file` options, deduplicated.
pub fn file_paths(cfg: &Config) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = Vec::new();
    for r in cfg.rules.iter().filter(|r| r.enabled) {
        if let Some(f) = &r.file
            && !v.contains(f)
        {
            v.push(f.clone());
        }
    }
    v
}

fn unix_config(g: &Global) -> Option<UnixConfig> {
    Some(UnixConfig {
        socket: g.socket.clone()?,
        takeover: g.takeover,
        forward: g.forward.clone(),
        max_message: g.max_message,
        forward_wait: Duration::from_millis(u64::from(g.forward_wait)),
    })
}

/// Whether `addr` is one of our own UDP inputs: sending there would loop every message forever.
fn own_input(udp: &[UdpInput], addr: &SocketAddr) -> bool {
    udp.iter().map(|u| u.local_addr()).any(|l| {
        l.port() == addr.port()
            && (l.ip() == addr.ip() || l.ip().is_unspecified() || addr.ip().is_loopback())
    })
}

pub(super) fn err(what: &str, e: &dyn fmt::Display) -> String {
    format!("{what}: {e}")
}

impl Io {
    fn open_unix(g: &Global) -> Result<Option<UnixInput>, String> {
        unix_config(g)
            .map(|c| UnixInput::open(c).map_err(|e| err("socket", &e)))
            .transpose()
    }

    fn open_udp(g: &Global) -> Result<Vec<UdpInput>, String> {
        // A plain loop: collecting into `Result<Vec<_>>` costs 2 KB of code on MIPS.
        let mut v = Vec::with_capacity(g.udp.len());
        for a in &g.udp {
            v.push(UdpInput::open(*a, g.rcvbuf, g.max_message).map_err(|e| e.to_string())?);
        }
        Ok(v)
    }

    fn open_remotes(g: &Global, udp: &[UdpInput]) -> Vec<Outbox> {
        let mut v = Vec::new();
        for addr in &g.forward_udp {
            if own_input(udp, addr) {
                log(format_args!(
                    "forward_udp {addr}: is this daemon's own UDP input; ignored"
                ));
                continue;
            }
            match Outbox::udp(*addr, g.max_message) {
                Ok(o) => v.push(o),
                Err(e) => log(format_args!("forward_udp {addr}: {e}")),
            }
        }
        v
    }

    /// Adds the collector `addr` that the `forward_udp` name `host` resolved to.
    pub fn add_remote(&mut self, host: &str, addr: SocketAddr, max_message: usize) {
        if own_input(&self.udp, &addr) {
            log(format_args!(
                "forward_udp {host} ({addr}): is this daemon's own UDP input; ignored"
            ));
            return;
        }
        let target = crate::input::forward::Target::Udp(addr);
        if self.remotes.iter().any(|o| *o.target() == target) {
            return;
        }
        match Outbox::udp(addr, max_message) {
            Ok(o) => self.remotes.push(o),
            Err(e) => log(format_args!("forward_udp {host} ({addr}): {e}")),
        }
    }

    fn open_files(paths: &[PathBuf], max_message: usize) -> Result<Option<Files>, String> {
        if paths.is_empty() {
            return Ok(None);
        }
        Files::open(paths, max_message)
            .map(Some)
            .map_err(|e| err("file", &e))
    }

    fn open_kmsg(g: &Global) -> Result<Option<Kmsg>, String> {
        if !g.kmsg {
            return Ok(None);
        }
        Kmsg::open(Path::new("/dev/kmsg"))
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn open_control(g: &Global) -> Result<Option<Control>, String> {
        g.control
            .as_deref()
            .map(|p| Control::bind(p).map_err(|e| err("control", &e)))
            .transpose()
    }

    pub fn open(g: &Global, files: &[PathBuf]) -> Result<Io, String> {
        // Control first: it refuses to start a second daemon before we touch /dev/log.
        let control = Io::open_control(g)?;
        let udp = Io::open_udp(g)?;
        Ok(Io {
            remotes: Io::open_remotes(g, &udp),
            udp,
            files: Io::open_files(files, g.max_message)?,
            kmsg: Io::open_kmsg(g)?,
            unix: Io::open_unix(g)?,
            control,
        })
    }

    /// Re-opens what the new configuration changed; keeps the rest (notably the takeover).
    pub fn reload(
        &mut self,
        (o, old_files): (&Global, &[PathBuf]),
        (n, new_files): (&Global, &[PathBuf]),
    ) -> Result<(), String> {
        // Compared in place (no clones). Without a socket on either side the other fields
        // may differ: reopening then just yields `None` again.
        if (&o.socket, o.takeover, &o.forward, o.max_message)
            != (&n.socket, n.takeover, &n.forward, n.max_message)
        {
            self.unix = None; // restores the old takeover first
            self.unix = Io::open_unix(n)?;
        }
        if let Some(u) = self.unix.as_mut() {
            // A new `forward_wait` alone does not re-take the socket.
            u.set_forward_wait(Duration::from_millis(u64::from(n.forward_wait)));
        }
        if (&o.udp, o.rcvbuf, o.max_message) != (&n.udp, n.rcvbuf, n.max_message) {
            self.udp.clear(); // frees the ports
            self.udp = Io::open_udp(n)?;
        }
        if (&o.forward_udp, &o.forward_hosts, o.max_message)
            != (&n.forward_udp, &n.forward_hosts, n.max_message)
        {
            self.remotes = Io::open_remotes(n, &self.udp);
        }
        if old_files != new_files || o.max_message != n.max_message {
            self.files = Io::open_files(new_files, n.max_message)?;
        }
        if o.kmsg != n.kmsg {
            self.kmsg = Io::open_kmsg(n)?;
        }
        if o.control != n.control {
            self.control = None;
            self.control = Io::open_control(n)?;
        }
        Ok(())
    }
}
