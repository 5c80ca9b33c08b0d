//! The demo plant: what moves in the built-in demo map, as a PLC program would move it.

use std::time::Duration;

use msm::{MapMemory, Var};

/// The built-in demo map (also shipped as `msm/examples/maps/demo.toml`).
pub(crate) const DEMO_MAP: &str = include_str!("../../msm/examples/maps/demo.toml");

/// How often the plant runs a cycle.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// The demo map's variables the plant drives.
pub(crate) struct Plant {
    cycles: Var<u32>,
    setpoint: Var<u16>,
    alarm: Var<bool>,
    level: Var<f32>,
    temperature: Var<i16>,
    start: Var<bool>,
    running: Var<bool>,
    ticks: u64,
}

impl Plant {
    /// The plant over a built demo map; fails if the map lacks one of its variables.
    pub(crate) fn new(mm: &MapMemory) -> Result<Plant, msm::MapError> {
        Ok(Plant {
            cycles: mm.typed("CYCLES")?,
            setpoint: mm.typed("SETPOINT")?,
            alarm: mm.typed("ALARM")?,
            level: mm.typed("LEVEL")?,
            temperature: mm.typed("TEMPERATURE")?,
            start: mm.typed("START")?,
            running: mm.typed("RUNNING")?,
            ticks: 0,
        })
    }

    /// One plant cycle: while START is on, CYCLES counts, LEVEL swings around SETPOINT / 10,
    /// TEMPERATURE drifts; ALARM toggles every 3 s; RUNNING follows START.
    pub(crate) fn step(&mut self) -> msm::Result<()> {
        self.ticks += 1;
        let run = self.start.get();
        if self.running.get() != run {
            self.running.set(run)?;
        }
        if run {
            self.cycles.update(|c| c.wrapping_add(1))?;
            let t = self.ticks as f32 * TICK.as_secs_f32();
            let level = f32::from(self.setpoint.get()) / 10.0 + 5.0 * (t * 0.8).sin();
            self.level.set((level * 100.0).round() / 100.0)?;
            if self.ticks.is_multiple_of(10) {
                let drift = ((t * 0.1).sin() * 3.0) as i16;
                self.temperature.set(215 + drift)?;
            }
        }
        if self.ticks.is_multiple_of(30) {
            self.alarm.update(|a| !a)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plant_moves_and_stops_with_start() {
        let mm = msm::Map::from_toml_str(DEMO_MAP)
            .expect("demo map")
            .build()
            .expect("build");
        let mut plant = Plant::new(&mm).expect("demo variables");
        for _ in 0..30 {
            plant.step().expect("step");
        }
        assert_eq!(plant.cycles.get(), 30);
        assert!(plant.alarm.get(), "toggled at 3 s");
        assert!(plant.running.get());
        let level = plant.level.get();
        assert!(
            (45.0..=55.0).contains(&level),
            "around SETPOINT/10 = 50: {level}"
        );
        plant.start.set(false).expect("set");
        plant.step().expect("step");
        assert!(!plant.running.get());
        assert_eq!(plant.cycles.get(), 30, "stopped");
    }
}
