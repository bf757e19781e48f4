//! Coalescing under a flood. Every wake-up of the loop costs more than the datagrams it
//! brings in: a context switch, a `poll` over every input, and caches that went cold while
//! the loop slept. When UDP datagrams pour in, waking for every few of them makes that cost
//! most of the cost per message. So under a flood, after a turn that took in UDP datagrams,
//! the loop naps until `CYCLE` after the turn began, and each wake-up takes in a whole batch,
//! as interrupt moderation does in a network card.
//!
//! A flood is a `WINDOW` that brought at least `GATHER` UDP datagrams per `CYCLE`. Slower
//! traffic is taken in as it comes (but for one window after a flood, and a window that a
//! burst straddles, up to one burst more): there a nap would gather no more than the next
//! burst wakes the loop for anyway.
//!
//! Only UDP traffic is paced. A local program's `syslog(3)` blocks while the unix socket's short
//! queue (`net.unix.max_dgram_qlen`, 10 by default) is full, so a nap would stall it; a UDP
//! sender never waits for us.
//!
//! Owns: the decision to nap, and the nap.
//! Never: naps after a turn without UDP frames, with local ones, or one that read as many
//! datagrams as a turn may (the socket was not drained), or for longer than `CYCLE` plus the
//! kernel's timer slack (50 µs by default).

use std::time::{Duration, Instant};

use crate::input::TURN_MAX;

/// How long after the start of a turn of UDP datagrams the next one starts, at the earliest,
/// under a flood. The datagrams that arrive meanwhile wait in the socket buffer: at 500 000
/// datagrams/s, 200 of them, a tenth of what the default `rcvbuf` holds. Flat-out UDP on the
/// bench machine cost 12 % less CPU per message with it than with wake-ups for every few
/// datagrams; a 200 µs cycle cost more than none at 200 000 msgs/s in bursts of 32 (a nap per
/// burst adds timer wake-ups and merges nothing).
const CYCLE: Duration = Duration::from_micros(400);

/// Datagrams per `CYCLE` that make a flood (160 000/s): each nap then gathers at least two
/// bursts of 32, the most a sender's `sendmmsg` hands the kernel at once.
const GATHER: u64 = 64;

/// The span over which the arrival rate is measured: long enough to hold several bursts of a
/// paced sender, whose rate within a burst says nothing of its rate.
const WINDOW: Duration = Duration::from_millis(1);

/// Counts UDP datagrams per `WINDOW`; remembers whether the last full window was a flood.
#[derive(Debug, Default)]
pub struct Pacer {
    window: Option<Instant>,
    frames: u64,
    flood: bool,
    naps: u64,
}

/// Microseconds of `d`, in u64 arithmetic (u128 is costly on 32-bit routers).
fn micros(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()))
}

impl Pacer {
    /// Call after a turn that woke at `woke` and received `udp` frames over UDP and `local`
    /// over the unix socket.
    pub fn after_turn(&mut self, woke: Instant, udp: usize, local: usize) {
        self.frames += udp as u64;
        let start = *self.window.get_or_insert(woke);
        let span = micros(woke.saturating_duration_since(start));
        if span >= micros(WINDOW) {
            self.flood = self.frames * micros(CYCLE) >= GATHER * span;
            (self.window, self.frames) = (Some(woke), 0);
        }
        if !self.flood || udp == 0 || local > 0 || udp >= TURN_MAX {
            return;
        }
        if let Some(rest) = CYCLE.checked_sub(woke.elapsed()).filter(|r| !r.is_zero()) {
            std::thread::sleep(rest);
            self.naps += 1;
        }
    }

    /// Naps taken so far.
    pub fn naps(&self) -> u64 {
        self.naps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pacer fed turns on a made-up clock (naps still sleep for real, but the next turn's
    /// time does not depend on them).
    struct Clock {
        p: Pacer,
        t: Instant,
    }

    impl Clock {
        fn new() -> Clock {
            Clock {
                p: Pacer::default(),
                t: Instant::now(),
            }
        }

        /// `turns` turns, `every` apart, each with `udp` and `local` frames; the naps taken.
        fn turns(&mut self, turns: u32, every: Duration, udp: usize, local: usize) -> u64 {
            let before = self.p.naps();
            for _ in 0..turns {
                self.t += every;
                self.p.after_turn(self.t, udp, local);
            }
            self.p.naps() - before
        }
    }

    #[test]
    fn naps_only_under_a_udp_flood() {
        let (g, burst, hour) = (GATHER as usize, Duration::from_micros(320), 3600 * WINDOW);
        // (turns, apart, udp, local, naps): an idle hour closes the window, so that the next
        // one starts at a known turn.
        let steps = [
            (30, burst, 32, 0, 0, "100 000/s in bursts of 32 is no flood"),
            (1, hour, g, 0, 0, "after an idle hour"),
            (2, CYCLE, g, 0, 0, "no full window yet"),
            (1, CYCLE, g, 0, 1, "a window of GATHER per CYCLE"),
            (5, CYCLE, g, 0, 5, "the flood goes on"),
            (8, CYCLE / 8, g / 8, 0, 8, "the same rate in short turns"),
            (2, CYCLE, g, 1, 0, "a syslog(3) caller may be waiting"),
            (2, CYCLE, 0, 0, 0, "a turn without datagrams"),
            (1, hour, g, 0, 0, "after an idle hour"),
            (3, CYCLE, g, 0, 1, "a flood again"),
            (3, CYCLE, g - 1, 0, 2, "a slower window ends it"),
            (3, CYCLE, g - 1, 0, 0, "ended"),
        ];
        let mut c = Clock::new();
        for (turns, apart, udp, local, naps, why) in steps {
            assert_eq!(c.turns(turns, apart, udp, local), naps, "{why}");
        }
    }

    #[test]
    fn a_nap_lasts_the_rest_of_the_cycle() {
        // Turns on a made-up clock ahead of real time: the second turn has taken no time yet
        // (however slow the machine, e.g. under qemu), so its nap is a whole cycle.
        let mut p = Pacer::default();
        let start = Instant::now() + 10 * WINDOW;
        p.after_turn(start, GATHER as usize * 3, 0);
        let before = Instant::now();
        p.after_turn(start + WINDOW, 1, 0);
        assert_eq!(p.naps(), 1);
        assert!(before.elapsed() >= CYCLE);
    }

    #[test]
    fn no_nap_after_a_long_turn_or_an_undrained_socket() {
        let mut p = Pacer::default();
        let now = Instant::now();
        let (Some(start), Some(woke)) = (now.checked_sub(WINDOW + CYCLE), now.checked_sub(CYCLE))
        else {
            return; // the clock started less than that ago
        };
        p.after_turn(start, GATHER as usize * 3, 0);
        p.after_turn(woke, 1, 0);
        assert!(p.flood, "a window of 3 × GATHER is a flood");
        assert_eq!(p.naps(), 0, "the turn took a whole cycle already");
        p.after_turn(Instant::now(), TURN_MAX, 0);
        assert_eq!(p.naps(), 0, "datagrams were left waiting");
        p.after_turn(Instant::now(), TURN_MAX - 1, 0);
        assert_eq!(p.naps(), 1);
    }
}
