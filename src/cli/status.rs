//! `logtrigger status [-c FILE] [--json]` (SPEC §9): ask the running daemon for its counters.
//!
//! Owns: finding the control socket (from the config, else the default) and printing the reply.
//! Never: changes the daemon's state.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, uci};
use crate::daemon::control::{Format, query};

/// The control socket when the config cannot be read.
const DEFAULT_CONTROL: &str = "/var/run/logtrigger.sock";

/// Print the running daemon's counters.
pub struct Args {
    /// configuration file naming the control socket (default /etc/config/logtrigger)
    pub config: PathBuf,
    /// print JSON
    pub json: bool,
}

pub fn run(args: Args) -> i32 {
    // A config being edited may be broken while the daemon still runs the old one: fall back
    // to the default socket rather than refuse to answer.
    let control = match Config::load(&args.config) {
        Ok(c) => match c.global.control {
            Some(p) => p,
            None => {
                eprintln!(
                    "logtrigger: the control socket is turned off ('none') in {}",
                    args.config.display()
                );
                return 2;
            }
        },
        Err(e) => match lenient_control(&args.config) {
            Some(p) => {
                eprintln!(
                    "logtrigger: {e} (asking the daemon on {} anyway)",
                    p.display()
                );
                p
            }
            None => {
                eprintln!("logtrigger: {e} (trying {DEFAULT_CONTROL})");
                PathBuf::from(DEFAULT_CONTROL)
            }
        },
    };
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    match query(&control, format, Duration::from_secs(5)) {
        Ok(text) => {
            super::print(text.as_bytes());
            if args.json {
                super::print(b"\n");
            }
            0
        }
        Err(e) => {
            eprintln!(
                "logtrigger: no daemon answers on {}: {e} (is logtrigger running?)",
                control.display()
            );
            2
        }
    }
}

/// The `control` option of a file that does not validate (e.g. a reload was refused): read with
/// the UCI syntax only, so the operator can still ask the daemon that runs the old config.
fn lenient_control(path: &std::path::Path) -> Option<PathBuf> {
    let doc = uci::parse(&crate::input::file::read_regular(path).ok()?).ok()?;
    let global = doc.sections.iter().find(|s| s.kind == "logtrigger")?;
    match &global.get("control")?.value {
        uci::Value::Single(v) if v != "none" && !v.is_empty() => Some(PathBuf::from(v)),
        _ => None,
    }
}
