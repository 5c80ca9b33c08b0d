//! `msm.Fault`: a fault a slave makes on purpose (docs/simulator.md), with the keys of a
//! map's `[[fault]]`. (`Slave.faults(...)` reads a list of them or a map: slave.rs.)

use msm::protocol::ExceptionCode;
use msm::slave::{Fault, FaultAction, Hit};
use pyo3::prelude::*;
use pyo3::types::{PySequence, PyString};

use crate::args;
use crate::errors::{BadArgument, bad_value};

/// A fault a slave makes on purpose: `action` (one of `"exception"`, `"delay"`,
/// `"drop"`, `"close"`, `"wrong-transaction"`, `"wrong-unit"`, `"short"`, `"trickle"`,
/// `"bad-crc"`, `"garbage"`) for the requests it matches. The keywords are a map's
/// `[[fault]]` keys: `code` (for `"exception"`), `delay` in seconds (for `"delay"` and
/// `"trickle"`), and the filters `function`, `address` (an int, a `(first, last)` pair
/// or `"0x170..=0x17F"`), `count`, `unit`, then `every` or `probability`.
///
/// >>> import msm
/// >>> busy = msm.Fault("exception", code=6, function=3, address=(0x170, 0x17F))
/// >>> busy
/// <msm.Fault function 3, address 0x170..=0x17F: exception server device busy (06)>
/// >>> msm.Fault("trickle", delay=0.005, every=2).action
/// 'trickle'
#[pyclass(module = "msm", name = "Fault", frozen)]
pub(crate) struct PyFault {
    pub(crate) fault: Fault,
}

#[pymethods]
impl PyFault {
    #[new]
    #[pyo3(signature = (action, *, code = None, delay = None, function = None, address = None,
                        count = None, unit = None, every = None, probability = None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "a map's [[fault]] keys, as keywords"
    )]
    fn new(
        action: &Bound<'_, PyAny>,
        code: Option<&Bound<'_, PyAny>>,
        delay: Option<&Bound<'_, PyAny>>,
        function: Option<&Bound<'_, PyAny>>,
        address: Option<&Bound<'_, PyAny>>,
        count: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        every: Option<&Bound<'_, PyAny>>,
        probability: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyFault> {
        let name = args::text(action, "action", "\"exception\"")?;
        let given = |o: Option<&Bound<'_, PyAny>>| o.is_some_and(|o| !o.is_none());
        let unknown = || {
            bad_value(format!(
                "action must be one of \"{}\", got {name:?}",
                FaultAction::NAMES.join("\", \"")
            ))
        };
        if !FaultAction::NAMES.contains(&name.as_str()) {
            return Err(unknown());
        }
        if given(code) && name != "exception" {
            return Err(bad_value(format!(
                "code applies only to action=\"exception\", not {name:?}"
            )));
        }
        if given(delay) && !matches!(name.as_str(), "delay" | "trickle") {
            return Err(bad_value(format!(
                "delay applies only to action=\"delay\" or \"trickle\", not {name:?}"
            )));
        }
        let action = match name.as_str() {
            "exception" => {
                let code = code.filter(|o| !o.is_none()).ok_or_else(|| {
                    bad_value("an exception needs its code: code=6 (server device busy), 1..=255")
                })?;
                FaultAction::Exception(ExceptionCode::from_u8(args::small(code, "code", 1, 255)?))
            }
            "delay" | "trickle" => {
                let d = args::opt_seconds(delay, "delay")?.ok_or_else(|| {
                    bad_value(format!("a {name} needs delay=seconds (0.5 for 500 ms)"))
                })?;
                if name == "delay" {
                    FaultAction::Delay(d)
                } else {
                    FaultAction::Trickle(d)
                }
            }
            other => FaultAction::plain(other).ok_or_else(unknown)?,
        };
        let mut fault = Fault::new(action);
        if let Some(codes) = args::opt(function, |f| bytes(f, "function", 1, 127))? {
            fault = fault.functions(codes);
        }
        if let Some(units) = args::opt(unit, |u| bytes(u, "unit", 0, 255))? {
            fault = fault.units(units);
        }
        if let Some((first, last)) = args::opt(address, address_range)? {
            fault = fault.address(first..=last);
        }
        if let Some(n) = args::opt(count, |c| args::int(c, "count", 1, 65535))? {
            fault = fault.count(n as u16);
        }
        match (
            args::opt(every, |e| args::int(e, "every", 1, u32::MAX.into()))?,
            probability,
        ) {
            (Some(_), Some(p)) if !p.is_none() => {
                return Err(bad_value("give every or probability, not both"));
            }
            (Some(n), _) => fault = fault.every(n as u32),
            (None, Some(p)) if !p.is_none() => {
                let p: f64 = p.extract().map_err(|_| {
                    BadArgument::new_err(format!(
                        "probability must be a float in 0.0..=1.0, got {}",
                        args::described(p)
                    ))
                })?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(bad_value(format!(
                        "probability must be in 0.0..=1.0, got {p}"
                    )));
                }
                fault = fault.probability(p);
            }
            _ => {}
        }
        Ok(PyFault { fault })
    }

    /// The action's name (`"exception"`).
    #[getter]
    fn action(&self) -> &'static str {
        self.fault.action().name()
    }

    /// `every` (how often it hits: every Nth matching request), `None` with a probability.
    #[getter]
    fn every(&self) -> Option<u32> {
        match self.fault.hit() {
            Hit::Every(n) => Some(n),
            Hit::Probability(_) => None,
        }
    }

    /// The probability it hits a matching request with, if it has one.
    #[getter]
    fn probability(&self) -> Option<f64> {
        match self.fault.hit() {
            Hit::Probability(p) => Some(p),
            Hit::Every(_) => None,
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyFault>()
            .is_ok_and(|o| o.get().fault == self.fault)
    }

    fn __repr__(&self) -> String {
        format!("<msm.Fault {}>", self.fault)
    }
}

/// An int in `lo..=hi`, or a list of them.
fn bytes(obj: &Bound<'_, PyAny>, what: &str, lo: u8, hi: u8) -> PyResult<Vec<u8>> {
    if let Ok(list) = obj.cast::<PySequence>()
        && !obj.is_instance_of::<PyString>()
    {
        let mut out = Vec::new();
        for item in list.try_iter()? {
            out.push(args::small(&item?, what, lo, hi)?);
        }
        if out.is_empty() {
            return Err(bad_value(format!("{what} must list at least one, got []")));
        }
        return Ok(out);
    }
    Ok(vec![args::small(obj, what, lo, hi)?])
}

/// An address, a `(first, last)` pair, or `"FIRST..=LAST"` / `"FIRST..END"` text.
fn address_range(obj: &Bound<'_, PyAny>) -> PyResult<(u16, u16)> {
    let (first, last) = if let Ok(text) = obj.cast::<PyString>() {
        let text = text.to_string();
        let number = |s: &str| -> PyResult<u16> {
            let s = s.trim().replace('_', "");
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u16::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.map_err(|_| {
                bad_value(format!(
                    "address {text:?} has {s:?} where an address (0..=65535) belongs"
                ))
            })
        };
        if let Some((a, b)) = text.split_once("..=") {
            (number(a)?, number(b)?)
        } else if let Some((a, b)) = text.split_once("..") {
            let (a, b) = (number(a)?, number(b)?);
            if b <= a {
                return Err(bad_value(format!("address {text:?} holds no address")));
            }
            (a, b - 1)
        } else {
            let a = number(&text)?;
            (a, a)
        }
    } else if let Ok((a, b)) = obj.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>() {
        (args::address(&a)?, args::address(&b)?)
    } else {
        let a = args::address(obj)?;
        (a, a)
    };
    if first > last {
        return Err(bad_value(format!(
            "address range ({first}, {last}) is empty: give (first, last) with first <= last"
        )));
    }
    Ok((first, last))
}

/// A map's faults, as `Map.faults` gives them.
pub(crate) fn listed(faults: &[Fault]) -> Vec<PyFault> {
    faults
        .iter()
        .map(|f| PyFault { fault: f.clone() })
        .collect()
}
