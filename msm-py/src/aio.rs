//! The Rust side of `msm.aio`: each call returns an `asyncio.Future` completed from
//! msm's runtime (pyo3-async-runtimes does the bridging: the result is handed to the
//! event loop with `call_soon_threadsafe`), so the loop never waits on msm. Cancelling
//! the future (a cancelled task) drops the Rust future at once: the wait ends, its
//! subscription or request goes with it, no thread is left waiting.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use msm::map::DynValue;
use msm::{Memory, Subscription};
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{self, ContextExt, Runtime};

use crate::errors::{IntoPy, to_py};
use crate::master_handle::{MasterHandle, Request};
use crate::slave::{PySlave, SlaveHandlePy, adopt};
use crate::var::{DynVar, PyVar};

/// msm's runtime as pyo3-async-runtimes sees it. Every spawn happens inside it: the
/// first from [`bridge`] (which enters it), the others from its own tasks.
struct MsmRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl Runtime for MsmRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        tokio::task::spawn_blocking(f)
    }
}

impl ContextExt for MsmRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// Bridged futures not yet ended (completed, failed or cancelled), for the tests.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a bridged future while it exists.
struct Counted;

impl Counted {
    fn new() -> Counted {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The asyncio future of `fut`, run on msm's runtime.
fn bridge<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let rt = crate::runtime::runtime()?;
    let _inside = rt.enter();
    let counted = Counted::new();
    generic::future_into_py::<MsmRuntime, _, T>(py, async move {
        let _counted = counted;
        fut.await
    })
}

/// A value of a variable, converted to Python when the future completes.
struct PyValue(DynValue);

impl<'py> IntoPyObject<'py> for PyValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(crate::value::to_py(py, self.0)?.into_bound(py))
    }
}

/// A slave that started serving; made its Python handle (under the GIL) on delivery.
struct Served(msm::SlaveHandle, Memory);

impl<'py> IntoPyObject<'py> for Served {
    type Target = SlaveHandlePy;
    type Output = Bound<'py, SlaveHandlePy>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, SlaveHandlePy>> {
        Bound::new(py, adopt(py, self.0, self.1))
    }
}

fn request<'py>(
    py: Python<'py>,
    handle: &MasterHandle,
    request: Request,
    timeout: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let timeout = crate::runtime::seconds("timeout", timeout)?;
    let fut = handle.request(request, timeout)?;
    bridge(py, async move { fut.await.py() })
}

/// `await` a full cycle (`MasterHandle.sync`).
#[pyfunction]
#[pyo3(signature = (handle, timeout = None))]
fn _aio_sync<'py>(
    py: Python<'py>,
    handle: PyRef<'py, MasterHandle>,
    timeout: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    request(py, &handle, Request::Sync, timeout)
}

/// `await` every local write confirmed (`MasterHandle.flush`).
#[pyfunction]
#[pyo3(signature = (handle, timeout = None))]
fn _aio_flush<'py>(
    py: Python<'py>,
    handle: PyRef<'py, MasterHandle>,
    timeout: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    request(py, &handle, Request::Flush, timeout)
}

/// `await` the one-off call `name` of `msm.MasterHandle` with `args` (`msm.aio`'s
/// `report_server_id()`, `read_file_record(...)`...).
#[pyfunction]
#[pyo3(signature = (handle, name, *args))]
fn _aio_one_off<'py>(
    py: Python<'py>,
    handle: PyRef<'py, MasterHandle>,
    name: &str,
    args: &Bound<'py, pyo3::types::PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let call = crate::device::OneOff::parse(name, args)?;
    let fut = handle.one_off_future(call)?;
    bridge(py, async move { fut.await.py() })
}

/// `await` the master stopped.
#[pyfunction]
fn _aio_stop_master<'py>(
    py: Python<'py>,
    handle: PyRef<'py, MasterHandle>,
) -> PyResult<Bound<'py, PyAny>> {
    let stopping = handle.begin_stop()?;
    bridge(py, async move {
        if let Some(stopping) = stopping {
            stopping.await;
        }
        Ok(())
    })
}

/// `await` a slave bound and serving `memory`.
#[pyfunction]
fn _aio_serve<'py>(
    py: Python<'py>,
    slave: PyRef<'py, PySlave>,
    memory: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let mem = crate::memory::memory_of(memory)?;
    let slave = slave.for_memory(memory);
    bridge(py, async move {
        // Binding and starting threads block for a moment: not on a runtime worker.
        let started = tokio::task::spawn_blocking(move || {
            slave.serve_blocking(mem.clone()).map(|h| Served(h, mem))
        });
        match started.await {
            Ok(served) => served.py(),
            Err(e) => Err(crate::errors::MsmError::new_err(format!(
                "the slave could not be started: {e}"
            ))),
        }
    })
}

/// `await` the slave stopped (its threads joined).
#[pyfunction]
fn _aio_stop_slave<'py>(
    py: Python<'py>,
    handle: PyRef<'py, SlaveHandlePy>,
) -> PyResult<Bound<'py, PyAny>> {
    let taken = handle.take()?;
    bridge(py, async move {
        if let Some(h) = taken {
            // Joining threads blocks: not on a runtime worker.
            let _ = tokio::task::spawn_blocking(move || h.stop()).await;
        }
        Ok(())
    })
}

/// `await` the variable's next change (its new value); `msm.Timeout` after `timeout`.
#[pyfunction]
#[pyo3(signature = (var, timeout = None))]
fn _aio_wait_changed<'py>(
    py: Python<'py>,
    var: PyRef<'py, PyVar>,
    timeout: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    var.usable()?;
    let timeout = crate::runtime::seconds("timeout", timeout)?;
    // Watched from now on, not from the first poll.
    let next = var.var.changed();
    bridge(py, async move {
        let value = match timeout {
            None => next.await,
            Some(after) => match tokio::time::timeout(after, next).await {
                Ok(value) => value,
                Err(_) => Err(msm::Error::Timeout {
                    what: "waiting for a change of the variable",
                    after,
                }),
            },
        };
        value.map(PyValue).map_err(to_py)
    })
}

/// A variable's changes from the moment it was made: `next()` awaits the next one and
/// gives the variable's value then. Behind `msm.aio.changes(var)`.
#[pyclass(module = "msm._msm", name = "_AioChanges", frozen)]
struct AioChanges {
    var: Arc<dyn DynVar>,
    /// Held across an await by the one `next()` in progress.
    changes: Arc<tokio::sync::Mutex<Subscription>>,
}

#[pymethods]
impl AioChanges {
    #[new]
    fn new(var: PyRef<'_, PyVar>) -> PyResult<AioChanges> {
        var.usable()?;
        Ok(AioChanges {
            changes: Arc::new(tokio::sync::Mutex::new(var.var.memory().subscribe())),
            var: var.var.clone(),
        })
    }

    /// The next change's value. A subscriber that fell far behind (more changes than
    /// its queue holds) gets the current value once for the changes it missed.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (var, changes) = (self.var.clone(), self.changes.clone());
        bridge(py, async move {
            let mut changes = changes.lock().await;
            let (area, address, count, _) = var.place();
            loop {
                match changes.recv().await {
                    Ok(c) if !c.overlaps(area, address, count as u16) => continue,
                    Ok(_) | Err(_) => return Ok(PyValue(var.get())),
                }
            }
        })
    }
}

/// Bridged futures in flight (started, not yet completed, failed or cancelled).
#[pyfunction]
fn _aio_in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Adds the functions `msm/aio.py` builds on.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_aio_sync, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_flush, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_one_off, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_stop_master, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_serve, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_stop_slave, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_wait_changed, m)?)?;
    m.add_function(wrap_pyfunction!(_aio_in_flight, m)?)?;
    m.add_class::<AioChanges>()?;
    Ok(())
}
