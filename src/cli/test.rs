//! `logtrigger test` (SPEC §9): replay log lines through the rules, like `fail2ban-regex`.

use argh::FromArgs;
use std::path::PathBuf;

/// Replay log lines (file lines or raw frames) through the rules.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "test")]
pub struct Args {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "PathBuf::from(super::DEFAULT_CONFIG)")]
    pub config: PathBuf,
    /// only this rule
    #[argh(option, short = 'r')]
    pub rule: Option<String>,
    /// an ad-hoc pattern instead of the configured rules
    #[argh(option, short = 'p')]
    pub pattern: Option<String>,
    /// field names for the ad-hoc pattern
    #[argh(option, short = 'f')]
    pub fields: Option<String>,
    /// one JSON object per match, then a summary object
    #[argh(switch)]
    pub json: bool,
    /// really run the scripts of firing rules
    #[argh(switch)]
    pub run: bool,
    /// input files (default or `-`: standard input)
    #[argh(positional)]
    pub files: Vec<String>,
}

pub fn run(args: Args) -> i32 {
    let _ = args;
    todo!()
}
