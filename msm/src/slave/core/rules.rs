//! The settings a slave's requests are answered by: which units, which memory, which
//! checks. Built once by `slave/config.rs` from the builder, shared by every connection,
//! read by [`Responder`](super::respond::Responder) and [`exec`](super::exec).

use crate::authz::Authorizer;
use crate::memory::{Area, AreaSpec, Memory};

use std::sync::Arc;

use super::diagnostics::DiagnosticsState;
use super::fault::FaultSwitch;
use super::hooks::{ReadOnly, UnitCheck, Validator};
use super::identity::{Objects, ServerIdAnswer};
use super::routes::Routes;

/// Which unit ids the slave answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Units {
    /// Every unit id, 0 and 0xFF included (the Modbus/TCP default).
    Any,
    /// Only these, one bit per id.
    Set([u64; 4]),
}

impl Units {
    pub(crate) fn contains(&self, unit: u8) -> bool {
        match self {
            Units::Any => true,
            Units::Set(bits) => bits[usize::from(unit / 64)] >> (unit % 64) & 1 == 1,
        }
    }

    pub(crate) fn insert(&mut self, unit: u8) {
        if let Units::Any = self {
            *self = Units::Set([0; 4]);
        }
        if let Units::Set(bits) = self {
            bits[usize::from(unit / 64)] |= 1 << (unit % 64);
        }
    }
}

/// What decides how a request is answered, checked and shared by all connections.
pub(crate) struct Rules {
    /// The units answered (on a serial line or RTU over TCP: the own addresses).
    pub(crate) units: Units,
    /// Answer a unit not served with exception 0B instead of silence (not over RTU).
    pub(crate) unknown_unit_exception: bool,
    /// RTU addressing: answer only the own addresses, apply broadcasts (0) silently.
    pub(crate) rtu: bool,
    /// Ranges masters may read but not write.
    pub(crate) read_only: Vec<ReadOnly>,
    /// Sees every remote write before it lands; may refuse it.
    pub(crate) validator: Option<Validator>,
    /// Decides, by the client's role, whether a request may run at all.
    pub(crate) authorizer: Option<Authorizer>,
    /// Whether a request's unit can answer now (`Slave::unit_available`).
    pub(crate) unit_available: Option<UnitCheck>,
    /// Device identification objects (FC43/14).
    pub(crate) objects: Objects,
    /// The slave's memory's areas: fixed for its lifetime, so addresses are checked
    /// without taking its lock.
    pub(crate) specs: [AreaSpec; 4],
    /// Units with a memory of their own; the others are served from the slave's memory.
    pub(crate) routes: Routes,
    /// The faults the slave makes on purpose; its handle may replace them.
    pub(crate) faults: Arc<FaultSwitch>,
    /// The counters, the event log and the modes of FC08, FC11 and FC12: one per slave.
    pub(crate) diagnostics: DiagnosticsState,
    /// The answer to Report Server ID (FC17).
    pub(crate) server_id: ServerIdAnswer,
    /// FC07: the first of the eight coils that are the exception status outputs.
    pub(crate) exception_status_coils: Option<u16>,
    /// FC24: the FIFO pointer addresses declared, sorted.
    pub(crate) fifos: Vec<u16>,
}

impl Rules {
    /// The memory serving `unit`, and its areas: its own (`Slave::unit_memory`) or `mem`,
    /// the slave's.
    pub(crate) fn route<'a>(
        &'a self,
        unit: u8,
        mem: &'a Memory,
    ) -> (&'a Memory, &'a [AreaSpec; 4]) {
        match self.routes.get(unit) {
            Some(route) => (&route.mem, &route.specs),
            None => (mem, &self.specs),
        }
    }
}

/// Index of `address` in `area` (shaped by `specs`) if `count` items from it lie inside
/// the area.
pub(crate) fn index_in(
    specs: &[AreaSpec; 4],
    area: Area,
    address: u16,
    count: u16,
) -> Option<usize> {
    specs[area.index()].index_of(u32::from(address), u32::from(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_sets_hold_every_id() {
        let mut units = Units::Any;
        assert!(units.contains(0) && units.contains(255));
        for id in [0u8, 1, 63, 64, 200, 255] {
            units.insert(id);
        }
        for id in 0..=255u8 {
            assert_eq!(
                units.contains(id),
                [0, 1, 63, 64, 200, 255].contains(&id),
                "{id}"
            );
        }
    }

    #[test]
    fn addresses_are_checked_at_both_ends() {
        let mem = Memory::builder()
            .holding_registers_at(100, 10)
            .coils(65536)
            .build()
            .expect("memory");
        let specs = Area::ALL.map(|a| mem.spec(a));
        assert_eq!(index_in(&specs, Area::Holding, 100, 10), Some(0));
        assert_eq!(index_in(&specs, Area::Holding, 109, 1), Some(9));
        assert_eq!(index_in(&specs, Area::Holding, 109, 2), None);
        assert_eq!(index_in(&specs, Area::Holding, 99, 1), None);
        assert_eq!(index_in(&specs, Area::Coil, 65535, 1), Some(65535));
        assert_eq!(index_in(&specs, Area::Input, 0, 1), None);
    }
}
