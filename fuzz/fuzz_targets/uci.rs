//! UCI parser and configuration model on arbitrary bytes: never panic, whatever the input.
//! `parse_offline` so that a generated `forward_udp` host name never reaches DNS.
#![no_main]
use libfuzzer_sys::fuzz_target;
use logtrigger::config::{Config, uci};

fuzz_target!(|data: &[u8]| {
    let _ = uci::parse(data);
    if let Ok(config) = Config::parse_offline(data, "fuzz") {
        // The report of `check` must be printable for anything that validates.
        let _ = logtrigger::cli::check::report(&config, "fuzz");
    }
});
