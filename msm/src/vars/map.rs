//! The map of a `#[derive(Vars)]` struct: its layout with the fields' names.

use super::layout::{Field, FieldKind, Layout};
use crate::map::{Map, VarDef, VarType};

/// The areas of the struct's memory, its word order, and one variable per field that a
/// map file can describe (raw registers cannot be; the areas still hold them). The
/// derive checked every field as `MapBuilder` would.
pub(crate) fn of(layout: &Layout) -> Map {
    let vars = layout.fields.iter().filter_map(var_def).collect();
    Map::from_checked(layout.name, layout.areas(), layout.order, vars)
}

/// A field as a map variable, if a map file has a type for it.
fn var_def(field: &Field) -> Option<VarDef> {
    let ty = match field.kind {
        FieldKind::Raw(_) => return None,
        FieldKind::RegisterBit(_) => VarType::Bit,
        _ => field.type_name.parse().ok()?,
    };
    let place = field.place;
    let mut def = VarDef::new(place.name, place.area, place.address, ty);
    def.order = field.order;
    match field.kind {
        FieldKind::RegisterBit(bit) => def.bit = Some(bit),
        FieldKind::Byte(byte) => def.byte = byte,
        FieldKind::Text(len) => def.len = Some(len),
        FieldKind::Bit | FieldKind::Words(_) | FieldKind::Raw(_) => {}
    }
    Some(def)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Area, Byte, Order};
    use crate::vars::layout::Place;

    const FIELDS: &[Field] = &[
        Field::registers::<u16>(Place::new("P::a", "A", Area::Holding, 0)),
        Field::ordered::<f64>(Place::new("P::b", "B", Area::Holding, 1), Order::DCBA),
        Field::register_bit::<bool>(Place::new("P::c", "C", Area::Input, 5), 15),
        Field::byte::<i8>(Place::new("P::d", "D", Area::Input, 6), Byte::High),
        Field::registers::<u8>(Place::new("P::e", "E", Area::Input, 7)),
        Field::ordered_len::<String>(Place::new("P::f", "F", Area::Holding, 5), 3, Order::BADC),
        Field::bits::<bool>(Place::new("P::g", "G", Area::Discrete, 3)),
        Field::len::<Vec<u16>>(Place::new("P::h", "H", Area::Holding, 20), 2),
        Field::registers::<[u16; 2]>(Place::new("P::i", "I", Area::Input, 30)),
    ];

    #[test]
    fn a_derived_map_is_what_the_builder_makes_of_its_variables() {
        let layout = Layout::new("P", Some(Order::CDAB), FIELDS);
        let derived = of(&layout);
        let built = derived
            .areas()
            .into_iter()
            .fold(Map::builder().order(Order::CDAB), |b, (area, spec)| {
                b.area(area, spec)
            });
        let built = derived
            .vars()
            .iter()
            .fold(built, |b, v| b.var(v.clone()))
            .build()
            .expect("the builder's checks pass");
        assert_eq!(derived, built);
        let names: Vec<&str> = derived.vars().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G"]); // raw registers left out
        let types: Vec<VarType> = derived.vars().iter().map(|v| v.ty).collect();
        use VarType::*;
        assert_eq!(types, [U16, F64, Bit, I8, U8, String, Bool]);
        assert_eq!(derived.vars()[3].byte, Some(Byte::High));
        assert_eq!(derived.vars()[4].byte, None);
        // The areas still hold the raw registers.
        assert_eq!(derived.areas()[2].1.end(), 32);
        assert_eq!(derived.areas()[3].1.end(), 22);
        assert_eq!(derived.file(), "P");
    }
}
