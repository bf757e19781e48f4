//! Tests against real OpenWrt components: logd/logread/ubusd and uci built from the vendored
//! sources (`openwrt_prefix`), the init scripts with their uci, and the LuCI app in a browser.

#[path = "../shared/mod.rs"]
mod shared;

mod config_uci_roundtrip;
mod logd_inline;
mod luci_app;
mod package_scripts;
