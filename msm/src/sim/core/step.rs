//! What each behaviour writes at an update: a function of the time (sine, ramp, uptime,
//! timestamp), of the random numbers (random), of the value it finds (counter, toggle),
//! or of another variable and the time that passed (follow).

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use crate::map::behaviour::integer_range;
use crate::map::{AnyVar, BehaviourKind, DynValue};
use crate::types::VarType;
use crate::types::rng::Rng;

/// The time at an update.
pub(super) struct Clock {
    pub(super) now: Instant,
    /// Since the simulator's first tick.
    pub(super) since_start: Duration,
    /// Unix time now.
    pub(super) unix: Duration,
}

/// What a `follow` remembers between updates.
#[derive(Debug, Default)]
pub(super) enum State {
    /// Nothing to remember.
    #[default]
    None,
    /// A number's lag: its exact value (written rounded), when it was computed, and the
    /// value last written, to see writes by others.
    Lag {
        value: f64,
        at: Instant,
        written: Option<DynValue>,
    },
    /// A bool's delay: the source's value last seen and since when it holds it.
    Hold { seen: Option<bool>, since: Instant },
}

impl State {
    /// A follow setting out from `var`'s value at `now`.
    pub(super) fn start(var: &AnyVar, now: Instant) -> State {
        let current = var.get();
        match number(&current) {
            Some(value) => State::Lag {
                value,
                at: now,
                written: Some(current),
            },
            None => State::Hold {
                seen: None,
                since: now,
            },
        }
    }

    /// A disabled update at `now`: a lag does not make up for the pause.
    pub(super) fn pause(&mut self, now: Instant) {
        if let State::Lag { at, .. } = self {
            *at = now;
        }
    }

    /// `value` was written.
    pub(super) fn wrote(&mut self, value: DynValue) {
        if let State::Lag { written, .. } = self {
            *written = Some(value);
        }
    }
}

/// True for a bool `true` (or a non-zero number).
pub(super) fn is_true(v: &DynValue) -> bool {
    match v {
        DynValue::Bool(b) => *b,
        other => number(other).is_some_and(|x| x != 0.0),
    }
}

/// A number's value as an `f64`.
fn number(v: &DynValue) -> Option<f64> {
    match *v {
        DynValue::F32(f) => Some(f.into()),
        DynValue::F64(f) => Some(f),
        ref other => other.as_int().map(|i| i as f64),
    }
}

/// The value `kind` gives a variable of type `ty` that holds `current`, at `clock`,
/// `periods` of its `every` after the last update; `None` to leave it.
#[expect(clippy::too_many_arguments, reason = "one update's inputs, named")]
pub(super) fn next_value(
    kind: &BehaviourKind,
    ty: VarType,
    current: &DynValue,
    source: Option<DynValue>,
    state: &mut State,
    clock: &Clock,
    periods: u128,
    rng: &mut Rng,
) -> Option<DynValue> {
    match *kind {
        BehaviourKind::Sine { min, max, period } => {
            let phase = TAU * (clock.since_start.as_nanos() % period.as_nanos().max(1)) as f64
                / period.as_nanos().max(1) as f64;
            let x = (min + max) / 2.0 + (max - min) / 2.0 * phase.sin();
            Some(bounded(ty, x, min, max))
        }
        BehaviourKind::Ramp { min, max, period } => {
            let length = period.as_nanos().max(1);
            let into = clock.since_start.as_nanos() % length;
            Some(match integer_range(ty) {
                // Each whole number gets the same share of the tooth, max included:
                // counted in whole nanoseconds, so no rounding skips one.
                Some(_) => {
                    let (lo, hi) = (min as i128, max as i128);
                    let steps = u128::try_from(hi - lo + 1).unwrap_or(1);
                    let k = steps.saturating_mul(into) / length;
                    int(ty, (lo + k as i128).min(hi))
                }
                None => float(ty, min + (max - min) * (into as f64 / length as f64)),
            })
        }
        BehaviourKind::Random { min, max } => Some(match integer_range(ty) {
            Some(_) => {
                let (lo, hi) = (min as i128, max as i128);
                let span = u128::try_from(hi - lo).unwrap_or(0);
                int(ty, lo + rng.up_to(span) as i128)
            }
            None => float(ty, min + (max - min) * rng.unit()),
        }),
        BehaviourKind::Counter { step } => {
            let n = current.as_int()?;
            let steps = i128::from(step).checked_mul(i128::try_from(periods).ok()?)?;
            Some(int(ty, wrap(ty, n + steps)))
        }
        BehaviourKind::Toggle => {
            let on = is_true(current);
            Some(DynValue::Bool(if periods % 2 == 1 { !on } else { on }))
        }
        BehaviourKind::Uptime => Some(whole_seconds(ty, clock.since_start.as_secs())),
        // The wall clock, as a device's real-time clock: set, it jumps.
        BehaviourKind::Timestamp => Some(whole_seconds(ty, clock.unix.as_secs())),
        BehaviourKind::Follow { tau, gain, .. } => {
            follow(ty, current, source?, state, clock.now, tau, gain)
        }
    }
}

/// A `follow`'s next value: a first-order lag for a number, a delay for a bool.
fn follow(
    ty: VarType,
    current: &DynValue,
    source: DynValue,
    state: &mut State,
    now: Instant,
    tau: Duration,
    gain: f64,
) -> Option<DynValue> {
    match state {
        State::Lag { value, at, written } => {
            // Written by someone else since: move on from there.
            if written.as_ref() != Some(current) {
                *value = number(current)?;
            }
            let target = gain * number(&source)?;
            let dt = now.saturating_duration_since(*at).as_secs_f64();
            *at = now;
            *value = if tau.is_zero() {
                target
            } else {
                *value + (target - *value) * (1.0 - (-dt / tau.as_secs_f64()).exp())
            };
            Some(match integer_range(ty) {
                Some((lo, hi)) => int(ty, (value.round() as i128).clamp(lo, hi)),
                None => float(ty, *value),
            })
        }
        State::Hold { seen, since } => {
            let wanted = is_true(&source);
            if *seen != Some(wanted) {
                *seen = Some(wanted);
                *since = now;
            }
            (is_true(current) != wanted && now.saturating_duration_since(*since) >= tau)
                .then_some(DynValue::Bool(wanted))
        }
        State::None => None,
    }
}

/// Seconds as a value of `ty`, wrapped at an integer type's range.
fn whole_seconds(ty: VarType, secs: u64) -> DynValue {
    match integer_range(ty) {
        Some(_) => int(ty, wrap(ty, i128::from(secs))),
        None => float(ty, secs as f64),
    }
}

/// `x` rounded (for integer types) and kept inside `min..=max`.
fn bounded(ty: VarType, x: f64, min: f64, max: f64) -> DynValue {
    let x = x.clamp(min, max);
    match integer_range(ty) {
        Some((lo, hi)) => int(ty, (x.round() as i128).clamp(lo, hi)),
        None => float(ty, x),
    }
}

/// `n` wrapped into an integer type's range, as the type's arithmetic wraps.
fn wrap(ty: VarType, n: i128) -> i128 {
    match integer_range(ty) {
        Some((lo, hi)) => lo + (n - lo).rem_euclid(hi - lo + 1),
        None => n,
    }
}

/// `n` (inside the type's range) as a value of integer type `ty`.
fn int(ty: VarType, n: i128) -> DynValue {
    ty.int_value(n).unwrap_or(DynValue::I64(0))
}

/// `x` as a value of float type `ty` (an `f32` takes the nearest).
fn float(ty: VarType, x: f64) -> DynValue {
    if ty == VarType::F32 {
        DynValue::F32(x as f32)
    } else {
        DynValue::F64(x)
    }
}
