//! The original package's `client_mapper` example, in Rust: a master mirroring the
//! `server_mapper` memory, writing CURRENT_VALUE and CONTROL_WORD and reading back.
//!
//! ```sh
//! cargo run -p msm --example client_mapper -- [SERVER_ADDR]
//! ```

use std::time::Duration;

use msm::{Byte, Master, Memory, Order, Var};

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let server = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5020".into());
    let mem = Memory::new(8);
    let work_mode: Var<u8> = mem.holding_byte(0, Byte::Low)?;
    let process_step: Var<u8> = mem.holding_byte(0, Byte::High)?;
    let current_value: Var<u32> = mem.holding(1)?.order(Order::CDAB);
    let control_word: Var<u16> = mem.holding(3)?;
    let error_state: Var<bool> = mem.holding_bit(3, 0)?;

    let master = Master::tcp(server.clone())
        .period(Duration::from_millis(100))
        .response_timeout(Duration::from_secs(1))
        .start(mem.clone())?;
    master
        .sync_timeout(Duration::from_secs(5))
        .map_err(|e| format!("cannot read from {server}: {e} (is server_mapper running?)"))?;
    println!(
        "read: WORK_MODE={} PROCESS_STEP={} ERROR_STATE={}",
        work_mode.get(),
        process_step.get(),
        error_state.get()
    );

    // The original writes 4, 10 and 99999 to CURRENT_VALUE, then 0x8000 to CONTROL_WORD.
    for value in [4u32, 10, 99_999] {
        current_value.set(value)?;
        master.flush_timeout(Duration::from_secs(5))?;
        println!("wrote CURRENT_VALUE = {value}");
    }
    control_word.set(0x8000)?;
    master.flush_timeout(Duration::from_secs(5))?;
    println!("wrote CONTROL_WORD = 0x8000");

    master.sync_timeout(Duration::from_secs(5))?;
    println!(
        "read back: CURRENT_VALUE={} CONTROL_WORD={:#06x} ERROR_STATE={}",
        current_value.get(),
        control_word.get(),
        error_state.get()
    );
    master.stop();
    Ok(())
}
