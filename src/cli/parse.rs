//! `logtrigger parse [--hex] [FILE…|-]` (SPEC §9): one JSON object per input frame.

use argh::FromArgs;

/// Print each input frame parsed, one JSON object per line.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "parse")]
pub struct Args {
    /// each input line is a frame's bytes in hex
    #[argh(switch)]
    pub hex: bool,
    /// input files (default or `-`: standard input)
    #[argh(positional)]
    pub files: Vec<String>,
}

pub fn run(args: Args) -> i32 {
    let _ = args;
    todo!()
}
