//! Python bindings for msm: the extension module `msm._msm`, which the Python packages
//! `msm` (the Pythonic API) and `ModbusSharedMemory` (the API of the original
//! ModbusSharedMemory 0.1.1) re-export. Built with maturin; see `docs/python.md`.
#![forbid(unsafe_code)]

mod aio;
mod args;
mod compat;
mod device;
mod errors;
mod faults;
mod files;
mod fork;
mod link;
mod map;
mod master;
mod master_handle;
mod memory;
mod mqtt;
mod names;
mod running;
mod runtime;
mod sim;
mod slave;
mod status;
mod value;
mod var;
mod web;

use pyo3::prelude::*;

/// msm, Modbus Shared Memory: a memory of four Modbus areas with typed variables on
/// it, served by a slave or kept in sync with a remote slave by a master.
#[pymodule]
fn _msm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<memory::PyMemory>()?;
    m.add_class::<var::PyVar>()?;
    m.add_class::<files::PyFile>()?;
    m.add_class::<master::PyMaster>()?;
    m.add_class::<master_handle::MasterHandle>()?;
    m.add_class::<status::PyStatus>()?;
    m.add_class::<slave::PySlave>()?;
    m.add_class::<slave::SlaveHandlePy>()?;
    m.add_class::<map::PyMap>()?;
    m.add_class::<map::PyMapMemory>()?;
    m.add_class::<faults::PyFault>()?;
    m.add_class::<sim::PySimulator>()?;
    m.add_class::<sim::PySimHandle>()?;
    m.add_class::<compat::MemoryStore>()?;
    m.add_class::<compat::MemoryVariable>()?;
    m.add_function(wrap_pyfunction!(compat::_store_memory, m)?)?;
    m.add_class::<mqtt::PyBridge>()?;
    m.add_function(wrap_pyfunction!(mqtt::mqtt_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(fork::_after_fork_in_child, m)?)?;
    m.add_class::<web::PyWebHandle>()?;
    m.add_function(wrap_pyfunction!(web::_web_serve, m)?)?;
    aio::register(m)?;
    fork::watch(m)
}
