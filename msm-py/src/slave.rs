//! `msm.Slave`: serves a memory to any Modbus master.

use std::sync::Mutex;

use msm::{Slave, SlaveHandle};
use pyo3::prelude::*;

use crate::errors::IntoPy;
use crate::link::{parity, tcp_addr};
use crate::master::memory_of;
use crate::runtime::seconds;

/// Sets up a slave: `Slave.tcp(addr)`, `Slave.rtu(path, baud)` or
/// `Slave.rtu_over_tcp(addr)`, then settings, then `serve(memory)`. It answers every
/// unit unless `unit(...)`/`units(...)` say which.
///
/// >>> import msm
/// >>> mem = msm.Memory(8)
/// >>> with msm.Slave.tcp("127.0.0.1:0", unit=1).serve(mem) as slave:
/// ...     host, port = slave.local_addr
/// >>> host
/// '127.0.0.1'
#[pyclass(module = "msm", name = "Slave", frozen)]
pub(crate) struct PySlave {
    builder: Slave,
}

impl PySlave {
    fn with(&self, f: impl FnOnce(Slave) -> Slave) -> PySlave {
        PySlave {
            builder: f(self.builder.clone()),
        }
    }

    fn configure(self, unit: Option<u8>, units: Option<Vec<u8>>) -> PySlave {
        let mut s = self.builder;
        if let Some(unit) = unit {
            s = s.unit(unit);
        }
        if let Some(units) = units {
            s = s.units(units);
        }
        PySlave { builder: s }
    }
}

#[pymethods]
impl PySlave {
    /// A Modbus/TCP slave listening on `addr` (`"host:port"` or `(host, port)`; port 0
    /// lets the system choose, `local_addr` then tells which).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, units = None))]
    fn tcp(addr: &Bound<'_, PyAny>, unit: Option<u8>, units: Option<Vec<u8>>) -> PyResult<PySlave> {
        let s = PySlave {
            builder: Slave::tcp(tcp_addr(addr)?),
        };
        Ok(s.configure(unit, units))
    }

    /// A slave answering RTU frames over TCP on `addr`.
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, units = None))]
    fn rtu_over_tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<u8>,
        units: Option<Vec<u8>>,
    ) -> PyResult<PySlave> {
        let s = PySlave {
            builder: Slave::rtu_over_tcp(tcp_addr(addr)?),
        };
        Ok(s.configure(unit, units))
    }

    /// A Modbus RTU slave on the serial line at `path`.
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, unit = None, units = None))]
    fn rtu(
        path: String,
        baud: u32,
        parity: Option<String>,
        stop_bits: Option<u8>,
        unit: Option<u8>,
        units: Option<Vec<u8>>,
    ) -> PyResult<PySlave> {
        let mut builder = Slave::rtu(path, baud);
        if let Some(p) = parity {
            builder = builder.parity(crate::link::parity(&p)?);
        }
        if let Some(s) = stop_bits {
            builder = builder.stop_bits(s);
        }
        Ok(PySlave { builder }.configure(unit, units))
    }

    /// Answer only unit `id` (other units get no answer, as on a serial line).
    fn unit(&self, id: u8) -> PySlave {
        self.with(|s| s.unit(id))
    }

    /// Answer only these units.
    fn units(&self, ids: Vec<u8>) -> PySlave {
        self.with(|s| s.units(ids))
    }

    /// Answer every unit (the default).
    fn any_unit(&self) -> PySlave {
        self.with(Slave::any_unit)
    }

    /// Serve at most `n` connections at once.
    fn max_connections(&self, n: usize) -> PySlave {
        self.with(|s| s.max_connections(n))
    }

    /// Close a connection idle for `seconds`.
    fn idle_timeout(&self, seconds_idle: f64) -> PyResult<PySlave> {
        let t = seconds("idle_timeout", Some(seconds_idle))?.unwrap_or_default();
        Ok(self.with(|s| s.idle_timeout(t)))
    }

    /// After answering, keep polling a connection for its next request this many
    /// seconds before sleeping (default 50 µs, at most 0.001, 0 turns it off): a master
    /// that asks again at once is then served several times as fast.
    fn busy_poll(&self, seconds_polling: f64) -> PyResult<PySlave> {
        let t = seconds("busy_poll", Some(seconds_polling))?.unwrap_or_default();
        Ok(self.with(|s| s.busy_poll(t)))
    }

    /// Serial lines: the parity (`"even"`, `"odd"`, `"none"`).
    fn parity(&self, name: String) -> PyResult<PySlave> {
        let p = parity(&name)?;
        Ok(self.with(|s| s.parity(p)))
    }

    /// Serial lines: the stop bits (1 or 2).
    fn stop_bits(&self, n: u8) -> PySlave {
        self.with(|s| s.stop_bits(n))
    }

    /// Binds and serves `memory` (an `msm.Memory` or a built map) from a thread of its
    /// own; returns the handle. Raises `msm.ConnectionFailed` if the address cannot be
    /// bound.
    fn serve(&self, py: Python<'_>, memory: &Bound<'_, PyAny>) -> PyResult<SlaveHandlePy> {
        let mem = memory_of(memory)?;
        let builder = self.builder.clone();
        let handle = py.detach(|| builder.serve(mem)).py()?;
        Ok(SlaveHandlePy {
            handle: Mutex::new(Some(handle)),
        })
    }

    fn __repr__(&self) -> String {
        format!("<msm.Slave {:?}>", self.builder)
    }
}

/// A running slave: `local_addr`, `connections`, `stop()`. A context manager.
#[pyclass(module = "msm", name = "SlaveHandle", frozen)]
pub(crate) struct SlaveHandlePy {
    handle: Mutex<Option<SlaveHandle>>,
}

impl SlaveHandlePy {
    fn with<T>(&self, f: impl FnOnce(&SlaveHandle) -> T) -> PyResult<T> {
        let guard = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .map(f)
            .ok_or_else(|| crate::errors::to_py(msm::Error::Stopped))
    }
}

#[pymethods]
impl SlaveHandlePy {
    /// The address it listens on, as `(host, port)`.
    #[getter]
    fn local_addr(&self) -> PyResult<(String, u16)> {
        self.with(|h| {
            let a = h.local_addr();
            (a.ip().to_string(), a.port())
        })
    }

    /// Connections being served now.
    #[getter]
    fn connections(&self) -> PyResult<usize> {
        self.with(SlaveHandle::connections)
    }

    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.with(|_| ()).is_ok()
    }

    /// Stops serving (closing every connection) and waits until stopped. Stopping
    /// twice does nothing.
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
        match self.with(SlaveHandle::local_addr) {
            Ok(a) => format!("<msm.SlaveHandle {a} running>"),
            Err(_) => "<msm.SlaveHandle stopped>".to_string(),
        }
    }
}
