//! How Python names msm's things: the areas' keys and `msm.Memory`'s keywords.

use msm::Area;

/// The map-file name of an area (`coil`, `discrete`, `input`, `holding`).
pub(crate) fn area_key(area: Area) -> &'static str {
    match area {
        Area::Coil => "coil",
        Area::Discrete => "discrete",
        Area::Input => "input",
        Area::Holding => "holding",
    }
}

/// The keyword of `msm.Memory` that sizes `area`.
pub(crate) fn area_keyword(area: Area) -> &'static str {
    match area {
        Area::Coil => "coils",
        Area::Discrete => "discrete_inputs",
        Area::Input => "input_registers",
        Area::Holding => "holding_registers",
    }
}
