//! `#[derive(Vars)]` for msm. Use it through msm: `use msm::{Memory, Var, Vars};`, then
//! `#[derive(Vars)]` (or `#[derive(msm::Vars)]`). Its documentation is on the macro.
#![forbid(unsafe_code)]

mod attr;
mod expand;
mod field;
mod ty;

use proc_macro::TokenStream;

/// A struct whose fields are the variables of a memory: a PLC's memory described once.
///
/// Each field is a `Var<T>` with `#[msm(AREA = ADDRESS, options...)]`. The derive
/// implements the trait `msm::Vars`: `memory()` makes a memory that holds every
/// field, `declare(&mem)` declares the typed variables on any memory that holds them,
/// and `map()` gives the same layout as a `msm::Map`, named, which `to_toml()` writes as a
/// map file for the command line, the gateway and Python.
///
/// ```
/// use msm::{Master, Memory, Slave, Var, Vars};
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
/// // The PLC: its memory, served.
/// let plc_mem = Pump::memory();
/// let plc = Pump::declare(&plc_mem)?;
/// let slave = Slave::tcp("127.0.0.1:0").serve(plc_mem)?;
///
/// // The HMI: a copy kept in sync by a master, typed by the same struct.
/// let hmi_mem = Pump::memory();
/// let hmi = Pump::declare(&hmi_mem)?;
/// let master = Master::tcp(slave.local_addr()).start(hmi_mem)?;
///
/// plc.level.set(42.5)?;
/// plc.name.set("P-101".into())?;
/// master.sync()?;
/// assert_eq!((hmi.level.get(), hmi.name.get()), (42.5, "P-101".to_string()));
/// hmi.setpoint.set(1200)?;
/// master.flush()?;
/// assert_eq!(plc.setpoint.get(), 1200);
///
/// let toml = Pump::map().to_toml();                 // the map file, in step with the code
/// assert!(toml.contains("SETPOINT = { area = \"holding\", address = 0, type = \"u16\" }"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Attributes
///
/// On each field, one area and its address (0..=65535), then the options the type takes:
///
/// | key | value | field type | in the map |
/// |---|---|---|---|
/// | `holding = N`, `input = N` | the first register | `u16`, `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64`; `u8`/`i8` (the low byte); `[u16; N]` (raw) | `area`, `address`, `type` |
/// | `coil = N`, `discrete = N` | the bit | `bool` | `area`, `address`, `type = "bool"` |
/// | `order = "CDAB"` | `"ABCD"`, `"CDAB"`, `"BADC"`, `"DCBA"` | numbers of whole registers, `String` | `order` |
/// | `bit = 0..=15` | a bit of the register, 0 the least significant | `bool` | `type = "bit"`, `bit` |
/// | `byte = "high"` | `"low"` (bits 0..=7) or `"high"` | `u8`, `i8` | `byte` |
/// | `len = N` | the size in registers, 1..=123 | `String` (two characters a register); `Vec<u16>` (raw) | `len` |
/// | `name = "SETPOINT"` | the variable's name in the map | any | the key in `[vars]`; default: the field's name in upper case |
///
/// On the struct, `#[msm(order = "CDAB")]` sets the word order of every field that gives
/// none, and of the memory and the map (default ABCD).
///
/// The memory of `memory()` holds, in each area, the addresses from the lowest a field
/// uses to the last item of the highest (a struct at input registers 1000..=1011 gets
/// exactly those, as the device it describes has); an area no field uses is empty.
/// Raw registers (`[u16; N]`, `Vec<u16>`) are in the memory but not in the map, which has
/// no type for them. Fields may overlap, as variables may.
///
/// # Compile errors
///
/// A wrong combination is a compile error at the field or key at fault, saying the fix:
/// a `Var<f32>` on a coil, `bit` on a `Var<u16>`, `len` on a number, `byte` on a `u16`,
/// `order` on a `bool`, a `Var<bool>` in registers without `bit`, a `Var<String>` without
/// `len`, two areas or none, an unknown key (with the nearest valid one), an unknown word
/// order or byte, a bit past 15, a field past address 65535, two fields with one name.
/// Types the macro cannot see through (an alias of `f32`, say) are checked by trait
/// bounds whose messages say the same.
#[proc_macro_derive(Vars, attributes(msm))]
pub fn derive_vars(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// The errors of one expansion, all reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn take(self) -> Option<syn::Error> {
        self.0
    }
}
