//! The command line grammar of SPEC §9, declared as argh types: one struct per command, one enum
//! of sub-commands. argh writes the `--help` texts from the doc comments below and the usage
//! errors.
//!
//! Owns: turning `argv` into a [`Command`]. Never: opens files or looks at option values beyond
//! `-D`'s number.

use std::path::PathBuf;

use argh::FromArgs;

use super::{DEFAULT_CONFIG, bans, check, parse, status, test};

/// What the command line asks for.
pub enum Command {
    /// No sub-command: run the daemon in the foreground.
    Daemon {
        config: PathBuf,
        debug: Option<u8>,
        dry_run: bool,
    },
    Version,
    Check(check::Args),
    Test(test::Args),
    Parse(parse::Args),
    Status(status::Args),
    Bans(bans::Command),
}

/// Why parsing stopped without a command: `--help` (print to stdout, exit 0) or a usage error
/// (print to stderr with a hint, exit 1).
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    Help(String),
    Usage(String),
}

#[derive(FromArgs)]
#[argh(help_triggers("-h", "--help", "help"))]
/// logtrigger: a programmable syslog receiver. Without a sub-command, runs the daemon in the
/// foreground.
struct Top {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "default_config()")]
    config: PathBuf,

    /// debug level to stderr: 1 triggers, 2 matches and environments, 3 rules tried, 5 counts
    /// and windows, 9 (or more) everything
    #[argh(option, short = 'D', from_str_fn(debug_level))]
    debug: Option<u8>,

    /// print the version and exit
    #[argh(switch, short = 'V')]
    version: bool,

    /// dry run: print the script and environment of each firing instead of running it (nothing
    /// is banned)
    #[argh(switch, short = 'n')]
    dry_run: bool,

    #[argh(subcommand)]
    command: Option<Sub>,
}

/// The sub-commands; each variant's type is its grammar.
#[derive(FromArgs)]
#[argh(subcommand)]
enum Sub {
    Check(CheckCmd),
    Test(TestCmd),
    Parse(ParseCmd),
    Status(StatusCmd),
    Bans(BansCmd),
    Ban(BanCmd),
    Unban(UnbanCmd),
    Addr(AddrCmd),
}

#[derive(FromArgs)]
#[argh(subcommand, name = "check", help_triggers("-h", "--help", "help"))]
/// Parse and compile the configuration; print each rule as understood.
struct CheckCmd {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "default_config()")]
    config: PathBuf,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "test", help_triggers("-h", "--help", "help"))]
/// Replay log lines (file lines or raw frames) through the rules.
struct TestCmd {
    /// configuration file (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "default_config()")]
    config: PathBuf,
    /// only this rule
    #[argh(option, short = 'r')]
    rule: Option<String>,
    /// an ad-hoc pattern instead of the configured rules
    #[argh(option, short = 'p')]
    pattern: Option<String>,
    /// field names for the ad-hoc pattern
    #[argh(option, short = 'f')]
    fields: Option<String>,
    /// one JSON object per match, then a summary object
    #[argh(switch)]
    json: bool,
    /// really run the scripts of firing rules
    #[argh(switch)]
    run: bool,
    /// input files (default or `-`: standard input)
    #[argh(positional)]
    files: Vec<String>,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "parse", help_triggers("-h", "--help", "help"))]
/// Print each input frame parsed, one JSON object per line.
struct ParseCmd {
    /// each input line is a frame's bytes in hex
    #[argh(switch)]
    hex: bool,
    /// input files (default or `-`: standard input)
    #[argh(positional)]
    files: Vec<String>,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "status", help_triggers("-h", "--help", "help"))]
/// Print the running daemon's counters.
struct StatusCmd {
    /// configuration file naming the control socket (default /etc/config/logtrigger)
    #[argh(option, short = 'c', default = "default_config()")]
    config: PathBuf,
    /// print JSON
    #[argh(switch)]
    json: bool,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "bans", help_triggers("-h", "--help", "help"))]
/// Show the bans: address, rule, remaining time, bantime, times banned.
struct BansCmd {
    /// one JSON object with the list of bans
    #[argh(switch)]
    json: bool,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "ban", help_triggers("-h", "--help", "help"))]
/// Ban an address by hand.
struct BanCmd {
    /// the address to ban
    #[argh(positional)]
    addr: String,
    /// for how long: seconds or 10m 2h 1d 1w (default 1h)
    #[argh(positional)]
    time: Option<String>,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "unban", help_triggers("-h", "--help", "help"))]
/// Lift one ban, or every ban with --all.
struct UnbanCmd {
    /// lift every ban
    #[argh(switch)]
    all: bool,
    /// the address to unban
    #[argh(positional)]
    addr: Option<String>,
}

#[derive(FromArgs)]
#[argh(subcommand, name = "addr", help_triggers("-h", "--help", "help"))]
/// Check values as bannable addresses (used by ipblock.sh).
struct AddrCmd {
    /// an unbracketed IPv6 value always ends in `:port` (dropbear's spelling)
    #[argh(switch)]
    port: bool,
    /// ban IPv6 addresses by this prefix length (1..=128)
    #[argh(option, from_str_fn(prefix6))]
    prefix6: Option<u8>,
    /// each value must be spelled exactly as it is printed (a saved file's entries)
    #[argh(switch)]
    exact: bool,
    /// accept an IPv6 network ADDR/LEN (an admin's ban by hand); a value from a log line never
    /// names one
    #[argh(switch)]
    net: bool,
    /// values to check: an address (`:port`, `[v6]`, `[v6]:port` allowed) or an IPv6 network
    #[argh(positional)]
    values: Vec<String>,
}

fn prefix6(v: &str) -> Result<u8, String> {
    v.parse::<u8>()
        .ok()
        .filter(|n| (1..=128).contains(n))
        .ok_or_else(|| "not 1..=128".to_string())
}

fn default_config() -> PathBuf {
    PathBuf::from(DEFAULT_CONFIG)
}

/// `-D N`: any number of digits; 9 and above mean everything (the seed manual's users type
/// `-D 999`).
fn debug_level(v: &str) -> Result<u8, String> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a number (0 quiet … 9 everything)".to_string());
    }
    let significant = v.trim_start_matches('0');
    Ok(match significant.len() {
        0 => 0,
        1 => significant.as_bytes()[0] - b'0',
        _ => 9,
    })
}

/// The options that take a value.
const TAKE_VALUES: &[&str] = &[
    "-c",
    "--config",
    "-D",
    "--debug",
    "-r",
    "--rule",
    "-p",
    "--pattern",
    "-f",
    "--fields",
];

/// Standard input on the command line: `-` (argh reads a lone `-` as an option, so it is passed
/// through as this path and turned back into `-` for the file arguments).
const STDIN: &str = "/dev/stdin";

/// Parses the arguments after the program name; `name` is the program's name for the help
/// texts.
pub fn parse(name: &str, args: impl IntoIterator<Item = String>) -> Result<Command, Stop> {
    let mut split: Vec<String> = Vec::new();
    let mut options_ended = false;
    for a in args {
        options_ended |= a == "--";
        // The value of an option is never split, whatever it looks like (`-p '--x=1'`).
        let is_value = split
            .last()
            .is_some_and(|p| TAKE_VALUES.contains(&p.as_str()));
        match a.split_once('=') {
            // `--config=FILE` as GNU tools take it (argh itself wants `--config FILE`).
            Some((name, value)) if !options_ended && !is_value && name.starts_with("--") => {
                split.push(name.to_string());
                split.push(value.to_string());
            }
            _ if a == "-" => split.push(STDIN.to_string()),
            _ => split.push(a),
        }
    }
    let args = split;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let top = Top::from_args(&[name], &args).map_err(|e| match e.status {
        Ok(()) => Stop::Help(e.output),
        Err(()) => Stop::Usage(e.output),
    })?;
    command(top)
}

fn command(top: Top) -> Result<Command, Stop> {
    if top.version {
        return Ok(Command::Version);
    }
    let files = |files: Vec<String>| -> Vec<String> {
        let stdin = |f: String| if f == STDIN { "-".to_string() } else { f };
        files.into_iter().map(stdin).collect()
    };
    let admin = |a: bans::Admin| Ok(Command::Bans(bans::Command::Admin(a)));
    Ok(match top.command {
        None => Command::Daemon {
            config: top.config,
            debug: top.debug,
            dry_run: top.dry_run,
        },
        Some(Sub::Check(c)) => Command::Check(check::Args { config: c.config }),
        Some(Sub::Test(t)) => Command::Test(test::Args {
            config: t.config,
            rule: t.rule,
            pattern: t.pattern,
            fields: t.fields,
            json: t.json,
            run: t.run,
            files: files(t.files),
        }),
        Some(Sub::Parse(p)) => Command::Parse(parse::Args {
            hex: p.hex,
            files: files(p.files),
        }),
        Some(Sub::Status(s)) => Command::Status(status::Args {
            config: s.config,
            json: s.json,
        }),
        Some(Sub::Bans(b)) => return admin(bans::Admin::List { json: b.json }),
        Some(Sub::Ban(b)) => {
            return admin(bans::Admin::Ban {
                addr: b.addr,
                time: b.time,
            });
        }
        Some(Sub::Unban(u)) => {
            if u.all == u.addr.is_some() {
                return Err(Stop::Usage(
                    "usage: logtrigger unban: an address or --all (see logtrigger unban --help)\n"
                        .to_string(),
                ));
            }
            return admin(bans::Admin::Unban { addr: u.addr });
        }
        Some(Sub::Addr(a)) => Command::Bans(bans::Command::Addr(bans::AddrArgs {
            port: a.port,
            prefix6: a.prefix6,
            exact: a.exact,
            net: a.net,
            values: a.values,
        })),
    })
}

/// The `--version` text.
pub fn version() -> String {
    format!("logtrigger {}\n", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(line: &str) -> Result<Command, Stop> {
        parse("logtrigger", line.split_whitespace().map(String::from))
    }

    fn error(line: &str) -> String {
        match run(line) {
            Err(Stop::Usage(text)) => text,
            _ => panic!("{line}: not a usage error"),
        }
    }

    fn help(line: &str) -> String {
        match run(line) {
            Err(Stop::Help(text)) => text,
            _ => panic!("{line}: not help"),
        }
    }

    #[test]
    fn daemon_and_sub_commands() {
        let Ok(Command::Daemon {
            config,
            debug,
            dry_run,
        }) = run("-D 5 --config /x")
        else {
            panic!("not the daemon");
        };
        assert_eq!(
            (config, debug, dry_run),
            (PathBuf::from("/x"), Some(5), false)
        );
        let Ok(Command::Daemon { dry_run, .. }) = run("--dry-run -D 1") else {
            panic!("not the daemon");
        };
        assert!(dry_run);
        let Ok(Command::Test(t)) = run("-c /top test a --json -r r -- --run -") else {
            panic!("not test");
        };
        assert_eq!(t.config, PathBuf::from(DEFAULT_CONFIG));
        assert_eq!((t.rule.as_deref(), t.json, t.run), (Some("r"), true, false));
        assert_eq!(t.files, ["a", "--run", "-"]);
        let Ok(Command::Status(s)) = run("status --json -c /c") else {
            panic!("not status");
        };
        assert!(s.json && s.config == Path::new("/c"));
        let Ok(Command::Check(c)) = run("check -c -") else {
            panic!("not check");
        };
        assert_eq!(c.config, Path::new("/dev/stdin"), "an option value `-`");
    }

    #[test]
    fn long_options_take_their_value_after_an_equals_sign() {
        let Ok(Command::Test(t)) = run("test --config=/x --rule=a=b -- --json=1") else {
            panic!("not test");
        };
        assert_eq!(t.config, Path::new("/x"));
        assert_eq!(t.rule.as_deref(), Some("a=b"));
        assert_eq!(t.files, ["--json=1"], "a file after --");
        assert!(!t.json);
        let Ok(Command::Test(t)) = run("test -p --x=1 --fields=a") else {
            panic!("not test");
        };
        assert_eq!(t.pattern.as_deref(), Some("--x=1"), "an option's value");
        assert_eq!(t.fields.as_deref(), Some("a"));
    }

    #[test]
    fn debug_takes_any_number() {
        for (v, want) in [
            ("0", 0),
            ("3", 3),
            ("9", 9),
            ("10", 9),
            ("999", 9),
            ("007", 7),
        ] {
            let Ok(Command::Daemon { debug, .. }) = run(&format!("-D {v}")) else {
                panic!("-D {v}");
            };
            assert_eq!(debug, Some(want), "-D {v}");
        }
        let Ok(Command::Daemon { debug, .. }) = run("-D 99999999999999999999999999") else {
            panic!("huge -D");
        };
        assert_eq!(debug, Some(9));
        assert_eq!(
            error("-D x"),
            "Error parsing option '-D' with value 'x': not a number (0 quiet … 9 everything)\n"
        );
    }

    #[test]
    fn version() {
        assert!(matches!(run("--version"), Ok(Command::Version)));
        assert!(matches!(run("-V"), Ok(Command::Version)));
        assert_eq!(
            super::version(),
            format!("logtrigger {}\n", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn an_empty_argument_is_a_file() {
        let args = |v: &[&str]| parse("logtrigger", v.iter().map(|s| s.to_string()));
        let Ok(Command::Parse(p)) = args(&["parse", ""]) else {
            panic!("not parse");
        };
        assert!(!p.hex);
        assert_eq!(p.files, [""]);
        let Ok(Command::Test(t)) = args(&["test", ""]) else {
            panic!("not test");
        };
        assert!(!t.json && !t.run);
        assert_eq!(t.files, [""]);
    }

    #[test]
    fn help_goes_to_the_deepest_command() {
        let top = help("--help");
        assert!(
            top.starts_with("Usage: logtrigger [-c <config>] [-D <debug>] [-V]"),
            "{top}"
        );
        for sub in ["check", "test", "parse", "status"] {
            assert!(top.contains(&format!("\n  {sub} ")), "{top}");
        }
        assert!(top.contains("-V, --version     print the version"), "{top}");
        assert!(help("help check").starts_with("Usage: logtrigger check [-c <config>]"));
        assert!(help("parse a --help").starts_with("Usage: logtrigger parse [--hex]"));
        assert!(help("test -h").contains("--run             really run the scripts"));
        assert!(matches!(run("parse -- --help"), Ok(Command::Parse(_))));
    }

    #[test]
    fn ban_commands() {
        use super::bans::{Admin, Command as B};
        let Ok(Command::Bans(B::Admin(Admin::List { json: true }))) = run("bans --json") else {
            panic!("bans");
        };
        let Ok(Command::Bans(B::Admin(Admin::Ban { addr, time }))) = run("ban 192.0.2.1 10m")
        else {
            panic!("ban");
        };
        assert_eq!((addr.as_str(), time.as_deref()), ("192.0.2.1", Some("10m")));
        assert!(matches!(
            run("unban --all"),
            Ok(Command::Bans(B::Admin(Admin::Unban { addr: None })))
        ));
        assert!(matches!(run("unban"), Err(Stop::Usage(_))));
        assert!(matches!(run("unban --all 192.0.2.1"), Err(Stop::Usage(_))));
        let Ok(Command::Bans(B::Addr(a))) = run("addr --prefix6=64 --port -- 2001:db8::1:22")
        else {
            panic!("addr");
        };
        assert_eq!((a.prefix6, a.port, a.exact), (Some(64), true, false));
        assert_eq!(a.values, ["2001:db8::1:22"]);
        assert_eq!(
            error("addr --prefix6 0 x"),
            "Error parsing option '--prefix6' with value '0': not 1..=128\n"
        );
    }

    #[test]
    fn usage_errors() {
        assert_eq!(error("-x"), "Unrecognized argument: -x\n");
        assert_eq!(error("check extra"), "Unrecognized argument: extra\n");
        assert_eq!(error("test -r"), "No value provided for option '-r'.\n");
        assert_eq!(
            error("-c a -c b"),
            "Error parsing option '-c' with value 'b': duplicate values provided\n"
        );
        assert_eq!(error("bogus"), "Unrecognized argument: bogus\n");
    }
}
