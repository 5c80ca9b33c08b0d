//! `msm.Simulator`: moves a built map's simulated variables (their `sim` key) on a
//! thread of its own, as `msm serve` does (docs/simulator.md).

use std::sync::Mutex;

use msm::sim::{SimHandle, Simulator};
use pyo3::prelude::*;

use crate::args;
use crate::errors::{BadArgument, IntoPy};
use crate::map::PyMapMemory;

/// Moves the variables of a built map that have a `sim` key (sine, counter, random,
/// ramp, toggle, uptime, timestamp, follow): `msm.Simulator(plant).start()` runs it on
/// a thread of its own until `stop()` (a context manager). `seed` makes `random` values
/// repeat (default: the map's `seed`, else a new one each run).
///
/// >>> import msm
/// >>> plant = msm.Map.from_toml('''
/// ... [memory]
/// ... input_registers = 2
/// ... [vars]
/// ... UP = { area = "input", address = 0, type = "u32", sim = { kind = "uptime" } }
/// ... ''').build()
/// >>> sim = msm.Simulator(plant, seed=7)
/// >>> len(sim)
/// 1
/// >>> with sim.start():
/// ...     plant["UP"].get()
/// 0
#[pyclass(module = "msm", name = "Simulator", frozen)]
pub(crate) struct PySimulator {
    /// Taken by `start()`.
    engine: Mutex<Option<Simulator>>,
    simulated: usize,
}

#[pymethods]
impl PySimulator {
    #[new]
    #[pyo3(signature = (plant, *, seed = None))]
    fn new(plant: &Bound<'_, PyAny>, seed: Option<&Bound<'_, PyAny>>) -> PyResult<PySimulator> {
        let built = plant.cast::<PyMapMemory>().map_err(|_| {
            BadArgument::new_err(format!(
                "plant must be a built map (msm.Map.load(path).build()), got {}",
                args::described(plant)
            ))
        })?;
        let mut engine = Simulator::new(built.get().built()).py()?;
        if let Some(seed) = args::opt(seed, |s| args::int(s, "seed", 0, i64::MAX))? {
            engine = engine.seed(seed as u64);
        }
        Ok(PySimulator {
            simulated: engine.len(),
            engine: Mutex::new(Some(engine)),
        })
    }

    /// Starts moving the values on a thread of its own (once); returns the running
    /// simulator's handle.
    fn start(&self, py: Python<'_>) -> PyResult<PySimHandle> {
        let engine = self
            .engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| crate::errors::to_py(msm::Error::Stopped))?;
        let handle = py.detach(|| engine.start()).py()?;
        Ok(PySimHandle {
            handle: Mutex::new(Some(handle)),
        })
    }

    /// How many variables it moves.
    fn __len__(&self) -> usize {
        self.simulated
    }

    fn __repr__(&self) -> String {
        format!("<msm.Simulator of {} variables>", self.simulated)
    }
}

/// A running simulator: `stop()`, `running`; a context manager.
#[pyclass(module = "msm", name = "SimulatorHandle", frozen)]
pub(crate) struct PySimHandle {
    handle: Mutex<Option<SimHandle>>,
}

#[pymethods]
impl PySimHandle {
    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Stops moving the values (they keep their last ones). Stopping twice does nothing.
    fn stop(&self, py: Python<'_>) {
        let handle = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
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
        let state = if self.running() { "running" } else { "stopped" };
        format!("<msm.SimulatorHandle {state}>")
    }
}
