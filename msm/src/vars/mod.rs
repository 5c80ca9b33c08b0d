//! A PLC's memory as a Rust struct: `#[derive(Vars)]` and the [`Vars`] trait it implements.

pub mod layout;
#[cfg(feature = "map")]
mod map;

#[cfg(feature = "map")]
use crate::map::Map;
use crate::memory::Memory;
use crate::types::Result;

/// A struct whose fields are the variables of a memory: the layout written once, in
/// Rust, and from it the memory, the typed variables and the map file.
///
/// Implement it with `#[derive(Vars)]` (see the derive macro's documentation for every
/// attribute); the compiler then checks each field's type against its area and options.
///
/// ```
/// use msm::{Memory, Var, Vars};
///
/// #[derive(Vars)]
/// struct Pump {
///     #[msm(holding = 0)]                 setpoint: Var<u16>,
///     #[msm(holding = 1, order = "CDAB")] total: Var<u32>,
///     #[msm(holding = 3, bit = 0)]        alarm: Var<bool>,
///     #[msm(holding = 4, byte = "high")]  step: Var<u8>,
///     #[msm(holding = 8, len = 4)]        name: Var<String>,
///     #[msm(input = 0)]                   level: Var<f32>,
///     #[msm(coil = 0)]                    run: Var<bool>,
///     #[msm(discrete = 0)]                ready: Var<bool>,
/// }
///
/// let mem: Memory = Pump::memory();        // sized to hold every field, in every area
/// let pump: Pump = Pump::declare(&mem)?;   // the typed handles
/// pump.total.set(100_000)?;
/// pump.name.set("P-101".into())?;
/// assert_eq!(mem.holding_raw(1, 2)?.get(), [0x86A0, 0x0001]); // CDAB: low word first
///
/// let map: msm::Map = Pump::map();         // the same layout, named
/// assert_eq!(map.var("TOTAL").map(|v| v.address), Some(1));
/// let toml: String = map.to_toml();        // a map file for the CLI, the gateway, Python
/// assert_eq!(msm::Map::from_toml_str(&toml)?, map);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Generic code takes any such struct:
///
/// ```
/// use msm::{Memory, Var, Vars};
///
/// /// A slave serving a fresh memory laid out as `P`, and `P`'s handles on it.
/// fn serve<P: Vars>() -> msm::Result<(msm::SlaveHandle, P)> {
///     let mem = P::memory();
///     let vars = P::declare(&mem)?;
///     Ok((msm::Slave::tcp("127.0.0.1:0").serve(mem)?, vars))
/// }
///
/// #[derive(Vars)]
/// struct Tank {
///     #[msm(input = 10)] level: Var<f32>,
/// }
/// let (slave, tank) = serve::<Tank>()?;
/// tank.level.set(0.5)?;
/// # drop(slave);
/// # Ok::<(), msm::Error>(())
/// ```
pub trait Vars: Sized {
    /// The fields, as the derive lays them out.
    #[doc(hidden)]
    const LAYOUT: layout::Layout;

    /// A memory that holds every field: in each area, from the lowest address a field
    /// uses to the last item of the highest (an area no field uses is empty), in the
    /// struct's word order (`#[msm(order = ...)]`, default ABCD).
    ///
    /// ```
    /// use msm::{Area, AreaSpec, Var, Vars};
    /// #[derive(Vars)]
    /// struct Meter {
    ///     #[msm(input = 1000)] energy: Var<u64>,
    ///     #[msm(input = 1010)] power: Var<f32>,
    /// }
    /// let mem = Meter::memory();
    /// assert_eq!(mem.spec(Area::Input), AreaSpec::new(1000, 12)); // 1000..=1011
    /// assert_eq!(mem.spec(Area::Holding).size, 0);
    /// ```
    fn memory() -> Memory {
        Self::LAYOUT.memory()
    }

    /// The struct's variables declared on `mem`, which may be any memory that holds
    /// them: one from [`memory`](Self::memory), one a master keeps in sync with a
    /// device, one from a map file. Each field takes its own word order, else the
    /// struct's. A field outside its area fails as `mem.holding(..)` does, with
    /// [`Error::OutOfRange`](crate::Error::OutOfRange), and the message names the field.
    ///
    /// ```
    /// use msm::{Error, Memory, Var, Vars};
    /// #[derive(Vars)]
    /// struct Drive {
    ///     #[msm(holding = 0)] speed: Var<u16>,
    ///     #[msm(holding = 7)] torque: Var<f32>,
    /// }
    /// let err = Drive::declare(&Memory::new(8)).err().expect("too small");
    /// assert!(matches!(err, Error::OutOfRange { address: 7, count: 2, .. }));
    /// assert!(err.to_string().starts_with("Drive::torque, a f32 (2 registers), at holding registers address 7"));
    /// let drive = Drive::declare(&Memory::new(9))?;
    /// # let _ = drive.speed;
    /// # Ok::<(), Error>(())
    /// ```
    fn declare(mem: &Memory) -> Result<Self>;

    /// The struct's map: the areas of [`memory`](Self::memory), its word order, and one
    /// variable per field, named by `#[msm(name = "...")]` or the field's name in upper
    /// case, with every option the field gives. Raw registers (`Var<[u16; N]>`,
    /// `Var<Vec<u16>>`) have no map-file type and are left out; the areas still hold
    /// them. [`Map::to_toml`] writes it as a map file.
    ///
    /// ```
    /// use msm::{Var, Vars};
    /// #[derive(Vars)]
    /// struct Valve {
    ///     #[msm(coil = 4, name = "VALVE_OPEN")] open: Var<bool>,
    ///     #[msm(holding = 0, bit = 3)] fault: Var<bool>,
    /// }
    /// let map = Valve::map();
    /// let names: Vec<&str> = map.vars().iter().map(|v| v.name.as_str()).collect();
    /// assert_eq!(names, ["VALVE_OPEN", "FAULT"]);
    /// let mm = map.build()?;                           // a memory by name, as map files give
    /// mm.find("VALVE_OPEN")?.set_str("on")?;
    /// let valve = Valve::declare(mm.memory())?;        // and the same memory typed
    /// assert!(valve.open.get());
    /// # Ok::<(), msm::Error>(())
    /// ```
    #[cfg(feature = "map")]
    fn map() -> Map {
        map::of(&Self::LAYOUT)
    }
}
