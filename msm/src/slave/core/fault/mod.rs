//! The faults a slave makes on purpose (docs/simulator.md), at the seam where a request
//! becomes its answer: the [`Responder`](super::respond::Responder) asks its connection's
//! [`Faults`] whether one hits the request, and [`answer`] makes the answer that fault
//! gives. The answer goes to the connection as an [`Answer`](super::service::Answer):
//! late (`Later`), none (`Nothing`), a close, or sent wrong (`Misframed`).
//!
//! The faults are the slave's ([`FaultSwitch`], shared by its connections and its
//! handle, which may replace them while it serves); each connection keeps the set it
//! last read and reads it again only when it changed (one atomic load per request).
//! Which requests a fault hits is decided from the request, the fault's count of the
//! requests it matched and the slave's seeded random numbers: no clock, no thread.

mod answer;
mod matching;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::types::rng::Rng;
use crate::types::{Fault, FaultAction, Hit};

use super::service::Incoming;
pub(crate) use answer::answer;
use matching::Touched;

/// A slave's faults, shared by its connections and its handle.
pub(crate) struct FaultSwitch {
    current: RwLock<Arc<FaultTable>>,
    /// Bumped at each replacement: a connection reads `current` again when it moved.
    generation: AtomicU64,
    seed: u64,
}

impl FaultSwitch {
    /// The switch holding `faults` (already checked), their random numbers seeded with
    /// `seed`.
    pub(crate) fn new(faults: Vec<Fault>, seed: u64) -> FaultSwitch {
        FaultSwitch {
            current: RwLock::new(Arc::new(FaultTable::new(faults, seed))),
            generation: AtomicU64::new(0),
            seed,
        }
    }

    /// Replaces the faults (already checked): the next request of every connection sees
    /// the new ones, with counts from zero and the random numbers seeded again.
    pub(crate) fn replace(&self, faults: Vec<Fault>) {
        let table = Arc::new(FaultTable::new(faults, self.seed));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = table;
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn table(&self) -> Arc<FaultTable> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests each fault has been applied to, in the order of the faults.
    pub(crate) fn applied(&self) -> Vec<u64> {
        self.table()
            .armed
            .iter()
            .map(|a| a.applied.load(Ordering::Relaxed))
            .collect()
    }
}

/// One set of faults, with what each has counted and the random numbers they draw.
pub(crate) struct FaultTable {
    armed: Vec<Armed>,
    /// Some fault looks at the items a request touches (address, count).
    by_items: bool,
    rng: Mutex<Rng>,
}

struct Armed {
    fault: Fault,
    /// Requests its filters matched, for `every`.
    matched: AtomicU64,
    /// Requests it was applied to.
    applied: AtomicU64,
}

impl FaultTable {
    fn new(faults: Vec<Fault>, seed: u64) -> FaultTable {
        FaultTable {
            by_items: faults
                .iter()
                .any(|f| f.address_range().is_some() || f.quantity().is_some()),
            armed: faults
                .into_iter()
                .map(|fault| Armed {
                    fault,
                    matched: AtomicU64::new(0),
                    applied: AtomicU64::new(0),
                })
                .collect(),
            rng: Mutex::new(Rng::seeded(seed)),
        }
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, Rng> {
        self.rng.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Random bytes, for an answer of garbage.
    pub(crate) fn fill_random(&self, bytes: &mut [u8]) {
        self.rng().fill(bytes);
    }
}

/// A connection's view of its slave's faults.
pub(crate) struct Faults {
    switch: Arc<FaultSwitch>,
    generation: u64,
    table: Arc<FaultTable>,
}

/// A fault that hit a request: which one (its index in the slave's list), and what it
/// does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Struck {
    pub(crate) index: usize,
    pub(crate) action: FaultAction,
}

impl Faults {
    pub(crate) fn new(switch: Arc<FaultSwitch>) -> Faults {
        let generation = switch.generation.load(Ordering::Acquire);
        let table = switch.table();
        Faults {
            switch,
            generation,
            table,
        }
    }

    /// The table the next answer draws from.
    pub(crate) fn table(&self) -> &FaultTable {
        &self.table
    }

    /// The fault that hits `request`, if one does: the faults are tried in order, each
    /// whose filters match counts the request, and the first that hits applies (logged
    /// at debug with `peer`, counted). A fault that cannot apply on the request's link
    /// (a CRC on Modbus/TCP, a transaction id on RTU) is skipped.
    pub(crate) fn hit(
        &mut self,
        request: &Incoming<'_>,
        peer: &dyn fmt::Display,
    ) -> Option<Struck> {
        let generation = self.switch.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.table = self.switch.table();
            self.generation = generation;
        }
        let table = &*self.table;
        if table.armed.is_empty() {
            return None;
        }
        let touched = table.by_items.then(|| Touched::of(request));
        let mbap = request.transaction_id.is_some();
        for (index, armed) in table.armed.iter().enumerate() {
            let fault = &armed.fault;
            if !fault.action().applies(mbap) || !matching::matches(fault, request, touched.as_ref())
            {
                continue;
            }
            let nth = armed.matched.fetch_add(1, Ordering::Relaxed) + 1;
            let hits = match fault.hit() {
                Hit::Every(n) => nth.is_multiple_of(u64::from(n.max(1))),
                Hit::Probability(p) => table.rng().unit() < p,
            };
            if hits {
                armed.applied.fetch_add(1, Ordering::Relaxed);
                let action = fault.action();
                tracing::debug!(
                    %peer, fault = index + 1, action = action.name(), unit = request.unit,
                    function = request.pdu.first().copied().unwrap_or(0),
                    "fault applied: {fault}"
                );
                return Some(Struck { index, action });
            }
        }
        None
    }
}

#[cfg(test)]
mod served_tests;
#[cfg(test)]
mod tests;
