//! Python bindings for msm: the extension module `msm._msm`, which the Python packages
//! `msm` (the Pythonic API) and `ModbusSharedMemory` (the API of the original
//! ModbusSharedMemory 0.1.1) re-export. Built with maturin; see `docs/python.md`.
#![forbid(unsafe_code)]

mod compat;
mod errors;
mod link;
mod map;
mod master;
mod memory;
mod runtime;
mod slave;
mod value;
mod var;

use pyo3::prelude::*;

/// msm, Modbus Shared Memory: a memory of four Modbus areas with typed variables on
/// it, served by a slave or kept in sync with a remote slave by a master.
#[pymodule]
fn _msm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<memory::PyMemory>()?;
    m.add_class::<var::PyVar>()?;
    m.add_class::<master::PyMaster>()?;
    m.add_class::<master::MasterHandle>()?;
    m.add_class::<master::PyStatus>()?;
    m.add_class::<slave::PySlave>()?;
    m.add_class::<slave::SlaveHandlePy>()?;
    m.add_class::<map::PyMap>()?;
    m.add_class::<map::PyMapMemory>()?;
    m.add_class::<compat::MemoryStore>()?;
    m.add_class::<compat::MemoryVariable>()?;
    m.add_function(wrap_pyfunction!(compat::_store_memory, m)?)?;
    Ok(())
}
