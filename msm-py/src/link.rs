//! What Python passes to name a peer or a serial line.

use msm::Parity;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::args;
use crate::errors::{BadArgument, IntoPy, bad_declaration};

/// A TCP address from Python: `"host:port"` or `(host, port)`.
pub(crate) fn tcp_addr(addr: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = addr.extract::<String>() {
        return Ok(text);
    }
    let takes = "addr must be \"host:port\" text (\"127.0.0.1:5020\") or a (host, port) pair (port 0..=65535)";
    if addr.is_instance_of::<PyTuple>() {
        if let Ok((host, port)) = addr.extract::<(String, u16)>() {
            use msm::transport::TcpAddr;
            return Ok((host.as_str(), port).into_addr());
        }
        let text = format!("{takes}, got {}", args::described(addr));
        // The right shape with a port out of range is a bad value, not a bad type.
        let out_of_range = addr.extract::<(String, i128)>().is_ok();
        return Err(if out_of_range {
            bad_declaration(text)
        } else {
            BadArgument::new_err(text)
        });
    }
    Err(BadArgument::new_err(format!(
        "{takes}, got {}",
        args::described(addr)
    )))
}

/// A parity from its name: `none`, `even` or `odd`.
pub(crate) fn parity(name: &Bound<'_, PyAny>) -> PyResult<Parity> {
    args::text(name, "parity", "\"even\"")?
        .parse::<Parity>()
        .py()
}

/// An optional parity (`None`: not given).
pub(crate) fn opt_parity(name: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Parity>> {
    args::opt(name, parity)
}

/// Stop bits: 1 or 2.
pub(crate) fn stop_bits(n: &Bound<'_, PyAny>) -> PyResult<u8> {
    args::small(n, "stop_bits", 1, 2)
}

/// Data bits: 7 or 8 (ASCII takes either, RTU only 8).
pub(crate) fn data_bits(n: &Bound<'_, PyAny>) -> PyResult<u8> {
    args::small(n, "data_bits", 7, 8)
}

/// UDP retries: an int in 0..=2**32-1.
pub(crate) fn retries(n: &Bound<'_, PyAny>) -> PyResult<u32> {
    Ok(args::int(n, "retries", 0, i64::from(u32::MAX))? as u32)
}

/// One serial keyword of a constructor (`parity=`, `stop_bits=`, `data_bits=`), checked.
#[derive(Clone, Copy)]
pub(crate) enum SerialSetting {
    Parity(Parity),
    StopBits(u8),
    DataBits(u8),
}

impl SerialSetting {
    /// As the builder's repr shows it: `parity='none'`.
    pub(crate) fn label(self) -> String {
        match self {
            SerialSetting::Parity(p) => format!("parity={}", args::quoted(&p.to_string())),
            SerialSetting::StopBits(n) => format!("stop_bits={n}"),
            SerialSetting::DataBits(n) => format!("data_bits={n}"),
        }
    }
}

/// The serial keywords given to a constructor, checked, in the order the repr shows.
pub(crate) fn serial_settings(
    parity: Option<&Bound<'_, PyAny>>,
    stop_bits: Option<&Bound<'_, PyAny>>,
    data_bits: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<SerialSetting>> {
    Ok([
        opt_parity(parity)?.map(SerialSetting::Parity),
        args::opt(stop_bits, self::stop_bits)?.map(SerialSetting::StopBits),
        args::opt(data_bits, self::data_bits)?.map(SerialSetting::DataBits),
    ]
    .into_iter()
    .flatten()
    .collect())
}

/// A serial line's path and baud rate.
pub(crate) fn serial_line(
    path: &Bound<'_, PyAny>,
    baud: &Bound<'_, PyAny>,
) -> PyResult<(String, u32)> {
    let path = args::text(path, "path", "\"/dev/ttyUSB0\"")?;
    let baud = args::int(baud, "baud", 1, i64::from(u32::MAX))? as u32;
    Ok((path, baud))
}
