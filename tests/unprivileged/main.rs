//! Tests that run the real binary (daemon, `check`, `status`, `syslog`, the init script) in
//! private temp directories, with its sockets there: no namespaces, no root-only tools.

#[path = "../shared/mod.rs"]
mod shared;

mod cli_commands;
mod config_check;
mod config_mistakes;
mod daemon_cut;
mod daemon_dry_run;
mod daemon_flood;
mod daemon_input;
mod daemon_memory;
mod daemon_rules;
mod daemon_run;
mod daemon_udp;
mod package_init;
mod syslog_cli;
