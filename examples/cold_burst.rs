//! What a burst of frames touches when the caches are cold: runs a log of raw frames through the
//! pipeline in bursts, writing over 8 MiB before each burst (so a cache simulator starts it
//! cold) and copying the burst's frames into place after that (warm, as `recvmmsg` leaves them).
//! Meant for valgrind's cache simulator, `run` being the only function counted:
//!
//! ```text
//! cargo build --release --example cold_burst
//! valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 --LL=2097152,16,64 \
//!     --toggle-collect='cold_burst::run' target/release/examples/cold_burst CONF FRAMES [BURST]
//! callgrind_annotate callgrind.out.* | grep TOTALS   # D1mr + D1mw: data lines missed
//! ```
//!
//! CONF is a logtrigger configuration, FRAMES a file of frames, one per line (`gen_router_log
//! --format frames`), BURST the frames per burst (default 32, lt_flood's).

use logtrigger::config::Config;
use logtrigger::pipeline::{Pipeline, Sender, Source};

#[inline(never)]
fn run(p: &mut Pipeline, frames: &[&[u8]], now: i64, hits: &mut u64) {
    for f in frames {
        p.process_frame(f, Source::Unix(Sender::Replayed), now, &mut |_| *hits += 1);
    }
}

#[inline(never)]
fn evict(buf: &mut [u8], round: u8) {
    for b in buf.iter_mut().step_by(64) {
        *b = b.wrapping_add(round);
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, conf, frames, ..] = &args[..] else {
        return Err("usage: cold_burst CONF FRAMES [BURST]".into());
    };
    let burst: usize = match args.get(3) {
        Some(b) => b.parse().map_err(|e| format!("BURST: {e}"))?,
        None => 32,
    };
    let text = std::fs::read(conf).map_err(|e| format!("{conf}: {e}"))?;
    let config = Config::parse_offline(&text, conf).map_err(|e| e.to_string())?;
    let mut p = Pipeline::new(&config);
    let log = std::fs::read(frames).map_err(|e| format!("{frames}: {e}"))?;
    let frames: Vec<&[u8]> = log
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut cold = vec![1u8; 8 << 20];
    let mut slots = vec![0u8; log.len()];
    let (mut hits, mut at) = (0, 0);
    for (n, chunk) in frames.chunks(burst.max(1)).enumerate() {
        evict(&mut cold, n as u8);
        let start = at;
        for f in chunk {
            slots[at..at + f.len()].copy_from_slice(f);
            at += f.len();
        }
        let mut warm = Vec::with_capacity(chunk.len());
        let mut from = start;
        for f in chunk {
            warm.push(&slots[from..from + f.len()]);
            from += f.len();
        }
        let now = 1_000_000 + (n * burst / 1000) as i64;
        run(&mut p, std::hint::black_box(&warm), now, &mut hits);
    }
    println!("frames={} hits={hits} ({})", frames.len(), cold[64]);
    Ok(())
}
