//! Tailed files (SPEC §2): lines appended to the files named by rules.
//!
//! One inotify instance watches the parent directory of every file (so a file that appears
//! later, a rename for rotation, and writes are all seen). On any event every file is re-checked:
//! a new inode means rotation (the rest of the old file is read, then the new one from its
//! start), a size below our offset means truncation (read again from 0).
//!
//! Owns: the open files, their offsets and partial-line buffers.
//! Never: re-reads history (files that exist at start are read from their end), blocks, or
//! allocates per line (buffers are sized at open).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::RawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::InputStats;
use super::sys::Inotify;

/// One followed file.
struct Tail {
    path: PathBuf,
    file: Option<File>,
    inode: u64,
    offset: u64,
    /// Bytes of a line not yet terminated by `\n`.
    partial: Vec<u8>,
    stats: InputStats,
}

/// All tailed files.
pub struct Files {
    inotify: Inotify,
    tails: Vec<Tail>,
    max_message: usize,
    chunk: Vec<u8>,
}

impl Files {
    /// Starts following `paths` from their current end (files that do not exist yet are read
    /// from their start once they appear).
    pub fn open(paths: &[PathBuf], max_message: usize) -> io::Result<Files> {
        let inotify = Inotify::new()?;
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
                stats: InputStats::default(),
            };
            if let Ok(mut f) = File::open(path) {
                tail.offset = f.seek(SeekFrom::End(0))?;
                tail.inode = f.metadata()?.ino();
                tail.file = Some(f);
            }
            tails.push(tail);
        }
        Ok(Files {
            inotify,
            tails,
            max_message,
            chunk: vec![0; 8192],
        })
    }

    /// The inotify fd to poll for reading.
    pub fn fd(&self) -> RawFd {
        self.inotify.fd()
    }

    /// Counters per file.
    pub fn stats(&self) -> impl Iterator<Item = (&Path, &InputStats)> {
        self.tails.iter().map(|t| (t.path.as_path(), &t.stats))
    }

    /// Call when the inotify fd is readable: reads every new complete line of every file and
    /// hands it (without its `\n`) to `f` with the file's path.
    pub fn service(&mut self, f: &mut dyn FnMut(&[u8], &Path)) {
        super::drain(self.inotify.fd());
        for tail in &mut self.tails {
            tail.check(&mut self.chunk, self.max_message, f);
        }
    }
}

impl Tail {
    fn check(&mut self, chunk: &mut [u8], max: usize, f: &mut dyn FnMut(&[u8], &Path)) {
        let now = fs::metadata(&self.path).ok();
        let rotated = match &now {
            Some(m) => m.ino() != self.inode || self.file.is_none(),
            None => false,
        };
        if rotated {
            // Finish the old file (a writer may have appended just before the rename).
            self.read_new(chunk, max, f);
            self.flush_partial(f);
            self.file = File::open(&self.path).ok();
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
        self.read_new(chunk, max, f);
    }

    fn read_new(&mut self, chunk: &mut [u8], max: usize, f: &mut dyn FnMut(&[u8], &Path)) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        loop {
            let n = match file.read(chunk) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.stats.errors += 1;
                    return;
                }
            };
            self.offset += n as u64;
            let data = chunk.get(..n).unwrap_or(&[]);
            split_lines(data, &mut self.partial, max, &mut self.stats, &self.path, f);
        }
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
