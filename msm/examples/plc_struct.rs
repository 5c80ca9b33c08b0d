//! A PLC's memory as a Rust struct: the struct makes the memory, the typed variables on
//! both sides of a link, and the map file for the command line, the gateway and Python.
//!
//! ```sh
//! cargo run -p msm --example plc_struct              # prints the map file
//! cargo run -p msm --example plc_struct -- pump.toml # writes it
//! msm serve pump.toml                                # then any tool serves or reads the same layout
//! ```

use std::path::PathBuf;
use std::time::Duration;

use msm::{Master, Slave, Var, Vars};

/// The pump's memory, as its PLC lays it out.
#[derive(Vars)]
struct Pump {
    #[msm(holding = 0)]
    setpoint: Var<u16>,
    #[msm(holding = 1, order = "CDAB")]
    total: Var<u32>,
    #[msm(holding = 3, bit = 0)]
    alarm: Var<bool>,
    #[msm(holding = 4, byte = "high")]
    step: Var<u8>,
    #[msm(holding = 8, len = 4)]
    name: Var<String>,
    #[msm(input = 0)]
    level: Var<f32>,
    #[msm(coil = 0)]
    run: Var<bool>,
    #[msm(discrete = 0)]
    ready: Var<bool>,
}

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run(std::env::args_os().nth(1).map(PathBuf::from)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(map_file: Option<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    // The PLC: a memory that holds every field, served over Modbus/TCP.
    let plc_memory = Pump::memory();
    let plc = Pump::declare(&plc_memory)?;
    plc.name.set("P-101".to_string())?;
    plc.level.set(42.5)?;
    plc.ready.set(true)?;
    plc.step.set(3)?;
    let slave = Slave::tcp("127.0.0.1:0").serve(plc_memory)?;
    println!("slave listening on {}", slave.local_addr());

    // The HMI: its own copy, kept in sync by a master, declared with the same struct.
    let hmi_memory = Pump::memory();
    let hmi = Pump::declare(&hmi_memory)?;
    let master = Master::tcp(slave.local_addr())
        .period(Duration::from_millis(100))
        .start(hmi_memory)?;
    master.sync()?;
    println!(
        "HMI reads name = {}, level = {}, ready = {}, step = {}",
        hmi.name.get(),
        hmi.level.get(),
        hmi.ready.get(),
        hmi.step.get()
    );

    // The HMI writes; flush() waits until the slave confirmed every write.
    hmi.setpoint.set(1200)?;
    hmi.total.set(99_999)?;
    hmi.alarm.set(true)?;
    hmi.run.set(true)?;
    master.flush()?;
    println!(
        "PLC sees setpoint = {}, total = {}, alarm = {}, run = {}",
        plc.setpoint.get(),
        plc.total.get(),
        plc.alarm.get(),
        plc.run.get()
    );

    // The same layout as a map file.
    let toml = Pump::map().to_toml();
    match map_file {
        Some(path) => {
            std::fs::write(&path, &toml)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote the map to {}", path.display());
        }
        None => print!("{toml}"),
    }
    master.stop();
    slave.stop();
    Ok(())
}
