//! `msm.web`: the live web view of a memory or a built map (the msm-web library), served
//! from a thread of its own.

use std::sync::Mutex;

use msm::{Area, Memory};
use msm_web::{Hints, StatusSource, View, WebError, WebHandle, WebVar};
use pyo3::prelude::*;

use crate::errors::{ConnectionFailed, MsmError, bad_declaration, map_to_py};
use crate::link::tcp_addr;
use crate::map::PyMapMemory;
use crate::memory::PyMemory;
use crate::running::status_of;

/// The view's variables: a built map's, by name; a memory's items otherwise.
fn vars_of(source: &Bound<'_, PyAny>) -> PyResult<(Vec<WebVar>, Memory)> {
    if let Ok(mm) = source.cast::<PyMapMemory>() {
        let built = &mm.get().built;
        return Ok((
            WebVar::from_map(built, "", |_| true),
            built.memory().clone(),
        ));
    }
    if let Ok(mem) = source.cast::<PyMemory>() {
        let mem = mem.get().mem.clone();
        return Ok((WebVar::from_memory(&mem).map_err(to_py)?, mem));
    }
    Err(bad_declaration(format!(
        "{} cannot be shown: give an msm.Memory or a built map (msm.Map.load(...).build())",
        source.repr()?
    )))
}

/// A view's error as the Python exception for it.
fn to_py(e: WebError) -> PyErr {
    let text = e.to_string();
    match e {
        WebError::Bind { .. } | WebError::Address { .. } => ConnectionFailed::new_err(text),
        WebError::Setting(_) => bad_declaration(text),
        WebError::Memory(m) => map_to_py(*m),
        _ => MsmError::new_err(text),
    }
}

/// Serves a live web view of `source` (an `msm.Memory` or a built map) on `addr` from a
/// thread of its own; returns the handle. See `msm.web.serve`.
#[pyfunction]
#[pyo3(signature = (source, addr, *, writable, token, max_clients))]
pub(crate) fn _web_serve(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    addr: &Bound<'_, PyAny>,
    writable: bool,
    token: Option<String>,
    max_clients: usize,
) -> PyResult<PyWebHandle> {
    let (mut vars, memory) = vars_of(source)?;
    let addr = tcp_addr(addr)?;
    let mut view_status = None;
    // A memory a master keeps: the page shows the master's state, and inputs (which a
    // master only reads) are not writable.
    if status_of(&memory).is_some() {
        vars = vars
            .into_iter()
            .map(|v| match v.var().area() {
                Area::Coil | Area::Holding => v,
                _ => v.read_only(),
            })
            .collect();
        view_status = Some(StatusSource::new(move || {
            status_of(&memory).unwrap_or_default()
        }));
    }
    let mut view = View::new(vars)
        .writable(writable)
        .max_clients(max_clients)
        .hints(Hints::Python);
    if let Some(token) = token {
        view = view.token(token);
    }
    if let Some(status) = view_status {
        view = view.status(status);
    }
    let handle = py.detach(|| view.serve(addr)).map_err(to_py)?;
    Ok(PyWebHandle {
        handle: Mutex::new(Some(handle)),
    })
}

/// A running web view: `url`, `local_addr`, `stop()`. A context manager.
#[pyclass(module = "msm.web", name = "WebHandle", frozen)]
pub(crate) struct PyWebHandle {
    handle: Mutex<Option<WebHandle>>,
}

impl PyWebHandle {
    fn with<T>(&self, f: impl FnOnce(&WebHandle) -> T) -> PyResult<T> {
        let guard = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .map(f)
            .ok_or_else(|| crate::errors::to_py(msm::Error::Stopped))
    }
}

#[pymethods]
impl PyWebHandle {
    /// The page's address, `http://host:port/`; with `?token=...` when the view has a
    /// token, and then it is a secret.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.with(|h| h.url().to_string())
    }

    /// The address it listens on, as `(host, port)`.
    #[getter]
    fn local_addr(&self) -> PyResult<(String, u16)> {
        self.with(|h| {
            let a = h.local_addr();
            (a.ip().to_string(), a.port())
        })
    }

    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.with(|_| ()).is_ok()
    }

    /// Stops serving (closing every connection) and waits until stopped, so the port
    /// is free again. Stopping twice does nothing.
    fn stop(&self, py: Python<'_>) {
        let taken = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = taken {
            py.detach(|| handle.stop());
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        match self.with(WebHandle::local_addr) {
            Ok(a) => format!("<msm.web.WebHandle http://{a}/ running>"),
            Err(_) => "<msm.web.WebHandle stopped>".to_string(),
        }
    }
}
