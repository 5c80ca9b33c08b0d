//! Every behaviour sampled over scripted instants: bounds, period, monotonicity, wrap,
//! lag, seeds, enabling, and what a remote write does. No clock, no sleep.

use std::time::{Duration, Instant, SystemTime};

use super::Simulator;
use crate::map::{DynValue, Map, MapMemory};

const MS: Duration = Duration::from_millis(1);

fn served(vars: &str) -> MapMemory {
    let text = format!(
        "[memory]\ncoils = 8\ninput_registers = 16\nholding_registers = 16\n[vars]\n{vars}"
    );
    Map::from_toml_str(&text)
        .unwrap_or_else(|e| panic!("{e}"))
        .build()
        .expect("build")
}

/// A number's value.
fn num(mm: &MapMemory, name: &str) -> f64 {
    match mm.find(name).expect("declared").get() {
        DynValue::F32(f) => f.into(),
        DynValue::F64(f) => f,
        DynValue::Bool(b) => f64::from(u8::from(b)),
        other => other.as_int().expect("a number") as f64,
    }
}

/// `name` sampled every `step` over `span` from the first tick at `t0`.
fn samples(mm: &MapMemory, name: &str, t0: Instant, step: Duration, span: Duration) -> Vec<f64> {
    let mut sim = Simulator::new(mm).expect("sim").seed(1);
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut out = Vec::new();
    let mut t = Duration::ZERO;
    while t <= span {
        sim.tick(t0 + t, wall + t);
        out.push(num(mm, name));
        t += step;
    }
    out
}

#[test]
fn a_sine_swings_between_its_bounds_once_a_period() {
    let mm = served(
        r#"LEVEL = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 10.0, max = 30.0, period = "4s" } }"#,
    );
    let s = samples(
        &mm,
        "LEVEL",
        Instant::now(),
        100 * MS,
        Duration::from_secs(8),
    );
    assert!(s.iter().all(|x| (10.0..=30.0).contains(x)), "{s:?}");
    assert_eq!(s[0], 20.0, "starts in the middle");
    assert!(
        (s[10] - 30.0).abs() < 1e-3,
        "a quarter period: the top: {}",
        s[10]
    );
    assert!(
        (s[30] - 10.0).abs() < 1e-3,
        "three quarters: the bottom: {}",
        s[30]
    );
    for i in 0..40 {
        assert!((s[i] - s[i + 40]).abs() < 1e-3, "periodic at {i}");
    }
    assert!(
        s[..10].windows(2).all(|w| w[1] > w[0]),
        "rising from the start"
    );
}

#[test]
fn a_ramp_is_a_sawtooth_that_reaches_both_ends() {
    let mm = served(
        r#"RAMP = { area = "input", address = 0, type = "u16", sim = { kind = "ramp", min = 5, max = 9, period = "1s" } }
           FRAMP = { area = "input", address = 2, type = "f64", sim = { kind = "ramp", min = 0.0, max = 10.0, period = "1s", every = "50ms" } }"#,
    );
    let t0 = Instant::now();
    let s = samples(&mm, "RAMP", t0, 100 * MS, 2000 * MS);
    assert_eq!(
        &s[..11],
        [5.0, 5.0, 6.0, 6.0, 7.0, 7.0, 8.0, 8.0, 9.0, 9.0, 5.0]
    );
    assert_eq!(s[10..21], s[..11], "one tooth a second");
    let f = samples(&mm, "FRAMP", t0, 50 * MS, 950 * MS);
    assert!(
        f.windows(2).all(|w| w[1] > w[0]),
        "rising through the tooth: {f:?}"
    );
    assert_eq!(f[0], 0.0);
    assert!((f[19] - 9.5).abs() < 1e-9);
}

#[test]
fn a_counter_counts_per_period_wraps_and_counts_on_from_a_write() {
    let mm = served(
        r#"C = { area = "holding", address = 0, type = "u16", value = 65534, sim = { kind = "counter", every = "1s" } }
           D = { area = "holding", address = 1, type = "i8", value = -127, sim = { kind = "counter", step = -1, every = "1s" } }"#,
    );
    let t0 = Instant::now();
    let wall = SystemTime::now();
    let mut sim = Simulator::new(&mm).expect("sim");
    sim.tick(t0, wall);
    assert_eq!(num(&mm, "C"), 65534.0, "a counter starts where it is");
    assert_eq!(sim.tick(t0 + 999 * MS, wall), Some(t0 + 1000 * MS));
    assert_eq!(num(&mm, "C"), 65534.0);
    sim.tick(t0 + 1000 * MS, wall);
    assert_eq!((num(&mm, "C"), num(&mm, "D")), (65535.0, -128.0));
    sim.tick(t0 + 2000 * MS, wall);
    assert_eq!(
        (num(&mm, "C"), num(&mm, "D")),
        (0.0, 127.0),
        "wrapped at the type's range"
    );
    // A remote write (here the program's) is kept until the next update, then counted on.
    mm.find("C")
        .expect("C")
        .set(DynValue::U16(100))
        .expect("set");
    sim.tick(t0 + 2500 * MS, wall);
    assert_eq!(num(&mm, "C"), 100.0);
    // Late by two periods: three steps at once.
    assert_eq!(sim.tick(t0 + 5200 * MS, wall), Some(t0 + 6000 * MS));
    assert_eq!(num(&mm, "C"), 103.0);
}

#[test]
fn random_values_stay_in_bounds_cover_them_and_repeat_with_a_seed() {
    let mm = served(
        r#"N = { area = "input", address = 0, type = "i16", sim = { kind = "random", min = -2, max = 2 } }
           F = { area = "input", address = 2, type = "f32", sim = { kind = "random", min = 0.5, max = 0.75 } }"#,
    );
    let t0 = Instant::now();
    let a = samples(&mm, "N", t0, 100 * MS, Duration::from_secs(30));
    assert!(a.iter().all(|x| (-2.0..=2.0).contains(x)));
    for v in -2..=2 {
        let n = a.iter().filter(|&&x| x == f64::from(v)).count();
        assert!((30..=100).contains(&n), "{v} came {n} times of {}", a.len());
    }
    assert_eq!(
        a,
        samples(&mm, "N", t0, 100 * MS, Duration::from_secs(30)),
        "seeded"
    );
    let f = samples(&mm, "F", t0, 100 * MS, Duration::from_secs(5));
    assert!(f.iter().all(|x| (0.5..0.75).contains(x)), "{f:?}");
}

#[test]
fn a_toggle_flips_at_every_period() {
    let mm = served(
        r#"BLINK = { area = "coil", address = 0, type = "bool", sim = { kind = "toggle", every = "500ms" } }"#,
    );
    let s = samples(&mm, "BLINK", Instant::now(), 250 * MS, 2000 * MS);
    assert_eq!(s, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
}

#[test]
fn uptime_counts_whole_seconds_and_timestamps_follow_the_wall_clock() {
    let mm = served(
        r#"UP = { area = "input", address = 0, type = "u8", sim = { kind = "uptime" } }
           NOW = { area = "input", address = 2, type = "u32", sim = { kind = "timestamp", every = "1s" } }
           FUP = { area = "input", address = 4, type = "f64", sim = { kind = "uptime" } }"#,
    );
    let t0 = Instant::now();
    let up = samples(&mm, "UP", t0, 500 * MS, Duration::from_secs(3));
    assert_eq!(up, [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
    let now = samples(&mm, "NOW", t0, 1000 * MS, Duration::from_secs(2));
    assert_eq!(now, [1_700_000_000.0, 1_700_000_001.0, 1_700_000_002.0]);
    // A u8 wraps after 255 s.
    let mut sim = Simulator::new(&mm).expect("sim");
    let wall = SystemTime::now();
    sim.tick(t0, wall);
    sim.tick(t0 + Duration::from_secs(257), wall);
    assert_eq!((num(&mm, "UP"), num(&mm, "FUP")), (1.0, 257.0));
}

#[test]
fn a_process_value_follows_its_setpoint_with_a_first_order_lag() {
    let mm = served(
        r#"PV = { area = "input", address = 0, type = "f32", sim = { kind = "follow", source = "SP", tau = "2s", every = "10ms" } }
           SP = { area = "holding", address = 0, type = "f32", value = 100.0 }
           LVL = { area = "input", address = 2, type = "u16", sim = { kind = "follow", source = "SP", tau = "1s", gain = 0.1 } }"#,
    );
    let t0 = Instant::now();
    let s = samples(&mm, "PV", t0, 10 * MS, Duration::from_secs(10));
    assert!(
        s.windows(2).all(|w| w[1] >= w[0]),
        "it never overshoots back"
    );
    let at = |secs: f64| s[(secs * 100.0) as usize];
    // 1 - e^(-t/tau) of the step: 63.2 % at tau, 86.5 % at 2 tau, 99.3 % at 5 tau.
    assert!((at(2.0) - 63.2).abs() < 0.2, "{}", at(2.0));
    assert!((at(4.0) - 86.5).abs() < 0.2, "{}", at(4.0));
    assert!(at(10.0) > 99.0 && at(10.0) <= 100.0, "{}", at(10.0));
    let lvl = samples(&mm, "LVL", t0, 100 * MS, Duration::from_secs(8));
    assert_eq!(lvl.last(), Some(&10.0), "gain 0.1 of 100, rounded to a u16");
}

#[test]
fn a_follow_moves_on_from_a_remote_write_and_a_bool_waits_tau() {
    let mm = served(
        r#"PV = { area = "input", address = 0, type = "f32", value = 0.0, sim = { kind = "follow", source = "SP", tau = "1s" } }
           SP = { area = "holding", address = 0, type = "f32", value = 0.0 }
           START = { area = "coil", address = 0, type = "bool" }
           RUNNING = { area = "coil", address = 1, type = "bool", sim = { kind = "follow", source = "START", tau = "300ms" } }"#,
    );
    let t0 = Instant::now();
    let wall = SystemTime::now();
    let mut sim = Simulator::new(&mm).expect("sim");
    sim.tick(t0, wall);
    mm.find("PV")
        .expect("PV")
        .set(DynValue::F32(50.0))
        .expect("set");
    mm.find("START")
        .expect("START")
        .set(DynValue::Bool(true))
        .expect("set");
    let mut t = t0;
    let mut running_at = None;
    for _ in 0..10 {
        t += 100 * MS;
        sim.tick(t, wall);
        if running_at.is_none() && num(&mm, "RUNNING") == 1.0 {
            running_at = Some(t - t0);
        }
    }
    let pv = num(&mm, "PV");
    assert!(
        (17.0..=19.5).contains(&pv),
        "50 decays towards 0 with tau 1 s: {pv}"
    );
    // START went on during the first 100 ms: seen at 100 ms, held 300 ms by 400 ms.
    assert_eq!(running_at, Some(400 * MS));
}

#[test]
fn a_disabled_behaviour_holds_its_value() {
    let mm = served(
        r#"RUN = { area = "coil", address = 0, type = "bool", value = true }
           C = { area = "holding", address = 0, type = "u32", sim = { kind = "counter", enable = "RUN" } }"#,
    );
    let t0 = Instant::now();
    let wall = SystemTime::now();
    let mut sim = Simulator::new(&mm).expect("sim");
    sim.tick(t0, wall);
    for i in 1..=5 {
        sim.tick(t0 + i * 100 * MS, wall);
    }
    assert_eq!(num(&mm, "C"), 5.0);
    mm.find("RUN")
        .expect("RUN")
        .set(DynValue::Bool(false))
        .expect("set");
    for i in 6..=10 {
        sim.tick(t0 + i * 100 * MS, wall);
    }
    assert_eq!(num(&mm, "C"), 5.0, "held while RUN is off");
}

#[test]
fn each_update_is_one_whole_write_and_an_unchanged_value_is_not_written() {
    let mm = served(
        r#"LEVEL = { area = "input", address = 0, type = "f64", sim = { kind = "sine", min = 0.0, max = 1.0, period = "1s" } }
           UP = { area = "input", address = 4, type = "u32", sim = { kind = "uptime" } }"#,
    );
    let mut changes = mm.memory().subscribe();
    let t0 = Instant::now();
    let wall = SystemTime::now();
    let mut sim = Simulator::new(&mm).expect("sim");
    for i in 0..10 {
        sim.tick(t0 + i * 100 * MS, wall);
    }
    let mut levels = 0;
    let mut ups = 0;
    while let Ok(Some(c)) = changes.try_recv() {
        match c.address {
            0 => {
                assert_eq!(c.count, 4, "the f64's four registers in one write");
                levels += 1;
            }
            _ => ups += 1,
        }
    }
    // sin(0.4 pi) = sin(0.6 pi): at 0.3 s the value is the one written at 0.2 s.
    assert_eq!(levels, 9, "one write per update whose value changed");
    assert_eq!(ups, 0, "uptime stays 0 for the first second: never written");
}
