//! `[[fault]]` tables: faults a slave makes on purpose (docs/simulator.md), and the
//! map's `seed`.

use toml::de::DeValue;

use super::{Key, Parser, Value};
use crate::protocol::ExceptionCode;
use crate::types::{Fault, FaultAction, MapError, MapErrorKind, parse_integer};

const FAULT_KEYS: &[&str] = &[
    "function",
    "address",
    "count",
    "unit",
    "action",
    "code",
    "delay",
    "every",
    "probability",
];

impl Parser<'_> {
    /// The `[[fault]]` array, in file order.
    pub(super) fn faults(&self, value: &Value<'_>) -> Result<Vec<Fault>, MapError> {
        let Some(tables) = value.get_ref().as_array() else {
            let expected = "an array of tables: write each one as [[fault]]";
            return Err(self.wrong_type(value, "fault", None, expected));
        };
        tables
            .iter()
            .enumerate()
            .map(|(i, table)| self.fault(i + 1, table))
            .collect()
    }

    /// The `seed` key: a whole number from 0.
    pub(super) fn seed(&self, value: &Value<'_>) -> Result<u64, MapError> {
        let Some(i) = value.get_ref().as_integer() else {
            return Err(self.wrong_type(value, "seed", None, "an integer"));
        };
        u64::from_str_radix(i.as_str(), i.radix()).map_err(|_| {
            let kind = MapErrorKind::NumberOutOfRange {
                key: "seed",
                value: i.to_string(),
                range: "0..=9223372036854775807",
            };
            self.error(value.span(), None, kind)
        })
    }

    fn fault(&self, index: usize, value: &Value<'_>) -> Result<Fault, MapError> {
        let expected = "a table: [[fault]] with action = \"...\" and the requests it matches";
        let table = self.table(value, "fault", expected, None)?;
        let bad = |at: &Value<'_>, reason: String| {
            self.error(at.span(), None, MapErrorKind::BadFault { index, reason })
        };
        let mut fields: [Option<(&Key<'_>, &Value<'_>)>; 9] = Default::default();
        for (k, v) in table.iter() {
            let name = k.get_ref().as_ref();
            match FAULT_KEYS.iter().position(|&valid| valid == name) {
                Some(i) => fields[i] = Some((k, v)),
                None => return Err(self.unknown_key(k, None, "a fault", name, FAULT_KEYS)),
            }
        }
        let [
            function,
            address,
            count,
            unit,
            action,
            code,
            delay,
            every,
            probability,
        ] = fields.map(|f| f.map(|(_, v)| v));
        let Some(action_v) = action else {
            let kind = MapErrorKind::BadFault {
                index,
                reason: format!(
                    "missing `action`: say what happens instead of the normal answer: \
                     action = \"{}\"",
                    FaultAction::NAMES.join("\", \"")
                ),
            };
            return Err(self.error(value.span(), None, kind));
        };
        let name = self.str(action_v, "action", None)?;
        if !FaultAction::NAMES.contains(&name) {
            let kind = MapErrorKind::UnknownAction {
                name: name.to_string(),
            };
            return Err(self.error(action_v.span(), None, kind));
        }
        // The keys only some actions take, given to another, or missing from one that needs them.
        let needs_code = name == "exception";
        let needs_delay = matches!(name, "delay" | "trickle");
        if let Some(v) = code.filter(|_| !needs_code) {
            return Err(bad(
                v,
                format!("`code` applies only to action = \"exception\", not \"{name}\""),
            ));
        }
        if let Some(v) = delay.filter(|_| !needs_delay) {
            return Err(bad(
                v,
                format!(
                    "`delay` applies only to action = \"delay\" or \"trickle\", not \"{name}\""
                ),
            ));
        }
        let action = match name {
            "exception" => {
                let v = code.ok_or_else(|| {
                    bad(
                        action_v,
                        "an exception needs its code: code = 1..=255, for example code = 6 \
                         (server device busy)"
                            .into(),
                    )
                })?;
                let code = self.int(v, "code", None, 255, "1..=255")?;
                if code == 0 {
                    return Err(bad(
                        v,
                        "exception code 0 does not exist: give 1..=255".into(),
                    ));
                }
                FaultAction::Exception(ExceptionCode::from_u8(code as u8))
            }
            "delay" | "trickle" => {
                let v = delay.ok_or_else(|| {
                    let what = if name == "delay" {
                        "how late the answer comes: delay = \"500ms\""
                    } else {
                        "the pause between bytes: delay = \"5ms\""
                    };
                    bad(action_v, format!("a {name} needs {what}"))
                })?;
                let d = self.duration(v, "delay", None)?;
                if name == "delay" {
                    FaultAction::Delay(d)
                } else {
                    FaultAction::Trickle(d)
                }
            }
            other => FaultAction::plain(other).ok_or_else(|| {
                let name = other.to_string();
                self.error(action_v.span(), None, MapErrorKind::UnknownAction { name })
            })?,
        };
        let mut fault = Fault::new(action);
        if let Some(v) = function {
            let codes = self.bytes(v, "function", 1, 127, "1..=127")?;
            fault = fault.functions(codes);
        }
        if let Some(v) = unit {
            fault = fault.units(self.bytes(v, "unit", 0, 255, "0..=255")?);
        }
        if let Some(v) = address {
            let (first, last) = self.address_range(v).map_err(|reason| bad(v, reason))?;
            fault = fault.address(first..=last);
        }
        if let Some(v) = count {
            let n = self.int(v, "count", None, 65535, "1..=65535")?;
            if n == 0 {
                return Err(bad(
                    v,
                    "count = 0 matches no request: give 1..=65535".into(),
                ));
            }
            fault = fault.count(n as u16);
        }
        match (every, probability) {
            (Some(_), Some(p)) => {
                return Err(bad(p, "give `every` or `probability`, not both".into()));
            }
            (Some(v), None) => {
                let n = self.int(v, "every", None, u32::MAX, "1..=4294967295")?;
                if n == 0 {
                    return Err(bad(v, "every = 0: give 1 (every request) or more".into()));
                }
                fault = fault.every(n);
            }
            (None, Some(v)) => {
                let p = self.number(v, "probability", None)?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(bad(
                        v,
                        format!("probability {p} is out of range: give 0.0..=1.0"),
                    ));
                }
                fault = fault.probability(p);
            }
            (None, None) => {}
        }
        Ok(fault)
    }

    /// One integer in `min..=max`, or an array of them.
    fn bytes(
        &self,
        value: &Value<'_>,
        key: &'static str,
        min: u32,
        max: u32,
        range: &'static str,
    ) -> Result<Vec<u8>, MapError> {
        let one = |v: &Value<'_>| -> Result<u8, MapError> {
            let n = self.int(v, key, None, max, range)?;
            if n < min {
                let kind = MapErrorKind::NumberOutOfRange {
                    key,
                    value: n.to_string(),
                    range,
                };
                return Err(self.error(v.span(), None, kind));
            }
            Ok(n as u8)
        };
        match value.get_ref() {
            DeValue::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
            DeValue::Array(_) => {
                let expected = "an integer or a list of at least one";
                Err(self.wrong_type(value, key, None, expected))
            }
            _ => Ok(vec![one(value)?]),
        }
    }

    /// `address = 0x170` or `address = "0x170..=0x17F"` (also `"A..B"`, `"A"`).
    fn address_range(&self, value: &Value<'_>) -> Result<(u16, u16), String> {
        if value.get_ref().as_integer().is_some() {
            let a = self
                .int(value, "address", None, 65535, "0..=65535")
                .map_err(|e| e.kind().to_string())?;
            return Ok((a as u16, a as u16));
        }
        let Some(text) = value.get_ref().as_str() else {
            return Err(format!(
                "`address` must be an address or a range in quotes (\"0x170..=0x17F\"), not {}",
                value.get_ref().type_str()
            ));
        };
        let number = |s: &str| {
            parse_integer(s)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| {
                    format!("address range {text:?} has {s:?} where an address (0..=65535) belongs")
                })
        };
        let (first, last) = if let Some((a, b)) = text.split_once("..=") {
            (number(a)?, number(b)?)
        } else if let Some((a, b)) = text.split_once("..") {
            let (a, b) = (number(a)?, number(b)?);
            if b <= a {
                return Err(format!("address range {text:?} holds no address"));
            }
            (a, b - 1)
        } else {
            let a = number(text)?;
            (a, a)
        };
        if first > last {
            return Err(format!(
                "address range {text:?} is empty: write FIRST..=LAST with FIRST <= LAST"
            ));
        }
        Ok((first, last))
    }
}
