//! Sub-commands of SPEC §9. Each `run` returns the process exit code (0 ok, 1 bad config or
//! input, 2 runtime failure).

pub mod args;
pub mod bans;
pub mod check;
pub mod parse;
pub mod status;
pub mod test;

/// The configuration file used when `-c` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/config/logtrigger";

/// Writes `text` to stdout. A closed stdout (`logtrigger check | head`) is not an error worth a
/// panic: the router build aborts on panics with a core dump, where `print!` would panic.
pub fn print(text: &[u8]) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text);
}

/// An input named on the command line; `-` is standard input (as a `File` on a duplicate of
/// descriptor 0, so that files and standard input share one reader type and one copy of code).
pub(crate) fn open_input(name: &str) -> std::io::Result<std::fs::File> {
    if name != "-" {
        return std::fs::File::open(name);
    }
    use std::os::fd::AsFd;
    Ok(std::io::stdin().as_fd().try_clone_to_owned()?.into())
}
