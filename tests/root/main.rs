//! Tests that need root: network and mount namespaces of their own (`ip netns`, `unshare`),
//! nft and conntrack inside them, programs run as another user. Never the host's /dev/log,
//! firewall or /etc.

#[path = "../shared/mod.rs"]
mod shared;

mod daemon_clients;
mod daemon_hardening;
mod package_ipblock;
mod syslog_senders;
mod trust_conntrack;
mod trust_daemon;
mod trust_musl;
