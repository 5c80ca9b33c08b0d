//! The memory's interface to the master that keeps it in sync (its synchroniser).
//!
//! A memory tracks, per item, what a master needs to apply the sync rule
//! (docs/architecture.md, "Master: the sync rule") and what a program needs to trust a
//! value: the stamp of the last local write (from the memory's write counter), a dirty
//! mark (written, not yet sent), which bits of a register were written (for mask
//! writes), whether the slave has confirmed it, and, while a master keeps the memory,
//! when it was last read good, why its last read failed and whether a write of it was
//! refused. The fields are private: the master changes them only through these methods,
//! all of which run under the memory's lock.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use super::area::BitSet;
use super::quality::{BlockError, Quality};
use super::{Area, Span, State};

/// What wakes the master when a local write is waiting to be sent.
pub(crate) type Waker = Arc<dyn Fn() + Send + Sync>;

/// Every mask bit: the whole register was written.
pub(crate) const WHOLE: u16 = 0xFFFF;

/// Sync bookkeeping of a memory.
pub(crate) struct SyncState {
    /// The write counter: the last value handed to a local write.
    generation: u64,
    /// Declared variables' items, for the master's block planner.
    spans: BTreeSet<Span>,
    /// Set while a master keeps this memory.
    waker: Option<Waker>,
    /// True while the master has no fresh copy of the slave's data.
    stale: bool,
    /// When the connection was last lost: items read before then are stale.
    lost_at: Option<Instant>,
    areas: [ItemTracks; 4],
}

/// Per-item tracks of one area.
struct ItemTracks {
    stamps: Vec<u64>,
    dirty: BitSet,
    /// Holding registers only: the bits of each dirty register written locally.
    masks: Vec<u16>,
    /// Written locally, not yet confirmed by the slave.
    unconfirmed: BitSet,
    /// The rest exists while a master keeps the memory.
    kept: Option<Kept>,
}

struct Kept {
    read_at: Vec<Option<Instant>>,
    fault: Vec<Option<Arc<BlockError>>>,
    refused: Vec<Option<Arc<BlockError>>>,
}

impl ItemTracks {
    fn new(area: Area, size: usize) -> ItemTracks {
        ItemTracks {
            stamps: vec![0; size],
            dirty: BitSet::new(size),
            masks: if area == Area::Holding {
                vec![0; size]
            } else {
                Vec::new()
            },
            unconfirmed: BitSet::new(size),
            kept: None,
        }
    }

    fn item_quality(&self, i: usize, lost_at: Option<Instant>) -> Quality {
        let Some(k) = &self.kept else {
            return Quality::Good { last_read: None };
        };
        if let Some(e) = &k.fault[i] {
            return Quality::Bad((**e).clone());
        }
        match (k.read_at[i], lost_at) {
            (None, _) => Quality::NotRead,
            (Some(read), Some(lost)) if read <= lost => Quality::Stale {
                since: lost,
                last_good: read,
            },
            (Some(read), _) => Quality::Good {
                last_read: Some(read),
            },
        }
    }
}

impl SyncState {
    pub(crate) fn new(sizes: [usize; 4]) -> SyncState {
        SyncState {
            generation: 0,
            spans: BTreeSet::new(),
            waker: None,
            stale: false,
            lost_at: None,
            areas: [
                ItemTracks::new(Area::Coil, sizes[0]),
                ItemTracks::new(Area::Discrete, sizes[1]),
                ItemTracks::new(Area::Input, sizes[2]),
                ItemTracks::new(Area::Holding, sizes[3]),
            ],
        }
    }

    pub(crate) fn declare(&mut self, span: Span) {
        self.spans.insert(span);
    }

    fn tracks(&self, area: Area) -> &ItemTracks {
        &self.areas[area.index()]
    }

    fn tracks_mut(&mut self, area: Area) -> &mut ItemTracks {
        &mut self.areas[area.index()]
    }
}

/// The synchroniser's API: every method runs under the memory's lock.
impl State {
    // ---- attachment --------------------------------------------------------------

    /// Makes a master the keeper of this memory; false if one already is. The memory
    /// starts stale and every item not read.
    pub(crate) fn attach(&mut self, waker: Waker) -> bool {
        if self.sync.waker.is_some() {
            return false;
        }
        self.sync.waker = Some(waker);
        self.sync.stale = true;
        for t in &mut self.sync.areas {
            let n = t.stamps.len();
            t.kept = Some(Kept {
                read_at: vec![None; n],
                fault: vec![None; n],
                refused: vec![None; n],
            });
        }
        true
    }

    /// The master let go: the memory is its own again (always good).
    pub(crate) fn detach(&mut self) {
        self.sync.waker = None;
        self.sync.stale = false;
        self.sync.lost_at = None;
        for t in &mut self.sync.areas {
            t.kept = None;
        }
    }

    /// True while a master keeps this memory.
    pub(crate) fn is_attached(&self) -> bool {
        self.sync.waker.is_some()
    }

    // ---- local writes ------------------------------------------------------------

    /// The write counter: the stamp of the latest local write.
    pub(crate) fn generation(&self) -> u64 {
        self.sync.generation
    }

    /// Declared variables' items.
    pub(crate) fn spans(&self) -> &BTreeSet<Span> {
        &self.sync.spans
    }

    /// Records a write made on behalf of the program or of a peer of the slave: stamps
    /// the items (while a master keeps the memory), marks them dirty (`mask`: the bits
    /// written, for a register), and wakes the master.
    ///
    /// Stamps order a write against the master's requests in flight. With no master
    /// there are none, and a write made before one attaches is older than every request
    /// it will send, which the stamp left from before (0, or older than anything it
    /// sends) says already. Not stamping then spares a slave most of what a write of
    /// registers touches: 8 bytes per register, against 2 for the value.
    pub(crate) fn stamp_write(&mut self, area: Area, index: usize, count: usize, mask: u16) {
        self.sync.generation += 1;
        let generation = self.sync.generation;
        let attached = self.sync.waker.is_some();
        let t = self.sync.tracks_mut(area);
        let end = (index + count).min(t.stamps.len());
        if attached {
            t.stamps[index..end].fill(generation);
        }
        t.dirty.set_range(index, count);
        t.unconfirmed.set_range(index, count);
        if let Some(m) = t.masks.get_mut(index..end) {
            m.iter_mut().for_each(|m| *m |= mask);
        }
        if let Some(wake) = &self.sync.waker {
            wake();
        }
    }

    /// The first dirty item of `area` at or after `from`.
    pub(crate) fn next_dirty(&self, area: Area, from: usize) -> Option<usize> {
        self.sync.tracks(area).dirty.next_set(from)
    }

    /// True if item `i` is dirty.
    pub(crate) fn is_dirty(&self, area: Area, i: usize) -> bool {
        self.sync.tracks(area).dirty.contains(i)
    }

    /// The stamp of the last local write of item `i`.
    pub(crate) fn stamp(&self, area: Area, i: usize) -> u64 {
        self.sync.tracks(area).stamps.get(i).copied().unwrap_or(0)
    }

    /// The bits of register `i` written locally since it was last sent (`WHOLE` for a
    /// whole register, and for bit areas).
    pub(crate) fn dirty_mask(&self, area: Area, i: usize) -> u16 {
        self.sync
            .tracks(area)
            .masks
            .get(i)
            .copied()
            .unwrap_or(WHOLE)
    }

    /// Takes `count` dirty items from `index` to be sent: clears their marks, returns the
    /// oldest stamp among them.
    pub(crate) fn take_dirty(&mut self, area: Area, index: usize, count: usize) -> u64 {
        let t = self.sync.tracks_mut(area);
        t.dirty.clear_range(index, count);
        let end = (index + count).min(t.stamps.len());
        if let Some(m) = t.masks.get_mut(index..end) {
            m.fill(0);
        }
        t.stamps[index..end].iter().copied().min().unwrap_or(0)
    }

    /// A write of `count` items from `index`, sent at counter `sent_at`, was lost: the
    /// items not written locally since are dirty again (with `mask`, for a register).
    pub(crate) fn write_lost(
        &mut self,
        area: Area,
        index: usize,
        count: usize,
        sent_at: u64,
        mask: u16,
    ) {
        let t = self.sync.tracks_mut(area);
        for i in index..(index + count).min(t.stamps.len()) {
            if t.stamps[i] <= sent_at {
                t.dirty.insert(i);
                if let Some(m) = t.masks.get_mut(i) {
                    *m |= mask;
                }
            } else if let Some(m) = t.masks.get_mut(i) {
                // A newer write of some bits is dirty already; the lost bits go with it.
                *m |= mask;
            }
        }
    }

    /// The slave confirmed a write sent at counter `sent_at`: its items not written
    /// since are confirmed, and an earlier refusal of them is over.
    pub(crate) fn write_confirmed(&mut self, area: Area, index: usize, count: usize, sent_at: u64) {
        let t = self.sync.tracks_mut(area);
        for i in index..(index + count).min(t.stamps.len()) {
            if t.stamps[i] <= sent_at {
                t.unconfirmed.remove(i);
            }
            if let Some(k) = &mut t.kept {
                k.refused[i] = None;
            }
        }
    }

    /// The slave refused a write of these items (not retried): they hold the refused
    /// value until the next read, and the refusal stays visible until a later write of
    /// them is confirmed.
    pub(crate) fn write_refused(&mut self, area: Area, index: usize, count: usize, e: &BlockError) {
        let t = self.sync.tracks_mut(area);
        let e = Arc::new(e.clone());
        for i in index..(index + count).min(t.stamps.len()) {
            t.unconfirmed.remove(i);
            if let Some(k) = &mut t.kept {
                k.refused[i] = Some(e.clone());
            }
        }
    }

    /// Forgets dirty marks a master can never send (input areas, written by the program
    /// before the memory was attached to a master).
    pub(crate) fn clear_read_only_marks(&mut self) {
        for area in [Area::Discrete, Area::Input] {
            let t = self.sync.tracks_mut(area);
            let n = t.stamps.len();
            t.dirty.clear_range(0, n);
            t.unconfirmed.clear_range(0, n);
        }
    }

    // ---- reads and quality -------------------------------------------------------

    /// Item `i` was read good at `now`; true if its quality changed.
    pub(crate) fn read_good(&mut self, area: Area, i: usize, now: Instant) -> bool {
        let lost_at = self.sync.lost_at;
        let Some(k) = &mut self.sync.tracks_mut(area).kept else {
            return false;
        };
        let was_good =
            k.fault[i].is_none() && k.read_at[i].is_some_and(|r| lost_at.is_none_or(|l| r > l));
        k.fault[i] = None;
        k.read_at[i] = Some(now);
        !was_good
    }

    /// The read of `count` items from `index` failed with `e`; the range of items whose
    /// quality changed, if any.
    pub(crate) fn read_failed(
        &mut self,
        area: Area,
        index: usize,
        count: usize,
        e: &BlockError,
    ) -> Option<(usize, usize)> {
        let Some(k) = &mut self.sync.tracks_mut(area).kept else {
            return None;
        };
        let end = (index + count).min(k.fault.len());
        let changed = k.fault[index..end].iter().any(|f| f.as_deref() != Some(e));
        if !changed {
            return None;
        }
        let e = Arc::new(e.clone());
        k.fault[index..end].fill(Some(e));
        Some((index, end - index))
    }

    /// Marks the memory stale (connection lost at `now`) or fresh again. Items read
    /// before a loss become stale; their faults, which belonged to the lost connection,
    /// are forgotten. Returns, per area, the range of items whose quality changed.
    pub(crate) fn set_stale(&mut self, stale: bool, now: Instant) -> Vec<(Area, usize, usize)> {
        let was = self.sync.stale;
        self.sync.stale = stale;
        if !stale || was && self.sync.lost_at.is_some() {
            return Vec::new();
        }
        let lost_before = self.sync.lost_at;
        self.sync.lost_at = Some(now);
        let mut changed = Vec::new();
        for area in Area::ALL {
            let Some(k) = &mut self.sync.tracks_mut(area).kept else {
                continue;
            };
            let mut range: Option<(usize, usize)> = None;
            for i in 0..k.read_at.len() {
                let was_good = k.fault[i].is_none()
                    && k.read_at[i].is_some_and(|r| lost_before.is_none_or(|l| r > l));
                let had_fault = k.fault[i].take().is_some();
                if was_good || had_fault {
                    range = Some(range.map_or((i, i + 1), |(s, _)| (s, i + 1)));
                }
            }
            if let Some((s, e)) = range {
                changed.push((area, s, e - s));
            }
        }
        changed
    }

    /// True while the master has no fresh copy of the slave's data.
    pub(crate) fn is_stale(&self) -> bool {
        self.sync.stale
    }

    /// The quality of `count` items from `index`: the worst of theirs.
    pub(crate) fn quality(&self, area: Area, index: usize, count: usize) -> Quality {
        let t = self.sync.tracks(area);
        let mut worst = Quality::Good { last_read: None };
        let mut first = true;
        for i in index..(index + count).min(t.stamps.len()) {
            let q = t.item_quality(i, self.sync.lost_at);
            let replace = first
                || q.rank() > worst.rank()
                || matches!((&q, &worst), (Quality::Good { last_read: Some(a) }, Quality::Good { last_read: Some(b) }) if a < b);
            if replace {
                worst = q;
            }
            first = false;
        }
        worst
    }

    /// True if some of these items were written locally and not yet confirmed by the
    /// slave (always false for a memory no master keeps).
    pub(crate) fn pending(&self, area: Area, index: usize, count: usize) -> bool {
        let t = self.sync.tracks(area);
        t.kept.is_some()
            && (index..index + count).any(|i| t.dirty.contains(i) || t.unconfirmed.contains(i))
    }

    /// The refusal of the last write of these items, if it stands.
    pub(crate) fn refused(&self, area: Area, index: usize, count: usize) -> Option<BlockError> {
        let k = self.sync.tracks(area).kept.as_ref()?;
        k.refused
            .get(index..(index + count).min(k.refused.len()))?
            .iter()
            .find_map(|r| r.as_deref().cloned())
    }
}
