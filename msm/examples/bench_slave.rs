//! The slave that `shared/bench` measures: 10,000 of each area at addresses 0..9999,
//! input register i = i and discrete input i = i & 1, like the peer servers.
//!
//! ```sh
//! cargo build --release --example bench_slave
//! target/release/examples/bench_slave 127.0.0.1:5020 [worker threads, default 1]
//! ```
//! It serves until killed.

use msm::{Memory, Slave, Var};

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5020".to_string());
    let threads: usize = args.next().map_or(Ok(1), |t| t.parse())?;
    let mem = Memory::builder()
        .coils(10_000)
        .discrete_inputs(10_000)
        .input_registers(10_000)
        .holding_registers(10_000)
        .build()?;
    for start in (0..10_000u16).step_by(100) {
        let inputs: Var<Vec<u16>> = mem.input_raw(start, 100)?;
        inputs.set((start..start + 100).collect())?;
    }
    for i in (1..10_000u16).step_by(2) {
        let input: Var<bool> = mem.discrete_input(i)?;
        input.set(true)?;
    }
    let slave = Slave::tcp(addr).worker_threads(threads).serve(mem)?;
    eprintln!("bench_slave: serving on {}", slave.local_addr());
    loop {
        std::thread::park();
    }
}
