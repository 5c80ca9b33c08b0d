//! `msm.File`: a file of records on a memory (FC20/FC21), read and written from Python.

use msm::memory::File;
use pyo3::prelude::*;

use crate::args;
use crate::device::{record_number, words};
use crate::errors::IntoPy;

/// A file of records on a memory: `memory.file(4)`. Each record is a 16-bit word; a
/// slave serving the memory answers FC20 and FC21 from it.
///
/// >>> import msm
/// >>> mem = msm.Memory(0, files={4: 100})
/// >>> recipe = mem.file(4)
/// >>> recipe.write(1, [0x0DFE, 0x0020])
/// >>> recipe.read(1, 2)
/// [3582, 32]
/// >>> (recipe.number, len(recipe))
/// (4, 100)
#[pyclass(module = "msm", name = "File", frozen)]
pub(crate) struct PyFile {
    pub(crate) file: File,
}

#[pymethods]
impl PyFile {
    /// The file's number (1..=65535).
    #[getter]
    fn number(&self) -> u16 {
        self.file.number()
    }

    fn __len__(&self) -> usize {
        self.file.len()
    }

    /// `count` records from `record`, as ints.
    fn read(&self, record: &Bound<'_, PyAny>, count: &Bound<'_, PyAny>) -> PyResult<Vec<u16>> {
        let count = args::count(count, "count", 1, 10_000)?;
        self.file.read(record_number(record)?, count).py()
    }

    /// Writes `values` (ints 0..=65535) to the records from `record`, all or none.
    fn write(&self, record: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = words(values, "each value")?;
        self.file.write(record_number(record)?, &values).py()
    }

    /// One record's value.
    fn get(&self, record: &Bound<'_, PyAny>) -> PyResult<u16> {
        self.file.get(record_number(record)?).py()
    }

    /// Writes one record.
    fn set(&self, record: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = args::int(value, "value", 0, 65535)? as u16;
        self.file.set(record_number(record)?, value).py()
    }

    fn __repr__(&self) -> String {
        format!(
            "msm.File(number={}, records={})",
            self.file.number(),
            self.file.len()
        )
    }
}
