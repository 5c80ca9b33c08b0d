//! A map built in code: the same checks as a map file, without the file.

use super::behaviour::check_links;
use super::def::VarDef;
use super::{FileDef, Identity, Map, Places};
use crate::memory::{Area, AreaSpec, Order};
use crate::types::{Fault, MapError, MapErrorKind};

/// Builds a [`Map`] in code, for programs that learn their variables from elsewhere (a
/// command line, a database). Every check a map file gets is made by [`build`](Self::build).
///
/// ```
/// use msm::map::{VarDef, VarType};
/// use msm::{Area, AreaSpec, Map, Order};
/// let map = Map::builder()
///     .area(Area::Holding, AreaSpec::new(100, 10))
///     .order(Order::CDAB)
///     .var(VarDef::new("SPEED", Area::Holding, 100, VarType::F32))
///     .var(VarDef::new("READY", Area::Holding, 102, VarType::Bit).with_bit(0))
///     .build()?;
/// assert_eq!(map.vars().len(), 2);
/// let mm = map.build()?;
/// mm.find("SPEED")?.set_str("12.5")?;
/// assert_eq!(mm.find("SPEED")?.get().to_string(), "12.5");
///
/// // The same mistakes a map file would be told about.
/// let err = Map::builder()
///     .area(Area::Coil, AreaSpec::new(0, 8))
///     .var(VarDef::new("X", Area::Coil, 0, VarType::U16))
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("variable X"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MapBuilder {
    name: String,
    areas: [AreaSpec; 4],
    order: Order,
    vars: Vec<VarDef>,
    faults: Vec<Fault>,
    seed: Option<u64>,
    identity: Option<Identity>,
    files: Vec<FileDef>,
    fifos: Vec<u16>,
}

impl Default for MapBuilder {
    fn default() -> Self {
        MapBuilder {
            name: "<code>".to_string(),
            areas: [AreaSpec::default(); 4],
            order: Order::default(),
            vars: Vec::new(),
            faults: Vec::new(),
            seed: None,
            identity: None,
            files: Vec::new(),
            fifos: Vec::new(),
        }
    }
}

impl MapBuilder {
    /// Where `area` starts and how many items it holds (default: empty).
    ///
    /// ```
    /// let map = msm::Map::builder().area(msm::Area::Input, msm::AreaSpec::new(0, 4)).build()?;
    /// assert_eq!(map.areas()[2].1.size, 4);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn area(mut self, area: Area, spec: AreaSpec) -> Self {
        self.areas[area.index()] = spec;
        self
    }

    /// The word order of variables that do not set their own (default ABCD).
    ///
    /// ```
    /// let map = msm::Map::builder().order(msm::Order::BADC).build()?;
    /// assert_eq!(map.order(), msm::Order::BADC);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Adds a variable; the variables keep the order they are added in.
    ///
    /// ```
    /// use msm::map::{VarDef, VarType};
    /// let map = msm::Map::builder()
    ///     .area(msm::Area::Coil, msm::AreaSpec::new(0, 2))
    ///     .var(VarDef::new("RUN", msm::Area::Coil, 0, VarType::Bool))
    ///     .build()?;
    /// assert_eq!(map.vars()[0].name, "RUN");
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn var(mut self, def: VarDef) -> Self {
        self.vars.push(def);
        self
    }

    /// Adds a fault a slave serving the map makes on purpose (a map file's `[[fault]]`);
    /// the faults keep the order they are added in.
    ///
    /// ```
    /// use msm::slave::{Fault, FaultAction};
    /// let map = msm::Map::builder().fault(Fault::new(FaultAction::Drop).every(10)).seed(7).build()?;
    /// assert_eq!(map.faults().len(), 1);
    /// assert_eq!(map.seed(), Some(7));
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// What the random numbers of faults and `random` behaviours are seeded with (a map
    /// file's `seed`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// `[identity]`: what a slave serving the map says about itself.
    ///
    /// ```
    /// let mut id = msm::map::Identity::default();
    /// id.server_id = Some(vec![7]);
    /// let map = msm::Map::builder().identity(id).build()?;
    /// assert!(map.to_toml().contains("[identity]\nserver_id = 7\n"));
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// A `[[file]]`: `records` records numbered `number`.
    ///
    /// ```
    /// let map = msm::Map::builder().file(4, 100).build()?;
    /// assert_eq!(map.build()?.memory().file(4)?.len(), 100);
    /// assert!(msm::Map::builder().file(0, 1).build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file(mut self, number: u16, records: u16) -> Self {
        self.files.push(FileDef { number, records });
        self
    }

    /// A `[[fifo]]` whose count is holding register `address`.
    ///
    /// ```
    /// let holding = msm::AreaSpec::new(0, 32);
    /// let map = msm::Map::builder().area(msm::Area::Holding, holding).fifo(0).build()?;
    /// assert_eq!(map.fifos(), [0]);
    /// assert!(msm::Map::builder().fifo(0).build().is_err()); // no holding register 0
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn fifo(mut self, address: u16) -> Self {
        self.fifos.push(address);
        self
    }

    /// What errors call the map instead of a file name (default `<code>`).
    ///
    /// ```
    /// let err = msm::Map::builder().name("raw access").area(msm::Area::Holding, msm::AreaSpec::new(65000, 1000)).build().unwrap_err();
    /// assert!(err.to_string().starts_with("raw access: "));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Checks everything a map file's parser checks: areas inside the address space,
    /// usable and unique names, types that fit their areas, the keys each type takes,
    /// starting values of the right type, and every variable inside its area.
    ///
    /// ```
    /// use msm::map::{VarDef, VarType};
    /// let twice = msm::Map::builder()
    ///     .area(msm::Area::Holding, msm::AreaSpec::new(0, 4))
    ///     .var(VarDef::new("A", msm::Area::Holding, 0, VarType::U16))
    ///     .var(VarDef::new("A", msm::Area::Holding, 1, VarType::U16))
    ///     .build();
    /// assert!(twice.unwrap_err().to_string().contains("duplicate variable name A"));
    /// ```
    pub fn build(self) -> Result<Map, MapError> {
        let error = |var: Option<&str>, kind| MapError::new(&self.name, None, var, kind);
        for area in Area::ALL {
            self.areas[area.index()]
                .check(area)
                .map_err(|e| error(None, MapErrorKind::Memory(e)))?;
        }
        let mut vars: Vec<VarDef> = Vec::with_capacity(self.vars.len());
        for def in &self.vars {
            if vars.iter().any(|v| v.name == def.name) {
                let kind = MapErrorKind::DuplicateName {
                    name: def.name.clone(),
                };
                return Err(error(Some(&def.name), kind));
            }
            let checked = def
                .clone()
                .checked()
                .map_err(|kind| error(Some(&def.name), kind))?;
            vars.push(checked);
        }
        check_links(&vars).map_err(|(i, reason)| {
            error(Some(&vars[i].name), MapErrorKind::BadBehaviour { reason })
        })?;
        for (i, fault) in self.faults.iter().enumerate() {
            if let Some(reason) = fault.problem() {
                return Err(error(
                    None,
                    MapErrorKind::BadFault {
                        index: i + 1,
                        reason,
                    },
                ));
            }
        }
        let map = Map {
            file: self.name.clone(),
            areas: self.areas,
            order: self.order,
            places: vec![Places::default(); vars.len()],
            vars,
            // Rights are given to a slave directly in code (`Slave::roles`).
            roles: None,
            faults: self.faults.clone(),
            seed: self.seed,
            identity: self.identity,
            files: self.files,
            fifos: self.fifos,
        };
        map.check_device()
            .map_err(|kind| MapError::new(&self.name, None, None, kind))?;
        // Declaring every variable on a memory is the one check of addresses against areas.
        map.build()?;
        Ok(map)
    }
}
