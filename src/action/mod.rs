//! Actions (SPEC §7): the environment of a firing and the bounded script runner.
//!
//! Owns: building `LT_*` variables, spawning scripts without a shell, the job limit and queue,
//! timeouts (TERM, then KILL), reaping every child, and the runner's counters.
//! Never: blocks the caller, passes a value through a shell, leaves a zombie.
