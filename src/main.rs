//! Command line (SPEC §9): wires the sub-commands to their modules.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::io::Write;

use logtrigger::cli::{self, args::Command, args::Stop};
use logtrigger::daemon;

fn main() {
    let mut argv = std::env::args();
    let name = argv.next();
    let name = name
        .as_deref()
        .map_or("logtrigger", |a| a.rsplit('/').next().unwrap_or(a));
    let command = cli::args::parse(name, argv).unwrap_or_else(|stop| {
        match stop {
            Stop::Help(text) => cli::print(format!("{text}\n").as_bytes()),
            Stop::Usage(text) => {
                // Not eprintln!: with the router's immediate-abort panics a closed stderr
                // would turn a usage error into SIGTRAP instead of exit code 1.
                let _ = writeln!(
                    std::io::stderr(),
                    "{text}\nRun {name} --help for more information."
                );
                std::process::exit(1)
            }
        }
        std::process::exit(0)
    });
    let code = match command {
        Command::Daemon {
            config,
            debug,
            dry_run,
        } => daemon::run(&config, debug, dry_run),
        Command::Version => {
            cli::print(cli::args::version().as_bytes());
            0
        }
        Command::Check(a) => cli::check::run(a),
        Command::Test(a) => cli::test::run(a),
        Command::Parse(a) => cli::parse::run(a),
        Command::Status(a) => cli::status::run(a),
        Command::Bans(c) => cli::bans::run(c),
    };
    std::process::exit(code);
}
