//! `logtrigger check [-c FILE]` (SPEC §9): parse and compile, print each rule as understood.

use argh::FromArgs;
use std::path::PathBuf;

/// Parse and compile the configuration; print each rule as understood.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "check")]
pub struct Args {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "PathBuf::from(super::DEFAULT_CONFIG)")]
    pub config: PathBuf,
}

pub fn run(args: Args) -> i32 {
    let _ = args;
    todo!()
}
