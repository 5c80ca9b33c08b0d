//! `msm.Map`: map files (TOML) describing a memory and its named variables.

use msm::{Map, MapMemory};
use pyo3::prelude::*;

use crate::args;
use crate::errors::{BadArgument, IntoPy, MsmError};
use crate::memory::PyMemory;
use crate::var::{PyVar, from_any};

/// A map file, read and checked: `Map.load(path)` or `Map.from_toml(text)`; `build()`
/// makes its memory and variables. Errors (`msm.MapError`) give the file, line and
/// column, and how to fix them.
///
/// >>> import msm
/// >>> plant = msm.Map.from_toml('''
/// ... [memory]
/// ... holding_registers = 8
/// ... [vars]
/// ... SPEED = { area = "holding", address = 0, type = "u32", value = 1000 }
/// ... RUN   = { area = "holding", address = 2, type = "bit", bit = 0 }
/// ... ''').build()
/// >>> list(plant)
/// ['SPEED', 'RUN']
/// >>> plant["SPEED"].get()
/// 1000
/// >>> plant["SPEED"].set(1200)
/// >>> plant["SPEED"].value
/// 1200
#[pyclass(module = "msm", name = "Map", frozen)]
pub(crate) struct PyMap {
    pub(crate) map: Map,
}

#[pymethods]
impl PyMap {
    /// Reads and checks the map file at `path`.
    #[staticmethod]
    fn load(path: &Bound<'_, PyAny>) -> PyResult<PyMap> {
        let path: std::path::PathBuf = path.extract().map_err(|_| {
            BadArgument::new_err(format!(
                "path must be a str or an os.PathLike such as \"plant.toml\", got {}",
                args::described(path)
            ))
        })?;
        Ok(PyMap {
            map: Map::from_path(path).py()?,
        })
    }

    /// Reads and checks a map from TOML text.
    #[staticmethod]
    fn from_toml(text: &Bound<'_, PyAny>) -> PyResult<PyMap> {
        let text = args::text(text, "text", "'[memory]\\nholding_registers = 8'")?;
        Ok(PyMap {
            map: Map::from_toml_str(&text).py()?,
        })
    }

    /// The faults a slave serving the map makes on purpose (`[[fault]]`), in file order:
    /// `msm.Slave.tcp(addr).faults(plant_map)` serves them.
    #[getter]
    fn faults(&self) -> Vec<crate::faults::PyFault> {
        crate::faults::listed(self.map.faults())
    }

    /// The map's `seed` (for its faults' probabilities and random values), or `None`.
    #[getter]
    fn seed(&self) -> Option<u64> {
        self.map.seed()
    }

    /// Makes the memory, declares the variables and sets their starting values.
    fn build(&self) -> PyResult<PyMapMemory> {
        Ok(PyMapMemory {
            built: self.map.build().py()?,
            map: self.map.clone(),
        })
    }

    /// The variable names, in file order.
    fn names(&self) -> Vec<String> {
        self.map.vars().iter().map(|v| v.name.clone()).collect()
    }

    /// A map of only the named variables (same memory layout).
    fn select(&self, names: &Bound<'_, PyAny>) -> PyResult<PyMap> {
        let names = names_arg(names)?;
        Ok(PyMap {
            map: self.map.select(&names).py()?,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<msm.Map {} ({} variables)>",
            self.map.file(),
            self.map.vars().len()
        )
    }
}

/// A list of variable names, from Python.
fn names_arg(names: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let bad = || {
        BadArgument::new_err(format!(
            "names must be a list of str such as [\"SPEED\", \"RUN\"], got {}",
            args::described(names)
        ))
    };
    if names.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad());
    }
    names.extract::<Vec<String>>().map_err(|_| bad())
}

/// A built map: its memory (`.memory`) and its variables by name (`plant["SPEED"]`);
/// iterating gives the names in file order.
#[pyclass(module = "msm", name = "MapMemory", frozen)]
pub(crate) struct PyMapMemory {
    pub(crate) built: MapMemory,
    /// The map it was built from: a slave serving it serves its `[identity]` and
    /// `[[fifo]]`s too.
    pub(crate) map: Map,
}

impl PyMapMemory {
    /// The built map, for a simulator.
    pub(crate) fn built(&self) -> &MapMemory {
        &self.built
    }

    /// The variable `name`.
    fn var(&self, name: String) -> PyResult<PyVar> {
        let any = self.built.find(&name).py()?;
        let var = from_any(any)
            .ok_or_else(|| MsmError::new_err(format!("{name}: its type has no Python form")))?;
        Ok(PyVar::new(var, any.def().ty, Some(name)))
    }
}

#[pymethods]
impl PyMapMemory {
    /// The memory the variables live on (serve it, or sync it with a master).
    #[getter]
    fn memory(&self) -> PyMemory {
        PyMemory {
            mem: self.built.memory().clone(),
        }
    }

    /// The variable `name`; `msm.UnknownName` (a `KeyError`) suggests close names.
    fn __getitem__(&self, name: &Bound<'_, PyAny>) -> PyResult<PyVar> {
        let name = args::text(name, "name", "\"SPEED\"")?;
        self.var(name)
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> bool {
        name.extract::<String>()
            .is_ok_and(|n| self.built.get(&n).is_some())
    }

    fn __len__(&self) -> usize {
        self.built.vars().len()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let names = self.names();
        Ok(names.into_pyobject(py)?.try_iter()?.into_any().unbind())
    }

    /// The variable names, in file order.
    fn names(&self) -> Vec<String> {
        self.built
            .vars()
            .iter()
            .map(|v| v.name().to_string())
            .collect()
    }

    /// Every variable's current value, as (name, value) pairs in file order.
    fn values(&self, py: Python<'_>) -> PyResult<Vec<(String, Py<PyAny>)>> {
        self.names()
            .into_iter()
            .map(|n| {
                let v = self.var(n.clone())?.get_py(py)?;
                Ok((n, v))
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("<msm.MapMemory {} variables>", self.built.vars().len())
    }
}
