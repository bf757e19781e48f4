//! Coalescing under load. When datagrams arrive about as fast as the loop handles them, every
//! `poll` returns at once with two or three waiting, and the system calls per turn, not the
//! work, make most of the cost per message. After such a turn a short nap lets a batch gather
//! in the socket buffer, as interrupt moderation does in a network card.
//!
//! Only UDP traffic is paced. A local program's `syslog(3)` blocks while the unix socket's short
//! queue (`net.unix.max_dgram_qlen`, 10 by default) is full, so a nap would stall it; a UDP
//! sender never waits for us.
//!
//! Owns: the decision to nap, and the nap.
//! Never: naps after an idle wait, after a turn without UDP frames or with local ones (a message
//! arriving alone is handled at once), naps longer than `NAP` plus the kernel's timer slack, or
//! touches the inputs.

use std::time::{Duration, Instant};

/// The nap. The kernel adds its timer slack (50 µs by default), which only helps the batch.
const NAP: Duration = Duration::from_micros(20);

/// A `poll` that waited less than this found the next datagrams already there, or nearly.
const BUSY: Duration = Duration::from_micros(30);

/// Quick turns in a row before the first nap. A burst (a `sendmmsg` of 32, say) is over within
/// at most as many turns as it has datagrams, and napping through one costs a timer wake-up — and
/// cold caches after it — more than it saves (at 200k msgs/s in bursts of 32, a streak of 16 cost
/// 9 % more CPU per message than 64). Only a steady flood keeps `poll` returning at once for more
/// turns than any burst.
const STREAK: u32 = 64;

/// A turn that handled this many frames drained a deep queue: napping would only add delay.
const ENOUGH: usize = 64;

/// Remembers when the last turn ended and how many quick ones came in a row.
#[derive(Debug, Default)]
pub struct Pacer {
    ended: Option<Instant>,
    streak: u32,
    naps: u64,
}

impl Pacer {
    /// Call after a turn that woke at `woke` and received `udp` frames over UDP and `local`
    /// over the unix socket.
    pub fn after_turn(&mut self, woke: Instant, udp: usize, local: usize) {
        let waited = self.ended.map(|t| woke.saturating_duration_since(t));
        let quick = udp > 0 && local == 0 && waited.is_some_and(|w| w < BUSY);
        self.streak = if quick {
            self.streak.saturating_add(1)
        } else {
            0
        };
        if self.streak >= STREAK && udp < ENOUGH {
            std::thread::sleep(NAP);
            self.naps += 1;
        }
        self.ended = Some(Instant::now());
    }

    /// Naps taken so far.
    pub fn naps(&self) -> u64 {
        self.naps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `turns` turns, each waking `wait` after the previous one ended.
    fn drive(p: &mut Pacer, turns: u32, wait: Duration, udp: usize, local: usize) {
        for _ in 0..turns {
            let woke = p.ended.unwrap_or_else(Instant::now) + wait;
            p.after_turn(woke, udp, local);
        }
    }

    #[test]
    fn naps_only_in_a_steady_udp_flood() {
        let quick = Duration::from_micros(2);
        let mut p = Pacer::default();
        drive(&mut p, STREAK, quick, 3, 0);
        assert_eq!(p.naps(), 0, "a burst of quick turns is not a flood yet");
        drive(&mut p, 2, quick, 3, 0);
        assert_eq!(p.naps(), 2);
        drive(&mut p, 1, quick, ENOUGH, 0);
        assert_eq!(p.naps(), 2, "a deep queue is drained without delay");
        drive(&mut p, 1, BUSY, 3, 0);
        drive(&mut p, STREAK - 1, quick, 3, 0);
        assert_eq!(p.naps(), 2, "a wait in poll starts the streak again");
        drive(&mut p, 1, quick, 3, 1);
        drive(&mut p, STREAK - 1, quick, 3, 0);
        assert_eq!(
            p.naps(),
            2,
            "local frames: a syslog(3) caller may be waiting"
        );
        drive(&mut p, 1, quick, 0, 0);
        drive(&mut p, STREAK - 1, quick, 3, 0);
        assert_eq!(p.naps(), 2, "a turn without frames is no flood");
        drive(&mut p, 1, quick, 3, 0);
        assert_eq!(p.naps(), 3);
    }

    #[test]
    fn a_nap_lasts_at_least_nap() {
        let mut p = Pacer::default();
        drive(&mut p, STREAK, Duration::ZERO, 1, 0);
        assert_eq!(p.naps(), 0);
        let start = Instant::now();
        drive(&mut p, 1, Duration::ZERO, 1, 0);
        assert_eq!(p.naps(), 1);
        assert!(start.elapsed() >= NAP);
    }
}
