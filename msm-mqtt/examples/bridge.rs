//! Bridges one memory to an MQTT broker: an oven whose temperature follows its setpoint,
//! published under `example/oven/...`, its setpoint written by `example/oven/SETPOINT/set`.
//! It stops by itself after the seconds given (default 30), saying goodbye cleanly.
//!
//! ```text
//! cargo run -p msm-mqtt --example bridge -- mqtt://127.0.0.1:1883 30
//! mosquitto_sub -v -t 'example/#'                              # another terminal
//! mosquitto_pub -t example/oven/SETPOINT/set -m 220            # the oven heats to 220
//! ```

use std::time::{Duration, Instant};

use msm_mqtt::{Bridge, Broker, Device};

const OVEN: &str = r#"
[memory]
holding_registers = 2
input_registers = 2
[vars]
SETPOINT = { area = "holding", address = 0, type = "u16", value = 180 }
HEATING  = { area = "holding", address = 1, type = "bit", bit = 0 }
TEMP     = { area = "input", address = 0, type = "f32", value = 20.0 }
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
    let seconds: f64 = args.next().map_or(Ok(30.0), |s| s.parse())?;
    run(&url, Duration::from_secs_f64(seconds))
}

/// Runs the oven and its bridge to the broker at `url` for `how_long`.
pub fn run(url: &str, how_long: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let oven = msm::Map::from_toml_str(OVEN)?.build()?;
    let bridge = Bridge::new(Broker::parse(url)?.client_id("msm-example-oven"))
        .prefix("example")
        .device(Device::new("oven", &oven))
        .start()?;
    let setpoint = oven.typed::<u16>("SETPOINT")?;
    let heating = oven.typed::<bool>("HEATING")?;
    let temp = oven.typed::<f32>("TEMP")?;
    let end = Instant::now() + how_long;
    // The plant: five steps a second, a tenth of the way to the setpoint each.
    while Instant::now() < end {
        let (want, now) = (f32::from(setpoint.get()), temp.get());
        temp.set(((now + (want - now) / 10.0) * 10.0).round() / 10.0)?;
        heating.set(want > now)?;
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("{:?}", bridge.status());
    bridge.stop();
    Ok(())
}
