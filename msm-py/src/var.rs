//! `msm.Var`: a typed variable on a memory, its type chosen at run time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use msm::map::{DynValue, MapErrorKind, VarType};
use msm::{AnyVar, Area, Byte, Memory, Order, Value, Var};
use pyo3::prelude::*;

use crate::errors::{IntoPy, bad_declaration, bad_value};
use crate::fork;
use crate::names::area_key;
use crate::running::status_of;
use crate::runtime::{seconds, wait};
use crate::value;

/// The future of a variable's next change.
type Changed = Pin<Box<dyn Future<Output = msm::Result<DynValue>> + Send>>;

/// A `Var<T>` of any type, seen through msm's dynamic values.
pub(crate) trait DynVar: Send + Sync {
    fn get(&self) -> DynValue;
    fn set(&self, value: DynValue) -> msm::Result<()>;
    fn changed(&self) -> Changed;
    fn memory(&self) -> &Memory;
    fn place(&self) -> (Area, u16, usize, Order);
    fn quality(&self) -> msm::Quality;
    fn pending(&self) -> bool;
    fn refused(&self) -> Option<msm::master::BlockError>;
}

impl<T> DynVar for Var<T>
where
    T: Value + Into<DynValue> + TryFrom<DynValue, Error = MapErrorKind>,
{
    fn get(&self) -> DynValue {
        Var::get(self).into()
    }

    fn set(&self, value: DynValue) -> msm::Result<()> {
        let typed = T::try_from(value).map_err(|k| msm::Error::Config(k.to_string()))?;
        Var::set(self, typed)
    }

    fn changed(&self) -> Changed {
        let next = Var::changed(self);
        Box::pin(async move { next.await.map(Into::into) })
    }

    fn memory(&self) -> &Memory {
        Var::memory(self)
    }

    fn place(&self) -> (Area, u16, usize, Order) {
        (self.area(), self.address(), self.count(), self.word_order())
    }

    fn quality(&self) -> msm::Quality {
        Var::quality(self)
    }

    fn pending(&self) -> bool {
        Var::pending(self)
    }

    fn refused(&self) -> Option<msm::master::BlockError> {
        Var::refused(self)
    }
}

/// How to declare a variable: what a map file's variable says, given from Python.
pub(crate) struct Decl {
    pub(crate) area: Area,
    pub(crate) address: u16,
    pub(crate) ty: VarType,
    pub(crate) order: Option<Order>,
    pub(crate) bit: Option<u8>,
    pub(crate) byte: Option<Byte>,
    pub(crate) len: Option<usize>,
}

impl Decl {
    /// A declaration with no order, bit, byte or length given.
    pub(crate) fn new(area: Area, address: u16, ty: VarType) -> Decl {
        Decl {
            area,
            address,
            ty,
            order: None,
            bit: None,
            byte: None,
            len: None,
        }
    }
}

/// Declares `decl` on `mem` (as a map file's variable is declared).
pub(crate) fn declare(mem: &Memory, decl: &Decl) -> msm::Result<Arc<dyn DynVar>> {
    let Decl { area, address, .. } = *decl;
    let order = decl.order.unwrap_or(mem.default_order());
    let byte = decl.byte.unwrap_or(Byte::Low);
    Ok(match decl.ty {
        VarType::Bool => Arc::new(mem.var::<bool>(area, address)?),
        VarType::Bit => Arc::new(mem.bit(area, address, decl.bit.unwrap_or(0))?),
        VarType::U8 => Arc::new(mem.byte::<u8>(area, address, byte)?),
        VarType::I8 => Arc::new(mem.byte::<i8>(area, address, byte)?),
        VarType::U16 => Arc::new(mem.var::<u16>(area, address)?.order(order)),
        VarType::I16 => Arc::new(mem.var::<i16>(area, address)?.order(order)),
        VarType::U32 => Arc::new(mem.var::<u32>(area, address)?.order(order)),
        VarType::I32 => Arc::new(mem.var::<i32>(area, address)?.order(order)),
        VarType::U64 => Arc::new(mem.var::<u64>(area, address)?.order(order)),
        VarType::I64 => Arc::new(mem.var::<i64>(area, address)?.order(order)),
        VarType::F32 => Arc::new(mem.var::<f32>(area, address)?.order(order)),
        VarType::F64 => Arc::new(mem.var::<f64>(area, address)?.order(order)),
        VarType::String => {
            let len = decl.len.unwrap_or(0);
            Arc::new(mem.string(area, address, len)?.order(order))
        }
    })
}

/// The typed variable behind a map variable.
pub(crate) fn from_any(any: &AnyVar) -> Option<Arc<dyn DynVar>> {
    fn typed<T>(any: &AnyVar) -> Option<Arc<dyn DynVar>>
    where
        T: Value + Into<DynValue> + TryFrom<DynValue, Error = MapErrorKind>,
    {
        any.typed::<T>().map(|v| Arc::new(v) as Arc<dyn DynVar>)
    }
    match any.def().ty {
        VarType::Bool | VarType::Bit => typed::<bool>(any),
        VarType::U8 => typed::<u8>(any),
        VarType::I8 => typed::<i8>(any),
        VarType::U16 => typed::<u16>(any),
        VarType::I16 => typed::<i16>(any),
        VarType::U32 => typed::<u32>(any),
        VarType::I32 => typed::<i32>(any),
        VarType::U64 => typed::<u64>(any),
        VarType::I64 => typed::<i64>(any),
        VarType::F32 => typed::<f32>(any),
        VarType::F64 => typed::<f64>(any),
        VarType::String => typed::<String>(any),
    }
}

/// The quality of a variable's value: `good`, `not_read`, `stale` or `bad` (the
/// library's `Var::quality`), and why when not good (the master's connection error for
/// a value not read yet or stale).
pub(crate) fn quality_of(var: &dyn DynVar) -> (&'static str, Option<String>) {
    let quality = var.quality();
    let link_error = || status_of(var.memory()).and_then(|s| s.last_error);
    let why = match &quality {
        msm::Quality::Good { .. } => None,
        msm::Quality::NotRead | msm::Quality::Stale { .. } => link_error(),
        msm::Quality::Bad(e) => Some(e.describe()),
        other => Some(other.to_string()),
    };
    (quality.name(), why)
}

/// A word order from its name (`ABCD`, `CDAB`, `BADC`, `DCBA`).
pub(crate) fn order_from(name: &str) -> PyResult<Order> {
    name.parse::<Order>().py()
}

/// An optional word order from its name.
pub(crate) fn order_opt(name: Option<&str>) -> PyResult<Option<Order>> {
    name.map(order_from).transpose()
}

/// A variable's type from its map-file name.
pub(crate) fn type_from(name: &str) -> PyResult<VarType> {
    name.parse::<VarType>()
        .map_err(|k| bad_declaration(k.to_string()))
}

/// A typed variable on a memory: read it with `get()` (or `.value`), write it with
/// `set(v)` (or `.value = v`). Declared by `Memory.holding(...)` and its siblings, or
/// found in a map (`plant["SPEED"]`).
///
/// >>> import msm
/// >>> mem = msm.Memory(8)
/// >>> counter = mem.holding(1, "u32", order="CDAB")
/// >>> counter.set(70000)
/// >>> counter.get(), counter.value
/// (70000, 70000)
/// >>> counter.quality
/// 'good'
#[pyclass(module = "msm", name = "Var", frozen)]
pub(crate) struct PyVar {
    pub(crate) var: Arc<dyn DynVar>,
    pub(crate) ty: VarType,
    pub(crate) name: Option<String>,
}

impl PyVar {
    pub(crate) fn new(var: Arc<dyn DynVar>, ty: VarType, name: Option<String>) -> PyVar {
        PyVar { var, ty, name }
    }

    /// Refuses a variable on a memory served or synced by a worker of the parent
    /// process, in a forked child.
    pub(crate) fn usable(&self) -> PyResult<()> {
        fork::check_memory(self.var.memory())
    }

    /// Sets from a Python value.
    pub(crate) fn set_py(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.usable()?;
        let dynamic = value::from_py(value, self.ty)?;
        let checked = dynamic.convert(self.ty).map_err(|k| match &self.name {
            Some(name) => bad_value(format!("{name}: {k}")),
            None => bad_value(k.to_string()),
        });
        self.var.set(checked?).py()
    }

    /// The value as a Python object.
    pub(crate) fn get_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.usable()?;
        value::to_py(py, self.var.get())
    }
}

#[pymethods]
impl PyVar {
    /// The current value.
    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.get_py(py)
    }

    /// Writes `value` (a master sends it at once). Raises `msm.BadValue` if the type
    /// cannot hold it.
    fn set(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_py(value)
    }

    /// The current value; assigning writes it, as `set()` does.
    #[getter]
    fn value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.get_py(py)
    }

    #[setter(value)]
    fn set_value(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_py(value)
    }

    /// `"good"`, `"not_read"` (its master has not read it yet), `"stale"` (its master
    /// lost the slave: the last value known) or `"bad"` (the slave refused to serve it).
    #[getter]
    fn quality(&self) -> PyResult<&'static str> {
        self.usable()?;
        Ok(quality_of(self.var.as_ref()).0)
    }

    /// True while a local write of this variable is not yet confirmed by the slave
    /// (sent and unanswered, or retried: a busy slave, a malformed echo). Always False
    /// for a memory no master syncs.
    ///
    /// >>> import msm
    /// >>> msm.Memory(4).holding(0).pending
    /// False
    #[getter]
    fn pending(&self) -> PyResult<bool> {
        self.usable()?;
        Ok(self.var.pending())
    }

    /// The slave's refusal of the last write of this variable, while it stands (until
    /// a later write of it is confirmed): an `msm.ModbusError` (not raised; `.code` is
    /// the exception code), or `None`. The value stays the refused one until the next
    /// read brings the slave's back.
    ///
    /// >>> import msm
    /// >>> print(msm.Memory(4).holding(0).refused)
    /// None
    #[getter]
    fn refused(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.usable()?;
        let Some(e) = self.var.refused() else {
            return Ok(None);
        };
        let err = crate::errors::block_error(e.to_string(), &e);
        Ok(Some(err.into_value(py).into_any()))
    }

    /// Waits for the next write that touches this variable (a local `set`, a remote
    /// master's write, a master's read that changed it) and returns the new value.
    /// Raises `msm.Timeout` after `timeout` seconds (`None`: no limit). Ctrl-C
    /// interrupts it.
    #[pyo3(signature = (timeout = None))]
    fn wait_changed(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.usable()?;
        let timeout = seconds("timeout", timeout)?;
        let next = self.var.changed();
        let value = wait(py, timeout, "waiting for a change of the variable", next)?;
        value::to_py(py, value)
    }

    /// The area: `"coil"`, `"discrete"`, `"input"` or `"holding"`.
    #[getter]
    fn area(&self) -> &'static str {
        area_key(self.var.place().0)
    }

    /// The first address.
    #[getter]
    fn address(&self) -> u16 {
        self.var.place().1
    }

    /// How many items (bits or registers) it covers.
    #[getter]
    fn count(&self) -> usize {
        self.var.place().2
    }

    /// The type, as map files name it (`u16`, `f32`, `bit`, `string`...).
    #[getter]
    fn r#type(&self) -> &'static str {
        self.ty.name()
    }

    /// The word order (`ABCD`, `CDAB`, `BADC`, `DCBA`).
    #[getter]
    fn order(&self) -> String {
        self.var.place().3.to_string()
    }

    /// The variable's name in its map, or `None`.
    #[getter]
    fn name(&self) -> Option<String> {
        self.name.clone()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let value = match self.get_py(py) {
            Ok(v) => v.bind(py).repr()?.to_string(),
            Err(_) => "(a copy frozen at fork())".to_string(),
        };
        let (area, address, _, order) = self.var.place();
        let name = self
            .name
            .as_deref()
            .map(|n| format!("{n} "))
            .unwrap_or_default();
        Ok(format!(
            "<msm.Var {name}{} {} {address} {order} = {}>",
            self.ty.name(),
            area_key(area),
            value
        ))
    }
}
