//! `msm demo`: a slave with the moving demo plant (the demo map's `sim` behaviours) and a
//! master syncing a copy of it, in one process, showing the exchange both ways.

use std::time::{Duration, Instant};

use clap::Args;
use msm::sim::Simulator;
use msm::{Map, Master, Origin, Slave, Var};

use super::DEMO_MAP;
use crate::CmdResult;
use crate::failure::Failure;
use crate::show::{shown, state_of};

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    /// Where the demo's slave listens, so other masters (mbpoll) can join in.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub(crate) listen: String,
}

/// Setpoints the master writes in turn.
const SETPOINTS: [u16; 4] = [650, 400, 550, 500];
/// How often the master writes one.
const WRITE_EVERY: Duration = Duration::from_secs(4);

pub(crate) async fn run(a: DemoArgs) -> CmdResult {
    let map = Map::from_toml_str(DEMO_MAP)?;
    let plc = map.build()?;
    let plant = Simulator::new(&plc)?.start()?;
    let slave = Slave::tcp(a.listen.clone())
        .serve_async(plc.memory().clone())
        .await
        .map_err(|e| Failure::modbus(format!("cannot serve on {}: {e}", a.listen)))?;
    let addr = slave.local_addr();

    let hmi = map.build()?;
    let master = Master::tcp(addr.to_string())
        .period(Duration::from_millis(100))
        .start_async(hmi.memory().clone())
        .await?;
    let setpoint: Var<u16> = hmi.typed("SETPOINT")?;
    let start: Var<bool> = hmi.typed("START")?;

    println!(
        "msm demo: a slave serves the demo plant on {addr}; a master keeps a copy of it in sync every 100 ms."
    );
    println!(
        "The master writes SETPOINT every {} s and the plant's LEVEL follows it.",
        WRITE_EVERY.as_secs()
    );
    println!(
        "Join in from another terminal: mbpoll -m tcp -p {} -a 1 -0 -B -t 3:float -r 0 -c 1 127.0.0.1",
        addr.port()
    );
    println!("Ctrl-C to stop.\n");

    let began = Instant::now();
    let t = || format!("{:6.1}s", began.elapsed().as_secs_f64());
    let mut slave_side = plc.memory().subscribe();
    let second = Duration::from_secs(1);
    let mut show_tick = tokio::time::interval_at(tokio::time::Instant::now() + second, second);
    let mut write_tick =
        tokio::time::interval_at(tokio::time::Instant::now() + WRITE_EVERY, WRITE_EVERY);
    let mut writes = 0usize;
    let mut written_at: Option<Instant> = None;
    let stop = super::stop_signal(a.seconds);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = show_tick.tick() => {
                let s = master.status();
                let view: Vec<String> = ["CYCLES", "SETPOINT", "LEVEL", "TEMPERATURE", "ALARM", "RUNNING"]
                    .iter()
                    .filter_map(|n| hmi.get(n).map(|v| match state_of(v, None) {
                        (Some(value), "good", _) => format!("{n}={}", shown(&value)),
                        (Some(value), q, _) => format!("{n}={} ({q})", shown(&value)),
                        (None, q, _) => format!("{n}=- ({})", q.replace('_', " ")),
                    }))
                    .collect();
                let link = if s.connected {
                    format!("cycle {:.2} ms", s.last_cycle.unwrap_or_default().as_secs_f64() * 1e3)
                } else {
                    format!("not connected: {}", s.last_error.unwrap_or_default())
                };
                println!("{} master sees  {}  [{link}]", t(), view.join(" "));
            }
            _ = write_tick.tick() => {
                writes += 1;
                if writes.is_multiple_of(5) {
                    // Now and then, stop and restart the plant through a coil.
                    let on = !start.get();
                    start.set(on)?;
                    println!("{} master writes START = {on}", t());
                } else {
                    let value = SETPOINTS[writes % SETPOINTS.len()];
                    setpoint.set(value)?;
                    println!("{} master writes SETPOINT = {value}", t());
                }
                written_at = Some(Instant::now());
            }
            change = slave_side.recv() => {
                let Ok(c) = change else { continue };
                if let Origin::Remote(peer) = c.origin {
                    let names: Vec<String> = plc
                        .vars()
                        .iter()
                        .filter(|v| v.touched_by(&c))
                        .map(|v| format!("{} = {}", v.name(), shown(&v.get())))
                        .collect();
                    let after = written_at
                        .take()
                        .map(|w| format!(" ({:.1} ms after the write)", w.elapsed().as_secs_f64() * 1e3))
                        .unwrap_or_default();
                    println!("{} slave  got    {} from {peer}{after}", t(), names.join(", "));
                }
            }
        }
    }
    let s = master.status();
    master.stop().await;
    slave.stop().await;
    plant.stop();
    println!(
        "\nmsm demo: ran {:.1} s; the master completed {} (average {:.2} ms); the slave confirmed {} of its writes.",
        began.elapsed().as_secs_f64(),
        crate::show::count(s.cycles, "cycle"),
        s.average_cycle.unwrap_or_default().as_secs_f64() * 1e3,
        s.writes_confirmed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant, SystemTime};

    use msm::map::DynValue;
    use msm::sim::Simulator;

    use super::DEMO_MAP;

    #[test]
    fn the_demo_plant_moves_while_start_is_on_and_holds_when_it_is_off() {
        let mm = msm::Map::from_toml_str(DEMO_MAP)
            .expect("demo map")
            .build()
            .expect("build");
        let mut sim = Simulator::new(&mm).expect("the demo's behaviours");
        let get = |name: &str| mm.find(name).expect("declared").get();
        let (t0, wall) = (Instant::now(), SystemTime::now());
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut ms = 0;
        while ms <= 10_000 {
            sim.tick(at(ms), wall);
            ms += 100;
        }
        assert_eq!(get("CYCLES"), DynValue::U32(100), "one cycle per 100 ms");
        assert_eq!(
            get("ALARM"),
            DynValue::Bool(true),
            "toggled at 3, 6 and 9 s"
        );
        let level = get("LEVEL").to_string().parse::<f32>().expect("a float");
        assert!((49.9..=50.0).contains(&level), "SETPOINT / 10: {level}");
        mm.find("SETPOINT")
            .expect("SETPOINT")
            .set(DynValue::U16(650))
            .expect("set");
        mm.find("START")
            .expect("START")
            .set(DynValue::Bool(false))
            .expect("set");
        while ms <= 12_000 {
            sim.tick(at(ms), wall);
            ms += 100;
        }
        assert_eq!(
            get("RUNNING"),
            DynValue::Bool(false),
            "follows START half a second later"
        );
        assert_eq!(get("CYCLES"), DynValue::U32(100), "held while stopped");
        let held = get("LEVEL");
        mm.find("START")
            .expect("START")
            .set(DynValue::Bool(true))
            .expect("set");
        while ms <= 16_000 {
            sim.tick(at(ms), wall);
            ms += 100;
        }
        assert_ne!(get("LEVEL"), held);
        let level = get("LEVEL").to_string().parse::<f32>().expect("a float");
        assert!(
            (60.0..65.0).contains(&level),
            "on its way to 65 again: {level}"
        );
        assert_eq!(get("CYCLES"), DynValue::U32(140));
    }
}
