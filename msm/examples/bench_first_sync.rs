//! First contact: how long `start()` then the first `sync()` take against a slave, as a
//! ratio to one round trip (a one-register read once connected), and the depth reached.
//!
//! ```sh
//! cargo run --release -p msm --example bench_first_sync -- 127.0.0.1:5020 [ROUNDS]
//! ```
//! The slave must serve 1,000 holding registers at 0..999 (the `../shared/bench` peers
//! do). Every run is bounded: ROUNDS (default 10) connections, each with a 5 s limit.

use std::time::{Duration, Instant};

use msm::{Master, Memory, Plan};

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .ok_or("give the slave's address, e.g. 127.0.0.1:5020")?;
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let limit = Duration::from_secs(5);
    for registers in [125, 1000] {
        measure(&addr, rounds, limit, registers)?;
    }
    Ok(())
}

/// First syncs of a memory of `registers` holding registers (125 per read).
fn measure(
    addr: &str,
    rounds: usize,
    limit: Duration,
    registers: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut first = Vec::new();
    let mut trip = Vec::new();
    let mut depth = 0;
    for _ in 0..rounds {
        let mem = Memory::new(registers);
        let began = Instant::now();
        let master = Master::tcp(addr)
            .period(Duration::from_secs(3600))
            .start(mem.clone())?;
        master.sync_timeout(limit)?;
        first.push(began.elapsed());
        assert_eq!(master.status().reconnects, 0, "no reconnection");
        depth = depth.max(master.status().depth);
        master.stop();
        // One round trip: a one-register read on a connected master.
        let one = Memory::new(1);
        let m = Master::tcp(addr)
            .plan(Plan::WholeMemory)
            .period(Duration::from_secs(3600))
            .start(one)?;
        m.sync_timeout(limit)?;
        let t = Instant::now();
        for _ in 0..20 {
            m.sync_timeout(limit)?;
        }
        trip.push(t.elapsed() / 20);
        m.stop();
    }
    first.sort();
    trip.sort();
    let (f, t) = (first[first.len() / 2], trip[trip.len() / 2]);
    println!(
        "{registers} registers ({} reads): first sync median {:.3} ms; one round trip median {:.3} ms; ratio {:.1}; depth after it {depth}",
        registers.div_ceil(125),
        f.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e3,
        f.as_secs_f64() / t.as_secs_f64()
    );
    Ok(())
}
