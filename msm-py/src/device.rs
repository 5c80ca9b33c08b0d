//! The master's one-off calls (FC07, FC08, FC11, FC12, FC17, FC20, FC21, FC24, FC43)
//! from Python: each a [`OneOff`] made from the Python arguments, run on the worker's
//! handle, its [`Answer`] converted to Python once it comes. The blocking methods of
//! `msm.MasterHandle` and `msm.aio`'s (`_aio_one_off`) share them.

use msm::AsyncMasterHandle;
use msm::master::{DeviceInfo, EventCounter, EventLog, RecordWrite, ServerReport};
use msm::protocol::{DiagnosticCounter, FileRead};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::args;
use crate::errors::BadArgument;

/// A one-off call, its arguments checked.
pub(crate) enum OneOff {
    ReportServerId,
    ReadDeviceIdentification,
    ReadExceptionStatus,
    Diagnostics(u16, Vec<u8>),
    DiagnosticRegister,
    Counter(DiagnosticCounter),
    ClearCounters,
    RestartCommunications(bool),
    ForceListenOnly,
    CommEventCounter,
    CommEventLog,
    ReadFileRecord(FileRead),
    WriteFileRecord(RecordWrite),
    ReadFifoQueue(u16),
}

/// What a call answered, converted to Python under the GIL.
pub(crate) enum Answer {
    Server(ServerReport),
    Identification(DeviceInfo),
    Int(u16),
    Bytes(Vec<u8>),
    Words(Vec<u16>),
    Counter(EventCounter),
    Log(EventLog),
    Done,
}

/// The named counter helpers, by method name.
const COUNTERS: [(&str, DiagnosticCounter); 8] = [
    ("bus_message_count", DiagnosticCounter::BusMessages),
    (
        "bus_communication_error_count",
        DiagnosticCounter::BusCommunicationErrors,
    ),
    (
        "bus_exception_error_count",
        DiagnosticCounter::BusExceptionErrors,
    ),
    ("server_message_count", DiagnosticCounter::ServerMessages),
    (
        "server_no_response_count",
        DiagnosticCounter::ServerNoResponses,
    ),
    ("server_nak_count", DiagnosticCounter::ServerNaks),
    ("server_busy_count", DiagnosticCounter::ServerBusy),
    (
        "bus_character_overrun_count",
        DiagnosticCounter::BusCharacterOverruns,
    ),
];

impl OneOff {
    /// FC08 with any sub-function; `data` bytes, `00 00` when not given.
    pub(crate) fn diagnostics(
        sub_function: &Bound<'_, PyAny>,
        data: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<OneOff> {
        let sub = args::int(sub_function, "sub_function", 0, 0xFFFF)? as u16;
        let data = match data.filter(|d| !d.is_none()) {
            Some(d) => d.extract::<Vec<u8>>().map_err(|_| {
                BadArgument::new_err(format!(
                    "data must be bytes, such as b\"\\x00\\x00\", got {}",
                    args::described(d)
                ))
            })?,
            None => vec![0, 0],
        };
        Ok(OneOff::Diagnostics(sub, data))
    }

    /// FC20: `count` records (1..=121, what one answer holds) of `file` from `record`.
    pub(crate) fn read_file_record(
        file: &Bound<'_, PyAny>,
        record: &Bound<'_, PyAny>,
        count: &Bound<'_, PyAny>,
    ) -> PyResult<OneOff> {
        Ok(OneOff::ReadFileRecord(FileRead {
            file: file_number(file)?,
            record: record_number(record)?,
            length: args::int(count, "count", 1, 121)? as u16,
        }))
    }

    /// FC21: `values` to `file` from `record`.
    pub(crate) fn write_file_record(
        file: &Bound<'_, PyAny>,
        record: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<OneOff> {
        Ok(OneOff::WriteFileRecord(RecordWrite::new(
            file_number(file)?,
            record_number(record)?,
            words(values, "each value")?,
        )))
    }

    /// FC24 at `address`.
    pub(crate) fn read_fifo_queue(address: &Bound<'_, PyAny>) -> PyResult<OneOff> {
        Ok(OneOff::ReadFifoQueue(args::address(address)?))
    }

    /// The counter helper `name` (`bus_message_count`...).
    pub(crate) fn counter(name: &str) -> Option<OneOff> {
        COUNTERS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| OneOff::Counter(*c))
    }

    /// The call the method `name` of `msm.MasterHandle` makes with `args` (for
    /// `msm.aio`, whose methods pass their arguments through).
    pub(crate) fn parse(name: &str, a: &Bound<'_, PyTuple>) -> PyResult<OneOff> {
        let arg = |i: usize| a.get_item(i);
        let opt = |i: usize| a.get_item(i).ok().filter(|x| !x.is_none());
        Ok(match name {
            "report_server_id" => OneOff::ReportServerId,
            "read_device_identification" => OneOff::ReadDeviceIdentification,
            "read_exception_status" => OneOff::ReadExceptionStatus,
            "diagnostics" => OneOff::diagnostics(&arg(0)?, opt(1).as_ref())?,
            "diagnostic_register" => OneOff::DiagnosticRegister,
            "clear_counters" => OneOff::ClearCounters,
            "restart_communications" => OneOff::RestartCommunications(
                opt(0).is_some_and(|c| c.is_truthy().unwrap_or(false)),
            ),
            "force_listen_only" => OneOff::ForceListenOnly,
            "comm_event_counter" => OneOff::CommEventCounter,
            "comm_event_log" => OneOff::CommEventLog,
            "read_file_record" => OneOff::read_file_record(&arg(0)?, &arg(1)?, &arg(2)?)?,
            "write_file_record" => OneOff::write_file_record(&arg(0)?, &arg(1)?, &arg(2)?)?,
            "read_fifo_queue" => OneOff::read_fifo_queue(&arg(0)?)?,
            other => OneOff::counter(other).ok_or_else(|| {
                BadArgument::new_err(format!("{other} is not a call of msm.MasterHandle"))
            })?,
        })
    }

    /// The method's name, for a wait's messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            OneOff::ReportServerId => "report_server_id",
            OneOff::ReadDeviceIdentification => "read_device_identification",
            OneOff::ReadExceptionStatus => "read_exception_status",
            OneOff::Diagnostics(..) => "diagnostics",
            OneOff::DiagnosticRegister => "diagnostic_register",
            OneOff::Counter(c) => COUNTERS
                .iter()
                .find(|(_, k)| k == c)
                .map_or("diagnostic_counter", |(n, _)| n),
            OneOff::ClearCounters => "clear_counters",
            OneOff::RestartCommunications(_) => "restart_communications",
            OneOff::ForceListenOnly => "force_listen_only",
            OneOff::CommEventCounter => "comm_event_counter",
            OneOff::CommEventLog => "comm_event_log",
            OneOff::ReadFileRecord(_) => "read_file_record",
            OneOff::WriteFileRecord(_) => "write_file_record",
            OneOff::ReadFifoQueue(_) => "read_fifo_queue",
        }
    }

    /// Runs the call on the worker's handle.
    pub(crate) async fn run(self, h: &AsyncMasterHandle) -> msm::Result<Answer> {
        Ok(match self {
            OneOff::ReportServerId => Answer::Server(h.report_server_id().await?),
            OneOff::ReadDeviceIdentification => {
                Answer::Identification(h.read_device_identification().await?)
            }
            OneOff::ReadExceptionStatus => Answer::Int(h.read_exception_status().await?.into()),
            OneOff::Diagnostics(sub, data) => Answer::Bytes(h.diagnostics(sub, &data).await?),
            OneOff::DiagnosticRegister => Answer::Int(h.diagnostic_register().await?),
            OneOff::Counter(c) => Answer::Int(h.diagnostic_counter(c).await?),
            OneOff::ClearCounters => done(h.clear_counters().await?),
            OneOff::RestartCommunications(clear) => done(h.restart_communications(clear).await?),
            OneOff::ForceListenOnly => done(h.force_listen_only().await?),
            OneOff::CommEventCounter => Answer::Counter(h.comm_event_counter().await?),
            OneOff::CommEventLog => Answer::Log(h.comm_event_log().await?),
            OneOff::ReadFileRecord(read) => {
                let mut groups = h.read_file_record(&[read]).await?;
                Answer::Words(groups.pop().unwrap_or_default())
            }
            OneOff::WriteFileRecord(write) => done(h.write_file_record(&[write]).await?),
            OneOff::ReadFifoQueue(address) => Answer::Words(h.read_fifo_queue(address).await?),
        })
    }
}

fn done(_: ()) -> Answer {
    Answer::Done
}

impl<'py> IntoPyObject<'py> for Answer {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self {
            Answer::Server(r) => {
                // {"server_id": bytes, "running": bool | None, "additional_data": bytes,
                // "bytes": bytes}
                let d = PyDict::new(py);
                d.set_item("server_id", PyBytes::new(py, &r.server_id))?;
                d.set_item("running", r.running)?;
                d.set_item("additional_data", PyBytes::new(py, &r.additional_data))?;
                d.set_item("bytes", PyBytes::new(py, &r.bytes))?;
                d.into_any()
            }
            Answer::Identification(info) => {
                // {"conformity_level": int, "objects": {id: str}}
                let objects = PyDict::new(py);
                for (id, value) in &info.objects {
                    objects.set_item(id, String::from_utf8_lossy(value))?;
                }
                let d = PyDict::new(py);
                d.set_item("conformity_level", info.conformity_level)?;
                d.set_item("objects", objects)?;
                d.into_any()
            }
            Answer::Int(v) => v.into_pyobject(py)?.into_any(),
            Answer::Bytes(b) => PyBytes::new(py, &b).into_any(),
            Answer::Words(w) => w.into_pyobject(py)?,
            Answer::Counter(c) => {
                let d = PyDict::new(py);
                d.set_item("status", c.status)?;
                d.set_item("busy", c.busy())?;
                d.set_item("event_count", c.event_count)?;
                d.into_any()
            }
            Answer::Log(log) => {
                let d = PyDict::new(py);
                d.set_item("status", log.status)?;
                d.set_item("event_count", log.event_count)?;
                d.set_item("message_count", log.message_count)?;
                // A list of ints, not bytes: each is an event to read on its own.
                let events: Vec<u16> = log.events.iter().map(|&b| u16::from(b)).collect();
                d.set_item("events", events)?;
                d.into_any()
            }
            Answer::Done => py.None().into_bound(py),
        })
    }
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
