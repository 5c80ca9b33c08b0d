//! The simulator in real time, as a master sees it through a slave: a bounded check
//! (the behaviours' rules are tested with scripted instants in `sim/core/tests.rs`).

use crate::common;

use std::time::{Duration, Instant};

use msm::map::DynValue;
use msm::sim::Simulator;
use msm::{Map, Master, Slave};

const MAP: &str = r#"
[memory]
coils = 2
input_registers = 8
holding_registers = 2

[vars]
COUNT = { area = "input", address = 0, type = "u16", sim = { kind = "counter", every = "20ms" } }
LEVEL = { area = "input", address = 1, type = "f32", sim = { kind = "sine", min = 10.0, max = 20.0, period = "400ms", every = "10ms" } }
PV    = { area = "input", address = 3, type = "f32", value = 0.0, sim = { kind = "follow", source = "SP", tau = "100ms", every = "10ms" } }
BLINK = { area = "coil", address = 0, type = "bool", sim = { kind = "toggle", every = "50ms" } }
SP    = { area = "holding", address = 0, type = "f32", value = 0.0 }
"#;

fn number(v: DynValue) -> f64 {
    v.to_string().parse().expect("a number")
}

fn a_master_sees_simulated_values_move_in_real_time() {
    common::init_logging();
    let map = Map::from_toml_str(MAP).expect("map");
    let device = map.build().expect("build");
    let sim = Simulator::new(&device)
        .expect("sim")
        .start()
        .expect("start");
    let slave = Slave::tcp("127.0.0.1:0")
        .serve(device.memory().clone())
        .expect("serve");
    let hmi = map.build().expect("build");
    let master = Master::tcp(slave.local_addr())
        .period(Duration::from_millis(10))
        .start(hmi.memory().clone())
        .expect("start");
    let get = |name: &str| hmi.find(name).expect("declared").get();

    // Sampled for a second: the counter only rises, the sine stays in its bounds and
    // covers them, the bit blinks.
    let began = Instant::now();
    let (mut counts, mut levels, mut blinks) = (Vec::new(), Vec::new(), Vec::new());
    while began.elapsed() < Duration::from_secs(1) {
        master.sync().expect("sync");
        counts.push(number(get("COUNT")));
        levels.push(number(get("LEVEL")));
        blinks.push(get("BLINK") == DynValue::Bool(true));
    }
    assert!(counts.windows(2).all(|w| w[1] >= w[0]), "{counts:?}");
    // 50 steps a second; a loaded machine may lose time, never gain it.
    let counted = counts.last().copied().unwrap_or(0.0);
    assert!((10.0..=51.0).contains(&counted), "{counted}");
    assert!(
        levels.iter().all(|x| (10.0..=20.0).contains(x)),
        "{levels:?}"
    );
    let (low, high) = levels
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
    assert!(
        low < 11.0 && high > 19.0,
        "two periods cover the swing: {low}..{high}"
    );
    assert!(blinks.contains(&true) && blinks.contains(&false));

    // The process value follows a setpoint the master writes.
    hmi.find("SP")
        .expect("SP")
        .set(DynValue::F32(100.0))
        .expect("set");
    master.flush().expect("flush");
    let written = Instant::now();
    let reached = common::wait_until(Duration::from_secs(5), || {
        master.sync().is_ok() && number(get("PV")) > 95.0
    });
    assert!(reached, "PV = {}", number(get("PV")));
    // Three time constants make 95 %: no sooner than 300 ms.
    assert!(
        written.elapsed() >= Duration::from_millis(250),
        "{:?}",
        written.elapsed()
    );
    sim.stop();
    master.stop();
    slave.stop();
}

/// A u64 counting by 0x0001_0001_0001_0001 has four equal words whatever its value: a
/// read that met half an update would show two different words.
const WIDE: &str = r#"
[memory]
input_registers = 4

[vars]
WIDE = { area = "input", address = 0, type = "u64", sim = { kind = "counter", step = 281479271743489, every = "1ms" } }
"#;

fn a_master_never_sees_a_simulated_value_torn() {
    common::init_logging();
    let device = Map::from_toml_str(WIDE)
        .expect("map")
        .build()
        .expect("build");
    let sim = Simulator::new(&device)
        .expect("sim")
        .start()
        .expect("start");
    let slave = Slave::tcp("127.0.0.1:0")
        .serve(device.memory().clone())
        .expect("serve");
    let hmi = msm::Memory::builder()
        .input_registers(4)
        .build()
        .expect("memory");
    let words = hmi.input_raw(0, 4).expect("declare");
    let master = Master::tcp(slave.local_addr())
        .period(Duration::from_millis(1))
        .start(hmi.clone())
        .expect("start");
    let mut seen = std::collections::BTreeSet::new();
    let began = Instant::now();
    for _ in 0..3000 {
        if began.elapsed() > Duration::from_secs(5) {
            break;
        }
        master.sync().expect("sync");
        let w = words.get();
        assert!(w.iter().all(|&x| x == w[0]), "a torn value: {w:04X?}");
        seen.insert(w[0]);
        if seen.len() >= 100 {
            break;
        }
    }
    // Not vacuous: the value moved while it was read, many times.
    assert!(seen.len() >= 20, "only {} values seen", seen.len());
    sim.stop();
    master.stop();
    slave.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_master_sees_simulated_values_move_in_real_time",
        run: a_master_sees_simulated_values_move_in_real_time,
        needs: &[],
    },
    crate::Test {
        name: "a_master_never_sees_a_simulated_value_torn",
        run: a_master_never_sees_a_simulated_value_torn,
        needs: &[],
    },
];
