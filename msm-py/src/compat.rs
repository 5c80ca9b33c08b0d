//! The ModbusSharedMemory 0.1.1 memory API (`MemoryStore`, `MemoryVariable`) on msm's
//! `Memory`: the same names, arguments and checks, with msm's codecs behind them.

use msm::map::VarType;
use msm::{Area, Byte, Memory, Order};
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFrozenSet, PyString, PyTuple, PyType};

use crate::errors::{IntoPy, bad_declaration, bad_value};
use crate::memory::PyMemory;
use crate::var::{Decl, PyVar, declare};

/// The types a `MemoryVariable` can have, with their size in bits (the original's
/// four, then this package's extensions; a string's size is its `length`).
const TYPES: [(&str, u32); 8] = [
    ("bool", 1),
    ("byte", 8),
    ("word", 16),
    ("uint32", 32),
    ("int16", 16),
    ("int32", 32),
    ("float32", 32),
    ("string", 0),
];

/// A named variable's place in a `MemoryStore`: assign it to an attribute of the
/// store to declare it (`mem.COUNTER = MemoryVariable.uint32(address=1)`), then read
/// and assign the attribute as a value (`mem.COUNTER = 10`).
///
/// `var_type` is `'bool'` (bit `bit_number` 0..15 of a word, 0 the least
/// significant), `'byte'` (`byte_number` 0 = low byte, 1 = high byte), `'word'`
/// (0..65535) or `'uint32'` (two words, the low word first); extensions: `'int16'`,
/// `'int32'`, `'float32'` (low word first, as `uint32`) and `'string'` (`length`
/// words of ASCII, two characters a word).
///
/// >>> from ModbusSharedMemory.memory import MemoryStore, MemoryVariable
/// >>> mem = MemoryStore(8)
/// >>> mem.COUNTER = MemoryVariable.uint32(address=1)
/// >>> mem.COUNTER = 70000
/// >>> mem.get_value(1), mem.get_value(2)
/// (4464, 1)
#[pyclass(
    module = "ModbusSharedMemory.memory",
    name = "MemoryVariable",
    subclass,
    frozen
)]
pub(crate) struct MemoryVariable {
    #[pyo3(get)]
    address: i64,
    #[pyo3(get)]
    bit_number: Option<i64>,
    #[pyo3(get)]
    byte_number: Option<i64>,
    #[pyo3(get, name = "type")]
    var_type: String,
    #[pyo3(get)]
    length: Option<i64>,
}

fn allowed() -> String {
    let names: Vec<String> = TYPES.iter().map(|(n, _)| format!("'{n}'")).collect();
    names.join(", ")
}

impl MemoryVariable {
    /// The msm declaration of this variable.
    fn decl(&self) -> PyResult<Decl> {
        let address = u16::try_from(self.address).map_err(|_| {
            bad_declaration(format!(
                "address {} is not a register address: use 0..=65535",
                self.address
            ))
        })?;
        let number = |ty| Decl {
            order: Some(Order::CDAB),
            ..Decl::new(Area::Holding, address, ty)
        };
        Ok(match self.var_type.as_str() {
            "bool" => Decl {
                bit: self.bit_number.and_then(|b| u8::try_from(b).ok()),
                ..Decl::new(Area::Holding, address, VarType::Bit)
            },
            "byte" => Decl {
                byte: Some(if self.byte_number == Some(1) {
                    Byte::High
                } else {
                    Byte::Low
                }),
                ..Decl::new(Area::Holding, address, VarType::U8)
            },
            "word" => Decl::new(Area::Holding, address, VarType::U16),
            "int16" => Decl::new(Area::Holding, address, VarType::I16),
            "uint32" => number(VarType::U32),
            "int32" => number(VarType::I32),
            "float32" => number(VarType::F32),
            _ => Decl {
                len: self.length.and_then(|l| usize::try_from(l).ok()),
                ..Decl::new(Area::Holding, address, VarType::String)
            },
        })
    }
}

#[pymethods]
impl MemoryVariable {
    #[new]
    #[pyo3(signature = (address, bit_number = None, byte_number = None, var_type = String::from("word"), length = None))]
    #[pyo3(
        text_signature = "(address, bit_number=None, byte_number=None, var_type='word', length=None)"
    )]
    fn new(
        address: i64,
        bit_number: Option<i64>,
        byte_number: Option<i64>,
        var_type: String,
        length: Option<i64>,
    ) -> PyResult<MemoryVariable> {
        if !TYPES.iter().any(|(n, _)| *n == var_type) {
            return Err(bad_declaration(format!(
                "var_type should be one of {}, not '{var_type}'",
                allowed()
            )));
        }
        let is = |t: &str| var_type == t;
        if bit_number.is_some() && !is("bool") {
            return Err(bad_declaration(format!(
                "for '{var_type}' var_type, bit_number should be None: only 'bool' variables take a bit"
            )));
        }
        if byte_number.is_some() && !is("byte") {
            return Err(bad_declaration(format!(
                "for '{var_type}' var_type, byte_number should be None: only 'byte' variables take a byte"
            )));
        }
        if length.is_some() && !is("string") {
            return Err(bad_declaration(format!(
                "for '{var_type}' var_type, length should be None: only 'string' variables take a length"
            )));
        }
        if is("bool") && !bit_number.is_some_and(|b| (0..16).contains(&b)) {
            return Err(bad_declaration(format!(
                "for 'bool' var_type, bit_number should be in range of (0..15), but was {}",
                opt(bit_number)
            )));
        }
        if is("byte") && !byte_number.is_some_and(|b| (0..2).contains(&b)) {
            return Err(bad_declaration(format!(
                "for 'byte' var_type, byte_number should be in (0, 1) (0 = low byte, 1 = high byte), but was {}",
                opt(byte_number)
            )));
        }
        if is("string") && length.is_none_or(|l| l <= 0) {
            return Err(bad_declaration(format!(
                "for 'string' var_type, length should be the number of words (1 or more), but was {}",
                opt(length)
            )));
        }
        Ok(MemoryVariable {
            address,
            bit_number,
            byte_number,
            var_type,
            length,
        })
    }

    /// The types a variable can have.
    #[classattr]
    fn allowed_types(py: Python<'_>) -> PyResult<Py<PyFrozenSet>> {
        let names: Vec<&str> = TYPES.iter().map(|(n, _)| *n).collect();
        Ok(PyFrozenSet::new(py, &names)?.unbind())
    }

    /// The size of each type in bits (a string's is 16 × its length).
    #[classattr]
    fn type_sizes(py: Python<'_>) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for (n, bits) in TYPES.iter().filter(|(_, bits)| *bits > 0) {
            d.set_item(n, bits)?;
        }
        Ok(d.unbind())
    }

    /// Bit `bit_number` (0..15, 0 the least significant) of the word at `address`.
    #[classmethod]
    #[pyo3(name = "bool")]
    fn bool_(cls: &Bound<'_, PyType>, address: i64, bit_number: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "bool", ("bit_number", bit_number))
    }

    /// Byte `byte_number` (0 = low, 1 = high) of the word at `address`.
    #[classmethod]
    fn byte(cls: &Bound<'_, PyType>, address: i64, byte_number: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "byte", ("byte_number", byte_number))
    }

    /// The word (0..65535) at `address`.
    #[classmethod]
    fn word(cls: &Bound<'_, PyType>, address: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "word", ())
    }

    /// An unsigned 32-bit number on the words at `address` (low word) and `address + 1`.
    #[classmethod]
    fn uint32(cls: &Bound<'_, PyType>, address: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "uint32", ())
    }

    /// Extension: a signed word (-32768..32767) at `address`.
    #[classmethod]
    fn int16(cls: &Bound<'_, PyType>, address: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "int16", ())
    }

    /// Extension: a signed 32-bit number, the low word at `address`.
    #[classmethod]
    fn int32(cls: &Bound<'_, PyType>, address: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "int32", ())
    }

    /// Extension: an IEEE 754 single, the low word at `address`.
    #[classmethod]
    fn float32(cls: &Bound<'_, PyType>, address: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "float32", ())
    }

    /// Extension: ASCII text over `length` words from `address`, two characters a word.
    #[classmethod]
    fn string(cls: &Bound<'_, PyType>, address: i64, length: i64) -> PyResult<Py<PyAny>> {
        make(cls, address, "string", ("length", length))
    }

    /// As the original: this variable's value, decoded from `memory_instance`.
    fn get_memory_value(
        &self,
        py: Python<'_>,
        memory_instance: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let store = store_of(memory_instance)?.get();
        let decl = self.decl()?;
        let ty = decl.ty;
        PyVar::new(declare(&store.mem, &decl).py()?, ty, None).get_py(py)
    }

    /// As the original: the words `value` is written as, from `address` on (a bool or
    /// a byte keeps the rest of its word as `memory_instance` holds it), without
    /// writing them. Raises `ValueError` for a value the type cannot hold.
    fn build_value_stack<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
        memory_instance: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let store = store_of(memory_instance)?.get();
        let decl = self.decl()?;
        let (ty, address) = (decl.ty, i64::from(decl.address));
        let count = declare(&store.mem, &decl).py()?.place().2;
        // Encode on a scratch copy of the words, at address 0.
        let scratch = Memory::new(count as u32);
        for i in 0..count {
            let word = store.word(address + i as i64)?.get();
            scratch.holding::<u16>(i as u16).py()?.set(word).py()?;
        }
        let at_zero = Decl { address: 0, ..decl };
        PyVar::new(declare(&scratch, &at_zero).py()?, ty, None).set_py(value)?;
        let words = (0..count)
            .map(|i| Ok(scratch.holding::<u16>(i as u16).py()?.get()))
            .collect::<PyResult<Vec<u16>>>()?;
        PyTuple::new(py, words)
    }

    fn __repr__(&self) -> String {
        let extra = match (self.bit_number, self.byte_number, self.length) {
            (Some(b), _, _) => format!(", bit_number={b}"),
            (_, Some(b), _) => format!(", byte_number={b}"),
            (_, _, Some(l)) => format!(", length={l}"),
            _ => String::new(),
        };
        format!(
            "MemoryVariable(address={}{extra}, var_type='{}')",
            self.address, self.var_type
        )
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "None".to_string(), |v| v.to_string())
}

/// `cls(address, var_type=ty, **extra)`, so that subclasses make their own kind.
fn make<'py>(
    cls: &Bound<'py, PyType>,
    address: i64,
    ty: &str,
    extra: impl IntoPyDictItems<'py>,
) -> PyResult<Py<PyAny>> {
    let kwargs = PyDict::new(cls.py());
    kwargs.set_item("var_type", ty)?;
    extra.add_to(&kwargs)?;
    Ok(cls.call((address,), Some(&kwargs))?.unbind())
}

/// At most one extra keyword for `make`.
trait IntoPyDictItems<'py> {
    fn add_to(self, d: &Bound<'py, PyDict>) -> PyResult<()>;
}

impl<'py> IntoPyDictItems<'py> for () {
    fn add_to(self, _: &Bound<'py, PyDict>) -> PyResult<()> {
        Ok(())
    }
}

impl<'py> IntoPyDictItems<'py> for (&str, i64) {
    fn add_to(self, d: &Bound<'py, PyDict>) -> PyResult<()> {
        d.set_item(self.0, self.1)
    }
}

/// `size` words of holding registers, with named variables as attributes: assigning a
/// `MemoryVariable` to an attribute declares it (variables may overlap), assigning a
/// value to a declared name encodes it into the words, reading the name decodes it.
/// Any other attribute is an ordinary attribute. Served by `ModbusSlaveTCP`, synced by
/// `ModbusMasterTCP`.
///
/// >>> from ModbusSharedMemory.memory import MemoryStore, MemoryVariable
/// >>> mem = MemoryStore(8)
/// >>> mem.STATE = MemoryVariable.word(address=0)
/// >>> mem.STATE = 3
/// >>> mem.STATE, mem.get_value(0), mem.get_size()
/// (3, 3, 8)
#[pyclass(
    module = "ModbusSharedMemory.memory",
    name = "MemoryStore",
    subclass,
    dict,
    frozen
)]
pub(crate) struct MemoryStore {
    mem: Memory,
    size: u32,
    /// Declared names → `msm.Var`.
    vars: Py<PyDict>,
}

impl MemoryStore {
    fn word(&self, address: i64) -> PyResult<msm::Var<u16>> {
        crate::fork::check_memory(&self.mem)?;
        let a = u16::try_from(address)
            .ok()
            .filter(|a| u32::from(*a) < self.size)
            .ok_or_else(|| {
                bad_value(format!(
                    "address {address} is outside the memory: it holds words 0..={} (MemoryStore({}))",
                    i64::from(self.size) - 1,
                    self.size
                ))
            })?;
        self.mem.holding(a).py()
    }
}

#[pymethods]
impl MemoryStore {
    #[new]
    #[pyo3(signature = (size, *_args, **_kwargs))]
    #[pyo3(text_signature = "(size)")]
    fn new(
        size: i64,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<MemoryStore> {
        let size = u32::try_from(size)
            .ok()
            .filter(|s| *s <= 65536)
            .ok_or_else(|| {
                bad_declaration(format!(
                    "MemoryStore({size}): the size is a number of words, 0..=65536"
                ))
            })?;
        Python::attach(|py| {
            Ok(MemoryStore {
                mem: Memory::new(size),
                size,
                vars: PyDict::new(py).unbind(),
            })
        })
    }

    /// Accepts the arguments a subclass's `__init__` takes (`__new__` took the size).
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __init__(
        &self,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) {
    }

    /// The word at `address`.
    fn get_value(&self, address: i64) -> PyResult<u16> {
        Ok(self.word(address)?.get())
    }

    /// Writes `value` (0..65535) into the word at `address`.
    fn set_value(&self, address: i64, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let word = self.word(address)?;
        let v = value
            .extract::<i64>()
            .ok()
            .and_then(|v| u16::try_from(v).ok());
        let v = v.ok_or_else(|| {
            bad_value(format!(
                "{} is not a word: set_value takes an int in range of (0, 65535)",
                value.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })?;
        word.set(v).py()
    }

    /// The size in words.
    fn get_size(&self) -> u32 {
        self.size
    }

    /// The words as text, `cols` to a line: `'address': value | `.
    #[pyo3(signature = (cols = 5))]
    fn dump(&self, cols: i64) -> PyResult<String> {
        let cols = usize::try_from(cols)
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| {
                bad_value(format!(
                    "cols = {cols}: give the number of words a line, 1 or more"
                ))
            })?;
        // As the original: the address padded to the digits of the size, the value to 5.
        let digits = self.size.max(1).ilog10() as usize + 1;
        let mut out = String::new();
        for a in 0..self.size {
            let v = self.word(i64::from(a))?.get();
            out.push_str(&format!("'{a:0digits$}': {v:05} | "));
            if (a as usize + 1).is_multiple_of(cols) {
                out.push('\n');
            }
        }
        out.push('\n');
        Ok(out)
    }

    /// Declared names first (as the original: a variable hides a method of the same
    /// name), then the ordinary lookup.
    fn __getattribute__(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        if let Some(var) = slf.get().vars.bind(py).get_item(name)? {
            return var.cast::<PyVar>()?.get().get_py(py);
        }
        static GENERIC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let generic = GENERIC.get_or_try_init(py, || {
            PyModule::import(py, "builtins")?
                .getattr("object")?
                .getattr("__getattribute__")
                .map(Bound::unbind)
        })?;
        generic.bind(py).call1((slf, name)).map(Bound::unbind)
    }

    fn __getattr__(&self, name: &Bound<'_, PyString>) -> PyResult<Py<PyAny>> {
        Err(PyAttributeError::new_err(format!(
            "'MemoryStore' object has no attribute '{name}': declare it first, \
             e.g. mem.{name} = MemoryVariable.word(address=0)"
        )))
    }

    fn __setattr__(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, PyString>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let vars = this.vars.bind(py);
        if let Ok(def) = value.cast::<MemoryVariable>() {
            let decl = def.get().decl()?;
            let ty = decl.ty;
            let var = declare(&this.mem, &decl).py()?;
            // An ordinary attribute of that name would hide the variable.
            let dict = slf.getattr("__dict__")?.cast_into::<PyDict>()?;
            if dict.contains(name)? {
                dict.del_item(name)?;
            }
            return vars.set_item(name, PyVar::new(var, ty, Some(name.to_string())));
        }
        if let Some(var) = vars.get_item(name)? {
            return var.cast::<PyVar>()?.get().set_py(value);
        }
        // An ordinary attribute. (object.__setattr__ refuses a type with its own
        // __setattr__, so: a data descriptor of the class, else the instance dict.)
        if let Ok(attr) = slf.get_type().getattr(name)
            && attr.get_type().hasattr("__set__")?
        {
            return attr.call_method1("__set__", (slf, value)).map(drop);
        }
        slf.getattr("__dict__")?
            .cast_into::<PyDict>()?
            .set_item(name, value)
    }

    fn __delattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>) -> PyResult<()> {
        let vars = slf.get().vars.bind(slf.py());
        if vars.contains(name)? {
            return vars.del_item(name);
        }
        let dict = slf.getattr("__dict__")?.cast_into::<PyDict>()?;
        if dict.contains(name)? {
            return dict.del_item(name);
        }
        Err(PyAttributeError::new_err(format!(
            "'MemoryStore' object has no attribute '{name}'"
        )))
    }

    fn __dir__(slf: &Bound<'_, Self>) -> PyResult<Vec<String>> {
        let mut names: Vec<String> = slf.get().vars.bind(slf.py()).keys().extract()?;
        let base = slf.py_super()?.call_method0("__dir__")?;
        names.extend(base.extract::<Vec<String>>()?);
        Ok(names)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names: Vec<String> = self.vars.bind(py).keys().extract()?;
        Ok(format!(
            "<MemoryStore of {} words, variables: {}>",
            self.size,
            names.join(", ")
        ))
    }
}

/// The `MemoryStore` given to the original's methods, or its `ValueError`.
fn store_of<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, MemoryStore>> {
    obj.cast::<MemoryStore>().map_err(|_| {
        bad_value(format!(
            "memory_instance should be instance of MemoryStore, not {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// The msm memory behind a `MemoryStore` (for `ModbusSlaveTCP` and `ModbusMasterTCP`).
#[pyfunction]
pub(crate) fn _store_memory(store: &Bound<'_, MemoryStore>) -> PyMemory {
    PyMemory {
        mem: store.get().mem.clone(),
    }
}
