//! Actions (SPEC §7): the environment of a firing and the bounded script runner.
//!
//! Owns: building `LT_*` variables ([`build_env`]), spawning scripts without a shell, the job
//! limit and queue, timeouts (TERM, then KILL), reaping every child, and the runner's counters
//! ([`Runner`]).
//! Never: blocks the caller, passes a value through a shell, leaves a zombie, reaps a child it
//! did not start (no `waitpid(-1)`).

mod env;
mod runner;

pub use env::{BUILTIN_NAMES, FireInfo, PATH, build_env};
pub use runner::{Job, Limits, Runner, Stats, Submitted, log_dry_run};
