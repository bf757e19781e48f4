//! Where a message came from and who sent it (SPEC §2 Trust): the one description of an origin
//! shared by the configuration (`option source`), the pipeline (which rules a frame may reach)
//! and the actions (`LT_source`).
//!
//! Owns: the input kinds and their names, sets of them, a local sender's credentials and the
//! lookup of its executable in `/proc`.
//! Never: imports another module of the crate (it is the leaf the others share), allocates.

use std::fmt::Write as _;
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

/// Longest executable path looked at; a longer one is not trusted.
const EXE_MAX: usize = 255;

impl Cred {
    /// Root, or PID 1 (procd, which relays the stderr of the services it runs).
    pub fn is_system(&self) -> bool {
        self.uid == 0 || self.pid == 1
    }

    /// Whether the sending process is alive and runs the program `program`: its executable
    /// (`/proc/PID/exe`) is a file named `program` that only root can have put there (owned by
    /// root, in a directory owned by root, neither writable by group or others). A process
    /// chooses its own name (`prctl`, a copy of a binary), not where its executable is. A tag
    /// with an instance in parentheses names its program before them (OpenWrt runs OpenVPN as
    /// `openvpn(server)`). A process that has gone, or runs a deleted file, is not trusted.
    /// Stack buffers only: no allocation.
    pub fn is_named(&self, program: &[u8]) -> bool {
        let program = program.split(|&b| b == b'(').next().unwrap_or_default();
        let mut buf = [0u8; EXE_MAX + 1];
        let Some(exe) = self.exe(&mut buf) else {
            return false;
        };
        let (dir, name) = match exe.iter().rposition(|&b| b == b'/') {
            Some(0) => (&exe[..1], &exe[1..]),
            Some(i) => (&exe[..i], &exe[i + 1..]),
            None => return false,
        };
        !program.is_empty() && name == program && root_only(exe) && root_only(dir)
    }

    /// The target of `/proc/PID/exe`; `None` when the process is gone or the path is too long.
    fn exe<'b>(&self, buf: &'b mut [u8; EXE_MAX + 1]) -> Option<&'b [u8]> {
        let mut path = ProcPath::default();
        write!(path, "/proc/{}/exe\0", self.pid).ok()?;
        let path = std::ffi::CStr::from_bytes_with_nul(path.bytes()).ok()?;
        let n = crate::sys::fs::readlink(path, buf)?;
        // A target that filled the buffer may have been cut.
        (n > 0 && n <= EXE_MAX).then(|| &buf[..n])
    }
}

/// Whether the file at `path` is owned by root and writable by nobody else (no group or other
/// write bit). A short path becomes a C string on the stack inside std: no allocation.
fn root_only(path: &[u8]) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(Path::new(std::ffi::OsStr::from_bytes(path)))
        .is_ok_and(|m| m.uid() == 0 && m.mode() & 0o022 == 0)
}

/// A `/proc/PID/…` path, written on the stack.
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
    /// root, PID 1, or a live process running that program (installed by root).
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
        // This test binary runs from a file that root put in a directory of root's (the test
        // suite runs as root); anyone else's copy would not count.
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().as_bytes();
        let installed = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).is_ok_and(|m| m.uid() == 0 && m.mode() & 0o022 == 0)
        };
        // Under qemu-user (the cross tests) /proc/PID/exe is the emulator itself: not checked.
        let native = std::env::var_os("LT_CROSS").is_none();
        let by_root = installed(&exe) && installed(exe.parent().unwrap());
        if native {
            assert_eq!(Sender::Cred(own).may_speak_for(name), by_root);
        }
        assert!(!Sender::Cred(own).may_speak_for(b"dropbear"));
        // The process name alone (what prctl sets) is not what counts.
        let comm = std::fs::read("/proc/self/comm").unwrap();
        let comm = comm.strip_suffix(b"\n").unwrap();
        if comm != name {
            assert!(!Sender::Cred(own).may_speak_for(comm));
        }
        // An instance in parentheses is not part of the program name.
        let mut instance = name.to_vec();
        instance.extend_from_slice(b"(server)");
        if native {
            assert_eq!(Sender::Cred(own).may_speak_for(&instance), by_root);
        }
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
