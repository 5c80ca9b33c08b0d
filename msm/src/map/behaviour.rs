//! How a simulated variable moves: a map variable's `sim` key (docs/simulator.md). Plain
//! data with its checks; the simulator (`crate::sim`) moves the values.

use std::time::Duration;

use super::def::VarDef;
use crate::types::{VarType, suggest};

/// Every 100 ms, unless a behaviour says otherwise.
///
/// ```
/// assert_eq!(msm::sim::DEFAULT_EVERY.as_millis(), 100);
/// ```
pub const DEFAULT_EVERY: Duration = Duration::from_millis(100);

/// How a simulated variable moves, and how often it is updated.
///
/// The serving side applies it (`msm serve`, [`Simulator`](crate::sim::Simulator)); a
/// master reading the same map ignores it.
///
/// ```
/// use msm::sim::{Behaviour, BehaviourKind};
/// use std::time::Duration;
/// let level = Behaviour::sine(0.0, 100.0, Duration::from_secs(10));
/// assert_eq!(level.interval(), msm::sim::DEFAULT_EVERY);
/// let pv = Behaviour::new(BehaviourKind::Follow {
///     source: "SP".into(),
///     tau: Duration::from_secs(2),
///     gain: 0.1,
/// })
/// .enable("RUN");
/// assert_eq!(pv.kind().name(), "follow");
/// assert_eq!(pv.enabled_by(), Some("RUN"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    kind: BehaviourKind,
    every: Option<Duration>,
    enable: Option<String>,
}

/// What a behaviour computes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BehaviourKind {
    /// A sine between `min` and `max` over `period`, starting at the middle, rising.
    Sine {
        /// The lowest value.
        min: f64,
        /// The highest value.
        max: f64,
        /// One full wave.
        period: Duration,
    },
    /// Adds `step` at every update, from the variable's current value (so a remote
    /// write resets it), wrapping at the type's range.
    Counter {
        /// What is added (may be negative).
        step: i64,
    },
    /// A value uniform in `min..=max` at every update (floats: `min..max`).
    Random {
        /// The lowest value.
        min: f64,
        /// The highest value.
        max: f64,
    },
    /// A sawtooth: from `min` up to `max` over `period`, then back to `min`.
    Ramp {
        /// Where each tooth starts.
        min: f64,
        /// Where it ends.
        max: f64,
        /// One tooth.
        period: Duration,
    },
    /// Flips a bool at every update.
    Toggle,
    /// Whole seconds since the simulator started.
    Uptime,
    /// Unix time, whole seconds.
    Timestamp,
    /// Moves towards another variable: a first-order lag with time constant `tau`
    /// towards `gain × source` (a process value its setpoint drives); a bool takes the
    /// source's value once it has held it for `tau`.
    Follow {
        /// The variable followed.
        source: String,
        /// The time constant: after `tau`, 63 % of a step is made (0: at once).
        tau: Duration,
        /// The source's value is multiplied by this (1: followed as it is).
        gain: f64,
    },
}

impl BehaviourKind {
    /// Every kind's name in map files.
    pub const NAMES: [&'static str; 8] = crate::types::BEHAVIOURS;

    /// The kind's name in map files (`"sine"`).
    pub fn name(&self) -> &'static str {
        let i = match self {
            BehaviourKind::Sine { .. } => 0,
            BehaviourKind::Counter { .. } => 1,
            BehaviourKind::Random { .. } => 2,
            BehaviourKind::Ramp { .. } => 3,
            BehaviourKind::Toggle => 4,
            BehaviourKind::Uptime => 5,
            BehaviourKind::Timestamp => 6,
            BehaviourKind::Follow { .. } => 7,
        };
        Self::NAMES[i]
    }
}

impl Behaviour {
    /// A behaviour of `kind`, updated every [`DEFAULT_EVERY`].
    pub fn new(kind: BehaviourKind) -> Behaviour {
        Behaviour {
            kind,
            every: None,
            enable: None,
        }
    }

    /// A sine between `min` and `max` over `period`.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// let b = Behaviour::sine(-1.0, 1.0, std::time::Duration::from_secs(4));
    /// assert_eq!(b.kind().name(), "sine");
    /// ```
    pub fn sine(min: f64, max: f64, period: Duration) -> Behaviour {
        Behaviour::new(BehaviourKind::Sine { min, max, period })
    }

    /// Adds `step` at every update, wrapping at the type's range.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// let b = Behaviour::counter(1).every(std::time::Duration::from_secs(1));
    /// assert_eq!(b.interval().as_secs(), 1);
    /// ```
    pub fn counter(step: i64) -> Behaviour {
        Behaviour::new(BehaviourKind::Counter { step })
    }

    /// A uniform random value in `min..=max` at every update.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// assert_eq!(Behaviour::random(-50.0, 50.0).kind().name(), "random");
    /// ```
    pub fn random(min: f64, max: f64) -> Behaviour {
        Behaviour::new(BehaviourKind::Random { min, max })
    }

    /// A sawtooth from `min` to `max` over `period`.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// assert_eq!(Behaviour::ramp(0.0, 10.0, std::time::Duration::from_secs(5)).kind().name(), "ramp");
    /// ```
    pub fn ramp(min: f64, max: f64, period: Duration) -> Behaviour {
        Behaviour::new(BehaviourKind::Ramp { min, max, period })
    }

    /// A bool that flips at every update.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// let blink = Behaviour::toggle().every(std::time::Duration::from_millis(500));
    /// assert_eq!(blink.interval().as_millis(), 500);
    /// ```
    pub fn toggle() -> Behaviour {
        Behaviour::new(BehaviourKind::Toggle)
    }

    /// Whole seconds since the simulator started.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// assert_eq!(Behaviour::uptime().kind().name(), "uptime");
    /// ```
    pub fn uptime() -> Behaviour {
        Behaviour::new(BehaviourKind::Uptime)
    }

    /// Unix time in whole seconds.
    ///
    /// ```
    /// # use msm::sim::Behaviour;
    /// assert_eq!(Behaviour::timestamp().kind().name(), "timestamp");
    /// ```
    pub fn timestamp() -> Behaviour {
        Behaviour::new(BehaviourKind::Timestamp)
    }

    /// A first-order lag towards the variable `source`, with time constant `tau`.
    ///
    /// ```
    /// # use msm::sim::{Behaviour, BehaviourKind};
    /// let pv = Behaviour::follow("SP", std::time::Duration::from_secs(2));
    /// assert!(matches!(pv.kind(), BehaviourKind::Follow { gain, .. } if *gain == 1.0));
    /// ```
    pub fn follow(source: impl Into<String>, tau: Duration) -> Behaviour {
        Behaviour::new(BehaviourKind::Follow {
            source: source.into(),
            tau,
            gain: 1.0,
        })
    }

    /// Updates the value this often (default [`DEFAULT_EVERY`]).
    pub fn every(mut self, every: Duration) -> Behaviour {
        self.every = Some(every);
        self
    }

    /// Moves the value only while the bool (or bit) variable `var` is true; otherwise
    /// the value holds.
    pub fn enable(mut self, var: impl Into<String>) -> Behaviour {
        self.enable = Some(var.into());
        self
    }

    /// What it computes.
    pub fn kind(&self) -> &BehaviourKind {
        &self.kind
    }

    /// How often the value is updated: `every`, or [`DEFAULT_EVERY`].
    pub fn interval(&self) -> Duration {
        self.every.unwrap_or(DEFAULT_EVERY)
    }

    /// The `every` given, if one was.
    pub(crate) fn every_given(&self) -> Option<Duration> {
        self.every
    }

    /// The variable that enables it, if one does.
    pub fn enabled_by(&self) -> Option<&str> {
        self.enable.as_deref()
    }

    /// Why it cannot move a variable of type `ty`, if it cannot: the kind does not fit
    /// the type, or its bounds do not (checked before the map is used).
    pub(crate) fn problem_for(&self, ty: VarType) -> Option<String> {
        let numeric = !matches!(ty, VarType::Bool | VarType::Bit | VarType::String);
        let integer = numeric && !matches!(ty, VarType::F32 | VarType::F64);
        let name = self.kind.name();
        let fits = match &self.kind {
            BehaviourKind::Sine { .. }
            | BehaviourKind::Random { .. }
            | BehaviourKind::Ramp { .. } => numeric,
            BehaviourKind::Counter { .. } => integer,
            BehaviourKind::Toggle => matches!(ty, VarType::Bool | VarType::Bit),
            BehaviourKind::Uptime => numeric,
            BehaviourKind::Timestamp => matches!(
                ty,
                VarType::U32 | VarType::I32 | VarType::U64 | VarType::I64 | VarType::F64
            ),
            BehaviourKind::Follow { .. } => ty != VarType::String,
        };
        if !fits {
            let hint = match (&self.kind, ty) {
                (_, VarType::String) => "a string cannot be simulated",
                (_, VarType::Bool | VarType::Bit) => "a bool takes toggle or follow",
                (BehaviourKind::Toggle, _) => {
                    "toggle flips a bool or a bit: for a number use counter or ramp"
                }
                (BehaviourKind::Counter { .. }, _) => {
                    "a counter counts whole numbers: for a float use ramp"
                }
                _ => "a timestamp needs 32 bits or more: u32, i32, u64, i64 or f64",
            };
            return Some(format!("a {name} cannot move {}: {hint}", a_type(ty)));
        }
        if self.every.is_some_and(|d| d.is_zero()) {
            return Some("every is 0: give a positive duration, such as 100ms".into());
        }
        match self.kind {
            BehaviourKind::Sine { min, max, period } | BehaviourKind::Ramp { min, max, period } => {
                if period.is_zero() {
                    return Some(format!(
                        "a {name}'s period is 0: give a positive duration, such as 10s"
                    ));
                }
                bounds_problem(min, max, ty, true)
            }
            BehaviourKind::Random { min, max } => bounds_problem(min, max, ty, false),
            BehaviourKind::Follow { gain, .. } if !gain.is_finite() => Some(format!(
                "gain {gain} is not a number a value can be multiplied by"
            )),
            BehaviourKind::Counter { step: 0 } => {
                Some("step is 0: the counter would not count".into())
            }
            _ => None,
        }
    }
}

/// Checks the variables each behaviour of `vars` reads: a followed variable exists, is
/// not the variable itself, and is a number for a number or a bool for a bool; an
/// enabling variable exists and is a bool or a bit. The error names the variable (its
/// index) whose `sim` is wrong.
pub(crate) fn check_links(vars: &[VarDef]) -> Result<(), (usize, String)> {
    let bools = |ty: VarType| matches!(ty, VarType::Bool | VarType::Bit);
    for (i, var) in vars.iter().enumerate() {
        let Some(sim) = &var.sim else { continue };
        let find = |name: &str, role: &str| {
            vars.iter().find(|v| v.name == name).ok_or_else(|| {
                let near = suggest::did_you_mean(name, vars.iter().map(|v| v.name.as_str()));
                (
                    i,
                    format!("{role} {name:?} is no variable of this map{near}"),
                )
            })
        };
        if let BehaviourKind::Follow { source, .. } = &sim.kind {
            let followed = find(source, "the source")?;
            if followed.name == var.name {
                return Err((
                    i,
                    "a variable cannot follow itself: name another as its source".into(),
                ));
            }
            if bools(followed.ty) != bools(var.ty) || followed.ty == VarType::String {
                return Err((
                    i,
                    format!(
                        "{} cannot follow {} {}: a number follows a number, a bool a bool",
                        a_type(var.ty),
                        followed.name,
                        a_type(followed.ty)
                    ),
                ));
            }
        }
        if let Some(name) = &sim.enable {
            let enabling = find(name, "the enabling variable")?;
            if !bools(enabling.ty) {
                return Err((
                    i,
                    format!(
                        "enable = {name:?} is {}: a behaviour is enabled by a bool or a bit",
                        a_type(enabling.ty)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `min` and `max` must be numbers the type holds, `min` below `max` (or equal, unless
/// `strict`).
fn bounds_problem(min: f64, max: f64, ty: VarType, strict: bool) -> Option<String> {
    for (key, x) in [("min", min), ("max", max)] {
        if !x.is_finite() {
            return Some(format!("{key} = {x} is not a finite number"));
        }
        let fits = match integer_range(ty) {
            Some((lo, hi)) => x.fract() == 0.0 && (lo as f64..=hi as f64).contains(&x),
            None => ty != VarType::F32 || x.abs() <= f64::from(f32::MAX),
        };
        if !fits {
            return Some(format!(
                "{key} = {x} does not fit {}, which holds {}",
                a_type(ty),
                ty.range()
            ));
        }
    }
    if min > max || (strict && min == max) {
        let below = if strict { "below" } else { "at most" };
        return Some(format!("min = {min} must be {below} max = {max}"));
    }
    None
}

/// The whole numbers an integer type holds.
pub(crate) fn integer_range(ty: VarType) -> Option<(i128, i128)> {
    Some(match ty {
        VarType::U8 => (0, u8::MAX.into()),
        VarType::I8 => (i8::MIN.into(), i8::MAX.into()),
        VarType::U16 => (0, u16::MAX.into()),
        VarType::I16 => (i16::MIN.into(), i16::MAX.into()),
        VarType::U32 => (0, u32::MAX.into()),
        VarType::I32 => (i32::MIN.into(), i32::MAX.into()),
        VarType::U64 => (0, u64::MAX.into()),
        VarType::I64 => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

fn a_type(ty: VarType) -> String {
    crate::types::a_type(ty.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_fit_the_types_they_can_move() {
        let s = Duration::from_secs(1);
        let cases = [
            (
                Behaviour::sine(0.0, 1.0, s),
                VarType::Bool,
                Some("a bool takes toggle or follow"),
            ),
            (
                Behaviour::toggle(),
                VarType::U16,
                Some("toggle flips a bool"),
            ),
            (
                Behaviour::counter(1),
                VarType::F32,
                Some("for a float use ramp"),
            ),
            (
                Behaviour::timestamp(),
                VarType::U16,
                Some("32 bits or more"),
            ),
            (
                Behaviour::timestamp(),
                VarType::F32,
                Some("32 bits or more"),
            ),
            (
                Behaviour::uptime(),
                VarType::String,
                Some("a string cannot"),
            ),
            (Behaviour::follow("X", s), VarType::Bit, None),
            (Behaviour::toggle(), VarType::Bit, None),
            (Behaviour::counter(-3), VarType::I8, None),
            (Behaviour::timestamp(), VarType::I64, None),
        ];
        for (b, ty, expected) in cases {
            let problem = b.problem_for(ty);
            match expected {
                Some(word) => assert!(
                    problem.as_deref().unwrap_or("").contains(word),
                    "{b:?} on {ty}: {problem:?}"
                ),
                None => assert_eq!(problem, None, "{b:?} on {ty}"),
            }
        }
    }

    #[test]
    fn bounds_must_fit_the_type_and_be_in_order() {
        let s = Duration::from_secs(1);
        let problem = |b: Behaviour, ty| b.problem_for(ty).unwrap_or_default();
        assert!(
            problem(Behaviour::sine(-1.0, 10.0, s), VarType::U16)
                .contains("min = -1 does not fit a u16")
        );
        assert!(problem(Behaviour::ramp(0.0, 1.5, s), VarType::U8).contains("max = 1.5"));
        assert!(problem(Behaviour::sine(5.0, 5.0, s), VarType::F32).contains("below"));
        assert!(problem(Behaviour::random(6.0, 5.0), VarType::F32).contains("at most"));
        assert_eq!(Behaviour::random(5.0, 5.0).problem_for(VarType::F32), None);
        assert!(
            problem(Behaviour::sine(0.0, 1.0, Duration::ZERO), VarType::F64)
                .contains("period is 0")
        );
        assert!(
            problem(Behaviour::counter(1).every(Duration::ZERO), VarType::U16)
                .contains("every is 0")
        );
        assert!(problem(Behaviour::counter(0), VarType::U16).contains("step is 0"));
        assert!(
            problem(Behaviour::random(0.0, 1e39), VarType::F32).contains("does not fit an f32")
        );
        assert!(problem(Behaviour::random(0.0, f64::NAN), VarType::F64).contains("finite"));
    }
}
