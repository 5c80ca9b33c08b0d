//! Quickstart: a slave and a master in one program, sharing typed variables.
//!
//! ```sh
//! cargo run -p msm --example quickstart
//! ```

use std::time::Duration;

use msm::{Master, Memory, Order, Slave, Var};

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), msm::Error> {
    // The PLC side: 8 holding registers served over Modbus/TCP (port 0: any free port).
    let plc = Memory::new(8);
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone())?;
    println!("slave listening on {}", slave.local_addr());

    // The HMI side: a master keeps its own copy of the PLC's memory in sync.
    let hmi = Memory::new(8);
    let master = Master::tcp(slave.local_addr())
        .unit(1)
        .period(Duration::from_millis(100))
        .start(hmi.clone())?;

    // The same variables, declared on each side.
    let counter_hmi: Var<u32> = hmi.holding(1)?.order(Order::CDAB);
    let counter_plc: Var<u32> = plc.holding(1)?.order(Order::CDAB);
    let alarm_plc: Var<bool> = plc.holding_bit(3, 0)?;
    let alarm_hmi: Var<bool> = hmi.holding_bit(3, 0)?;

    // The HMI writes; the write goes out at once and flush() waits for the slave's answer.
    counter_hmi.set(99_999)?;
    master.flush()?;
    println!("PLC sees counter = {}", counter_plc.get());

    // The PLC raises an alarm; the next cycle brings it to the HMI.
    alarm_plc.set(true)?;
    master.sync()?;
    println!("HMI sees alarm = {}", alarm_hmi.get());

    assert_eq!(counter_plc.get(), 99_999);
    assert!(alarm_hmi.get());
    println!("status: {:?}", master.status());
    master.stop();
    slave.stop();
    Ok(())
}
