//! A map of variables checked before they reach the map: `#[derive(Vars)]` checks its
//! fields at compile time as [`MapBuilder`](super::MapBuilder) would at run time.

use super::def::VarDef;
use super::{Map, Places};
use crate::memory::{AreaSpec, Order};

impl Map {
    /// A map named `name` of `areas` (in `Area::ALL` order), default `order` and `vars`,
    /// each of which the caller has checked: its name, its type against its area, its
    /// keys, and that it lies inside its area; no two with one name.
    pub(crate) fn from_checked(
        name: &str,
        areas: [AreaSpec; 4],
        order: Order,
        vars: Vec<VarDef>,
    ) -> Map {
        Map {
            file: name.to_string(),
            areas,
            order,
            places: vec![Places::default(); vars.len()],
            vars,
            roles: None,
            faults: Vec::new(),
            seed: None,
            identity: None,
            files: Vec::new(),
            fifos: Vec::new(),
        }
    }
}
