//! The daemon's status report (SPEC §9): what the daemon, its inputs and its forwards count,
//! put in the report that `status.rs` renders.
//!
//! Owns: which counters the report shows and their names.
//! Never: runs on the per-message path (a report is built only when asked for).

use super::status::{Entry, Report};
use super::{Daemon, now};
use crate::input::forward::{ForwardStats, Target};

impl Daemon {
    /// The counters of SPEC §9.
    pub(super) fn report(&self) -> Report {
        let mut r = Report::default();
        let mut d = Entry::new()
            .with("pid", std::process::id())
            .with("uptime", (now() - self.started).max(0) as u64)
            .with("config", self.path.display().to_string())
            .with("reloads", self.reloads)
            .with("reload_errors", self.reload_errors)
            .with("debug", u32::from(self.debug))
            .with("naps", self.pacer.naps());
        if let Some(u) = &self.io.unix {
            let mode = u.mode_name();
            d = d
                .with("takeover", mode)
                .with("takeovers", u.takeover.takeovers)
                .with("healed", u.takeover.healed);
        }
        r.push("daemon", false, d);
        self.report_inputs(&mut r);
        self.engine.report(&mut r);
        for (name, option, resolved) in self.lookups.iter().flat_map(|l| l.names()) {
            let e = Entry::new().with("name", name).with("option", option);
            r.push("names", true, e.with("resolved", resolved));
        }
        r
    }

    fn report_inputs(&self, r: &mut Report) {
        let input = |name: String, s: &crate::input::InputStats| {
            Entry::new()
                .with("name", name)
                .with("received", s.received)
                .with("truncated", s.truncated)
                .with("denied", s.denied)
                .with("errors", s.errors)
        };
        if let Some(u) = &self.io.unix {
            r.push(
                "inputs",
                true,
                input(format!("unix:{}", u.socket_path().display()), &u.stats),
            );
            if let Some((path, stats)) = u.forward_stats() {
                let target = format!("unix:{}", path.display());
                r.push(
                    "forwards",
                    true,
                    forward_entry(target, &stats)
                        .with("held", u.held())
                        .with("unforwarded", u.unforwarded),
                );
            }
        }
        for u in &self.io.udp {
            r.push(
                "inputs",
                true,
                input(format!("udp:{}", u.local_addr()), &u.stats),
            );
        }
        if let Some(f) = &self.io.files {
            for (p, s) in f.stats() {
                r.push("inputs", true, input(format!("file:{}", p.display()), s));
            }
        }
        if let Some(k) = &self.io.kmsg {
            r.push(
                "inputs",
                true,
                input("kmsg".into(), &k.stats).with("overwritten", k.overwritten),
            );
        }
        for o in &self.io.remotes {
            let target = match o.target() {
                Target::Unix(p) => format!("unix:{}", p.display()),
                Target::Udp(a) => format!("udp:{a}"),
            };
            r.push("forwards", true, forward_entry(target, &o.stats));
        }
    }
}

fn forward_entry(target: String, s: &ForwardStats) -> Entry {
    Entry::new()
        .with("target", target)
        .with("sent", s.sent)
        .with("queued", s.queued)
        .with("dropped", s.dropped)
        .with("errors", s.errors)
}
