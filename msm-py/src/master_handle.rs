//! `msm.MasterHandle`: a running master, for blocking calls; `msm.aio` awaits the same
//! requests (`request`, `begin_stop`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use msm::AsyncMasterHandle;
use msm::protocol::DiagnosticCounter;
use pyo3::prelude::*;

use crate::device::{Answer, OneOff};
use crate::errors::to_py;
use crate::memory::PyMemory;
use crate::running::Running;
use crate::runtime::{runtime, seconds, wait};
use crate::status::PyStatus;

/// What a wait asks of the master.
#[derive(Clone, Copy)]
pub(crate) enum Request {
    Sync,
    Flush,
}

/// A running master: `sync()`, `flush()`, `status()`, `stop()`. A context manager:
/// `with msm.Master.tcp(addr).start(mem) as m:` stops it on exit.
#[pyclass(module = "msm", name = "MasterHandle", frozen)]
pub(crate) struct MasterHandle {
    running: Arc<Running>,
}

impl MasterHandle {
    pub(crate) fn new(running: Arc<Running>) -> MasterHandle {
        MasterHandle { running }
    }

    /// The worker's handle: `msm.Stopped` once stopped, `msm.MsmError` in a process
    /// forked from the one that started it.
    fn handle(&self) -> PyResult<Arc<AsyncMasterHandle>> {
        crate::fork::check("master", self.running.pid)?;
        self.running
            .current()
            .ok_or_else(|| to_py(msm::Error::Stopped))
    }

    /// The future of a sync or flush, ending with `Stopped` if `stop()` begins
    /// meanwhile; after `timeout`, with the cause (`GaveUp`) or `Timeout`.
    pub(crate) fn request(
        &self,
        request: Request,
        timeout: Option<Duration>,
    ) -> PyResult<impl Future<Output = msm::Result<()>> + Send + 'static> {
        let handle = self.handle()?;
        let mut stopping = self.running.stopping();
        Ok(async move {
            let asked = async {
                match (request, timeout) {
                    (Request::Sync, None) => handle.sync().await,
                    (Request::Sync, Some(t)) => handle.sync_timeout(t).await,
                    (Request::Flush, None) => handle.flush().await,
                    (Request::Flush, Some(t)) => handle.flush_timeout(t).await,
                }
            };
            tokio::select! {
                out = asked => out,
                _ = stopping.wait_for(|s| *s) => Err(msm::Error::Stopped),
            }
        })
    }

    /// Takes the worker out of the handle and returns the future that stops it (`None`
    /// when stopped already). Waits in progress end with `Stopped` at once.
    pub(crate) fn begin_stop(&self) -> PyResult<Option<impl Future<Output = ()> + Send + 'static>> {
        crate::fork::check("master", self.running.pid)?;
        let taken = self
            .running
            .handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(mut handle) = taken else {
            return Ok(None);
        };
        self.running.mark_stopping();
        Ok(Some(async move {
            // The waits in progress hold the handle for a moment more.
            for _ in 0..5000 {
                match Arc::try_unwrap(handle) {
                    Ok(owned) => return owned.stop().await,
                    Err(shared) => handle = shared,
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            // Dropping the last handle stops the worker all the same.
        }))
    }

    /// The master's state now.
    pub(crate) fn status_now(&self) -> PyResult<PyStatus> {
        Ok(self.handle()?.status().into())
    }

    /// True until `stop()` (false in a forked child: it does not run there).
    pub(crate) fn is_running(&self) -> bool {
        !crate::fork::foreign(self.running.pid) && self.running.current().is_some()
    }

    /// The future of the one-off `call` on the worker, ending with `Stopped` if
    /// `stop()` begins meanwhile.
    pub(crate) fn one_off_future(
        &self,
        call: OneOff,
    ) -> PyResult<impl Future<Output = msm::Result<Answer>> + Send + 'static> {
        let handle = self.handle()?;
        let mut stopping = self.running.stopping();
        Ok(async move {
            tokio::select! {
                out = call.run(&handle) => out,
                _ = stopping.wait_for(|s| *s) => Err(msm::Error::Stopped),
            }
        })
    }

    /// Runs the one-off `call` and waits for its answer (Ctrl-C interrupts it).
    fn one_off<'py>(&self, py: Python<'py>, call: OneOff) -> PyResult<Bound<'py, PyAny>> {
        let what = call.name();
        let fut = self.one_off_future(call)?;
        wait(py, None, what, fut)?.into_pyobject(py)
    }

    fn ask(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        request: Request,
    ) -> PyResult<()> {
        let timeout = seconds("timeout", timeout)?;
        let fut = self.request(request, timeout)?;
        let what = match request {
            Request::Sync => "sync",
            Request::Flush => "flush",
        };
        // The deadline is the master's (it knows the cause); this wait lets Ctrl-C in.
        wait(py, None, what, fut)
    }
}

#[pymethods]
impl MasterHandle {
    /// Runs a full cycle now (local writes, then every read) and waits for it. Raises
    /// `msm.ModbusError` if the slave refused a read or answered one unusably,
    /// `msm.ConnectionFailed` if it cannot be reached, `msm.Stopped` if the master is
    /// stopped meanwhile. After `timeout` seconds (`None`: no limit) it raises what held
    /// the cycle up: `msm.ModbusError` for an answer the master kept retrying (06 busy,
    /// a malformed answer, another unit's), `msm.Timeout` when nothing answered. Ctrl-C
    /// interrupts it.
    #[pyo3(signature = (timeout = None))]
    fn sync(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.ask(py, timeout, Request::Sync)
    }

    /// Waits until every local write made so far is confirmed by the slave (across
    /// reconnections). Raises `msm.ModbusError` (with `.code`) if the slave refused one.
    /// After `timeout` seconds it raises the cause: `msm.ModbusError` when the slave kept
    /// answering a write unusably (exception 06 busy, a malformed echo, another unit's
    /// answer: the master retries those), `msm.Timeout` when nothing answered.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.ask(py, timeout, Request::Flush)
    }

    /// Report Server ID (FC17): `{"server_id": bytes, "running": bool | None,
    /// "additional_data": bytes, "bytes": bytes}`. Raises `msm.ModbusError` with
    /// `.code` 1 when the device does not support it (as for every call below),
    /// `msm.Timeout` when it does not answer in time.
    fn report_server_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::ReportServerId)
    }

    /// Read Device Identification (FC43/14), every object the device reports:
    /// `{"conformity_level": int, "objects": {id: str}}` (0 vendor, 1 product code,
    /// 2 revision, 3 vendor URL, 4 product name, 5 model name, 6 application name).
    fn read_device_identification<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::ReadDeviceIdentification)
    }

    /// Read Exception Status (FC07): the eight outputs, output 0 in bit 0.
    fn read_exception_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::ReadExceptionStatus)
    }

    /// Diagnostics (FC08) with any sub-function and `data` (bytes, `b"\x00\x00"` when
    /// not given): the answer's data.
    #[pyo3(signature = (sub_function, data = None))]
    fn diagnostics<'py>(
        &self,
        py: Python<'py>,
        sub_function: &Bound<'_, PyAny>,
        data: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::diagnostics(sub_function, data)?)
    }

    /// FC08/02: the diagnostic register.
    fn diagnostic_register<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::DiagnosticRegister)
    }

    /// FC08/0B: messages the device saw on the bus.
    fn bus_message_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::BusMessages))
    }

    /// FC08/0C: communication errors (CRC/LRC, framing).
    fn bus_communication_error_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(
            py,
            OneOff::Counter(DiagnosticCounter::BusCommunicationErrors),
        )
    }

    /// FC08/0D: exception responses the device sent.
    fn bus_exception_error_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::BusExceptionErrors))
    }

    /// FC08/0E: messages addressed to the device that it processed.
    fn server_message_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::ServerMessages))
    }

    /// FC08/0F: messages addressed to the device it did not answer.
    fn server_no_response_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::ServerNoResponses))
    }

    /// FC08/10: NAK exceptions (07) the device sent.
    fn server_nak_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::ServerNaks))
    }

    /// FC08/11: busy exceptions (06) the device sent.
    fn server_busy_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::ServerBusy))
    }

    /// FC08/12: messages lost to a character overrun.
    fn bus_character_overrun_count<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::Counter(DiagnosticCounter::BusCharacterOverruns))
    }

    /// FC08/0A: clears the device's counters and diagnostic register.
    fn clear_counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::ClearCounters)
    }

    /// FC08/01: restarts the device's communications (and leaves listen-only mode,
    /// unanswered then: this call raises `msm.Timeout`); `clear_log` also clears its
    /// comm event log.
    #[pyo3(signature = (clear_log = false))]
    fn restart_communications<'py>(
        &self,
        py: Python<'py>,
        clear_log: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::RestartCommunications(clear_log))
    }

    /// FC08/04: puts the device in listen-only mode (it answers nothing until
    /// `restart_communications`); returns once the request is sent.
    fn force_listen_only<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::ForceListenOnly)
    }

    /// Get Comm Event Counter (FC11): `{"status": int, "busy": bool, "event_count": int}`.
    fn comm_event_counter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::CommEventCounter)
    }

    /// Get Comm Event Log (FC12): `{"status": int, "event_count": int,
    /// "message_count": int, "events": [int]}`, the events newest first.
    fn comm_event_log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::CommEventLog)
    }

    /// Read File Record (FC20): `count` records (1..=121) of file `file` from
    /// `record`, as ints.
    fn read_file_record<'py>(
        &self,
        py: Python<'py>,
        file: &Bound<'_, PyAny>,
        record: &Bound<'_, PyAny>,
        count: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::read_file_record(file, record, count)?)
    }

    /// Write File Record (FC21): `values` (ints 0..=65535) to file `file` from
    /// `record`.
    fn write_file_record<'py>(
        &self,
        py: Python<'py>,
        file: &Bound<'_, PyAny>,
        record: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::write_file_record(file, record, values)?)
    }

    /// Read FIFO Queue (FC24): the queued registers at `address`, oldest first.
    fn read_fifo_queue<'py>(
        &self,
        py: Python<'py>,
        address: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.one_off(py, OneOff::read_fifo_queue(address)?)
    }

    /// The master's state now.
    fn status(&self) -> PyResult<PyStatus> {
        self.status_now()
    }

    /// The memory this master syncs.
    #[getter]
    fn memory(&self) -> PyMemory {
        PyMemory {
            mem: self.running.memory.clone(),
        }
    }

    /// The slave's address as given.
    #[getter]
    fn peer(&self) -> String {
        self.running.peer.clone()
    }

    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.is_running()
    }

    /// Stops the worker and waits until it has stopped; calls blocked in `sync()` or
    /// `flush()` raise `msm.Stopped`. Stopping twice does nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(stopping) = self.begin_stop()? {
            let rt = runtime()?;
            py.detach(|| rt.block_on(stopping));
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if crate::fork::foreign(self.running.pid) {
            format!("of process {}, not running in this one", self.running.pid)
        } else if self.is_running() {
            "running".to_string()
        } else {
            "stopped".to_string()
        };
        format!("<msm.MasterHandle {} {state}>", self.running.peer)
    }
}
