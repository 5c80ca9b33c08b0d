//! The sync rule (docs/architecture.md, "Master: the sync rule"), over a memory's state.
//!
//! A local write stamps its items with the write counter and marks them dirty. Sending a
//! write takes the dirty items and clears their marks; losing it marks them again unless
//! a newer write did. Sending a read remembers the counter and which items were dirty;
//! its response overwrites an item only if nothing was written locally since.

use std::time::Instant;

use crate::memory::{Area, Origin, Peer, State, Subscribers, WHOLE};

use super::planner::{Block, cut, write_limit};

/// Items per read block at most (2000 bits), as 64-bit words.
const TICKET_WORDS: usize = 2000usize.div_ceil(64);

/// What a read remembers when it is sent.
#[derive(Clone, Debug)]
pub(crate) struct ReadTicket {
    /// The write counter when the read was sent.
    pub(crate) sent_at: u64,
    /// Items of the block that were dirty when the read was sent.
    dirty: [u64; TICKET_WORDS],
}

impl ReadTicket {
    /// Keeps `count` items from `rel` (relative to the block) from being overwritten by
    /// the response: a write of them is in flight, and if it fails the local value must
    /// survive to be sent again.
    pub(crate) fn protect(&mut self, rel: usize, count: usize) {
        for i in rel..rel + count {
            if let Some(w) = self.dirty.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
        }
    }

    fn was_dirty(&self, i: usize) -> bool {
        self.dirty
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

/// Takes the ticket for a read of `block`, to be sent now.
pub(crate) fn begin_read(st: &State, block: Block) -> ReadTicket {
    let mut dirty = [0u64; TICKET_WORDS];
    let end = block.index + block.count;
    let mut next = st.next_dirty(block.area, block.index);
    while let Some(i) = next.filter(|&i| i < end) {
        let rel = i - block.index;
        if let Some(w) = dirty.get_mut(rel / 64) {
            *w |= 1 << (rel % 64);
        }
        next = st.next_dirty(block.area, i + 1);
    }
    ReadTicket {
        sent_at: st.generation(),
        dirty,
    }
}

/// Applies a read response to `block` under the sync rule, read at `now`, then reports
/// each run of items whose value or quality changed as a remote change. `data` is the
/// response's register bytes or packed bits. Returns how many items changed value.
pub(crate) fn apply_read(
    st: &mut State,
    block: Block,
    data: &[u8],
    ticket: &ReadTicket,
    peer: Peer,
    now: Instant,
) -> usize {
    // First the sync rule's verdict and the quality, per item, from the tracks...
    let mut keep_local = [0u64; TICKET_WORDS];
    let mut quality_changed = [0u64; TICKET_WORDS];
    for rel in 0..block.count.min(TICKET_WORDS * 64) {
        let i = block.index + rel;
        let newer_locally = st.stamp(block.area, i) > ticket.sent_at
            || ticket.was_dirty(rel)
            || st.is_dirty(block.area, i);
        if newer_locally {
            keep_local[rel / 64] |= 1 << (rel % 64);
        }
        if st.read_good(block.area, i, now) {
            quality_changed[rel / 64] |= 1 << (rel % 64);
        }
    }
    // ...then the data, reporting runs of changed items.
    let (area, subscribers) = st.area_and_subscribers(block.area);
    let start = usize::from(area.start);
    let mut changed = 0;
    let mut run: Option<(usize, usize)> = None;
    let is = |set: &[u64; TICKET_WORDS], rel: usize| set[rel / 64] >> (rel % 64) & 1 == 1;
    for rel in 0..block.count.min(TICKET_WORDS * 64) {
        let i = block.index + rel;
        let differs = if is(&keep_local, rel) {
            false
        } else if block.area.is_bits() {
            let v = data.get(rel / 8).is_some_and(|b| b >> (rel % 8) & 1 == 1);
            let differs = area.bit(i) != v;
            area.set_bit(i, v);
            differs
        } else {
            let Some(src) = data.get(rel * 2..rel * 2 + 2) else {
                break;
            };
            let dst = area.registers_mut(i, 1);
            let differs = dst != src;
            dst.copy_from_slice(src);
            differs
        };
        if differs {
            changed += 1;
        }
        if differs || is(&quality_changed, rel) {
            run = Some(match run {
                Some((s, n)) if s + n == i => (s, n + 1),
                Some((s, n)) => {
                    report(subscribers, block.area, start + s, n, peer);
                    (i, 1)
                }
                None => (i, 1),
            });
        }
    }
    if let Some((s, n)) = run {
        report(subscribers, block.area, start + s, n, peer);
    }
    changed
}

fn report(subscribers: &mut Subscribers, area: Area, address: usize, count: usize, peer: Peer) {
    subscribers.publish(
        area,
        address as u16,
        count as u16,
        WHOLE,
        Origin::Remote(peer),
    );
}

/// A write taken from the dirty marks, to be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteTicket {
    pub(crate) block: Block,
    /// The write counter when the write was sent.
    pub(crate) sent_at: u64,
    /// The oldest stamp among its items: the write confirms every local write up to here.
    pub(crate) oldest: u64,
    /// The bits written, for a mask write (FC22) of one register; `WHOLE` otherwise.
    pub(crate) mask: u16,
}

impl WriteTicket {
    /// True for a write of some bits of one register (FC22).
    pub(crate) fn is_masked(&self) -> bool {
        self.mask != WHOLE
    }
}

/// Takes the first run of dirty items of `area`, at most one write request long and cut
/// between variables, clears their marks and copies their values into `out` (register
/// bytes, or bits packed LSB-first). `out` must hold a full write. With `mask_writes`, a
/// register of which only some bits were written goes alone, as a mask write.
pub(crate) fn take_dirty(
    st: &mut State,
    area: Area,
    out: &mut [u8],
    mask_writes: bool,
) -> Option<WriteTicket> {
    let sent_at = st.generation();
    let first = st.next_dirty(area, 0)?;
    let partial = |st: &State, i: usize| {
        let m = st.dirty_mask(area, i);
        mask_writes && m != WHOLE && m != 0
    };
    let size = st.area(area).size as usize;
    let (end, mask) = if partial(st, first) {
        (first + 1, st.dirty_mask(area, first))
    } else {
        let mut end = first + 1;
        let limit = (first + write_limit(area)).min(size);
        while end < limit && st.is_dirty(area, end) && !partial(st, end) {
            end += 1;
        }
        if end == limit && end < size {
            end = cut(st.spans(), area, first, end);
        }
        (end, WHOLE)
    };
    let block = Block {
        area,
        index: first,
        count: end - first,
    };
    let data = st.area(area);
    if area.is_bits() {
        data.read_bits(first, block.count, out);
    } else {
        out[..block.count * 2].copy_from_slice(data.registers(first, block.count));
    }
    let oldest = st.take_dirty(area, first, block.count);
    Some(WriteTicket {
        block,
        sent_at,
        oldest,
        mask,
    })
}

/// A write was lost (timeout, connection dropped, a transient refusal): mark its items
/// dirty again, except those a newer local write has stamped (they are dirty already,
/// with the newer value).
pub(crate) fn write_lost(st: &mut State, ticket: &WriteTicket) {
    let b = ticket.block;
    st.write_lost(b.area, b.index, b.count, ticket.sent_at, ticket.mask);
}

/// True if some item of a writable area written locally at or before `generation` is
/// still waiting to be sent.
pub(crate) fn unsent_since(st: &State, generation: u64) -> bool {
    [Area::Coil, Area::Holding].into_iter().any(|area| {
        let mut next = st.next_dirty(area, 0);
        while let Some(i) = next {
            if st.stamp(area, i) <= generation {
                return true;
            }
            next = st.next_dirty(area, i + 1);
        }
        false
    })
}

#[cfg(test)]
mod tests;
