//! `msm.Master`: keeps a memory in sync with a remote slave.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use msm::{AsyncMasterHandle, Memory, Status};
use pyo3::prelude::*;
use tokio::sync::watch;

use crate::errors::{IntoPy, bad_declaration, to_py};
use crate::link::{parity, tcp_addr};
use crate::memory::PyMemory;
use crate::runtime::{runtime, seconds, wait};

/// A running master, shared by its Python handle and the waits in progress.
struct Running {
    handle: Mutex<Option<Arc<AsyncMasterHandle>>>,
    /// Set when `stop()` begins, so that waits in progress end at once.
    stopping: watch::Sender<bool>,
    memory: Memory,
    peer: String,
}

/// The masters of this process, for the quality of their memories' variables.
static RUNNING: Mutex<Vec<Weak<Running>>> = Mutex::new(Vec::new());

/// The status of the master syncing `mem`, if one runs.
pub(crate) fn status_of(mem: &Memory) -> Option<Status> {
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running
        .iter()
        .filter_map(Weak::upgrade)
        .find(|r| r.memory.ptr_eq(mem))
        .and_then(|r| r.current().map(|h| h.status()))
}

impl Running {
    fn current(&self) -> Option<Arc<AsyncMasterHandle>> {
        self.handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A memory given from Python: an `msm.Memory`, or a built map (its memory).
pub(crate) fn memory_of(obj: &Bound<'_, PyAny>) -> PyResult<Memory> {
    if let Ok(m) = obj.cast::<PyMemory>() {
        return Ok(m.get().mem.clone());
    }
    if let Ok(m) = obj.getattr("memory")
        && let Ok(m) = m.cast::<PyMemory>()
    {
        return Ok(m.get().mem.clone());
    }
    Err(bad_declaration(format!(
        "{} is not a memory: give an msm.Memory or a built map",
        obj.repr()?
    )))
}

/// Sets up a master: `Master.tcp(addr)`, `Master.rtu(path, baud)` or
/// `Master.rtu_over_tcp(addr)`, then settings (as methods or keywords), then
/// `start(memory)`. Each setting returns a new builder.
///
/// >>> import msm
/// >>> plc = msm.Memory(8)
/// >>> slave = msm.Slave.tcp("127.0.0.1:0").serve(plc)
/// >>> hmi = msm.Memory(8)
/// >>> with msm.Master.tcp(slave.local_addr, unit=1, period=0.1).start(hmi) as master:
/// ...     hmi.holding(0).set(7)
/// ...     master.flush()
/// >>> plc.holding(0).get()
/// 7
/// >>> slave.stop()
#[pyclass(module = "msm", name = "Master", frozen)]
#[derive(Clone)]
pub(crate) struct PyMaster {
    builder: msm::Master,
    /// The slave's address or serial line, as given.
    peer: String,
}

impl PyMaster {
    /// A builder for the peer at `addr`, made by `make` (`Master::tcp`, ...).
    fn over_tcp(addr: &Bound<'_, PyAny>, make: fn(String) -> msm::Master) -> PyResult<PyMaster> {
        let peer = tcp_addr(addr)?;
        Ok(PyMaster {
            builder: make(peer.clone()),
            peer,
        })
    }

    fn with(&self, f: impl FnOnce(msm::Master) -> msm::Master) -> PyMaster {
        PyMaster {
            builder: f(self.builder.clone()),
            peer: self.peer.clone(),
        }
    }

    /// Applies the keyword settings of the constructors.
    #[allow(clippy::too_many_arguments)]
    fn configure(
        self,
        unit: Option<u8>,
        period: Option<f64>,
        response_timeout: Option<f64>,
        connect_timeout: Option<f64>,
        pipelining: Option<usize>,
    ) -> PyResult<PyMaster> {
        let mut m = self.builder;
        if let Some(unit) = unit {
            m = m.unit(unit);
        }
        if let Some(p) = seconds("period", period)? {
            m = m.period(p);
        }
        if let Some(t) = seconds("response_timeout", response_timeout)? {
            m = m.response_timeout(t);
        }
        if let Some(t) = seconds("connect_timeout", connect_timeout)? {
            m = m.connect_timeout(t);
        }
        if let Some(depth) = pipelining {
            m = m.pipelining(depth);
        }
        Ok(PyMaster {
            builder: m,
            peer: self.peer,
        })
    }
}

fn required(what: &str, s: f64) -> PyResult<Duration> {
    Ok(seconds(what, Some(s))?.unwrap_or_default())
}

#[pymethods]
impl PyMaster {
    /// A master for the Modbus/TCP slave at `addr` (`"host:port"` or `(host, port)`).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, period = None, response_timeout = None, connect_timeout = None, pipelining = None))]
    fn tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<u8>,
        period: Option<f64>,
        response_timeout: Option<f64>,
        connect_timeout: Option<f64>,
        pipelining: Option<usize>,
    ) -> PyResult<PyMaster> {
        PyMaster::over_tcp(addr, msm::Master::tcp)?.configure(
            unit,
            period,
            response_timeout,
            connect_timeout,
            pipelining,
        )
    }

    /// A master speaking RTU frames over TCP to `addr` (serial-to-Ethernet converters).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, period = None, response_timeout = None, connect_timeout = None))]
    fn rtu_over_tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<u8>,
        period: Option<f64>,
        response_timeout: Option<f64>,
        connect_timeout: Option<f64>,
    ) -> PyResult<PyMaster> {
        PyMaster::over_tcp(addr, msm::Master::rtu_over_tcp)?.configure(
            unit,
            period,
            response_timeout,
            connect_timeout,
            None,
        )
    }

    /// A master for Modbus RTU slaves on the serial line at `path` (8 data bits;
    /// `parity` `"even"` (default), `"odd"` or `"none"`; `stop_bits` 1 or 2).
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, unit = None, period = None, response_timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn rtu(
        path: String,
        baud: u32,
        parity: Option<String>,
        stop_bits: Option<u8>,
        unit: Option<u8>,
        period: Option<f64>,
        response_timeout: Option<f64>,
    ) -> PyResult<PyMaster> {
        let mut builder = msm::Master::rtu(path.clone(), baud);
        if let Some(p) = parity {
            builder = builder.parity(crate::link::parity(&p)?);
        }
        if let Some(s) = stop_bits {
            builder = builder.stop_bits(s);
        }
        let m = PyMaster {
            builder,
            peer: path,
        };
        m.configure(unit, period, response_timeout, None, None)
    }

    /// The unit (slave id) to address (default 1).
    fn unit(&self, id: u8) -> PyMaster {
        self.with(|m| m.unit(id))
    }

    /// Seconds between two cycles (default 0.1).
    fn period(&self, seconds: f64) -> PyResult<PyMaster> {
        let p = required("period", seconds)?;
        Ok(self.with(|m| m.period(p)))
    }

    /// Seconds to wait for a response (default 1).
    fn response_timeout(&self, seconds: f64) -> PyResult<PyMaster> {
        let t = required("response_timeout", seconds)?;
        Ok(self.with(|m| m.response_timeout(t)))
    }

    /// Seconds to wait for a TCP connection (default 3).
    fn connect_timeout(&self, seconds: f64) -> PyResult<PyMaster> {
        let t = required("connect_timeout", seconds)?;
        Ok(self.with(|m| m.connect_timeout(t)))
    }

    /// How many requests to keep in flight (1..=64; default 4 on TCP).
    fn pipelining(&self, depth: usize) -> PyMaster {
        self.with(|m| m.pipelining(depth))
    }

    /// Serial lines: the parity (`"even"`, `"odd"`, `"none"`).
    fn parity(&self, name: String) -> PyResult<PyMaster> {
        let p = parity(&name)?;
        Ok(self.with(|m| m.parity(p)))
    }

    /// Serial lines: the stop bits (1 or 2).
    fn stop_bits(&self, n: u8) -> PyMaster {
        self.with(|m| m.stop_bits(n))
    }

    /// Also sync unit `id` behind the same link, into its own memory.
    fn with_unit(&self, id: u8, memory: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let mem = memory_of(memory)?;
        Ok(self.with(|m| m.with_unit(id, mem)))
    }

    /// Starts the worker on `memory` (an `msm.Memory` or a built map) and returns its
    /// handle. The worker connects in the background and reconnects by itself.
    fn start(&self, py: Python<'_>, memory: &Bound<'_, PyAny>) -> PyResult<MasterHandle> {
        let mem = memory_of(memory)?;
        let builder = self.builder.clone();
        let rt = runtime()?;
        let handle = py
            .detach(|| rt.block_on(builder.start_async(mem.clone())))
            .py()?;
        let peer = self.peer.clone();
        let running = Arc::new(Running {
            handle: Mutex::new(Some(Arc::new(handle))),
            stopping: watch::channel(false).0,
            memory: mem,
            peer,
        });
        let mut all = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&running));
        Ok(MasterHandle { running })
    }

    fn __repr__(&self) -> String {
        format!("<msm.Master {:?}>", self.builder)
    }
}

/// A running master: `sync()`, `flush()`, `status()`, `stop()`. A context manager:
/// `with msm.Master.tcp(addr).start(mem) as m:` stops it on exit.
#[pyclass(module = "msm", name = "MasterHandle", frozen)]
pub(crate) struct MasterHandle {
    running: Arc<Running>,
}

impl MasterHandle {
    /// Runs `call` on the handle, ending early if the master is stopped meanwhile.
    fn ask<F, Fut>(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        what: &'static str,
        call: F,
    ) -> PyResult<()>
    where
        F: FnOnce(Arc<AsyncMasterHandle>) -> Fut,
        Fut: std::future::Future<Output = msm::Result<()>> + Send,
    {
        let timeout = seconds("timeout", timeout)?;
        let handle = self
            .running
            .current()
            .ok_or_else(|| to_py(msm::Error::Stopped))?;
        let mut stopping = self.running.stopping.subscribe();
        let asked = call(handle);
        wait(py, timeout, what, async move {
            tokio::select! {
                out = asked => out,
                _ = stopping.wait_for(|s| *s) => Err(msm::Error::Stopped),
            }
        })
    }
}

#[pymethods]
impl MasterHandle {
    /// Runs a full cycle now (local writes, then every read) and waits for it. Raises
    /// `msm.Timeout` after `timeout` seconds (`None`: no limit), `msm.ConnectionFailed`
    /// if the slave cannot be reached, `msm.Stopped` if the master is stopped
    /// meanwhile. Ctrl-C interrupts it.
    #[pyo3(signature = (timeout = None))]
    fn sync(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        self.ask(py, timeout, "sync", |h| async move { h.sync().await })
    }

    /// Waits until every local write made so far is confirmed by the slave (across
    /// reconnections). Raises `msm.ModbusError` if the slave refused one.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        self.ask(py, timeout, "flush", |h| async move { h.flush().await })
    }

    /// The master's state now.
    fn status(&self) -> PyResult<PyStatus> {
        let handle = self
            .running
            .current()
            .ok_or_else(|| to_py(msm::Error::Stopped))?;
        Ok(handle.status().into())
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
        self.running.current().is_some()
    }

    /// Stops the worker and waits until it has stopped; calls blocked in `sync()` or
    /// `flush()` raise `msm.Stopped`. Stopping twice does nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .running
            .handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(mut handle) = taken else {
            return Ok(());
        };
        self.running.stopping.send_replace(true);
        let rt = runtime()?;
        py.detach(|| {
            rt.block_on(async move {
                // The waits in progress hold the handle for a moment more.
                for _ in 0..5000 {
                    match Arc::try_unwrap(handle) {
                        Ok(owned) => return owned.stop().await,
                        Err(shared) => handle = shared,
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                // Dropping the last handle stops the worker all the same.
            })
        });
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
        format!(
            "<msm.MasterHandle {} {}>",
            self.running.peer,
            if self.running() { "running" } else { "stopped" }
        )
    }
}

/// What a master reports about itself (a snapshot, from `MasterHandle.status()`).
#[pyclass(module = "msm", name = "Status", frozen, get_all)]
pub(crate) struct PyStatus {
    /// True while connected to the slave.
    connected: bool,
    /// True while the memory holds the last values known, not the slave's current ones.
    stale: bool,
    /// The last error, as text, or `None`.
    last_error: Option<String>,
    /// Cycles completed.
    cycles: u64,
    /// The last cycle's duration in seconds, or `None`.
    last_cycle: Option<f64>,
    /// The average cycle duration in seconds, or `None`.
    average_cycle: Option<f64>,
    /// The blocks that failed in the last cycle, as text.
    block_errors: Vec<String>,
    /// Connections re-made after a loss.
    reconnects: u64,
    /// Writes the slave confirmed.
    writes_confirmed: u64,
    /// Writes the slave refused with an exception.
    writes_refused: u64,
    /// Requests that timed out.
    timeouts: u64,
}

impl From<Status> for PyStatus {
    fn from(s: Status) -> PyStatus {
        PyStatus {
            connected: s.connected,
            stale: s.stale,
            cycles: s.cycles,
            last_cycle: s.last_cycle.map(|d| d.as_secs_f64()),
            average_cycle: s.average_cycle.map(|d| d.as_secs_f64()),
            block_errors: s.block_errors.iter().map(ToString::to_string).collect(),
            reconnects: s.reconnects,
            writes_confirmed: s.writes_confirmed,
            writes_refused: s.writes_refused,
            timeouts: s.timeouts,
            last_error: s.last_error,
        }
    }
}

#[pymethods]
impl PyStatus {
    fn __repr__(&self) -> String {
        format!(
            "<msm.Status connected={} stale={} cycles={} last_error={:?}>",
            self.connected, self.stale, self.cycles, self.last_error
        )
    }
}
