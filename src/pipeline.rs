//! The per-message path shared by the daemon and `logtrigger test`: parse → subject → match →
//! count, reporting every match to the caller.
//!
//! Owns: rule filters (`program`, `source`, `file`, own messages), key building, `ignoreip`,
//! and the trackers of the rules (kept across reloads for unchanged rules).
//! Never: allocates per message after warm-up, runs scripts (the caller does, on a fired hit).

use std::net::SocketAddr;
use std::path::Path;

use crate::config::SourceKind;

/// Where a frame came from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Unix,
    Udp(SocketAddr),
    File(&'a Path),
    Kmsg,
}

impl Source<'_> {
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Unix => SourceKind::Unix,
            Source::Udp(_) => SourceKind::Udp,
            Source::File(_) => SourceKind::File,
            Source::Kmsg => SourceKind::Kmsg,
        }
    }
}
