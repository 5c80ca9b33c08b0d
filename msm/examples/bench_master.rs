//! Master benchmark: cycle time over a 10,000-register memory at several pipelining
//! depths, and the latency from `Var::set` to the value being on the slave.
//!
//! ```sh
//! cargo run --release -p msm --example bench_master -- 127.0.0.1:5020 [SECONDS_PER_ROW]
//! cargo run --release -p msm --example bench_master -- in-process [SECONDS_PER_ROW]
//! ```
//! The server must serve 10,000 holding registers at 0..9999 (`../shared/bench` peers and
//! `msm serve ../shared/bench/msm-10k.toml` do). `in-process` starts an msm slave in this
//! process, which also lets the latency be measured up to the moment the slave's memory
//! holds the value (its change notification). Every run is bounded in time and count.
//! Output: one markdown table row per measurement.

use std::time::{Duration, Instant};

use msm::{Master, Memory, Origin, Plan, Slave, Var};

const REGISTERS: u32 = 10_000;
const MAX_SAMPLES: usize = 20_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_else(|| "in-process".into());
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3.0);
    let row_time = Duration::from_secs_f64(seconds);

    // The in-process slave, when asked for; its memory shows when a write lands.
    let plc = Memory::new(REGISTERS);
    let local = (target == "in-process")
        .then(|| Slave::tcp("127.0.0.1:0").serve(plc.clone()))
        .transpose()?;
    let addr = match &local {
        Some(s) => s.local_addr().to_string(),
        None => target.clone(),
    };

    println!("| server | measurement | depth | samples | mean_ms | p50_ms | p99_ms | max_ms |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for depth in [1usize, 4, 8] {
        let hmi = Memory::new(REGISTERS);
        let master = Master::tcp(addr.clone())
            .pipelining(depth)
            .period(Duration::from_secs(3600)) // cycles only when asked
            .plan(Plan::WholeMemory)
            .start(hmi.clone())?;
        master.sync_timeout(Duration::from_secs(10))?; // connect and warm up
        let mut samples = Vec::new();
        let began = Instant::now();
        while began.elapsed() < row_time && samples.len() < MAX_SAMPLES {
            let t = Instant::now();
            master.sync_timeout(Duration::from_secs(10))?;
            samples.push(t.elapsed());
        }
        let status = master.status();
        if status.depth != depth {
            eprintln!(
                "note: the master fell back to depth {} from {depth}",
                status.depth
            );
        }
        report(
            &target,
            "cycle, 10k registers (80 reads)",
            depth,
            &mut samples,
        );
        master.stop();
    }

    // Latency: set a u32 on the master's memory, wait until the slave has it.
    let hmi = Memory::new(REGISTERS);
    let master = Master::tcp(addr.clone())
        .period(Duration::from_millis(100))
        .plan(Plan::DeclaredVars { max_gap: 0 })
        .start(hmi.clone())?;
    let value: Var<u32> = hmi.holding(5000)?;
    master.sync_timeout(Duration::from_secs(10))?;
    let mut confirmed = Vec::new();
    let mut landed = Vec::new();
    let mut changes = plc.subscribe();
    let began = Instant::now();
    let mut n = 0u32;
    while began.elapsed() < row_time && confirmed.len() < MAX_SAMPLES {
        n += 1;
        let t = Instant::now();
        value.set(n)?;
        if local.is_some() {
            // The slave's memory reports the remote write when it is applied.
            loop {
                match changes.recv_timeout(Duration::from_secs(5)) {
                    Ok(c) if matches!(c.origin, Origin::Remote(_)) && c.address == 5000 => break,
                    Ok(_) => continue,
                    Err(e) => return Err(format!("no change on the slave: {e}").into()),
                }
            }
            landed.push(t.elapsed());
        }
        master.flush_timeout(Duration::from_secs(5))?;
        confirmed.push(t.elapsed());
    }
    if local.is_some() {
        report(
            &target,
            "Var::set -> value in the slave's memory",
            1,
            &mut landed,
        );
    }
    report(
        &target,
        "Var::set -> write confirmed (flush)",
        1,
        &mut confirmed,
    );
    master.stop();
    if let Some(s) = local {
        s.stop();
    }
    Ok(())
}

fn report(server: &str, what: &str, depth: usize, samples: &mut [Duration]) {
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    println!(
        "| {server} | {what} | {depth} | {} | {} | {} | {} | {} |",
        samples.len(),
        ms(mean),
        ms(percentile(samples, 50.0)),
        ms(percentile(samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default())
    );
}
