//! Where a message came from and who sent it (SPEC §2 Trust): the one description of an origin
//! shared by the configuration (`option source`), the pipeline (which rules a frame may reach)
//! and the actions (`LT_source`).
//!
//! Owns: the input kinds and their names, sets of them, a local sender's credentials and the
//! lookup of its process name in `/proc`.
//! Never: imports another module of the crate (it is the leaf the others share), allocates.

use std::fmt::Write as _;
use std::io::Read;
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An input, as `option source` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Unix,
    Udp,
    File,
    Kmsg,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Unix,
        SourceKind::Udp,
        SourceKind::File,
        SourceKind::Kmsg,
    ];

    /// The name used by the rule option `source`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Unix => "unix",
            SourceKind::Udp => "udp",
            SourceKind::File => "file",
            SourceKind::Kmsg => "kmsg",
        }
    }

    /// The kind called `name` in `option source`.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of inputs: the `source` of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sources(u8);

impl Sources {
    /// No input at all.
    pub const NONE: Sources = Sources(0);
    /// A rule's default: the local inputs only (`unix file kmsg`). UDP frames can be forged by
    /// any host that reaches the port, so a rule takes them only when it names `udp`.
    pub const LOCAL: Sources = Sources(0b1101);

    pub fn with(self, kind: SourceKind) -> Sources {
        Sources(self.0 | kind.bit())
    }

    pub fn contains(self, kind: SourceKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set as one bit per [`SourceKind`] (`1 << kind as u8`).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The kinds in the set, in [`SourceKind::ALL`] order.
    pub fn kinds(self) -> impl Iterator<Item = SourceKind> {
        SourceKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

impl Default for Sources {
    fn default() -> Sources {
        Sources::LOCAL
    }
}

/// A local sender's credentials as the kernel vouches for them (SCM_CREDENTIALS): a process
/// cannot claim another's pid or uid without privileges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cred {
    pub pid: u32,
    pub uid: u32,
}

/// Bytes of a process name the kernel keeps (`TASK_COMM_LEN` - 1).
pub const COMM_MAX: usize = 15;

impl Cred {
    /// Root, or PID 1 (procd, which relays the stderr of the services it runs).
    pub fn is_system(&self) -> bool {
        self.uid == 0 || self.pid == 1
    }

    /// Whether the sending process is still alive and named `program` (`/proc/PID/comm`, which
    /// keeps the first [`COMM_MAX`] bytes of a name). A tag with an instance in parentheses
    /// names its process before them (OpenWrt runs OpenVPN as `openvpn(server)`: the process
    /// is `openvpn`). A process that has gone is not. Reads two small stack buffers: no
    /// allocation.
    pub fn is_named(&self, program: &[u8]) -> bool {
        let program = program.split(|&b| b == b'(').next().unwrap_or_default();
        let mut name = [0u8; 32];
        match self.comm(&mut name) {
            Some(comm) => !comm.is_empty() && comm == &program[..program.len().min(COMM_MAX)],
            None => false,
        }
    }

    /// The process name of `pid`, without its newline; `None` when the process is gone.
    fn comm<'b>(&self, buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
        let mut path = ProcPath::default();
        write!(path, "/proc/{}/comm", self.pid).ok()?;
        // A path this short is turned into a C string on the stack by std: no allocation.
        let mut file =
            std::fs::File::open(Path::new(std::ffi::OsStr::from_bytes(path.bytes()))).ok()?;
        let mut len = 0;
        while len < buf.len() {
            match file.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        let name = &buf[..len];
        Some(name.strip_suffix(b"\n").unwrap_or(name))
    }
}

/// A `/proc/PID/comm` path, written on the stack.
#[derive(Default)]
struct ProcPath {
    buf: [u8; 32],
    len: usize,
}

impl ProcPath {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for ProcPath {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Who wrote a local frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// The kernel's credentials of the sending process.
    Cred(Cred),
    /// No credentials came with the frame: trusted by no rule with `program`.
    Unknown,
    /// A line replayed from a log (`logtrigger test`): the logger accepted it from a sender
    /// nobody can check any more; taken as trusted so that a replay shows what rules do.
    Replayed,
}

impl Sender {
    /// Whether a frame from this sender may count for a rule watching `program` (SPEC §2):
    /// root, PID 1, or a live process of that name.
    pub fn may_speak_for(&self, program: &[u8]) -> bool {
        match self {
            Sender::Cred(c) => c.is_system() || c.is_named(program),
            Sender::Unknown => false,
            Sender::Replayed => true,
        }
    }
}

/// Where a frame came from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// The local socket, with its sender.
    Unix(Sender),
    /// A UDP datagram from this address.
    Udp(SocketAddr),
    /// A line appended to this file.
    File(&'a Path),
    /// A kernel message.
    Kmsg,
}

impl Source<'_> {
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Unix(_) => SourceKind::Unix,
            Source::Udp(_) => SourceKind::Udp,
            Source::File(_) => SourceKind::File,
            Source::Kmsg => SourceKind::Kmsg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sources_are_local() {
        let d = Sources::default();
        assert!(d.contains(SourceKind::Unix));
        assert!(d.contains(SourceKind::File));
        assert!(d.contains(SourceKind::Kmsg));
        assert!(!d.contains(SourceKind::Udp));
        let names: Vec<_> = d.kinds().map(SourceKind::as_str).collect();
        assert_eq!(names, ["unix", "file", "kmsg"]);
        assert!(
            Sources::NONE
                .with(SourceKind::Udp)
                .contains(SourceKind::Udp)
        );
        assert_eq!(SourceKind::from_name("udp"), Some(SourceKind::Udp));
        assert_eq!(SourceKind::from_name("tcp"), None);
    }

    #[test]
    fn senders() {
        let me = std::process::id();
        let uid = 65534;
        let own = Cred { pid: me, uid };
        // This test binary's name, as the kernel keeps it.
        let comm = std::fs::read("/proc/self/comm").unwrap();
        let comm = comm.strip_suffix(b"\n").unwrap();
        assert!(Sender::Cred(own).may_speak_for(comm));
        assert!(!Sender::Cred(own).may_speak_for(b"dropbear"));
        // A name longer than the kernel keeps is compared on its first 15 bytes.
        let mut long = comm.to_vec();
        if long.len() == COMM_MAX {
            long.extend_from_slice(b"-and-more");
            assert!(Sender::Cred(own).may_speak_for(&long));
        }
        // An instance in parentheses is not part of the process name.
        let mut instance = comm[..comm.len().min(COMM_MAX)].to_vec();
        instance.extend_from_slice(b"(server)");
        assert!(Sender::Cred(own).may_speak_for(&instance));
        assert!(!Sender::Cred(own).may_speak_for(b"(server)"));
        let root = Cred { pid: me, uid: 0 };
        assert!(Sender::Cred(root).may_speak_for(b"dropbear"));
        let procd = Cred { pid: 1, uid };
        assert!(Sender::Cred(procd).may_speak_for(b"uhttpd"));
        // A pid that cannot exist (above the kernel's pid_max limit) has no name.
        let gone = Cred { pid: 1 << 23, uid };
        assert!(!Sender::Cred(gone).may_speak_for(b"dropbear"));
        assert!(!Sender::Unknown.may_speak_for(b"dropbear"));
        assert!(Sender::Replayed.may_speak_for(b"dropbear"));
    }
}
