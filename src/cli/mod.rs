//! Sub-commands of SPEC §9. Each `run` returns the process exit code (0 ok, 1 bad config or
//! input, 2 runtime failure).

pub mod check;
pub mod parse;
pub mod status;
pub mod test;

/// The configuration file used when `-c` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/config/logtrigger";
