//! A variable's `sim` key: how the serving side moves it (docs/simulator.md), and the
//! durations map files write (`period = "10s"`, also for `[[fault]]`'s `delay`).

use std::time::Duration;

use toml::de::DeValue;

use super::{Parser, Value};
use crate::map::behaviour::{Behaviour, BehaviourKind};
use crate::types::{MapError, MapErrorKind, VarType};

/// The keys each kind takes, `kind`, `every` and `enable` included.
const SINE_KEYS: &[&str] = &["kind", "min", "max", "period", "every", "enable"];
const COUNTER_KEYS: &[&str] = &["kind", "step", "every", "enable"];
const RANDOM_KEYS: &[&str] = &["kind", "min", "max", "every", "enable"];
const PLAIN_KEYS: &[&str] = &["kind", "every", "enable"];
const FOLLOW_KEYS: &[&str] = &["kind", "source", "tau", "gain", "every", "enable"];

const KIND_HINT: &str = "say how the variable moves: kind = \"sine\", \"counter\", \"random\", \
                         \"ramp\", \"toggle\", \"uptime\", \"timestamp\" or \"follow\"";

impl Parser<'_> {
    /// The `sim` of variable `var` of type `ty`, checked against the type.
    pub(super) fn sim(
        &self,
        value: &Value<'_>,
        var: &str,
        ty: VarType,
    ) -> Result<Behaviour, MapError> {
        let v = Some(var);
        let expected =
            "a table such as { kind = \"sine\", min = 0.0, max = 100.0, period = \"10s\" }";
        let table = self.table(value, "sim", expected, v)?;
        let Some(kind_v) = table.get("kind") else {
            let kind = MapErrorKind::MissingKey {
                key: "kind",
                hint: KIND_HINT,
            };
            return Err(self.error(value.span(), v, kind));
        };
        let name = self.str(kind_v, "kind", v)?;
        let (valid, table_name): (&'static [&'static str], &'static str) = match name {
            "sine" => (SINE_KEYS, "a sine"),
            "ramp" => (SINE_KEYS, "a ramp"),
            "counter" => (COUNTER_KEYS, "a counter"),
            "random" => (RANDOM_KEYS, "a random"),
            "toggle" => (PLAIN_KEYS, "a toggle"),
            "uptime" => (PLAIN_KEYS, "an uptime"),
            "timestamp" => (PLAIN_KEYS, "a timestamp"),
            "follow" => (FOLLOW_KEYS, "a follow"),
            other => {
                let kind = MapErrorKind::UnknownBehaviour {
                    name: other.to_string(),
                };
                return Err(self.error(kind_v.span(), v, kind));
            }
        };
        for (key, _) in table.iter() {
            let key_name = key.get_ref().as_ref();
            if !valid.contains(&key_name) {
                return Err(self.unknown_key(key, v, table_name, key_name, valid));
            }
        }
        let missing = |key: &'static str, hint: &'static str| {
            self.error(value.span(), v, MapErrorKind::MissingKey { key, hint })
        };
        let number = |key: &'static str| -> Result<f64, MapError> {
            let hint = "give the lowest and highest values: min = 0, max = 100";
            let field = table.get(key).ok_or_else(|| missing(key, hint))?;
            self.number(field, key, v)
        };
        let period = || -> Result<Duration, MapError> {
            let field = table.get("period").ok_or_else(|| {
                missing(
                    "period",
                    "give the length of a wave or tooth: period = \"10s\"",
                )
            })?;
            self.duration(field, "period", v)
        };
        let kind = match name {
            "sine" => BehaviourKind::Sine {
                min: number("min")?,
                max: number("max")?,
                period: period()?,
            },
            "ramp" => BehaviourKind::Ramp {
                min: number("min")?,
                max: number("max")?,
                period: period()?,
            },
            "random" => BehaviourKind::Random {
                min: number("min")?,
                max: number("max")?,
            },
            "counter" => BehaviourKind::Counter {
                step: match table.get("step") {
                    Some(field) => self.step(field, v)?,
                    None => 1,
                },
            },
            "toggle" => BehaviourKind::Toggle,
            "uptime" => BehaviourKind::Uptime,
            "timestamp" => BehaviourKind::Timestamp,
            _ => {
                let source = table.get("source").ok_or_else(|| {
                    missing(
                        "source",
                        "name the variable it follows: source = \"SETPOINT\"",
                    )
                })?;
                BehaviourKind::Follow {
                    source: self.str(source, "source", v)?.to_string(),
                    tau: match table.get("tau") {
                        Some(field) => self.duration(field, "tau", v)?,
                        None => Duration::ZERO,
                    },
                    gain: match table.get("gain") {
                        Some(field) => self.number(field, "gain", v)?,
                        None => 1.0,
                    },
                }
            }
        };
        let mut behaviour = Behaviour::new(kind);
        if let Some(field) = table.get("every") {
            behaviour = behaviour.every(self.duration(field, "every", v)?);
        }
        if let Some(field) = table.get("enable") {
            behaviour = behaviour.enable(self.str(field, "enable", v)?);
        }
        if let Some(reason) = behaviour.problem_for(ty) {
            return Err(self.error(value.span(), v, MapErrorKind::BadBehaviour { reason }));
        }
        Ok(behaviour)
    }

    /// A duration written as text with a unit: `"500ms"`, `"10s"`, `"1m 30s"`.
    pub(super) fn duration(
        &self,
        value: &Value<'_>,
        key: &'static str,
        var: Option<&str>,
    ) -> Result<Duration, MapError> {
        let expected = "a duration in quotes, such as \"500ms\" or \"10s\"";
        let text = value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.wrong_type(value, key, var, expected))?;
        humantime::parse_duration(text.trim()).map_err(|e| {
            let kind = MapErrorKind::BadDuration {
                key,
                text: text.to_string(),
                reason: e.to_string(),
            };
            self.error(value.span(), var, kind)
        })
    }

    /// A number, integer or float, as an `f64`.
    pub(super) fn number(
        &self,
        value: &Value<'_>,
        key: &str,
        var: Option<&str>,
    ) -> Result<f64, MapError> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| self.wrong_type(value, key, var, "a number"))
    }

    /// A counter's step: a whole number other than 0.
    fn step(&self, value: &Value<'_>, var: Option<&str>) -> Result<i64, MapError> {
        let Some(i) = value.get_ref().as_integer() else {
            return Err(self.wrong_type(value, "step", var, "an integer"));
        };
        i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .filter(|&n| n != 0)
            .ok_or_else(|| {
                let kind = MapErrorKind::NumberOutOfRange {
                    key: "step",
                    value: i.to_string(),
                    range: "a whole number other than 0, negative to count down",
                };
                self.error(value.span(), var, kind)
            })
    }
}
