//! `msm.Memory`: the four Modbus areas, and the declarations of variables on them.

use msm::map::VarType;
use msm::{Area, Byte, Memory};
use pyo3::prelude::*;

use crate::args;
use crate::errors::{BadArgument, IntoPy, bad_declaration};
use crate::names::area_key;
use crate::var::{Decl, PyVar, declare, order_from, order_opt, type_from};

/// Optional arguments as Python passes them.
type Arg<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

/// A memory given from Python: an `msm.Memory`, or a built map (its memory).
pub(crate) fn memory_of(obj: &Bound<'_, PyAny>) -> PyResult<Memory> {
    let mem = if let Ok(m) = obj.cast::<PyMemory>() {
        m.get().mem.clone()
    } else if let Ok(m) = obj.getattr("memory")
        && let Ok(m) = m.cast::<PyMemory>()
    {
        m.get().mem.clone()
    } else {
        return Err(crate::errors::BadArgument::new_err(format!(
            "memory must be an msm.Memory or a built map (msm.Map.load(path).build()), got {}",
            args::described(obj)
        )));
    };
    crate::fork::check_memory(&mem)?;
    Ok(mem)
}

/// A block of Modbus memory: coils, discrete inputs, input registers and holding
/// registers. `Memory(8)` is 8 holding registers; keywords size the other areas. An
/// area is a size from address 0, or a `(start, size)` pair. `order` is the default
/// word order of multi-register values (`ABCD`: the high word first).
///
/// Variables declared on it (`holding`, `input`, `coil`, ...) read and write it; a
/// `Slave` serves it, a `Master` keeps it in sync with a remote slave.
///
/// >>> import msm
/// >>> mem = msm.Memory(holding_registers=32, coils=16, discrete_inputs=16, input_registers=8)
/// >>> speed = mem.holding(0, "f32")
/// >>> speed.set(2.5)
/// >>> speed.get()
/// 2.5
/// >>> mem.size("holding"), mem.size("coil")
/// (32, 16)
#[pyclass(module = "msm", name = "Memory", frozen)]
pub(crate) struct PyMemory {
    pub(crate) mem: Memory,
}

/// An area's size from Python: `n` (from address 0) or `(start, n)`.
fn area_spec(area: &Bound<'_, PyAny>, what: &str) -> PyResult<(u16, u32)> {
    if let Ok(n) = area.extract::<u32>()
        && n <= 65536
    {
        return Ok((0, n));
    }
    if let Ok((start, n)) = area.extract::<(u16, u32)>() {
        return Ok((start, n));
    }
    let text = format!(
        "{what} must be a size in 0..=65536 (8) or a (start, size) pair ((1000, 8)), got {}",
        args::described(area)
    );
    let is_number = area.extract::<i128>().is_ok() || area.extract::<(i128, i128)>().is_ok();
    Err(if is_number {
        bad_declaration(text)
    } else {
        BadArgument::new_err(text)
    })
}

/// The `type` argument: a str naming a type.
fn type_arg(ty: Arg<'_, '_>, default: &str) -> PyResult<String> {
    Ok(args::opt_text(ty, "type", "\"u16\"")?.unwrap_or_else(|| default.to_string()))
}

/// The `order` argument: `None` or a str naming a word order.
fn order_arg(order: Arg<'_, '_>) -> PyResult<Option<String>> {
    args::opt_text(order, "order", "\"CDAB\"")
}

/// The `area` argument.
fn area_arg(area: &Bound<'_, PyAny>) -> PyResult<Area> {
    area_from(&args::text(area, "area", "\"holding\"")?)
}

impl PyMemory {
    fn declare(&self, decl: Decl) -> PyResult<PyVar> {
        crate::fork::check_memory(&self.mem)?;
        let ty = decl.ty;
        Ok(PyVar::new(declare(&self.mem, &decl).py()?, ty, None))
    }

    /// A number: `type` a str naming a number type (default `u16`), `order` a word order.
    fn number(
        &self,
        area: Area,
        address: &Bound<'_, PyAny>,
        ty: Arg<'_, '_>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        let address = args::address(address)?;
        let ty = type_from(&type_arg(ty, "u16")?)?;
        match ty {
            VarType::Bool | VarType::Bit | VarType::String => Err(bad_declaration(format!(
                "{} is not a number type here: use {}",
                ty.name(),
                match ty {
                    VarType::String => "holding_string() / input_string()",
                    VarType::Bit => "holding_bit() / input_bit()",
                    _ => "coil() / discrete_input(), or holding_bit() for a bit of a register",
                }
            ))),
            _ => self.declare(Decl {
                order: order_opt(order_arg(order)?.as_deref())?,
                ..Decl::new(area, address, ty)
            }),
        }
    }

    /// A bit (0..=15) of a register.
    fn bit(
        &self,
        area: Area,
        address: &Bound<'_, PyAny>,
        bit: &Bound<'_, PyAny>,
    ) -> PyResult<PyVar> {
        let address = args::address(address)?;
        self.declare(Decl {
            bit: Some(args::small(bit, "bit", 0, 15)?),
            ..Decl::new(area, address, VarType::Bit)
        })
    }

    /// A byte (`"low"` by default) of a register, as a `u8` (default) or an `i8`.
    fn byte(
        &self,
        area: Area,
        address: &Bound<'_, PyAny>,
        byte: Arg<'_, '_>,
        ty: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        let address = args::address(address)?;
        let byte = args::opt_text(byte, "byte", "\"high\"")?.unwrap_or_else(|| "low".into());
        let which = byte.parse::<Byte>().py()?;
        let ty = type_from(&type_arg(ty, "u8")?)?;
        if !matches!(ty, VarType::U8 | VarType::I8) {
            return Err(bad_declaration(format!(
                "a byte of a register is a u8 or an i8, not {}",
                ty.name()
            )));
        }
        self.declare(Decl {
            byte: Some(which),
            ..Decl::new(area, address, ty)
        })
    }

    /// ASCII text over `registers` registers.
    fn string(
        &self,
        area: Area,
        address: &Bound<'_, PyAny>,
        registers: &Bound<'_, PyAny>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        let address = args::address(address)?;
        self.declare(Decl {
            order: order_opt(order_arg(order)?.as_deref())?,
            len: Some(args::count(registers, "registers", 0, 65536)?),
            ..Decl::new(area, address, VarType::String)
        })
    }
}

/// `files={number: records}`: files of records (numbers 1..=65535, 1..=10000 records).
fn files_arg(files: Arg<'_, '_>) -> PyResult<Vec<(u16, u16)>> {
    let Some(files) = files.filter(|f| !f.is_none()) else {
        return Ok(Vec::new());
    };
    let dict = files.cast::<pyo3::types::PyDict>().map_err(|_| {
        crate::errors::BadArgument::new_err(format!(
            "files must be a dict {{number: records}}, such as {{4: 100}}, got {}",
            crate::args::described(files)
        ))
    })?;
    dict.iter()
        .map(|(number, records)| {
            let number = crate::args::int(&number, "a file number", 1, 65535)? as u16;
            let records = crate::args::int(&records, "a file's records", 1, 10_000)? as u16;
            Ok((number, records))
        })
        .collect()
}

fn area_from(name: &str) -> PyResult<Area> {
    name.parse::<Area>().py()
}

#[pymethods]
impl PyMemory {
    #[new]
    #[pyo3(signature = (holding_registers = None, *, coils = None, discrete_inputs = None, input_registers = None, order = None, files = None))]
    #[pyo3(
        text_signature = "(holding_registers=None, *, coils=None, discrete_inputs=None, input_registers=None, order='ABCD', files=None)"
    )]
    fn new(
        holding_registers: Arg<'_, '_>,
        coils: Arg<'_, '_>,
        discrete_inputs: Arg<'_, '_>,
        input_registers: Arg<'_, '_>,
        order: Arg<'_, '_>,
        files: Arg<'_, '_>,
    ) -> PyResult<PyMemory> {
        let order = order_arg(order)?.unwrap_or_else(|| "ABCD".into());
        let mut builder = Memory::builder().order(order_from(&order)?);
        for (area, what, spec) in [
            (Area::Holding, "holding_registers", holding_registers),
            (Area::Coil, "coils", coils),
            (Area::Discrete, "discrete_inputs", discrete_inputs),
            (Area::Input, "input_registers", input_registers),
        ] {
            if let Some(spec) = spec.filter(|s| !s.is_none()) {
                let (start, n) = area_spec(spec, what)?;
                builder = match area {
                    Area::Holding => builder.holding_registers_at(start, n),
                    Area::Coil => builder.coils_at(start, n),
                    Area::Discrete => builder.discrete_inputs_at(start, n),
                    Area::Input => builder.input_registers_at(start, n),
                };
            }
        }
        for (number, records) in files_arg(files)? {
            builder = builder.file(number, records);
        }
        Ok(PyMemory {
            mem: builder.build().py()?,
        })
    }

    /// File `number` (declared with `files={number: records}`, or a map's `[[file]]`).
    fn file(&self, number: &Bound<'_, PyAny>) -> PyResult<crate::files::PyFile> {
        let number = crate::args::int(number, "number", 1, 65535)? as u16;
        Ok(crate::files::PyFile {
            file: self.mem.file(number).py()?,
        })
    }

    /// Every file, by number.
    fn files(&self) -> Vec<crate::files::PyFile> {
        self.mem
            .files()
            .into_iter()
            .map(|file| crate::files::PyFile { file })
            .collect()
    }

    /// A number on holding registers at `address`: `type` is `u16`, `i16`, `u32`,
    /// `i32`, `u64`, `i64`, `f32` or `f64`; `order` overrides the memory's word order.
    #[pyo3(signature = (address, r#type = None, order = None))]
    #[pyo3(text_signature = "(self, address, type='u16', order=None)")]
    fn holding(
        &self,
        address: &Bound<'_, PyAny>,
        r#type: Arg<'_, '_>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.number(Area::Holding, address, r#type, order)
    }

    /// A number on input registers at `address` (types as for `holding`).
    #[pyo3(signature = (address, r#type = None, order = None))]
    #[pyo3(text_signature = "(self, address, type='u16', order=None)")]
    fn input(
        &self,
        address: &Bound<'_, PyAny>,
        r#type: Arg<'_, '_>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.number(Area::Input, address, r#type, order)
    }

    /// The coil at `address` (a bool).
    fn coil(&self, address: &Bound<'_, PyAny>) -> PyResult<PyVar> {
        self.declare(Decl::new(
            Area::Coil,
            args::address(address)?,
            VarType::Bool,
        ))
    }

    /// The discrete input at `address` (a bool).
    fn discrete_input(&self, address: &Bound<'_, PyAny>) -> PyResult<PyVar> {
        self.declare(Decl::new(
            Area::Discrete,
            args::address(address)?,
            VarType::Bool,
        ))
    }

    /// Bit `bit` (0..=15, 0 the least significant) of the holding register at `address`.
    fn holding_bit(&self, address: &Bound<'_, PyAny>, bit: &Bound<'_, PyAny>) -> PyResult<PyVar> {
        self.bit(Area::Holding, address, bit)
    }

    /// Bit `bit` of the input register at `address`.
    fn input_bit(&self, address: &Bound<'_, PyAny>, bit: &Bound<'_, PyAny>) -> PyResult<PyVar> {
        self.bit(Area::Input, address, bit)
    }

    /// The `"low"` (bits 0..=7) or `"high"` byte of the holding register at `address`,
    /// as a `u8` (or `i8`).
    #[pyo3(signature = (address, byte = None, r#type = None))]
    #[pyo3(text_signature = "(self, address, byte='low', type='u8')")]
    fn holding_byte(
        &self,
        address: &Bound<'_, PyAny>,
        byte: Arg<'_, '_>,
        r#type: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.byte(Area::Holding, address, byte, r#type)
    }

    /// A byte of the input register at `address`, as for `holding_byte`.
    #[pyo3(signature = (address, byte = None, r#type = None))]
    #[pyo3(text_signature = "(self, address, byte='low', type='u8')")]
    fn input_byte(
        &self,
        address: &Bound<'_, PyAny>,
        byte: Arg<'_, '_>,
        r#type: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.byte(Area::Input, address, byte, r#type)
    }

    /// ASCII text over `registers` holding registers from `address` (two characters a
    /// register; shorter text is padded with NULs).
    #[pyo3(signature = (address, registers, order = None))]
    fn holding_string(
        &self,
        address: &Bound<'_, PyAny>,
        registers: &Bound<'_, PyAny>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.string(Area::Holding, address, registers, order)
    }

    /// ASCII text over input registers, as for `holding_string`.
    #[pyo3(signature = (address, registers, order = None))]
    fn input_string(
        &self,
        address: &Bound<'_, PyAny>,
        registers: &Bound<'_, PyAny>,
        order: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        self.string(Area::Input, address, registers, order)
    }

    /// A variable of any map-file type in any area, as a map file declares it:
    /// `var("holding", 4, "u8", byte="high")`.
    #[pyo3(signature = (area, address, r#type, *, order = None, bit = None, byte = None, len = None))]
    #[allow(clippy::too_many_arguments)]
    fn var(
        &self,
        area: &Bound<'_, PyAny>,
        address: &Bound<'_, PyAny>,
        r#type: &Bound<'_, PyAny>,
        order: Arg<'_, '_>,
        bit: Arg<'_, '_>,
        byte: Arg<'_, '_>,
        len: Arg<'_, '_>,
    ) -> PyResult<PyVar> {
        let area = area_arg(area)?;
        let address = args::address(address)?;
        let ty = type_from(&args::text(r#type, "type", "\"u16\"")?)?;
        let byte = args::opt_text(byte, "byte", "\"high\"")?;
        let byte = byte.map(|b| b.parse::<Byte>()).transpose().py()?;
        self.declare(Decl {
            order: order_opt(order_arg(order)?.as_deref())?,
            bit: args::opt(bit, |b| args::small(b, "bit", 0, 15))?,
            byte,
            len: args::opt(len, |n| args::count(n, "len", 0, 65536))?,
            ..Decl::new(area, address, ty)
        })
    }

    /// How many items `area` holds (`"coil"`, `"discrete"`, `"input"`, `"holding"`).
    fn size(&self, area: &Bound<'_, PyAny>) -> PyResult<u32> {
        Ok(self.mem.spec(area_arg(area)?).size)
    }

    /// The first address of `area`.
    fn start(&self, area: &Bound<'_, PyAny>) -> PyResult<u16> {
        Ok(self.mem.spec(area_arg(area)?).start)
    }

    /// The default word order.
    #[getter]
    fn order(&self) -> String {
        self.mem.default_order().to_string()
    }

    /// True while a master syncing this memory has lost its slave (or not reached it
    /// yet): the values are the last ones known.
    #[getter]
    fn is_stale(&self) -> PyResult<bool> {
        crate::fork::check_memory(&self.mem)?;
        Ok(self.mem.is_stale())
    }

    fn __repr__(&self) -> String {
        let areas: Vec<String> = Area::ALL
            .iter()
            .map(|&a| {
                let spec = self.mem.spec(a);
                format!("{}={}", area_key(a), spec.size)
            })
            .collect();
        format!(
            "<msm.Memory {} order={}>",
            areas.join(" "),
            self.mem.default_order()
        )
    }
}
