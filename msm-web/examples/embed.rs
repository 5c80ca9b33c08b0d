//! A program with a live web view of its own memory: a slave serves a small tank
//! simulation over Modbus/TCP, and a browser shows its variables, live, and writes them.
//!
//! ```text
//! cargo run -p msm-web --example embed                        # until Ctrl-C
//! cargo run -p msm-web --example embed -- --seconds 10 --web 127.0.0.1:8080 --listen 127.0.0.1:5020
//! ```
//!
//! The first line it prints says where both are; with `--seconds N` it stops by itself.

use std::time::{Duration, Instant};

use msm::{Map, Slave};
use msm_web::View;

const MAP: &str = r#"
[memory]
holding_registers = 8
coils = 2

[vars]
CYCLES   = { area = "holding", address = 0, type = "u32" }
LEVEL    = { area = "holding", address = 2, type = "f32", value = 50.0 }
SETPOINT = { area = "holding", address = 4, type = "u16", value = 60 }
PUMP     = { area = "coil", address = 0, type = "bool" }
"#;

/// `--listen ADDR`, `--web ADDR`, `--seconds N`.
struct Args {
    listen: String,
    web: String,
    seconds: Option<Duration>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        listen: "127.0.0.1:0".into(),
        web: "127.0.0.1:0".into(),
        seconds: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => a.listen = value,
            "--web" => a.web = value,
            "--seconds" => {
                let s = value
                    .parse()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok());
                a.seconds = Some(s.ok_or(format!("--seconds {value}: give seconds, such as 2.5"))?);
            }
            other => {
                return Err(format!(
                    "unknown flag {other}: use --listen, --web, --seconds"
                ));
            }
        }
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let tank = Map::from_toml_str(MAP)?.build()?;
    let slave = Slave::tcp(a.listen).serve(tank.memory().clone())?;
    // The view: every variable of the map, writable from the page.
    let view = View::of_map(&tank).writable(true).serve(a.web)?;
    println!(
        "embed: Modbus on {}, live view at {} (writable)",
        slave.local_addr(),
        view.url()
    );

    let cycles: msm::Var<u32> = tank.typed("CYCLES")?;
    let level: msm::Var<f32> = tank.typed("LEVEL")?;
    let setpoint: msm::Var<u16> = tank.typed("SETPOINT")?;
    let pump: msm::Var<bool> = tank.typed("PUMP")?;
    let began = Instant::now();
    let until = a.seconds.map(|s| began + s);
    while until.is_none_or(|t| Instant::now() < t) {
        std::thread::sleep(Duration::from_millis(100));
        // The pump fills the tank below the setpoint; the tank drains slowly.
        let now = level.get();
        let on = now < f32::from(setpoint.get());
        pump.set(on)?;
        level.set(now + if on { 0.8 } else { -0.3 })?;
        cycles.update(|c| c.wrapping_add(1))?;
    }
    view.stop();
    slave.stop();
    println!(
        "embed: stopped after {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}
