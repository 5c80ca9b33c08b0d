//! What a device answers to the master's one-off calls (FC17, FC43, FC11, FC12), as
//! Python dicts, and the arguments of those calls.

use msm::master::{DeviceInfo, EventCounter, EventLog, ServerReport};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::args;

/// FC17: `{"server_id": bytes, "running": bool | None, "additional_data": bytes,
/// "bytes": bytes}`.
pub(crate) fn server_report<'py>(
    py: Python<'py>,
    r: &ServerReport,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("server_id", PyBytes::new(py, &r.server_id))?;
    d.set_item("running", r.running)?;
    d.set_item("additional_data", PyBytes::new(py, &r.additional_data))?;
    d.set_item("bytes", PyBytes::new(py, &r.bytes))?;
    Ok(d)
}

/// FC43: `{"conformity_level": int, "objects": {id: str}}`.
pub(crate) fn device_info<'py>(py: Python<'py>, info: &DeviceInfo) -> PyResult<Bound<'py, PyDict>> {
    let objects = PyDict::new(py);
    for (id, value) in &info.objects {
        objects.set_item(id, String::from_utf8_lossy(value))?;
    }
    let d = PyDict::new(py);
    d.set_item("conformity_level", info.conformity_level)?;
    d.set_item("objects", objects)?;
    Ok(d)
}

/// FC11: `{"status": int, "busy": bool, "event_count": int}`.
pub(crate) fn event_counter<'py>(
    py: Python<'py>,
    c: &EventCounter,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("status", c.status)?;
    d.set_item("busy", c.busy())?;
    d.set_item("event_count", c.event_count)?;
    Ok(d)
}

/// FC12: `{"status": int, "event_count": int, "message_count": int, "events": [int]}`
/// (newest first).
pub(crate) fn event_log<'py>(py: Python<'py>, log: &EventLog) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("status", log.status)?;
    d.set_item("event_count", log.event_count)?;
    d.set_item("message_count", log.message_count)?;
    // A list of ints, not bytes: each is an event to read on its own.
    let events: Vec<u16> = log.events.iter().map(|&b| u16::from(b)).collect();
    d.set_item("events", events)?;
    Ok(d)
}

/// A file number, 1..=65535.
pub(crate) fn file_number(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    Ok(args::int(obj, "file", 1, 65535)? as u16)
}

/// A record number, 0..=9999.
pub(crate) fn record_number(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    Ok(args::int(obj, "record", 0, 9999)? as u16)
}

/// Register values: ints 0..=65535.
pub(crate) fn words(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u16>> {
    obj.try_iter()?
        .map(|v| Ok(args::int(&v?, what, 0, 65535)? as u16))
        .collect()
}

/// FC08 data: bytes (or a bytearray).
pub(crate) fn data(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    obj.extract::<Vec<u8>>().map_err(|_| {
        crate::errors::BadArgument::new_err(format!(
            "data must be bytes, such as b\"\\x00\\x00\", got {}",
            args::described(obj)
        ))
    })
}
