//! Serving several units from one listener, each from a memory of its own
//! ([`Slave::unit_memory`](super::Slave::unit_memory)): a gateway in front of many devices.

use crate::memory::{Area, AreaSpec, Memory};

/// A memory and its areas' shapes, fixed for its lifetime (so addresses are checked
/// without taking its lock).
pub(crate) struct Route {
    pub(crate) mem: Memory,
    pub(crate) specs: [AreaSpec; 4],
}

impl Route {
    pub(crate) fn new(mem: Memory) -> Route {
        let specs = Area::ALL.map(|a| mem.spec(a));
        Route { mem, specs }
    }
}

/// Which memory answers which unit id: one slot per id, empty when no unit has a
/// memory of its own (every request then goes to the memory given to `serve`).
#[derive(Default)]
pub(crate) struct Routes(Vec<Option<Route>>);

impl Routes {
    /// The routes for `(unit, memory)` pairs; a later pair for the same unit wins.
    pub(crate) fn new(pairs: &[(u8, Memory)]) -> Routes {
        if pairs.is_empty() {
            return Routes::default();
        }
        let mut slots: Vec<Option<Route>> = (0..=255).map(|_| None).collect();
        for (unit, mem) in pairs {
            slots[usize::from(*unit)] = Some(Route::new(mem.clone()));
        }
        Routes(slots)
    }

    /// The memory of `unit`, if it has one of its own.
    pub(crate) fn get(&self, unit: u8) -> Option<&Route> {
        self.0.get(usize::from(unit))?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_finds_its_own_memory_and_the_last_one_given_wins() {
        let (a, b, c) = (Memory::new(1), Memory::new(2), Memory::new(3));
        let routes = Routes::new(&[(1, a.clone()), (200, b), (200, c.clone())]);
        assert!(routes.get(1).is_some_and(|r| r.mem.ptr_eq(&a)));
        assert!(routes.get(200).is_some_and(|r| r.mem.ptr_eq(&c)));
        assert_eq!(
            routes.get(200).map(|r| r.specs[Area::Holding.index()].size),
            Some(3)
        );
        assert!(routes.get(2).is_none());
        assert!(Routes::new(&[]).get(1).is_none());
    }
}
