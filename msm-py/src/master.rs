//! `msm.Master`: keeps a memory in sync with a remote slave.

use std::time::Duration;

use msm::master::MAX_PIPELINE_DEPTH;
use pyo3::prelude::*;

use crate::args;
use crate::errors::IntoPy;
use crate::link::{SerialSetting, parity, tcp_addr};
use crate::master_handle::MasterHandle;
use crate::memory::memory_of;
use crate::running::Running;
use crate::runtime::{runtime, seconds};

/// Sets up a master: `Master.tcp(addr)`, `Master.rtu(path, baud)`,
/// `Master.ascii(path, baud)`, `Master.udp(addr)` or `Master.rtu_over_tcp(addr)`, then
/// settings (as methods or keywords), then `start(memory)`. Each setting returns a new
/// builder.
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
    /// How it was made, in Python terms, for its repr: `tcp('plc:502') unit=2`.
    shown: String,
}

/// Seconds as Python writes them.
fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl PyMaster {
    /// A builder for the peer at `addr`, made by `make` (`Master::tcp`, ...), called
    /// `how` (`tcp`).
    fn over_tcp(
        addr: &Bound<'_, PyAny>,
        how: &str,
        make: fn(String) -> msm::Master,
    ) -> PyResult<PyMaster> {
        let peer = tcp_addr(addr)?;
        Ok(PyMaster {
            builder: make(peer.clone()),
            shown: format!("{how}({})", args::quoted(&peer)),
            peer,
        })
    }

    /// This builder with one more setting, `label` in its repr.
    fn with(&self, label: String, f: impl FnOnce(msm::Master) -> msm::Master) -> PyMaster {
        PyMaster {
            builder: f(self.builder.clone()),
            peer: self.peer.clone(),
            shown: format!("{} {label}", self.shown),
        }
    }

    /// Applies the serial keywords of a constructor.
    fn serial(self, settings: Vec<SerialSetting>) -> PyMaster {
        settings.into_iter().fold(self, |m, s| {
            m.with(s.label(), |b| match s {
                SerialSetting::Parity(p) => b.parity(p),
                SerialSetting::StopBits(n) => b.stop_bits(n),
                SerialSetting::DataBits(n) => b.data_bits(n),
            })
        })
    }

    /// Applies the keyword settings of the constructors.
    fn configure(self, settings: Settings<'_, '_>) -> PyResult<PyMaster> {
        let Settings {
            unit,
            period,
            response_timeout,
            connect_timeout,
            pipelining,
        } = settings;
        let mut m = self;
        if let Some(unit) = args::opt(unit, |u| args::unit(u, "unit"))? {
            m = m.with(format!("unit={unit}"), |b| b.unit(unit));
        }
        if let Some(p) = seconds("period", period)? {
            m = m.with(format!("period={}", secs(p)), |b| b.period(p));
        }
        if let Some(t) = seconds("response_timeout", response_timeout)? {
            m = m.with(format!("response_timeout={}", secs(t)), |b| {
                b.response_timeout(t)
            });
        }
        if let Some(t) = seconds("connect_timeout", connect_timeout)? {
            m = m.with(format!("connect_timeout={}", secs(t)), |b| {
                b.connect_timeout(t)
            });
        }
        if let Some(depth) = args::opt(pipelining, depth)? {
            m = m.with(format!("pipelining={depth}"), |b| b.pipelining(depth));
        }
        Ok(m)
    }
}

/// The keyword settings the constructors take (each `None` when not given).
#[derive(Default)]
struct Settings<'a, 'py> {
    unit: Option<&'a Bound<'py, PyAny>>,
    period: Option<&'a Bound<'py, PyAny>>,
    response_timeout: Option<&'a Bound<'py, PyAny>>,
    connect_timeout: Option<&'a Bound<'py, PyAny>>,
    pipelining: Option<&'a Bound<'py, PyAny>>,
}

fn required(what: &str, s: &Bound<'_, PyAny>) -> PyResult<Duration> {
    args::seconds(s, what)
}

/// A pipelining depth: 1..=64.
fn depth(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    args::count(obj, "pipelining", 1, MAX_PIPELINE_DEPTH)
}

#[pymethods]
impl PyMaster {
    /// A master for the Modbus/TCP slave at `addr` (`"host:port"` or `(host, port)`).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, period = None, response_timeout = None, connect_timeout = None, pipelining = None))]
    fn tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        response_timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        pipelining: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMaster> {
        PyMaster::over_tcp(addr, "tcp", msm::Master::tcp)?.configure(Settings {
            unit,
            period,
            response_timeout,
            connect_timeout,
            pipelining,
        })
    }

    /// A master speaking RTU frames over TCP to `addr` (serial-to-Ethernet converters).
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, period = None, response_timeout = None, connect_timeout = None))]
    fn rtu_over_tcp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        response_timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMaster> {
        PyMaster::over_tcp(addr, "rtu_over_tcp", msm::Master::rtu_over_tcp)?.configure(Settings {
            unit,
            period,
            response_timeout,
            connect_timeout,
            pipelining: None,
        })
    }

    /// A master for Modbus RTU slaves on the serial line at `path` (8 data bits;
    /// `parity` `"even"` (default), `"odd"` or `"none"`; `stop_bits` 1 or 2).
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, unit = None, period = None, response_timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn rtu(
        path: &Bound<'_, PyAny>,
        baud: &Bound<'_, PyAny>,
        parity: Option<&Bound<'_, PyAny>>,
        stop_bits: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        response_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMaster> {
        let (path, baud) = crate::link::serial_line(path, baud)?;
        let m = PyMaster {
            builder: msm::Master::rtu(path.clone(), baud),
            shown: format!("rtu({}, {baud})", args::quoted(&path)),
            peer: path,
        }
        .serial(crate::link::serial_settings(parity, stop_bits, None)?);
        m.configure(Settings {
            unit,
            period,
            response_timeout,
            ..Settings::default()
        })
    }

    /// A master for Modbus ASCII slaves on the serial line at `path` (7 data bits, even
    /// parity and 1 stop bit unless `data_bits`, `parity` or `stop_bits` say otherwise).
    #[staticmethod]
    #[pyo3(signature = (path, baud, *, parity = None, stop_bits = None, data_bits = None, unit = None, period = None, response_timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn ascii(
        path: &Bound<'_, PyAny>,
        baud: &Bound<'_, PyAny>,
        parity: Option<&Bound<'_, PyAny>>,
        stop_bits: Option<&Bound<'_, PyAny>>,
        data_bits: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        response_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMaster> {
        let (path, baud) = crate::link::serial_line(path, baud)?;
        let m = PyMaster {
            builder: msm::Master::ascii(path.clone(), baud),
            shown: format!("ascii({}, {baud})", args::quoted(&path)),
            peer: path,
        }
        .serial(crate::link::serial_settings(parity, stop_bits, data_bits)?);
        m.configure(Settings {
            unit,
            period,
            response_timeout,
            ..Settings::default()
        })
    }

    /// A master for the Modbus/UDP slave at `addr` (`"host:port"` or `(host, port)`): a
    /// request whose answer does not come within `response_timeout` is sent again,
    /// `retries` times at most (default 2), if sending it twice is safe (reads and
    /// msm's writes). One request in flight unless `pipelining` says more.
    #[staticmethod]
    #[pyo3(signature = (addr, *, unit = None, period = None, response_timeout = None, pipelining = None, retries = None))]
    fn udp(
        addr: &Bound<'_, PyAny>,
        unit: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        response_timeout: Option<&Bound<'_, PyAny>>,
        pipelining: Option<&Bound<'_, PyAny>>,
        retries: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMaster> {
        let m = PyMaster::over_tcp(addr, "udp", msm::Master::udp)?.configure(Settings {
            unit,
            period,
            response_timeout,
            pipelining,
            ..Settings::default()
        })?;
        Ok(match args::opt(retries, crate::link::retries)? {
            Some(n) => m.with(format!("retries={n}"), |b| b.retries(n)),
            None => m,
        })
    }

    /// The unit (slave id) to address (default 1).
    fn unit(&self, id: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let id = args::unit(id, "unit")?;
        Ok(self.with(format!("unit={id}"), |m| m.unit(id)))
    }

    /// Seconds between two cycles (default 0.1).
    fn period(&self, seconds: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let p = required("period", seconds)?;
        Ok(self.with(format!("period={}", secs(p)), |m| m.period(p)))
    }

    /// Seconds to wait for a response (default 1).
    fn response_timeout(&self, seconds: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let t = required("response_timeout", seconds)?;
        Ok(self.with(format!("response_timeout={}", secs(t)), |m| {
            m.response_timeout(t)
        }))
    }

    /// Seconds to wait for a TCP connection (default 3).
    fn connect_timeout(&self, seconds: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let t = required("connect_timeout", seconds)?;
        Ok(self.with(format!("connect_timeout={}", secs(t)), |m| {
            m.connect_timeout(t)
        }))
    }

    /// How many requests to keep in flight (1..=64; default 4 on TCP, 1 on UDP).
    fn pipelining(&self, depth: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let depth = self::depth(depth)?;
        Ok(self.with(format!("pipelining={depth}"), |m| m.pipelining(depth)))
    }

    /// Serial lines: the parity (`"even"`, `"odd"`, `"none"`).
    fn parity(&self, name: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let p = parity(name)?;
        Ok(
            self.with(format!("parity={}", args::quoted(&p.to_string())), |m| {
                m.parity(p)
            }),
        )
    }

    /// Serial lines: the stop bits (1 or 2).
    fn stop_bits(&self, n: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let n = crate::link::stop_bits(n)?;
        Ok(self.with(format!("stop_bits={n}"), |m| m.stop_bits(n)))
    }

    /// Serial lines: the data bits (8 for RTU; 7, the default, or 8 for ASCII).
    fn data_bits(&self, n: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let n = crate::link::data_bits(n)?;
        Ok(self.with(format!("data_bits={n}"), |m| m.data_bits(n)))
    }

    /// UDP: times a request goes again when its answer does not come (default 2).
    fn retries(&self, n: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let n = crate::link::retries(n)?;
        Ok(self.with(format!("retries={n}"), |m| m.retries(n)))
    }

    /// Also sync unit `id` behind the same link, into its own memory.
    fn with_unit(&self, id: &Bound<'_, PyAny>, memory: &Bound<'_, PyAny>) -> PyResult<PyMaster> {
        let id = args::unit(id, "with_unit's id")?;
        let mem = memory_of(memory)?;
        Ok(self.with(format!("with_unit({id})"), |m| m.with_unit(id, mem)))
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
        let running = Running::started(py, handle, mem, self.peer.clone());
        Ok(MasterHandle::new(running))
    }

    fn __repr__(&self) -> String {
        format!("<msm.Master {}>", self.shown)
    }
}
