//! `msm.MasterHandle`: a running master, for blocking calls; `msm.aio` awaits the same
//! requests (`request`, `begin_stop`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use msm::AsyncMasterHandle;
use pyo3::prelude::*;

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
