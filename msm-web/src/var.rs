//! What a view shows: its variables ([`WebVar`]) and, for a master, where its state comes
//! from ([`StatusSource`]).

use std::sync::Arc;

use msm::map::{VarDef, VarType};
use msm::{AnyVar, Area, Map, MapMemory, Memory, Status};

use crate::WebError;

/// One variable the view shows, under the name it shows.
///
/// ```
/// use msm_web::WebVar;
/// let mm = msm::Map::from_toml_str(
///     "[memory]\nholding_registers = 2\n[vars]\nLEVEL = { area = \"holding\", address = 0, type = \"u16\" }\n",
/// )?
/// .build()?;
/// let level = WebVar::new("tank/LEVEL", mm.find("LEVEL")?.clone(), mm.memory().clone()).read_only();
/// assert_eq!(level.name(), "tank/LEVEL");
/// assert!(!level.is_writable());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct WebVar {
    pub(crate) name: String,
    pub(crate) var: AnyVar,
    pub(crate) memory: Memory,
    pub(crate) writable: bool,
}

impl WebVar {
    /// `var`, shown as `name`; `memory` is the memory it lives on (its changes and
    /// staleness come from there). Writable from the page when the view is
    /// ([`View::writable`](crate::View::writable)).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\ncoils = 1\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n",
    /// )?
    /// .build()?;
    /// let run = msm_web::WebVar::new("RUN", mm.vars()[0].clone(), mm.memory().clone());
    /// assert!(run.is_writable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(name: impl Into<String>, var: AnyVar, memory: Memory) -> WebVar {
        WebVar {
            name: name.into(),
            var,
            memory,
            writable: true,
        }
    }

    /// Never writable from the page (an input that a master only reads, say).
    ///
    /// ```
    /// # let mm = msm::Map::from_toml_str("[memory]\ninput_registers = 1\n[vars]\nT = { area = \"input\", address = 0, type = \"i16\" }\n")?.build()?;
    /// let t = msm_web::WebVar::new("T", mm.vars()[0].clone(), mm.memory().clone()).read_only();
    /// assert!(!t.is_writable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_only(mut self) -> WebVar {
        self.writable = false;
        self
    }

    /// The name in the table and the API.
    ///
    /// ```
    /// # let mm = msm::Map::from_toml_str("[memory]\ncoils = 1\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n")?.build()?;
    /// let vars = msm_web::WebVar::from_map(&mm, "pump/", |_| true);
    /// assert_eq!(vars[0].name(), "pump/RUN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The variable.
    ///
    /// ```
    /// # let mm = msm::Map::from_toml_str("[memory]\ncoils = 1\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n")?.build()?;
    /// let vars = msm_web::WebVar::from_map(&mm, "", |_| true);
    /// assert_eq!(vars[0].var().area(), msm::Area::Coil);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn var(&self) -> &AnyVar {
        &self.var
    }

    /// False when the page may never write it, whatever the view allows.
    ///
    /// ```
    /// # let mm = msm::Map::from_toml_str("[memory]\ncoils = 1\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n")?.build()?;
    /// let vars = msm_web::WebVar::from_map(&mm, "", |_| false);
    /// assert!(!vars[0].is_writable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// Every variable of a built map, in the map's order, named `prefix` + name;
    /// `writable` says which ones the page may write (a master cannot write inputs).
    ///
    /// ```
    /// use msm::Area;
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 1
    ///     input_registers = 1
    ///     [vars]
    ///     SP = { area = "holding", address = 0, type = "u16" }
    ///     PV = { area = "input", address = 0, type = "u16" }
    /// "#)?
    /// .build()?;
    /// let vars = msm_web::WebVar::from_map(&mm, "", |v| matches!(v.area(), Area::Coil | Area::Holding));
    /// let shown: Vec<(&str, bool)> = vars.iter().map(|v| (v.name(), v.is_writable())).collect();
    /// assert_eq!(shown, [("SP", true), ("PV", false)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_map(
        mm: &MapMemory,
        prefix: &str,
        writable: impl Fn(&AnyVar) -> bool,
    ) -> Vec<WebVar> {
        mm.vars()
            .iter()
            .map(|v| WebVar {
                name: format!("{prefix}{}", v.name()),
                var: v.clone(),
                memory: mm.memory().clone(),
                writable: writable(v),
            })
            .collect()
    }

    /// Every item of a memory without a map: each coil and discrete input as a `bool`,
    /// each register as a `u16`, named by area and address (`coil:0`, `discrete:0`,
    /// `input:0`, `holding:0`), area by area. The memory's data is kept. A large memory
    /// makes a long table: each row keeps up to 10 minutes of trend.
    ///
    /// ```
    /// let mem = msm::Memory::builder().coils(2).holding_registers(1).build()?;
    /// mem.holding::<u16>(0)?.set(7)?;
    /// let vars = msm_web::WebVar::from_memory(&mem)?;
    /// let names: Vec<&str> = vars.iter().map(|v| v.name()).collect();
    /// assert_eq!(names, ["coil:0", "coil:1", "holding:0"]);
    /// assert_eq!(vars[2].var().get().to_string(), "7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_memory(memory: &Memory) -> Result<Vec<WebVar>, WebError> {
        let mut map = Map::builder().name("memory");
        for area in Area::ALL {
            let spec = memory.spec(area);
            map = map.area(area, spec);
            let ty = if area.is_bits() {
                VarType::Bool
            } else {
                VarType::U16
            };
            for address in (0..spec.size).map(|k| u32::from(spec.start) + k) {
                // An area ends at 65536 at most, so every address is a u16.
                let Ok(address) = u16::try_from(address) else {
                    break;
                };
                let name = format!("{}:{address}", area.key());
                map = map.var(VarDef::new(name, area, address, ty));
            }
        }
        let named = map
            .build()
            .and_then(|m| m.declare_on(memory))
            .map_err(|e| WebError::Memory(Box::new(e)))?;
        Ok(WebVar::from_map(&named, "", |_| true))
    }
}

/// Where the view reads a master's state (connected, reconnecting, last error): the
/// header of the page and `/api/status` show it, and the reasons of `not read` and
/// `stale` values quote its last error.
///
/// ```
/// use msm::{Master, Memory, Slave};
/// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
/// let mirror = Memory::new(4);
/// let master = Master::tcp(slave.local_addr()).start(mirror.clone())?;
/// master.sync()?;
/// let status = msm_web::StatusSource::new(move || master.status());
/// assert!(status.get().connected);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StatusSource {
    get: Arc<dyn Fn() -> Status + Send + Sync>,
}

impl StatusSource {
    /// A source that calls `get` (a few times a second, from the view's runtime: it
    /// should return at once).
    ///
    /// ```
    /// let s = msm_web::StatusSource::new(msm::Status::default);
    /// assert!(!s.get().connected);
    /// ```
    pub fn new(get: impl Fn() -> Status + Send + Sync + 'static) -> StatusSource {
        StatusSource { get: Arc::new(get) }
    }

    /// A source fed by its sender: for a loop that already reads the master's state.
    ///
    /// ```
    /// let (tx, source) = msm_web::StatusSource::channel();
    /// let mut now = msm::Status::default();
    /// now.connected = true;
    /// tx.send_replace(now);
    /// assert!(source.get().connected);
    /// ```
    pub fn channel() -> (tokio::sync::watch::Sender<Status>, StatusSource) {
        let (tx, rx) = tokio::sync::watch::channel(Status::default());
        (tx, StatusSource::new(move || rx.borrow().clone()))
    }

    /// The state now.
    ///
    /// ```
    /// let s = msm_web::StatusSource::new(|| {
    ///     let mut now = msm::Status::default();
    ///     now.cycles = 3;
    ///     now
    /// });
    /// assert_eq!(s.get().cycles, 3);
    /// ```
    pub fn get(&self) -> Status {
        (self.get)()
    }
}

impl std::fmt::Debug for StatusSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusSource").finish_non_exhaustive()
    }
}
