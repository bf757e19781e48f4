//! `logtrigger status [-c FILE] [--json]` (SPEC §9): ask the running daemon for its counters.

use argh::FromArgs;
use std::path::PathBuf;

/// Print the running daemon's counters.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "status")]
pub struct Args {
    /// configuration file naming the control socket (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "PathBuf::from(super::DEFAULT_CONFIG)")]
    pub config: PathBuf,
    /// print JSON
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> i32 {
    let _ = args;
    todo!()
}
