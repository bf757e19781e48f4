//! logtrigger: a programmable syslog receiver for routers.
//!
//! The modules follow the data flow of SPEC §1:
//! `input` (sockets, files, kmsg) → `syslog` (frame parsing) → `pattern` (rule matching)
//! → `track` (counting windows per key) → `action` (running scripts).
//! `config` loads the UCI file, `pipeline` wires parse → match → count for one message,
//! `daemon` owns the poll loop, and `cli` holds the sub-commands. `source` (where a message came
//! from, who sent it) is the leaf the others share. `sys` is the OS boundary: the only module with
//! `unsafe` code and direct C library calls.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod action;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod input;
pub mod ipnet;
pub mod pattern;
pub mod pipeline;
pub mod source;
pub mod sys;
pub mod syslog;
pub mod track;
