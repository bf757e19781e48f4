//! The daemon: one poll loop over the inputs, signals, the control socket and running scripts.

use std::path::Path;

/// Runs the daemon in the foreground until SIGTERM/SIGINT; returns the exit code.
pub fn run(config: &Path, debug: Option<u8>) -> i32 {
    let _ = (config, debug);
    todo!()
}
