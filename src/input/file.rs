//! Tailed files (SPEC §2): lines appended to the files named by rules.
//!
//! One inotify instance watches the parent directory of every file (so a file that appears
//! later, a rename for rotation, and writes are all seen). On any event every file is re-checked:
//! a new inode means rotation (the rest of the old file is read, then the new one from its
//! start), a size below our offset means truncation (read again from 0).
//!
//! A path is opened only when it names a regular file: it is opened with `O_NOFOLLOW` and
//! `O_NONBLOCK` and checked with `fstat`, so a FIFO cannot block the daemon and a symlink to
//! `/dev/zero` cannot make it spin. Anything else is reported once and tried again on the next
//! event in its directory. One turn reads at most [`TURN_BYTES`] per file; a file with more
//! waiting keeps the pollable fd readable (an eventfd beside the inotify fd in one epoll set),
//! so the loop comes back to it after serving the other inputs.
//!
//! Owns: the open files, their offsets and partial-line buffers.
//! Never: re-reads history (files that exist at start are read from their end), blocks, follows
//! a symlink, reads anything but a regular file, or allocates per line (buffers are sized at
//! open).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::RawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::InputStats;
use super::sys::Inotify;
use crate::sys::fd::{self as sysfd, Epoll, EventFd};

/// Bytes read from one file per turn of the loop at most.
pub const TURN_BYTES: usize = 64 * 1024;

/// Bytes read per `read` call.
const CHUNK: usize = 8192;

/// One followed file.
struct Tail {
    path: PathBuf,
    file: Option<File>,
    inode: u64,
    offset: u64,
    /// Bytes of a line not yet terminated by `\n`.
    partial: Vec<u8>,
    /// The path names something other than a regular file (reported once per change).
    refused: bool,
    /// The last turn stopped at [`TURN_BYTES`] with more to read.
    backlog: bool,
    stats: InputStats,
}

/// All tailed files.
pub struct Files {
    inotify: Inotify,
    /// Readable while some file has a backlog.
    more: EventFd,
    /// Holds `inotify` and `more`: the one fd the loop polls.
    set: Epoll,
    tails: Vec<Tail>,
    max_message: usize,
    chunk: Vec<u8>,
}

/// What a path names now.
enum Kind {
    Absent,
    Regular(fs::Metadata),
    /// A symlink, FIFO, device, socket or directory: never opened.
    Other(&'static str),
}

fn kind(path: &Path) -> Kind {
    let Ok(m) = fs::symlink_metadata(path) else {
        return Kind::Absent;
    };
    let t = m.file_type();
    if t.is_file() {
        return Kind::Regular(m);
    }
    use std::os::unix::fs::FileTypeExt;
    Kind::Other(if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    })
}

/// Opens `path` for reading without following a symlink and without blocking, and checks
/// (on the open file, so a swap after the `lstat` is caught) that it is a regular file.
fn open_regular(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if f.metadata()?.file_type().is_file() {
        Ok(f)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

/// The whole content of the regular file at `path` (a symlink to one is fine). Anything else
/// is an error at once: reading a FIFO would block until a writer came, which on a reload would
/// stall the daemon's loop.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !f.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut text = Vec::new();
    f.read_to_end(&mut text)?;
    Ok(text)
}

impl Files {
    /// Starts following `paths` from their current end (files that do not exist yet are read
    /// from their start once they appear).
    pub fn open(paths: &[PathBuf], max_message: usize) -> io::Result<Files> {
        let inotify = Inotify::new()?;
        let more = EventFd::new()?;
        let set = Epoll::new()?;
        set.add(inotify.fd())?;
        set.add(more.fd())?;
        let max_message = max_message.max(1);
        let mut tails = Vec::with_capacity(paths.len());
        for path in paths {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let events = libc::IN_CREATE
                | libc::IN_MODIFY
                | libc::IN_MOVED_TO
                | libc::IN_MOVED_FROM
                | libc::IN_DELETE
                | libc::IN_CLOSE_WRITE;
            inotify
                .watch(dir, events)
                .map_err(|e| super::context(e, "watch", &dir.display()))?;
            let mut tail = Tail {
                path: path.clone(),
                file: None,
                inode: 0,
                offset: 0,
                partial: Vec::with_capacity(max_message + 1),
                refused: false,
                backlog: false,
                stats: InputStats::default(),
            };
            if tail.admit()
                && let Ok(mut f) = open_regular(path)
            {
                tail.offset = f.seek(SeekFrom::End(0))?;
                tail.inode = f.metadata()?.ino();
                tail.file = Some(f);
            }
            tails.push(tail);
        }
        Ok(Files {
            inotify,
            more,
            set,
            tails,
            max_message,
            chunk: vec![0; CHUNK],
        })
    }

    /// The fd to poll for reading (readable on a change in a watched directory, or while a
    /// file has more to read than one turn takes).
    pub fn fd(&self) -> RawFd {
        self.set.fd()
    }

    /// Counters per file.
    pub fn stats(&self) -> impl Iterator<Item = (&Path, &InputStats)> {
        self.tails.iter().map(|t| (t.path.as_path(), &t.stats))
    }

    /// Call when the fd is readable: reads new complete lines of every file (at most
    /// [`TURN_BYTES`] per file) and hands each (without its `\n`) to `f` with the file's path.
    pub fn service(&mut self, f: &mut dyn FnMut(&[u8], &Path)) {
        sysfd::drain(self.inotify.fd());
        self.more.clear();
        let mut backlog = false;
        for tail in &mut self.tails {
            tail.check(&mut self.chunk, self.max_message, f);
            backlog |= tail.backlog;
        }
        if backlog {
            self.more.raise();
        }
    }
}

impl Tail {
    /// Whether the path may be opened now; reports (once per change) a path that names
    /// anything but a regular file.
    fn admit(&mut self) -> bool {
        match kind(&self.path) {
            Kind::Regular(_) | Kind::Absent => {
                self.refused = false;
                true
            }
            Kind::Other(what) => {
                if !self.refused {
                    self.stats.errors += 1;
                    // Written here rather than through the daemon's log: inputs sit below the
                    // daemon and import nothing from it.
                    let _ = std::io::Write::write_fmt(
                        &mut std::io::stderr().lock(),
                        format_args!(
                            "logtrigger: file {}: is {what}, not a regular file; not read (tried again when it changes)\n",
                            self.path.display()
                        ),
                    );
                }
                self.refused = true;
                false
            }
        }
    }

    fn check(&mut self, chunk: &mut [u8], max: usize, f: &mut dyn FnMut(&[u8], &Path)) {
        let mut budget = TURN_BYTES;
        if self.backlog {
            // Finish what a previous turn left before looking for rotation: the rest of a
            // rotated-away file is still ours to read.
            self.read_new(chunk, max, &mut budget, f);
            if self.backlog {
                return;
            }
        }
        let now = match kind(&self.path) {
            Kind::Regular(m) => Some(m),
            Kind::Absent => None,
            Kind::Other(_) => {
                self.admit();
                None
            }
        };
        let rotated = match &now {
            Some(m) => m.ino() != self.inode || self.file.is_none(),
            None => false,
        };
        if rotated {
            // Finish the old file (a writer may have appended just before the rename).
            self.read_new(chunk, max, &mut budget, f);
            if self.backlog {
                return;
            }
            self.flush_partial(f);
            self.refused = false;
            self.file = open_regular(&self.path).ok();
            self.inode = self
                .file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .map_or(0, |m| m.ino());
            self.offset = 0;
        } else if now.as_ref().is_some_and(|m| m.len() < self.offset) {
            // Truncated: the old partial line is gone with the content.
            self.partial.clear();
            self.offset = 0;
            if let Some(file) = self.file.as_mut() {
                let _ = file.seek(SeekFrom::Start(0));
            }
        }
        self.read_new(chunk, max, &mut budget, f);
    }

    /// Reads what was appended, taking at most `budget` bytes from it; sets `backlog` when the
    /// budget ran out before the end of the file.
    fn read_new(
        &mut self,
        chunk: &mut [u8],
        max: usize,
        budget: &mut usize,
        f: &mut dyn FnMut(&[u8], &Path),
    ) {
        self.backlog = false;
        let Some(file) = self.file.as_mut() else {
            return;
        };
        while *budget > 0 {
            let want = chunk.len().min(*budget);
            let n = match file.read(&mut chunk[..want]) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.stats.errors += 1;
                    return;
                }
            };
            *budget -= n;
            self.offset += n as u64;
            let data = chunk.get(..n).unwrap_or(&[]);
            split_lines(data, &mut self.partial, max, &mut self.stats, &self.path, f);
        }
        self.backlog = true;
    }

    fn flush_partial(&mut self, f: &mut dyn FnMut(&[u8], &Path)) {
        if !self.partial.is_empty() {
            self.stats.received += 1;
            f(&self.partial, &self.path);
            self.partial.clear();
        }
    }
}

/// Appends `data` to the partial line and emits every complete line; a line longer than `max`
/// is emitted cut at `max` (counted as truncated) and its rest skipped up to the next `\n`.
fn split_lines(
    mut data: &[u8],
    partial: &mut Vec<u8>,
    max: usize,
    stats: &mut InputStats,
    path: &Path,
    f: &mut dyn FnMut(&[u8], &Path),
) {
    while !data.is_empty() {
        let (line, rest, complete) = match memchr::memchr(b'\n', data) {
            Some(i) => (&data[..i], &data[i + 1..], true),
            None => (data, &[][..], false),
        };
        let room = max.saturating_sub(partial.len());
        let overflow = line.len() > room;
        let skipping = partial.len() > max; // a cut line whose rest is being skipped
        if !skipping {
            partial.extend_from_slice(&line[..line.len().min(room)]);
        }
        if overflow && !skipping {
            stats.received += 1;
            stats.truncated += 1;
            f(partial, path);
            // Mark "skip until newline" with one extra byte beyond max.
            partial.clear();
            partial.resize(max + 1, 0);
        }
        if complete {
            if partial.len() <= max {
                stats.received += 1;
                f(partial, path);
            }
            partial.clear();
        }
        data = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]], max: usize) -> (Vec<Vec<u8>>, InputStats) {
        let mut out = Vec::new();
        let mut partial = Vec::with_capacity(max);
        let mut stats = InputStats::default();
        for c in chunks {
            split_lines(
                c,
                &mut partial,
                max,
                &mut stats,
                Path::new("x"),
                &mut |l, _| out.push(l.to_vec()),
            );
        }
        (out, stats)
    }

    #[test]
    fn lines_across_chunks() {
        let (out, s) = lines(&[b"ab", b"c\nde", b"f\n\ng"], 100);
        assert_eq!(out, vec![b"abc".to_vec(), b"def".to_vec(), b"".to_vec()]);
        assert_eq!(s.received, 3);
    }

    #[test]
    fn long_line_is_cut_once() {
        let (out, s) = lines(&[b"0123456789", b"abc\nok\n"], 4);
        assert_eq!(out, vec![b"0123".to_vec(), b"ok".to_vec()]);
        assert_eq!(s.truncated, 1);
        // The partial buffer never grows beyond max + 1.
    }
}
