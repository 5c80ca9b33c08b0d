//! `msm.Slave`: serves a memory to any Modbus master.

use msm::slave::{Fault, MAX_BUSY_POLL};
use msm::{Memory, Slave, SlaveHandle};
use pyo3::prelude::*;
use pyo3::types::PySequence;
use std::sync::{Arc, Mutex};

use crate::args;
use crate::errors::{BadArgument, IntoPy};
use crate::faults::PyFault;
use crate::link::{SerialSetting, parity, tcp_addr};
use crate::map::PyMap;
use crate::memory::memory_of;

/// A slave serving a memory, shared by its Python handle and `fork`'s registry.
pub(crate) struct Serving {
    handle: Mutex<Option<SlaveHandle>>,
    /// The process that started it (see `fork`).
    pid: u32,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if crate::fork::foreign(self.pid) {
            // Its threads are not in this process: dropping the handle would wait for them.
            let handle = self
                .handle
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            std::mem::forget(handle);
        }
    }
}

impl crate::fork::Alive for Serving {
    fn running(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// A unit list: ints in 0..=255.
fn unit_list(ids: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let items = ids.try_iter().map_err(|_| {
        crate::errors::BadArgument::new_err(format!(
            "ids must be a list of ints in 0..=255, got {}",
            args::described(ids)
        ))
    })?;
    items.map(|id| args::unit(&id?, "each unit id")).collect()
}

/// Sets up a slave: `Slave.tcp(addr)`, `Slave.rtu(path, baud)`,
/// `Slave.ascii(path, baud)`, `Slave.udp(addr)` or `Slave.rtu_over_tcp(addr)`, then
/// settings, then `serve(memory)`. It answers every unit unless `unit(...)`/`units(...)`
/// say which.
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
    /// How it was made, in Python terms, for its repr: `tcp('0.0.0.0:502') unit=1`.
    shown: String,
}

impl PySlave {
    /// A builder made by `make` on `addr`, called `how` (`tcp`).
    fn over_tcp(
        addr: &Bound<'_, PyAny>,
        how: &str,
        make: fn(String) -> Slave,
    ) -> PyResult<PySlave> {
        let addr = tcp_addr(addr)?;
        Ok(PySlave {
            shown: format!("{how}({})", args::quoted(&addr)),
            builder: make(addr),
        })
    }

    /// This builder with one more setting, `label` in its repr.
    fn with(&self, label: String, f: impl FnOnce(Slave) -> Slave) -> PySlave {
        PySlave {
            builder: f(self.builder.clone()),
            shown: format!("{} {label}", self.shown),
        }
    }

    /// Applies the serial keywords of a constructor.
    fn serial(self, settings: Vec<SerialSetting>) -> PySlave {
        settings.into_iter().fold(self, |s, setting| {
            s.with(setting.label(), |b| match setting {
                SerialSetting::Parity(p) => b.parity(p),
                SerialSetting::StopBits(n) => b.stop_bits(n),
                SerialSetting::DataBits(n) => b.data_bits(n),
            })
        })
    }

    fn configure(
        self,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        let mut s = self;
        if let Some(unit) = args::opt(unit, |u| args::unit(u, "unit"))? {
            s = s.with(format!("unit={unit}"), |b| b.unit(unit));
        }
        if let Some(units) = args::opt(units, unit_list)? {
            s = s.with(format!("units={units:?}"), |b| b.units(units));
        }
        Ok(s)
    }

    /// A copy of this builder (to start it on another thread).
    pub(crate) fn clone_builder(&self) -> PySlave {
        PySlave {
            builder: self.builder.clone(),
            shown: self.shown.clone(),
        }
    }

    /// A copy of this builder to serve `memory`: for a built map, with the map's
    /// `[identity]` and `[[fifo]]`s (its files are in its memory).
    pub(crate) fn for_memory(&self, memory: &Bound<'_, PyAny>) -> PySlave {
        match memory.cast::<crate::map::PyMapMemory>() {
            Ok(built) => PySlave {
                builder: self.builder.clone().map_settings(&built.get().map),
                shown: self.shown.clone(),
            },
            Err(_) => self.clone_builder(),
        }
    }

    /// Binds and starts serving `memory` (blocks for a moment: binding, threads).
    pub(crate) fn serve_blocking(&self, mem: Memory) -> msm::Result<SlaveHandle> {
        self.builder.clone().serve(mem)
    }
}

/// The Python handle of a slave started on `mem`, noted for `fork` (with the GIL: no
/// thread that vanishes at a fork may hold the registry's lock then).
pub(crate) fn adopt(py: Python<'_>, handle: SlaveHandle, memory: Memory) -> SlaveHandlePy {
    let serving = Arc::new(Serving {
        handle: Mutex::new(Some(handle)),
        pid: crate::fork::pid(),
    });
    let alive: Arc<dyn crate::fork::Alive> = serving.clone();
    crate::fork::note(py, "slave", &memory, &alive);
    SlaveHandlePy { serving }
}

#[pymethods]
impl PySlave {
    /// A Modbus/TCP slave listening on `addr` (`"host:port"` or `(host, port)`; port 0
    /// lets the system choose, `local_addr` then tells which).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, units = None))]
    fn tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        PySlave::over_tcp(addr, "tcp", Slave::tcp)?.configure(unit, units)
    }

    /// A slave answering RTU frames over TCP on `addr`.
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, units = None))]
    fn rtu_over_tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        PySlave::over_tcp(addr, "rtu_over_tcp", Slave::rtu_over_tcp)?.configure(unit, units)
    }

    /// A Modbus RTU slave on the serial line at `path`.
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, unit = None, units = None))]
    fn rtu(
        path: &Bound<'_, PyAny>,
        baud: &Bound<'_, PyAny>,
        parity: Option<&Bound<'_, PyAny>>,
        stop_bits: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        let (path, baud) = crate::link::serial_line(path, baud)?;
        PySlave {
            shown: format!("rtu({}, {baud})", args::quoted(&path)),
            builder: Slave::rtu(path, baud),
        }
        .serial(crate::link::serial_settings(parity, stop_bits, None)?)
        .configure(unit, units)
    }

    /// A Modbus ASCII slave on the serial line at `path` (7 data bits, even parity and
    /// 1 stop bit unless `data_bits`, `parity` or `stop_bits` say otherwise).
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, data_bits = None, unit = None, units = None))]
    #[allow(clippy::too_many_arguments)]
    fn ascii(
        path: &Bound<'_, PyAny>,
        baud: &Bound<'_, PyAny>,
        parity: Option<&Bound<'_, PyAny>>,
        stop_bits: Option<&Bound<'_, PyAny>>,
        data_bits: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        let (path, baud) = crate::link::serial_line(path, baud)?;
        PySlave {
            shown: format!("ascii({}, {baud})", args::quoted(&path)),
            builder: Slave::ascii(path, baud),
        }
        .serial(crate::link::serial_settings(parity, stop_bits, data_bits)?)
        .configure(unit, units)
    }

    /// A Modbus/UDP slave on `addr` (`"host:port"` or `(host, port)`): one request per
    /// datagram, each answered to its sender; `connections` stays 0.
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, units = None))]
    fn udp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySlave> {
        PySlave::over_tcp(addr, "udp", Slave::udp)?.configure(unit, units)
    }

    /// Answer only unit `id` (other units get no answer, as on a serial line).
    fn unit(&self, id: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let id = args::unit(id, "unit")?;
        Ok(self.with(format!("unit={id}"), |s| s.unit(id)))
    }

    /// Answer only these units.
    fn units(&self, ids: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let ids = unit_list(ids)?;
        Ok(self.with(format!("units={ids:?}"), |s| s.units(ids)))
    }

    /// Answer every unit (the default).
    fn any_unit(&self) -> PySlave {
        self.with("any_unit()".into(), Slave::any_unit)
    }

    /// Serve at most `n` connections at once (1 or more).
    fn max_connections(&self, n: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let n = args::count(n, "max_connections", 1, usize::MAX)?;
        Ok(self.with(format!("max_connections={n}"), |s| s.max_connections(n)))
    }

    /// Close a connection idle for `seconds_idle` (more than 0).
    fn idle_timeout(&self, seconds_idle: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let t = args::seconds(seconds_idle, "idle_timeout")?;
        if t.is_zero() {
            return Err(crate::errors::bad_declaration(
                "idle_timeout must be a number of seconds > 0, got 0: a connection is closed \
                 after that long without a request",
            ));
        }
        Ok(self.with(format!("idle_timeout={}", t.as_secs_f64()), |s| {
            s.idle_timeout(t)
        }))
    }

    /// After answering, keep polling a connection for its next request this many
    /// seconds before sleeping (default 50 µs, at most 0.001, 0 turns it off): a master
    /// that asks again at once is then served several times as fast.
    fn busy_poll(&self, seconds_polling: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let t = args::seconds(seconds_polling, "busy_poll")?;
        if t > MAX_BUSY_POLL {
            return Err(crate::errors::bad_declaration(format!(
                "busy_poll must be a number of seconds in 0..={} (0 turns polling \
                 off), got {}: a thread polls that long after every answer",
                MAX_BUSY_POLL.as_secs_f64(),
                t.as_secs_f64()
            )));
        }
        Ok(self.with(format!("busy_poll={}", t.as_secs_f64()), |s| s.busy_poll(t)))
    }

    /// Serial lines: the parity (`"even"`, `"odd"`, `"none"`).
    fn parity(&self, name: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let p = parity(name)?;
        Ok(
            self.with(format!("parity={}", args::quoted(&p.to_string())), |s| {
                s.parity(p)
            }),
        )
    }

    /// Serial lines: the stop bits (1 or 2).
    fn stop_bits(&self, n: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let n = crate::link::stop_bits(n)?;
        Ok(self.with(format!("stop_bits={n}"), |s| s.stop_bits(n)))
    }

    /// Serial lines: the data bits (8 for RTU; 7, the default, or 8 for ASCII).
    fn data_bits(&self, n: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let n = crate::link::data_bits(n)?;
        Ok(self.with(format!("data_bits={n}"), |s| s.data_bits(n)))
    }

    /// Makes faults on purpose (docs/simulator.md): a list of `msm.Fault`, or an
    /// `msm.Map` (its `[[fault]]` tables, and its `seed` if it has one). Replaces any
    /// given before.
    fn faults(&self, faults: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let (faults, seed) = faults_of(faults)?;
        let shown = format!("faults=[{} fault(s)]", faults.len());
        let with = self.with(shown, |s| s.faults(faults));
        Ok(match seed {
            Some(seed) => with.with(format!("seed={seed}"), |s| s.seed(seed)),
            None => with,
        })
    }

    /// Seeds the random numbers of faults with a probability: the same seed, the same
    /// requests hit.
    fn seed(&self, seed: &Bound<'_, PyAny>) -> PyResult<PySlave> {
        let seed = args::int(seed, "seed", 0, i64::MAX)? as u64;
        Ok(self.with(format!("seed={seed}"), |s| s.seed(seed)))
    }

    /// Binds and serves `memory` (an `msm.Memory` or a built map, whose `[identity]`
    /// and `[[fifo]]`s are served too, as `msm serve` does) from a thread of its own;
    /// returns the handle. Raises `msm.ConnectionFailed` if the address cannot be
    /// bound.
    fn serve(&self, py: Python<'_>, memory: &Bound<'_, PyAny>) -> PyResult<SlaveHandlePy> {
        let mem = memory_of(memory)?;
        let slave = self.for_memory(memory);
        let handle = py.detach(|| slave.serve_blocking(mem.clone())).py()?;
        Ok(adopt(py, handle, mem))
    }

    fn __repr__(&self) -> String {
        format!("<msm.Slave {}>", self.shown)
    }
}

/// A running slave: `local_addr`, `connections`, `stop()`. A context manager.
#[pyclass(module = "msm", name = "SlaveHandle", frozen)]
pub(crate) struct SlaveHandlePy {
    serving: Arc<Serving>,
}

impl SlaveHandlePy {
    fn with<T>(&self, f: impl FnOnce(&SlaveHandle) -> T) -> PyResult<T> {
        crate::fork::check("slave", self.serving.pid)?;
        let guard = self
            .serving
            .handle
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .map(f)
            .ok_or_else(|| crate::errors::to_py(msm::Error::Stopped))
    }

    /// Takes the worker out of the handle, to stop it (`None` when stopped already).
    pub(crate) fn take(&self) -> PyResult<Option<SlaveHandle>> {
        crate::fork::check("slave", self.serving.pid)?;
        Ok(self
            .serving
            .handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take())
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

    /// Replaces the faults while serving (a list of `msm.Fault`, or an `msm.Map`'s; an
    /// empty list switches them off): every connection's next request sees them.
    fn set_faults(&self, faults: &Bound<'_, PyAny>) -> PyResult<()> {
        let (faults, _) = faults_of(faults)?;
        self.with(|h| h.set_faults(faults))?.py()
    }

    /// How many requests each fault has been applied to, in order.
    #[getter]
    fn faults_applied(&self) -> PyResult<Vec<u64>> {
        self.with(SlaveHandle::faults_applied)
    }

    /// Stops serving (closing every connection) and waits until stopped. Stopping
    /// twice does nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(handle) = self.take()? {
            py.detach(|| handle.stop());
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
        if crate::fork::foreign(self.serving.pid) {
            return format!(
                "<msm.SlaveHandle of process {}, not running in this one>",
                self.serving.pid
            );
        }
        match self.with(SlaveHandle::local_addr) {
            Ok(a) => format!("<msm.SlaveHandle {a} running>"),
            Err(_) => "<msm.SlaveHandle stopped>".to_string(),
        }
    }
}

/// What `Slave.faults(...)` takes: a list of `msm.Fault`, or a `msm.Map` (its faults,
/// and its seed if it has one).
fn faults_of(obj: &Bound<'_, PyAny>) -> PyResult<(Vec<Fault>, Option<u64>)> {
    if let Ok(map) = obj.cast::<PyMap>() {
        let map = map.get();
        return Ok((map.map.faults().to_vec(), map.map.seed()));
    }
    let takes = "faults must be a list of msm.Fault or an msm.Map";
    let list = obj
        .cast::<PySequence>()
        .map_err(|_| BadArgument::new_err(format!("{takes}, got {}", args::described(obj))))?;
    let mut out = Vec::new();
    for item in list.try_iter()? {
        let item = item?;
        let fault = item.cast::<PyFault>().map_err(|_| {
            BadArgument::new_err(format!("{takes}, got an item {}", args::described(&item)))
        })?;
        out.push(fault.get().fault.clone());
    }
    Ok((out, None))
}
