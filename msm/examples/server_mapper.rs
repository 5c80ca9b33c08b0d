//! The original package's `server_mapper` example, in Rust: a slave serving 8 words
//! with named variables on them, toggling ERROR_STATE, and showing what clients write.
//!
//! ```sh
//! cargo run -p msm --example server_mapper -- [LISTEN_ADDR] [SECONDS]
//! # then, from another terminal:
//! cargo run -p msm --example client_mapper -- 127.0.0.1:5020
//! ```
//! The same layout as a map file: `msm/examples/maps/server_mapper.toml`.

use std::time::{Duration, Instant};

use msm::{Byte, Memory, Order, Slave, Var};

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:5020".into());
    let seconds: f64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(f64::INFINITY);

    // MemoryStore(8) in the original.
    let mem = Memory::new(8);
    let work_mode: Var<u8> = mem.holding_byte(0, Byte::Low)?; // byte 0 of word 0
    let process_step: Var<u8> = mem.holding_byte(0, Byte::High)?; // byte 1 of word 0
    let current_value: Var<u32> = mem.holding(1)?.order(Order::CDAB); // the original's uint32
    let control_word: Var<u16> = mem.holding(3)?;
    let error_state: Var<bool> = mem.holding_bit(3, 0)?; // bit 0 of CONTROL_WORD
    work_mode.set(1)?;

    let slave = Slave::tcp(listen).serve(mem.clone())?;
    println!(
        "server_mapper: serving 8 holding registers on {}",
        slave.local_addr()
    );

    let began = Instant::now();
    let mut changes = mem.subscribe();
    let mut next_toggle = Instant::now() + Duration::from_secs(1);
    while began.elapsed().as_secs_f64() < seconds {
        // What clients wrote, as it arrives.
        if let Ok(change) = changes.recv_timeout(Duration::from_millis(100))
            && change.origin.is_remote()
        {
            println!(
                "{}: WORK_MODE={} PROCESS_STEP={} CURRENT_VALUE={} CONTROL_WORD={:#06x} ERROR_STATE={}",
                change.origin,
                work_mode.get(),
                process_step.get(),
                current_value.get(),
                control_word.get(),
                error_state.get()
            );
        }
        if Instant::now() >= next_toggle {
            // The server's own logic: ERROR_STATE blinks every second.
            error_state.update(|e| !e)?;
            next_toggle += Duration::from_secs(1);
        }
    }
    slave.stop();
    Ok(())
}
