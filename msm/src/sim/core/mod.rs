//! The simulator's sans-IO engine: [`Simulator::tick`] takes the instant (and the wall
//! clock's reading, for timestamps), updates every behaviour that is due with one write
//! each, and says when the next one is. No clock is read and no thread is started here:
//! the driver (`sim/driver.rs`) does that, and tests script the instants.

mod step;

use std::time::{Duration, Instant, SystemTime};

use crate::map::{AnyVar, Behaviour, BehaviourKind, MapError, MapErrorKind, MapMemory};
use crate::time::later;
use crate::types::VarType;
use crate::types::rng::Rng;

/// Moves a map's simulated variables (those with a `sim` key) by their behaviours.
///
/// This is the engine, without a clock: [`tick`](Self::tick) it with the time, or
/// [`start`](Self::start) it on a thread of its own, which ticks it at the instants it
/// asks for. Each variable is updated at its behaviour's `every` in one write (never
/// torn), and only when its value changes; a remote write to a simulated variable stays
/// until the behaviour's next update (counters and toggles count on from it, a
/// `follow` moves on from it).
///
/// ```
/// use msm::sim::Simulator;
/// use std::time::{Duration, Instant, SystemTime};
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     input_registers = 4
///     [vars]
///     COUNT = { area = "input", address = 0, type = "u16", sim = { kind = "counter", step = 2, every = "1s" } }
///     RAMP  = { area = "input", address = 1, type = "u16", sim = { kind = "ramp", min = 0, max = 9, period = "10s" } }
/// "#)?.build()?;
/// let mut sim = Simulator::new(&mm)?;
/// let (t0, wall) = (Instant::now(), SystemTime::now());
/// let next = sim.tick(t0, wall);                    // starts: the ramp is at 0
/// assert_eq!(next, Some(t0 + Duration::from_millis(100)));
/// sim.tick(t0 + Duration::from_millis(3500), wall); // 3.5 s later
/// assert_eq!(mm.find("COUNT")?.get().to_string(), "6"); // 3 whole seconds, 2 each
/// assert_eq!(mm.find("RAMP")?.get().to_string(), "3");
/// # Ok::<(), msm::Error>(())
/// ```
pub struct Simulator {
    items: Vec<Item>,
    rng: Rng,
    /// The first tick's instant: where uptime and waves start.
    start: Option<Instant>,
}

/// One simulated variable.
struct Item {
    var: AnyVar,
    ty: VarType,
    behaviour: Behaviour,
    every: Duration,
    /// The variable followed, for `follow`.
    source: Option<AnyVar>,
    /// The variable that enables it, if one does.
    enable: Option<AnyVar>,
    /// When it is updated next; `None` before the first tick.
    next: Option<Instant>,
    state: step::State,
}

impl Simulator {
    /// The simulator of `mm`'s variables that have a `sim` key, its random numbers
    /// seeded with the map's `seed` (or a new seed each run). A map file's behaviours are
    /// checked when it is read; one built in code is checked by its builder.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str("[memory]\ncoils = 1\n")?.build()?;
    /// assert!(msm::sim::Simulator::new(&mm)?.is_empty()); // nothing simulated
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn new(mm: &MapMemory) -> Result<Simulator, MapError> {
        let find = |name: &str| mm.find(name).cloned();
        let mut items = Vec::new();
        for var in mm.vars() {
            let def = var.def();
            let Some(behaviour) = &def.sim else { continue };
            if let Some(reason) = behaviour.problem_for(def.ty) {
                let kind = MapErrorKind::BadBehaviour { reason };
                return Err(MapError::new(mm.file(), None, Some(&def.name), kind));
            }
            let source = match behaviour.kind() {
                BehaviourKind::Follow { source, .. } => Some(find(source)?),
                _ => None,
            };
            items.push(Item {
                var: var.clone(),
                ty: def.ty,
                behaviour: behaviour.clone(),
                every: behaviour.interval(),
                source,
                enable: behaviour.enabled_by().map(find).transpose()?,
                next: None,
                state: step::State::default(),
            });
        }
        Ok(Simulator {
            items,
            rng: Rng::seeded(mm.seed().unwrap_or_else(Rng::any_seed)),
            start: None,
        })
    }

    /// Seeds the random numbers of `random` behaviours: the same seed, the same values.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     input_registers = 1
    ///     [vars]
    ///     NOISE = { area = "input", address = 0, type = "i16", sim = { kind = "random", min = -50, max = 50 } }
    /// "#)?.build()?;
    /// let now = (std::time::Instant::now(), std::time::SystemTime::now());
    /// msm::sim::Simulator::new(&mm)?.seed(7).tick(now.0, now.1);
    /// let first = mm.find("NOISE")?.get();
    /// msm::sim::Simulator::new(&mm)?.seed(7).tick(now.0, now.1);
    /// assert_eq!(mm.find("NOISE")?.get(), first);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Simulator {
        self.rng = Rng::seeded(seed);
        self
    }

    /// True if no variable is simulated.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many variables are simulated.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Updates every behaviour due at `now` (`wall` is the wall clock at `now`, for
    /// timestamps) and returns when one is due next (`None` when nothing is simulated).
    /// The first tick starts the simulator: uptime counts and waves run from it, and
    /// behaviours of time (sine, ramp, random, uptime, timestamp) are written at once.
    /// A tick that comes late updates each behaviour once, for the time that passed (a
    /// counter adds a step per `every` missed).
    pub fn tick(&mut self, now: Instant, wall: SystemTime) -> Option<Instant> {
        let t0 = *self.start.get_or_insert(now);
        let clock = step::Clock {
            now,
            since_start: now.saturating_duration_since(t0),
            unix: wall
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        };
        let mut next: Option<Instant> = None;
        for item in &mut self.items {
            let due = match item.next {
                None => {
                    item.start(&clock, &mut self.rng);
                    later(now, item.every)
                }
                Some(at) if at <= now => {
                    // Whole periods since it was due: 1 when on time.
                    let late = now.saturating_duration_since(at).as_nanos();
                    let periods = 1 + late / item.every.as_nanos().max(1);
                    item.update(&clock, periods, &mut self.rng);
                    let ahead = item
                        .every
                        .saturating_mul(u32::try_from(periods).unwrap_or(u32::MAX));
                    later(at, ahead)
                }
                Some(at) => at,
            };
            item.next = Some(due);
            next = Some(next.map_or(due, |n| n.min(due)));
        }
        next
    }
}

impl Item {
    /// At the first tick: behaviours of time are written at once; the others set out
    /// from the variable's value.
    fn start(&mut self, clock: &step::Clock, rng: &mut Rng) {
        match self.behaviour.kind() {
            BehaviourKind::Counter { .. } | BehaviourKind::Toggle => {}
            BehaviourKind::Follow { .. } => self.state = step::State::start(&self.var, clock.now),
            _ => self.update(clock, 1, rng),
        }
    }

    /// One update, `periods` of `every` after the last (more than 1 when late).
    fn update(&mut self, clock: &step::Clock, periods: u128, rng: &mut Rng) {
        if self
            .enable
            .as_ref()
            .is_some_and(|e| !step::is_true(&e.get()))
        {
            // Disabled: the value holds, and a lag does not make up for the pause.
            self.state.pause(clock.now);
            return;
        }
        let current = self.var.get();
        let value = step::next_value(
            self.behaviour.kind(),
            self.ty,
            &current,
            self.source.as_ref().map(AnyVar::get),
            &mut self.state,
            clock,
            periods,
            rng,
        );
        let Some(value) = value else { return };
        if value == current {
            return;
        }
        match self.var.set(value.clone()) {
            Ok(()) => self.state.wrote(value),
            Err(e) => {
                tracing::warn!(var = self.var.name(), error = %e, "the simulator could not write")
            }
        }
    }
}

#[cfg(test)]
mod tests;
