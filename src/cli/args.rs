//! The command line grammar of SPEC §9, parsed by hand (a derive-based parser cost ~10 KB of the
//! router binary).
//!
//! Owns: turning `argv` into a [`Command`], the `--help` texts and the usage errors. The texts and
//! errors are those the binary always printed (argh's wording). Never: opens files or looks at
//! option values beyond `-D`'s number.

use std::path::PathBuf;

use super::{DEFAULT_CONFIG, bans, check, parse, status, test};

/// What the command line asks for.
pub enum Command {
    /// No sub-command: run the daemon in the foreground.
    Daemon {
        config: PathBuf,
        debug: Option<u8>,
    },
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
    Help(&'static str),
    Usage(String),
}

/// One option: its short and long spelling and whether it takes a value (else it is a switch).
struct Flag(&'static str, &'static str, bool);

/// A command's grammar: its options, whether it takes file arguments, and its help text.
struct Spec {
    flags: &'static [Flag],
    files: bool,
    help: &'static str,
}

const CONFIG: Flag = Flag("-c", "--config", true);

const TOP: Spec = Spec {
    flags: &[CONFIG, Flag("-D", "--debug", true)],
    files: false,
    help: HELP_TOP,
};
const CHECK: Spec = Spec {
    flags: &[CONFIG],
    files: false,
    help: HELP_CHECK,
};
const TEST: Spec = Spec {
    flags: &[
        CONFIG,
        Flag("-r", "--rule", true),
        Flag("-p", "--pattern", true),
        Flag("-f", "--fields", true),
        Flag("", "--json", false),
        Flag("", "--run", false),
    ],
    files: true,
    help: HELP_TEST,
};
const PARSE: Spec = Spec {
    flags: &[Flag("", "--hex", false)],
    files: true,
    help: HELP_PARSE,
};
const STATUS: Spec = Spec {
    flags: &[CONFIG, Flag("", "--json", false)],
    files: false,
    help: HELP_STATUS,
};

/// What one command's arguments held: per flag its value (`Some("")` for a given switch), the
/// file arguments, and the sub-command name where the top level stopped.
struct Found {
    values: Vec<Option<String>>,
    files: Vec<String>,
    sub: Option<&'static str>,
}

impl Found {
    fn take(&mut self, i: usize) -> Option<String> {
        self.values[i].take()
    }

    fn config(&mut self) -> PathBuf {
        PathBuf::from(self.take(0).unwrap_or_else(|| DEFAULT_CONFIG.into()))
    }

    fn switch(&self, i: usize) -> bool {
        self.values[i].is_some()
    }
}

/// Parses the arguments after the program name. A lone `-` stands for standard input and is
/// passed on as `/dev/stdin`, as an option value too.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, Stop> {
    let mut args = args
        .into_iter()
        .map(|a| if a == "-" { "/dev/stdin".into() } else { a });
    let mut help = false;
    let mut top = level(&TOP, &mut args, &mut help, true)?;
    let debug = match top.take(1) {
        None => None,
        Some(v) => Some(v.parse::<u8>().map_err(|e| {
            Stop::Usage(format!("Error parsing option '-D' with value '{v}': {e}\n"))
        })?),
    };
    if let Some(name) = top.sub.filter(|n| bans::NAMES.contains(n)) {
        let rest: Vec<String> = args.collect();
        return match bans::parse_args(name, &rest) {
            Ok(Some(c)) if !help => Ok(Command::Bans(c)),
            Ok(_) => Err(Stop::Help(bans::HELP)),
            Err(e) => usage(e),
        };
    }
    let (spec, mut found) = match top.sub {
        None => (&TOP, None),
        Some(name) => {
            let spec = match name {
                "check" => &CHECK,
                "test" => &TEST,
                "parse" => &PARSE,
                _ => &STATUS,
            };
            (spec, Some(level(spec, &mut args, &mut help, false)?))
        }
    };
    if help {
        return Err(Stop::Help(spec.help));
    }
    let Some(f) = &mut found else {
        return Ok(Command::Daemon {
            config: top.config(),
            debug,
        });
    };
    let files = std::mem::take(&mut f.files);
    Ok(match top.sub {
        Some("check") => Command::Check(check::Args { config: f.config() }),
        Some("test") => Command::Test(test::Args {
            config: f.config(),
            rule: f.take(1),
            pattern: f.take(2),
            fields: f.take(3),
            json: f.switch(4),
            run: f.switch(5),
            files,
        }),
        Some("parse") => Command::Parse(parse::Args {
            hex: f.switch(0),
            files,
        }),
        _ => Command::Status(status::Args {
            json: f.switch(1),
            config: f.config(),
        }),
    })
}

/// Reads one command's arguments; at the top level (`subs`) it stops at a sub-command name.
/// `help` is set by `--help` or `help` anywhere (outside files after `--`).
fn level(
    spec: &Spec,
    args: &mut impl Iterator<Item = String>,
    help: &mut bool,
    subs: bool,
) -> Result<Found, Stop> {
    let mut found = Found {
        values: vec![None; spec.flags.len()],
        files: Vec::new(),
        sub: None,
    };
    let mut only_files = false;
    while let Some(arg) = args.next() {
        if !only_files && (arg == "--help" || arg == "help") {
            *help = true;
            continue;
        }
        if !only_files && arg == "--" {
            only_files = true;
            continue;
        }
        // A flag without a short form has "" there, which an empty argument must not match.
        let flag = spec
            .flags
            .iter()
            .position(|f| arg == f.1 || (!f.0.is_empty() && arg == f.0));
        match flag {
            Some(i) if !only_files => {
                let value = if spec.flags[i].2 {
                    let Some(v) = args.next() else {
                        return usage(format!("No value provided for option '{arg}'.\n"));
                    };
                    if found.values[i].is_some() {
                        return usage(format!(
                            "Error parsing option '{arg}' with value '{v}': duplicate values provided\n"
                        ));
                    }
                    v
                } else {
                    String::new()
                };
                found.values[i] = Some(value);
            }
            _ if spec.files && (only_files || !arg.starts_with('-')) => found.files.push(arg),
            _ => {
                let sub = [
                    "check", "test", "parse", "status", "addr", "bans", "ban", "unban",
                ]
                .into_iter()
                .find(|s| subs && !only_files && arg == *s);
                if sub.is_none() {
                    return usage(format!("Unrecognized argument: {arg}\n"));
                }
                found.sub = sub;
                break;
            }
        }
    }
    Ok(found)
}

fn usage<T>(text: String) -> Result<T, Stop> {
    Err(Stop::Usage(text))
}

const HELP_TOP: &str = "\
Usage: logtrigger [-c <config>] [-D <debug>] [<command>] [<args>]

logtrigger: a programmable syslog receiver. Without a sub-command, runs the daemon in the foreground.

Options:
  -c, --config      configuration file (default /etc/config/logtrigger)
  -D, --debug       debug level to stderr: 1 triggers, 2 matches and
                    environments, 3 rules tried, 5 counts and windows, 9
                    everything
  --help, help      display usage information

Commands:
  check             Parse and compile the configuration; print each rule as
                    understood.
  test              Replay log lines (file lines or raw frames) through the
                    rules.
  parse             Print each input frame parsed, one JSON object per line.
  status            Print the running daemon's counters.
";

const HELP_CHECK: &str = "\
Usage: logtrigger check [-c <config>]

Parse and compile the configuration; print each rule as understood.

Options:
  -c, --config      configuration file (default /etc/config/logtrigger)
  --help, help      display usage information
";

const HELP_TEST: &str = "\
Usage: logtrigger test [-c <config>] [-r <rule>] [-p <pattern>] [-f <fields>] [--json] [--run] [--] [<files...>]

Replay log lines (file lines or raw frames) through the rules.

Positional Arguments:
  files             input files (default or `-`: standard input)

Options:
  -c, --config      configuration file (default /etc/config/logtrigger)
  -r, --rule        only this rule
  -p, --pattern     an ad-hoc pattern instead of the configured rules
  -f, --fields      field names for the ad-hoc pattern
  --json            one JSON object per match, then a summary object
  --run             really run the scripts of firing rules
  --help, help      display usage information
";

const HELP_PARSE: &str = "\
Usage: logtrigger parse [--hex] [--] [<files...>]

Print each input frame parsed, one JSON object per line.

Positional Arguments:
  files             input files (default or `-`: standard input)

Options:
  --hex             each input line is a frame's bytes in hex
  --help, help      display usage information
";

const HELP_STATUS: &str = "\
Usage: logtrigger status [-c <config>] [--json]

Print the running daemon's counters.

Options:
  -c, --config      configuration file naming the control socket (default
                    /etc/config/logtrigger)
  --json            print JSON
  --help, help      display usage information
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(line: &str) -> Result<Command, Stop> {
        parse(line.split_whitespace().map(String::from))
    }

    fn error(line: &str) -> String {
        match run(line) {
            Err(Stop::Usage(text)) => text,
            _ => panic!("{line}: not a usage error"),
        }
    }

    #[test]
    fn daemon_and_sub_commands() {
        let Ok(Command::Daemon { config, debug }) = run("-D 5 --config /x") else {
            panic!("not the daemon");
        };
        assert_eq!((config, debug), (PathBuf::from("/x"), Some(5)));
        let Ok(Command::Test(t)) = run("-c /top test a --json -r r -- --run -") else {
            panic!("not test");
        };
        assert_eq!(t.config, PathBuf::from(DEFAULT_CONFIG));
        assert_eq!((t.rule.as_deref(), t.json, t.run), (Some("r"), true, false));
        assert_eq!(t.files, ["a", "--run", "/dev/stdin"]);
        let Ok(Command::Status(s)) = run("status --json -c /c") else {
            panic!("not status");
        };
        assert!(s.json && s.config == Path::new("/c"));
    }

    #[test]
    fn an_empty_argument_is_a_file_not_a_long_only_flag() {
        let args = |v: &[&str]| parse(v.iter().map(|s| s.to_string()));
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
        assert_eq!(run("--help").err(), Some(Stop::Help(HELP_TOP)));
        assert_eq!(run("help check").err(), Some(Stop::Help(HELP_CHECK)));
        assert_eq!(run("parse a --help").err(), Some(Stop::Help(HELP_PARSE)));
        assert!(matches!(run("parse -- --help"), Ok(Command::Parse(_))));
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
        assert_eq!(
            error("-D 300"),
            "Error parsing option '-D' with value '300': number too large to fit in target type\n"
        );
    }
}
