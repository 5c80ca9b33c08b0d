//! Map files: a memory and its named variables, described in TOML and shared by both
//! sides of a link and by the command line.
//!
//! ```toml
//! [memory]
//! coils = 16
//! discrete_inputs = 16
//! input_registers = 16
//! holding_registers = 32      # an area may also be { start = 1024, size = 1024 }
//! order = "ABCD"              # default word order for this map
//!
//! [vars]
//! STATE   = { area = "holding", address = 0, type = "u16", value = 1 }
//! COUNTER = { area = "holding", address = 1, type = "u32", order = "CDAB" }
//! TEMP    = { area = "input",   address = 0, type = "f32" }
//! RUN     = { area = "coil",    address = 0, type = "bool" }
//! ALARM   = { area = "holding", address = 3, type = "bit", bit = 0 }
//! STEP    = { area = "holding", address = 4, type = "u8", byte = "high" }
//! NAME    = { area = "holding", address = 8, type = "string", len = 4 }
//! ```
//!
//! [`Map::from_path`] or [`Map::from_toml_str`] reads and checks a map; [`Map::build`]
//! makes its [`Memory`] with every variable declared and its starting values in place.
//! `docs/map-files.md` describes every key and every error.
//!
//! ```
//! let map = msm::Map::from_toml_str(r#"
//!     [memory]
//!     holding_registers = 8
//!     [vars]
//!     STATE   = { area = "holding", address = 0, type = "u16", value = 1 }
//!     COUNTER = { area = "holding", address = 1, type = "u32", order = "CDAB" }
//! "#)?;
//! let mm = map.build()?;
//! mm.find("COUNTER")?.set_str("100000")?;        // by name, from text
//! let state: msm::Var<u16> = mm.typed("STATE")?; // or typed, when the type is known
//! assert_eq!(state.get(), 1);
//! let slave = msm::Slave::tcp("127.0.0.1:0").serve(mm.memory().clone())?;
//! # drop(slave);
//! # Ok::<(), msm::Error>(())
//! ```

mod any_var;
pub(crate) mod behaviour;
mod builder;
mod checked;
mod def;
mod identity;
mod map_memory;
mod parse;
mod to_toml;

use std::path::Path;

/// "Did you mean ...?" as map files say it, for other configuration files too.
pub use crate::types::suggest;
pub use crate::types::{DynValue, VarType};
pub use crate::types::{Fault, FaultAction, Hit};
pub use crate::types::{MapError, MapErrorKind, Position};
pub use any_var::AnyVar;
pub use behaviour::{Behaviour, BehaviourKind};
pub use builder::MapBuilder;
pub use def::VarDef;
pub use identity::{FileDef, Identity};
pub use map_memory::MapMemory;

use crate::authz::Roles;
use crate::memory::{Area, AreaSpec, Memory, Order};

/// A map file, read and checked: the four areas, the default word order and the
/// variables in the order the file declares them. [`build`](Map::build) makes the memory.
///
/// ```
/// use msm::map::DynValue;
/// let map = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 8
///     order = "CDAB"
///
///     [vars]
///     STATE   = { area = "holding", address = 0, type = "u16", value = 1 }
///     COUNTER = { area = "holding", address = 1, type = "u32" }
/// "#)?;
/// assert_eq!(map.vars()[1].name, "COUNTER");
/// assert_eq!(map.order(), msm::Order::CDAB);
///
/// let mm = map.build()?;
/// assert_eq!(mm.get("STATE").map(|v| v.get()), Some(DynValue::U16(1)));
/// # Ok::<(), msm::map::MapError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Map {
    file: String,
    areas: [AreaSpec; 4],
    order: Order,
    vars: Vec<VarDef>,
    /// Where each variable's keys stand in the file, for errors found when building.
    places: Vec<Places>,
    /// `[roles]`: who may read and write what over Modbus/TCP Security.
    roles: Option<Roles>,
    /// `[[fault]]`: what a slave serving the map does wrong on purpose.
    faults: Vec<Fault>,
    /// `seed`: for the random numbers of faults and behaviours.
    seed: Option<u64>,
    /// `[identity]`: what a slave serving the map says about itself.
    identity: Option<Identity>,
    /// `[[file]]`: files of records, part of the memory.
    files: Vec<FileDef>,
    /// `[[fifo]]`: the FIFO queues' count registers, in file order.
    fifos: Vec<u16>,
}

/// Where a variable's address, value and `sim` stand in its file.
#[derive(Clone, Copy, Debug, Default)]
struct Places {
    address: Option<Position>,
    value: Option<Position>,
    sim: Option<Position>,
}

impl Map {
    /// Starts a map built in code (see [`MapBuilder`]).
    ///
    /// ```
    /// use msm::map::{VarDef, VarType};
    /// let map = msm::Map::builder()
    ///     .area(msm::Area::Holding, msm::AreaSpec::new(0, 2))
    ///     .var(VarDef::new("LEVEL", msm::Area::Holding, 0, VarType::U16))
    ///     .build()?;
    /// assert_eq!(map.var("LEVEL").map(|v| v.address), Some(0));
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn builder() -> MapBuilder {
        MapBuilder::default()
    }

    /// Reads a map from TOML text. Errors name the file `<string>`.
    ///
    /// ```
    /// let err = msm::Map::from_toml_str("[memory]\nholding_register = 8\n").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "<string>:2:1: unknown key `holding_register` in [memory] (did you mean holding_registers?): \
    ///      the valid keys are coils, discrete_inputs, input_registers, holding_registers, order"
    /// );
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Map, MapError> {
        parse::parse(text, "<string>")
    }

    /// Reads a map file. Errors name the file by `path`.
    ///
    /// ```
    /// let err = msm::Map::from_path("no/such/map.toml").unwrap_err();
    /// assert_eq!(err.file(), "no/such/map.toml");
    /// assert!(matches!(err.kind(), msm::map::MapErrorKind::Io(_)));
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Map, MapError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| MapError::new(&file, None, None, MapErrorKind::Io(e)))?;
        parse::parse(&text, &file)
    }

    /// The name errors give the file: its path, or `<string>`.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str("[memory]\nholding_registers = 4\n")?;
    /// assert_eq!(map.file(), "<string>");
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The variables, in the order the file declares them.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 4
    ///     [vars]
    ///     ZETA  = { area = "holding", address = 0, type = "u16" }
    ///     ALPHA = { area = "holding", address = 1, type = "u16" }
    /// "#)?;
    /// let names: Vec<&str> = map.vars().iter().map(|v| v.name.as_str()).collect();
    /// assert_eq!(names, ["ZETA", "ALPHA"]); // file order, not sorted
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn vars(&self) -> &[VarDef] {
        &self.vars
    }

    /// The variable named `name`, if the map declares it.
    ///
    /// ```
    /// use msm::map::VarType;
    /// let map = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 4
    ///     [vars]
    ///     SPEED = { area = "holding", address = 2, type = "f32" }
    /// "#)?;
    /// assert_eq!(map.var("SPEED").map(|v| (v.address, v.ty)), Some((2, VarType::F32)));
    /// assert!(map.var("speed").is_none()); // names are exact
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn var(&self, name: &str) -> Option<&VarDef> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// The same map with only the variables `names`, in that order: what a one-shot read
    /// or write of a few variables needs. An unknown name is an error that suggests the
    /// closest names.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 4\n[vars]\nA = { area = \"holding\", address = 0, type = \"u16\" }\n\
    ///      B = { area = \"holding\", address = 1, type = \"u16\" }\n",
    /// )?;
    /// let only_b = map.select(&["B"])?;
    /// assert_eq!(only_b.vars().len(), 1);
    /// assert!(map.select(&["C"]).unwrap_err().to_string().contains("unknown variable"));
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<Map, MapError> {
        let mut vars = Vec::with_capacity(names.len());
        let mut places = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let Some(i) = self.vars.iter().position(|v| v.name == name) else {
                let kind = MapErrorKind::UnknownVariable {
                    name: name.to_string(),
                    suggestions: suggest::closest(name, self.vars.iter().map(|v| v.name.as_str()))
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                };
                return Err(MapError::new(&self.file, None, None, kind));
            };
            if !vars.iter().any(|v: &VarDef| v.name == name) {
                vars.push(self.vars[i].clone());
                places.push(self.places[i]);
            }
        }
        Ok(Map {
            file: self.file.clone(),
            areas: self.areas,
            order: self.order,
            vars,
            places,
            roles: self.roles.clone(),
            faults: self.faults.clone(),
            seed: self.seed,
            identity: self.identity.clone(),
            files: self.files.clone(),
            fifos: self.fifos.clone(),
        })
    }

    /// The faults a slave serving the map makes on purpose (`[[fault]]`), in file order:
    /// give them to [`Slave::faults`](crate::Slave::faults) (`msm serve` does).
    ///
    /// ```
    /// use msm::slave::FaultAction;
    /// let map = msm::Map::from_toml_str(r#"
    ///     seed = 7
    ///     [memory]
    ///     holding_registers = 0x180
    ///     [[fault]]
    ///     function = 3
    ///     address = "0x170..=0x17F"
    ///     action = "delay"
    ///     delay = "500ms"
    /// "#)?;
    /// assert_eq!(map.faults()[0].action(), FaultAction::Delay(std::time::Duration::from_millis(500)));
    /// assert_eq!(map.faults()[0].address_range(), Some(0x170..=0x17F));
    /// assert_eq!(map.seed(), Some(7));
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// The map's `seed`, for the random numbers of its faults' probabilities and its
    /// `random` behaviours; `None` when it gives none (a new seed each run).
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The `[roles]` table: the rights of each role over Modbus/TCP Security, the
    /// variable names resolved to their addresses. `None` when the map has no `[roles]`
    /// (then every authenticated client may do everything).
    ///
    /// ```toml
    /// [roles.operator]
    /// read  = ["*"]
    /// write = ["SETPOINT", "RUN", "holding 100..=199"]
    /// [roles.viewer]
    /// read  = ["*"]
    /// ```
    ///
    /// ```
    /// use msm::protocol::Request;
    /// use msm::slave::AccessRequest;
    /// let map = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 200
    ///     [vars]
    ///     SETPOINT = { area = "holding", address = 0, type = "u32" }
    ///     [roles.operator]
    ///     read  = ["*"]
    ///     write = ["SETPOINT", "holding 100..=199"]
    /// "#)?;
    /// let roles = map.roles().expect("[roles]");
    /// let write = |address: u16, quantity: usize| {
    ///     let values = msm::protocol::Registers::new(&[0; 8][..2 * quantity]).expect("registers");
    ///     AccessRequest::of(1, &Request::WriteMultipleRegisters { address, values })
    /// };
    /// assert!(roles.allows(Some("operator"), &write(0, 2)));   // SETPOINT, both registers
    /// assert!(!roles.allows(Some("operator"), &write(1, 2)));  // runs past it
    /// assert!(roles.allows(Some("operator"), &write(150, 4)));
    /// assert!(!roles.allows(None, &write(150, 1)));            // the NULL role
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn roles(&self) -> Option<&Roles> {
        self.roles.as_ref()
    }

    /// `[identity]`: what a slave serving the map says about itself (FC17, FC43, FC07),
    /// `None` when the map has none. [`Slave::map_settings`](crate::Slave::map_settings)
    /// applies it, with the FIFOs.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str("[memory]\n[identity]\nvendor = \"ACME\"\n")?;
    /// assert_eq!(map.identity().and_then(|i| i.vendor.as_deref()), Some("ACME"));
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// `[[file]]`: the files of records the memory holds (FC20/FC21), in file order.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str("[memory]\n[[file]]\nnumber = 1\nrecords = 10\n")?;
    /// assert_eq!(map.files()[0].records, 10);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn files(&self) -> &[FileDef] {
        &self.files
    }

    /// `[[fifo]]`: the FIFO queues (FC24), by the address of their count register.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str("[memory]\nholding_registers = 32\n[[fifo]]\naddress = 0\n")?;
    /// assert_eq!(map.fifos(), [0]);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn fifos(&self) -> &[u16] {
        &self.fifos
    }

    /// The four areas, in [`Area::ALL`] order; an area the file leaves out is empty.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = { start = 1024, size = 16 }\n",
    /// )?;
    /// let [.., (area, spec)] = map.areas();
    /// assert_eq!((area, spec), (msm::Area::Holding, msm::AreaSpec::new(1024, 16)));
    /// assert_eq!(map.areas()[0].1.size, 0); // no coils
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn areas(&self) -> [(Area, AreaSpec); 4] {
        Area::ALL.map(|area| (area, self.areas[area.index()]))
    }

    /// The word order of variables that don't set their own.
    ///
    /// ```
    /// use msm::Order;
    /// let plain = msm::Map::from_toml_str("[memory]\nholding_registers = 4\n")?;
    /// assert_eq!(plain.order(), Order::ABCD); // the default
    /// let swapped = msm::Map::from_toml_str("[memory]\nholding_registers = 4\norder = \"cdab\"\n")?;
    /// assert_eq!(swapped.order(), Order::CDAB);
    /// assert_eq!(swapped.build()?.memory().default_order(), Order::CDAB);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn order(&self) -> Order {
        self.order
    }

    /// Creates the memory, declares every variable on it and writes the starting values.
    /// Starting values are the memory's initial state: they are not sent by a master nor
    /// reported to subscribers.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str(
    ///     "[memory]\ncoils = 8\n[vars]\nRUN = { area = \"coil\", address = 2, type = \"bool\", value = true }\n",
    /// )?;
    /// let mm = map.build()?;
    /// let run: msm::Var<bool> = mm.typed("RUN")?;
    /// assert!(run.get());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self) -> Result<MapMemory, MapError> {
        map_memory::build(self)
    }

    /// Declares every variable on an existing memory (one a slave serves or a master
    /// keeps), keeping its data: starting values are not written. For a program that
    /// names the items of a memory made elsewhere (a live view of it, say). A variable
    /// outside the memory's areas is an error naming it.
    ///
    /// ```
    /// let mem = msm::Memory::new(4);
    /// mem.holding::<u16>(1)?.set(7)?;
    /// let map = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 4\n[vars]\nLEVEL = { area = \"holding\", address = 1, type = \"u16\", value = 3 }\n",
    /// )?;
    /// let named = map.declare_on(&mem)?;
    /// assert_eq!(named.find("LEVEL")?.get().to_string(), "7"); // the memory's value, kept
    /// assert!(named.memory().ptr_eq(&mem));
    /// let small = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 8\n[vars]\nFAR = { area = \"holding\", address = 6, type = \"u16\" }\n",
    /// )?;
    /// assert!(small.declare_on(&mem).unwrap_err().to_string().contains("variable FAR"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn declare_on(&self, memory: &Memory) -> Result<MapMemory, MapError> {
        map_memory::declare_on(self, memory)
    }

    fn memory(&self) -> Result<Memory, MapError> {
        let builder = self
            .areas()
            .into_iter()
            .fold(Memory::builder().order(self.order), |b, (area, spec)| {
                b.area(area, spec)
            });
        let builder = self
            .files
            .iter()
            .fold(builder, |b, f| b.file(f.number, f.records));
        builder
            .build()
            .map_err(|e| MapError::new(&self.file, None, None, MapErrorKind::Memory(e)))
    }
}
