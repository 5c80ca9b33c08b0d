//! A built map: the memory and its declared variables, found by name.

use std::collections::HashMap;
use std::sync::Arc;

use super::Map;
use super::any_var::AnyVar;
use crate::memory::{Memory, Value, Var};
use crate::types::suggest;
use crate::types::{MapError, MapErrorKind};

/// A map's [`Memory`] with every variable declared on it, in declaration order and by
/// name. Hand [`memory`](MapMemory::memory) to a slave or a master; read and write the
/// variables through [`AnyVar`] or, when the type is known, a typed [`Var`].
///
/// ```
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 4
///     [vars]
///     STATE = { area = "holding", address = 0, type = "u16", value = 1 }
/// "#)?.build()?;
/// let state: msm::Var<u16> = mm.typed("STATE")?;
/// state.set(2)?;
/// assert_eq!(mm.get("STATE").map(|v| v.get().to_string()), Some("2".to_string()));
/// assert!(mm.get("state").is_none()); // names are exact
/// assert!(mm.find("STAT").unwrap_err().to_string().contains("did you mean STATE?"));
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MapMemory {
    memory: Memory,
    file: String,
    vars: Vec<AnyVar>,
    by_name: HashMap<String, usize>,
    /// The map's `seed`, for its simulator.
    seed: Option<u64>,
}

/// [`Map::build`]: the memory, each variable declared, each starting value written.
pub(super) fn build(map: &Map) -> Result<MapMemory, MapError> {
    declare(map, map.memory()?, true)
}

/// [`Map::declare_on`]: each variable declared on `memory`, whose data is kept.
pub(super) fn declare_on(map: &Map, memory: &Memory) -> Result<MapMemory, MapError> {
    declare(map, memory.clone(), false)
}

/// Declares every variable of `map` on `memory`, writing the starting values if `init`.
fn declare(map: &Map, memory: Memory, init: bool) -> Result<MapMemory, MapError> {
    let file: Arc<str> = Arc::from(map.file.as_str());
    let mut vars = Vec::with_capacity(map.vars.len());
    for (def, places) in map.vars.iter().zip(&map.places) {
        let error = |at, kind| MapError::new(&map.file, at, Some(&def.name), kind);
        let var = AnyVar::declare(&memory, def, file.clone())
            .map_err(|e| error(places.address, MapErrorKind::Memory(e)))?;
        if let Some(value) = def.value.as_ref().filter(|_| init) {
            var.init(value).map_err(|kind| error(places.value, kind))?;
        }
        vars.push(var);
    }
    let by_name = vars
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name().to_string(), i))
        .collect();
    Ok(MapMemory {
        memory,
        file: map.file.clone(),
        vars,
        by_name,
        seed: map.seed,
    })
}

impl MapMemory {
    /// The name errors give the map's file.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The map's `seed`, if it gives one.
    pub(crate) fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The memory.
    ///
    /// ```
    /// use msm::{Area, Slave};
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 4
    ///     [vars]
    ///     A = { area = "holding", address = 0, type = "u16", value = 7 }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.memory().spec(Area::Holding).size, 4);
    /// assert_eq!(mm.memory().holding::<u16>(0)?.get(), 7); // the starting value
    /// let slave = Slave::tcp("127.0.0.1:0").serve(mm.memory().clone())?;
    /// # drop(slave);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The variables, in the order the file declares them.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     coils = 2
    ///     [vars]
    ///     RUN  = { area = "coil", address = 0, type = "bool", value = true }
    ///     STOP = { area = "coil", address = 1, type = "bool" }
    /// "#)?
    /// .build()?;
    /// let shown: Vec<String> = mm.vars().iter().map(|v| format!("{}={}", v.name(), v.get())).collect();
    /// assert_eq!(shown, ["RUN=true", "STOP=false"]);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn vars(&self) -> &[AnyVar] {
        &self.vars
    }

    /// The variable named exactly `name`.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     input_registers = 2
    ///     [vars]
    ///     TEMP = { area = "input", address = 0, type = "f32", value = 21.5 }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.get("TEMP").map(|v| v.get()), Some(DynValue::F32(21.5)));
    /// assert!(mm.get("TEMPERATURE").is_none());
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&AnyVar> {
        self.by_name.get(name).map(|&i| &self.vars[i])
    }

    /// The variable named exactly `name`, or an error that suggests the closest names.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 1
    ///     [vars]
    ///     LEVEL = { area = "holding", address = 0, type = "u16" }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.find("LEVEL")?.address(), 0);
    /// let err = mm.find("LEVLE").unwrap_err();
    /// assert_eq!(err.to_string(), "<string>: unknown variable \"LEVLE\" (did you mean LEVEL?)");
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn find(&self, name: &str) -> Result<&AnyVar, MapError> {
        self.get(name).ok_or_else(|| {
            let names = self.vars.iter().map(AnyVar::name);
            let kind = MapErrorKind::UnknownVariable {
                name: name.to_string(),
                suggestions: suggest::closest(name, names)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            };
            MapError::new(&self.file, None, None, kind)
        })
    }

    /// The variable named `name` as a typed [`Var`]; `T` must be its type (`bool` for
    /// `bool` and `bit`).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 2
    ///     [vars]
    ///     C = { area = "holding", address = 0, type = "u32" }
    /// "#)?
    /// .build()?;
    /// let c: msm::Var<u32> = mm.typed("C")?;
    /// c.set(70_000)?;
    /// let err = mm.typed::<u16>("C").unwrap_err();
    /// assert!(err.to_string().contains("variable C: it is a u32, not a u16"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn typed<T: Value>(&self, name: &str) -> Result<Var<T>, MapError> {
        let var = self.find(name)?;
        var.typed().ok_or_else(|| {
            let kind = MapErrorKind::NotOfType {
                ty: var.def().ty,
                asked: T::NAME,
            };
            MapError::new(&self.file, None, Some(name), kind)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::Area;

    #[test]
    fn starting_values_are_not_marked_for_a_master() {
        let map = crate::Map::from_toml_str(
            "[memory]\ncoils = 2\nholding_registers = 4\n[vars]\n\
             A = { area = \"holding\", address = 0, type = \"u32\", value = 7 }\n\
             B = { area = \"coil\", address = 1, type = \"bool\", value = true }\n",
        )
        .expect("valid");
        let mm = map.build().expect("builds");
        let st = mm.memory().lock();
        assert_eq!(st.generation(), 0, "no local write was counted");
        for area in [Area::Holding, Area::Coil] {
            assert_eq!(st.next_dirty(area, 0), None, "{area} has nothing to send");
        }
        assert!(
            st.area(Area::Coil).bit(1),
            "the value is there all the same"
        );
    }
}
