//! What `#[derive(Vars)]` generates code against (`msm::__derive`, hidden): a struct's
//! layout as a constant, and the traits that say which value types each kind of field
//! takes. The macro checks what it can see in the tokens; these traits check the rest
//! (type aliases, paths it does not know), with messages that say the fix.
//!
//! Not a public API: only the derive's output names it, and it may change with the macro.

use crate::memory::{self, Area, AreaSpec, Byte, MAX_VAR_REGISTERS, Memory, Order, Value, Var};
use crate::types::{Error, Result};

/// Where a field lives, and its names.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// `Struct::field`, for errors.
    pub(crate) field: &'static str,
    /// The variable's name in the map.
    #[cfg_attr(not(feature = "map"), allow(dead_code))]
    pub(crate) name: &'static str,
    pub(crate) area: Area,
    pub(crate) address: u16,
}

impl Place {
    /// A field `field` (written `Struct::field`) named `name` in the map, at `address` of `area`.
    pub const fn new(field: &'static str, name: &'static str, area: Area, address: u16) -> Place {
        Place {
            field,
            name,
            area,
            address,
        }
    }
}

/// How a field lies over its area's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A coil or a discrete input.
    Bit,
    /// One bit of a register.
    RegisterBit(u8),
    /// One byte of a register; `None` is the low byte, not named.
    Byte(Option<Byte>),
    /// A number of whole registers, in a word order.
    Words(usize),
    /// ASCII text of so many registers.
    Text(usize),
    /// Raw registers (`[u16; N]`, `Vec<u16>`), as they are.
    Raw(usize),
}

impl FieldKind {
    /// Items (bits or registers) covered.
    pub(crate) const fn items(self) -> usize {
        match self {
            FieldKind::Bit | FieldKind::RegisterBit(_) | FieldKind::Byte(_) => 1,
            FieldKind::Words(n) | FieldKind::Text(n) | FieldKind::Raw(n) => n,
        }
    }

    fn layout(self) -> memory::Layout {
        match self {
            FieldKind::Bit => memory::Layout::Bit,
            FieldKind::RegisterBit(bit) => memory::Layout::RegBit { bit },
            FieldKind::Byte(byte) => memory::Layout::Byte {
                byte: match byte {
                    Some(byte) => byte,
                    None => Byte::Low,
                },
            },
            FieldKind::Words(count) => memory::Layout::Number { count },
            FieldKind::Text(count) => memory::Layout::Text { count },
            FieldKind::Raw(count) => memory::Layout::Raw { count },
        }
    }
}

/// One field of a struct: where it lives, how, and its value type's name.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub(crate) place: Place,
    pub(crate) kind: FieldKind,
    /// Its own word order, if it gives one.
    pub(crate) order: Option<Order>,
    /// `Value::NAME` of its type (`u32`, `string`, `[u16; N]`): its map type.
    #[cfg_attr(not(feature = "map"), allow(dead_code))]
    pub(crate) type_name: &'static str,
}

impl Field {
    const fn of<T: Value>(place: Place, kind: FieldKind, order: Option<Order>) -> Field {
        Field {
            place,
            kind,
            order,
            type_name: T::NAME,
        }
    }

    /// A coil or discrete input.
    pub const fn bits<T: BitValue>(place: Place) -> Field {
        Field::of::<T>(place, FieldKind::Bit, None)
    }

    /// `bit = N` of a register.
    pub const fn register_bit<T: RegisterBitValue>(place: Place, bit: u8) -> Field {
        Field::of::<T>(place, FieldKind::RegisterBit(bit), None)
    }

    /// `byte = "low" | "high"` of a register.
    pub const fn byte<T: ByteValue>(place: Place, byte: Byte) -> Field {
        Field::of::<T>(place, FieldKind::Byte(Some(byte)), None)
    }

    /// Registers, without options.
    pub const fn registers<T: RegisterValue>(place: Place) -> Field {
        Field::of::<T>(place, T::KIND, None)
    }

    /// Registers with `order`.
    pub const fn ordered<T: RegisterValue + OrderValue>(place: Place, order: Order) -> Field {
        Field::of::<T>(place, T::KIND, Some(order))
    }

    /// Registers with `len`.
    pub const fn len<T: LenValue>(place: Place, len: usize) -> Field {
        let kind = if T::RAW {
            FieldKind::Raw(len)
        } else {
            FieldKind::Text(len)
        };
        Field::of::<T>(place, kind, None)
    }

    /// Registers with `len` and `order`.
    pub const fn ordered_len<T: LenValue + OrderValue>(
        place: Place,
        len: usize,
        order: Order,
    ) -> Field {
        let mut field = Field::len::<T>(place, len);
        field.order = Some(order);
        field
    }

    /// True if the field can be declared: inside the address space, and of a size one
    /// Modbus request carries. The derive checks it at compile time.
    pub const fn fits(&self) -> bool {
        let items = self.kind.items();
        let registers = matches!(self.place.area, Area::Input | Area::Holding);
        let sized = !registers || (items >= 1 && items <= MAX_VAR_REGISTERS);
        sized && self.place.address as usize + items <= 65536
    }

    /// The items it covers, as addresses: `first..end`.
    fn span(&self) -> (u32, u32) {
        let first = u32::from(self.place.address);
        (first, first + self.kind.items() as u32)
    }
}

/// A struct's layout: its name, the default word order of its fields and the fields.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub(crate) name: &'static str,
    pub(crate) order: Order,
    pub(crate) fields: &'static [Field],
}

impl Layout {
    /// The layout of struct `name`; `order` is the struct's `#[msm(order = ...)]`.
    pub const fn new(name: &'static str, order: Option<Order>, fields: &'static [Field]) -> Layout {
        let order = match order {
            Some(order) => order,
            None => Order::ABCD,
        };
        Layout {
            name,
            order,
            fields,
        }
    }

    /// True if field `index` fits (see [`Field::fits`]).
    pub const fn fits(&self, index: usize) -> bool {
        index < self.fields.len() && self.fields[index].fits()
    }

    /// Declares field `index` (of type `F`, a `Var<T>`) on `mem`, in its word order (its
    /// own, else the struct's). A memory too small gives the memory's error, naming the
    /// field.
    pub fn declare<F: VarField>(&self, index: usize, mem: &Memory) -> Result<F> {
        let Some(field) = self.fields.get(index) else {
            return Err(Error::Config(format!(
                "{} has no field {index}: rebuild the crate that derives it",
                self.name
            )));
        };
        let place = field.place;
        let var = mem
            .declare::<F::Value>(place.area, place.address, field.kind.layout())
            .map_err(|mut e| {
                if let Error::OutOfRange { what, .. } = &mut e {
                    *what = format!("{}, {what},", place.field);
                }
                e
            })?;
        Ok(F::from_var(var.order(field.order.unwrap_or(self.order))))
    }

    /// The areas that hold every field: in each, from the lowest address a field uses to
    /// the last item of the highest; empty where no field lives.
    pub(crate) fn areas(&self) -> [AreaSpec; 4] {
        Area::ALL.map(|area| {
            let spans = self.fields.iter().filter(|f| f.place.area == area);
            let (first, end) = spans.fold((u32::MAX, 0), |(first, end), f| {
                let (a, b) = f.span();
                (first.min(a), end.max(b))
            });
            match u16::try_from(first) {
                // The derive checked that every field ends by 65535 (`fits`).
                Ok(start) => AreaSpec::new(start, end.min(65536) - first),
                Err(_) => AreaSpec::default(),
            }
        })
    }

    /// A memory that holds every field, in the struct's word order.
    pub(crate) fn memory(&self) -> Memory {
        let specs = self.areas();
        Area::ALL
            .into_iter()
            .fold(Memory::builder().order(self.order), |b, area| {
                b.area(area, specs[area.index()])
            })
            .build_unchecked()
    }
}

/// Marks the field type of a derived struct: `Var<T>`, whose `T` the layout names.
#[diagnostic::on_unimplemented(
    message = "a field of a `#[derive(Vars)]` struct is a `Var<T>`, not a `{Self}`",
    label = "not a `Var<T>`",
    note = "every field is a variable on the memory: declare it as `Var<u16>`, `Var<bool>`, ... \
            with #[msm(holding = ADDRESS)] (or input, coil, discrete)"
)]
pub trait VarField: Sized {
    /// `T` of `Var<T>`.
    type Value: Value;
    /// The field from the variable (itself).
    fn from_var(var: Var<Self::Value>) -> Self;
}

impl<T: Value> VarField for Var<T> {
    type Value = T;
    fn from_var(var: Var<T>) -> Var<T> {
        var
    }
}

/// The type of a coil or discrete input: `bool`.
#[diagnostic::on_unimplemented(
    message = "a `Var<{Self}>` cannot be a coil or a discrete input",
    label = "coils and discrete inputs hold single bits",
    note = "declare the field as `Var<bool>`, or put the value in registers: \
            #[msm(holding = ADDRESS)] or #[msm(input = ADDRESS)]"
)]
pub trait BitValue: Value {}

/// The type of `bit = N` in a register: `bool`.
#[diagnostic::on_unimplemented(
    message = "`bit` makes the field one bit of a register, so it is a `Var<bool>`, not a `Var<{Self}>`",
    label = "`bit` needs a `Var<bool>`",
    note = "declare the field as `Var<bool>`, or remove `bit` to use the whole register"
)]
pub trait RegisterBitValue: Value {}

/// The types of `byte = "low" | "high"`: `u8`, `i8`.
#[diagnostic::on_unimplemented(
    message = "`byte` makes the field one byte of a register, so it is a `Var<u8>` or `Var<i8>`, not a `Var<{Self}>`",
    label = "`byte` needs a `Var<u8>` or `Var<i8>`",
    note = "declare the field as `Var<u8>` or `Var<i8>`, or remove `byte` to use whole registers"
)]
pub trait ByteValue: Value {}

/// The types declared in registers by their address alone, and how they lie there.
#[diagnostic::on_unimplemented(
    message = "a `Var<{Self}>` needs more than an address in registers",
    label = "this type needs `bit` or `len`",
    note = "a `Var<bool>` in registers is one bit of a register: add `bit = 0..=15`, or make it a coil (coil = ADDRESS)",
    note = "a `Var<String>` or `Var<Vec<u16>>` needs its size: add `len = REGISTERS`"
)]
pub trait RegisterValue: Value {
    /// How a value of this type lies over registers.
    const KIND: FieldKind;
}

/// The types of `len = N`: `String` (text) and `Vec<u16>` (raw registers).
#[diagnostic::on_unimplemented(
    message = "`len` applies to a `Var<String>` or a `Var<Vec<u16>>`, not to a `Var<{Self}>`",
    label = "this type has a size of its own",
    note = "remove `len`: a `Var<{Self}>` covers as many registers as its type needs"
)]
pub trait LenValue: Value {
    /// True for raw registers, false for text.
    const RAW: bool;
}

/// The types a word order applies to: numbers of whole registers, and strings.
#[diagnostic::on_unimplemented(
    message = "`order` does not apply to a `Var<{Self}>`",
    label = "no word order here",
    note = "a word order applies to values of whole registers (u16 and wider, and String); \
            remove `order`"
)]
pub trait OrderValue: Value {}

impl BitValue for bool {}
impl RegisterBitValue for bool {}
impl ByteValue for u8 {}
impl ByteValue for i8 {}
impl LenValue for String {
    const RAW: bool = false;
}
impl LenValue for Vec<u16> {
    const RAW: bool = true;
}
impl OrderValue for String {}

impl RegisterValue for u8 {
    const KIND: FieldKind = FieldKind::Byte(None);
}
impl RegisterValue for i8 {
    const KIND: FieldKind = FieldKind::Byte(None);
}
impl<const N: usize> RegisterValue for [u16; N] {
    const KIND: FieldKind = FieldKind::Raw(N);
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl RegisterValue for $t {
            const KIND: FieldKind = FieldKind::Words(std::mem::size_of::<$t>() / 2);
        }
        impl OrderValue for $t {}
    )*};
}
numbers!(u16, i16, u32, i32, u64, i64, f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::registers::<u16>(Place::new("P::a", "A", Area::Holding, 10)),
        Field::ordered::<u32>(Place::new("P::b", "B", Area::Holding, 11), Order::CDAB),
        Field::len::<String>(Place::new("P::c", "C", Area::Input, 100), 4),
        Field::bits::<bool>(Place::new("P::d", "D", Area::Coil, 7)),
        Field::registers::<[u16; 3]>(Place::new("P::e", "E", Area::Holding, 30)),
    ];
    const LAYOUT: Layout = Layout::new("P", None, FIELDS);

    #[test]
    fn the_areas_span_the_fields_used() {
        let [coils, discrete, input, holding] = LAYOUT.areas();
        assert_eq!(coils, AreaSpec::new(7, 1));
        assert_eq!(discrete, AreaSpec::default());
        assert_eq!(input, AreaSpec::new(100, 4));
        assert_eq!(holding, AreaSpec::new(10, 23)); // 10 ..= 32, the array's end
        let mem = LAYOUT.memory();
        assert_eq!(mem.spec(Area::Holding), holding);
        assert_eq!(mem.default_order(), Order::ABCD);
    }

    #[test]
    fn fields_take_their_order_or_the_structs() {
        let mem = Memory::builder()
            .holding_registers(40)
            .build()
            .expect("memory");
        let swapped = Layout::new("P", Some(Order::DCBA), FIELDS);
        let a: Var<u16> = swapped.declare(0, &mem).expect("a");
        let b: Var<u32> = swapped.declare(1, &mem).expect("b");
        assert_eq!((a.word_order(), b.word_order()), (Order::DCBA, Order::CDAB));
    }

    #[test]
    fn a_memory_too_small_names_the_field() {
        let mem = Memory::builder()
            .holding_registers(11)
            .build()
            .expect("memory");
        let err = LAYOUT
            .declare::<Var<u32>>(1, &mem)
            .expect_err("11 holds no u32");
        assert!(
            matches!(
                err,
                Error::OutOfRange {
                    address: 11,
                    count: 2,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("P::b, a u32 (2 registers), at holding registers address 11"),
            "{err}"
        );
        assert!(matches!(
            LAYOUT.declare::<Var<u16>>(9, &mem),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn fields_past_the_address_space_do_not_fit() {
        let place = |address| Place::new("P::x", "X", Area::Holding, address);
        assert!(Field::registers::<u32>(place(65534)).fits());
        assert!(!Field::registers::<u32>(place(65535)).fits());
        assert!(!Field::registers::<[u16; 0]>(place(0)).fits());
        assert!(!Field::registers::<[u16; 124]>(place(0)).fits());
        assert!(Field::bits::<bool>(Place::new("P::y", "Y", Area::Coil, 65535)).fits());
        assert!(!LAYOUT.fits(99));
    }
}
