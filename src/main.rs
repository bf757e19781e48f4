//! Command line (SPEC §9): wires the sub-commands to their modules.

use argh::FromArgs;
use logtrigger::{cli, daemon};
use std::path::PathBuf;

/// logtrigger: a programmable syslog receiver. Without a sub-command, runs the daemon in the
/// foreground.
#[derive(FromArgs)]
struct Args {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "PathBuf::from(cli::DEFAULT_CONFIG)")]
    config: PathBuf,
    /// debug level to stderr: 1 triggers, 2 matches and environments, 3 rules tried,
    /// 5 counts and windows, 9 everything
    #[argh(option, short = 'D')]
    debug: Option<u8>,
    #[argh(subcommand)]
    command: Option<Command>,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Command {
    Check(cli::check::Args),
    Test(cli::test::Args),
    Parse(cli::parse::Args),
    Status(cli::status::Args),
}

fn main() {
    let args = parse_args();
    let code = match args.command {
        None => daemon::run(&args.config, args.debug),
        Some(Command::Check(a)) => cli::check::run(a),
        Some(Command::Test(a)) => cli::test::run(a),
        Some(Command::Parse(a)) => cli::parse::run(a),
        Some(Command::Status(a)) => cli::status::run(a),
    };
    std::process::exit(code);
}

/// Like `argh::from_env`, but a lone `-` (standard input, which argh would take for a flag) is
/// passed on as `/dev/stdin`.
fn parse_args() -> Args {
    let all: Vec<String> = std::env::args().collect();
    let all: Vec<&str> = all
        .iter()
        .map(|a| if a == "-" { "/dev/stdin" } else { a.as_str() })
        .collect();
    let name = all
        .first()
        .map_or("logtrigger", |a| a.rsplit('/').next().unwrap_or(a));
    Args::from_args(&[name], all.get(1..).unwrap_or_default()).unwrap_or_else(|exit| {
        match exit.status {
            Ok(()) => println!("{}", exit.output),
            Err(()) => eprintln!("{}\nRun {name} --help for more information.", exit.output),
        }
        std::process::exit(exit.status.map_or(1, |()| 0))
    })
}
