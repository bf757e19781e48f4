//! In-process tests of the library (config, syslog parsing, the action runner): no daemon, no
//! namespaces, no tools beyond /bin/sh. The cross-compiled test leg runs this binary under
//! qemu-user (scripts/ci-cross.sh), so nothing here may drive host programs by architecture.

#[path = "../shared/mod.rs"]
mod shared;

mod action_runner;
mod config_global;
mod config_rules;
mod config_uci_props;
mod syslog_props;
