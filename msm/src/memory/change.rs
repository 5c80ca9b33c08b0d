//! Change notification: who changed which items, delivered to every subscriber.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use super::counted::Counted;
use super::{Area, Shared};

/// One change to memory: which items, and who made it.
///
/// A subscriber also learns when it was made and which bits it wrote:
/// [`Subscription::try_recv_stamped`] and its siblings give a [`Stamped`] change.
///
/// ```
/// use msm::{Area, Change, Memory, Origin, Var};
/// let mem = Memory::new(8);
/// let mut changes = mem.subscribe();
/// let total: Var<u32> = mem.holding(4)?;
/// total.set(1)?;
/// let c = changes.try_recv()?.expect("one change");
/// assert_eq!(c, Change { area: Area::Holding, address: 4, count: 2, origin: Origin::Local });
/// assert!(total.touched_by(&c));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// The area written.
    pub area: Area,
    /// First address written.
    pub address: u16,
    /// Number of items (registers or bits) written.
    pub count: u16,
    /// Who wrote them.
    pub origin: Origin,
}

impl Change {
    /// A change of `count` items from `address`.
    ///
    /// ```
    /// use msm::{Area, Change, Origin};
    /// let c = Change::new(Area::Coil, 3, 2, Origin::Local);
    /// assert_eq!((c.address, c.count), (3, 2));
    /// ```
    pub fn new(area: Area, address: u16, count: u16, origin: Origin) -> Change {
        Change {
            area,
            address,
            count,
            origin,
        }
    }

    /// True if this change touches any of `count` items from `address` in `area`.
    ///
    /// ```
    /// use msm::{Area, Change, Origin};
    /// let c = Change::new(Area::Holding, 10, 2, Origin::Local);
    /// assert!(c.overlaps(Area::Holding, 11, 4));
    /// assert!(!c.overlaps(Area::Holding, 12, 1));
    /// assert!(!c.overlaps(Area::Input, 10, 1));
    /// ```
    pub fn overlaps(&self, area: Area, address: u16, count: u16) -> bool {
        let (a0, a1) = (
            u32::from(self.address),
            u32::from(self.address) + u32::from(self.count),
        );
        let (b0, b1) = (u32::from(address), u32::from(address) + u32::from(count));
        self.area == area && a0 < b1 && b0 < a1
    }
}

/// A change as its subscribers receive it: the [`Change`], which bits of it were
/// written, and when it was made. It dereferences to the change.
///
/// ```
/// use msm::{Area, Memory, Origin, Var};
/// let mem = Memory::new(8);
/// let mut changes = mem.subscribe();
/// let step: Var<u8> = mem.holding_byte(5, msm::Byte::High)?;
/// step.set(3)?;
/// let c = changes.try_recv_stamped()?.expect("one change");
/// assert_eq!((c.area, c.address, c.count, c.origin), (Area::Holding, 5, 1, Origin::Local));
/// assert_eq!(c.mask, 0xFF00);                       // the high byte only
/// assert!(c.time <= std::time::SystemTime::now());
/// assert!(step.touched_by(&c));
/// assert!(!mem.holding_byte::<u8>(5, msm::Byte::Low)?.touched_by(&c)); // left alone
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stamped {
    /// Which items, and who.
    pub change: Change,
    /// The bits written, for a write of some bits of one register (a mask write, FC22,
    /// or a bit or byte variable's `set`): a variable on other bits of the register was
    /// left alone. `0xFFFF` for whole registers, and in the bit areas.
    pub mask: u16,
    /// When the change was made (wall-clock time), read once under the memory's lock the
    /// change was made under: every subscriber sees the same time.
    pub time: SystemTime,
    /// `Some(n)`: records of file `n` were written (FC21, or [`File`](crate::memory::File)'s
    /// writes), `address` being the first record and `count` how many; `area` is then
    /// [`Area::Holding`] (records are 16-bit words) but no holding register changed.
    /// Only the subscriptions that asked for files get these
    /// ([`Subscription::with_files`]). `None` for every change of the four areas.
    pub file: Option<u16>,
}

impl Stamped {
    /// True if this change wrote any of the bits `mask` of the `count` items from
    /// `address` in `area` (`mask` as in [`mask`](Self::mask): `0xFFFF` for whole items).
    ///
    /// ```
    /// use msm::{Area, Memory, Var};
    /// let mem = Memory::new(8);
    /// let mut changes = mem.subscribe();
    /// mem.holding_byte::<u8>(5, msm::Byte::High)?.set(1)?;
    /// let c = changes.try_recv_stamped()?.expect("one change");
    /// assert!(c.touches(Area::Holding, 5, 1, 0x0100));
    /// assert!(!c.touches(Area::Holding, 5, 1, 0x00FF)); // the low byte was left alone
    /// assert!(c.touches(Area::Holding, 4, 2, 0xFFFF));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touches(&self, area: Area, address: u16, count: u16, mask: u16) -> bool {
        self.file.is_none() && self.change.overlaps(area, address, count) && self.mask & mask != 0
    }
}

impl std::ops::Deref for Stamped {
    type Target = Change;
    fn deref(&self) -> &Change {
        &self.change
    }
}

/// A change a variable can be asked about ([`Var::touched_by`](crate::Var::touched_by)):
/// a [`Change`] (its items) or a [`Stamped`] change (its items and bits). Sealed.
pub trait AnyChange: sealed::Sealed {
    /// True if the change wrote any of the bits `mask` of the `count` items from
    /// `address` in `area`; a plain [`Change`] says so for any bits of its items.
    fn touches(&self, area: Area, address: u16, count: u16, mask: u16) -> bool;
}

impl AnyChange for Change {
    fn touches(&self, area: Area, address: u16, count: u16, _mask: u16) -> bool {
        self.overlaps(area, address, count)
    }
}

impl AnyChange for Stamped {
    fn touches(&self, area: Area, address: u16, count: u16, mask: u16) -> bool {
        Stamped::touches(self, area, address, count, mask)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Change {}
    impl Sealed for super::Stamped {}
}

/// Who made a change.
///
/// ```
/// use msm::{Master, Memory, Origin, Peer, Slave};
/// use std::time::Duration;
/// let served = Memory::new(4);
/// let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
/// let mut changes = served.subscribe();
/// let mine = Memory::new(4);
/// let master = Master::tcp(slave.local_addr()).start(mine.clone())?;
/// mine.holding::<u16>(0)?.set(7)?;         // a local change here...
/// master.flush()?;
/// let c = changes.recv_timeout(Duration::from_secs(5))?;
/// assert!(matches!(c.origin, Origin::Remote(Peer::Tcp(_)))); // ...a remote one there
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The program itself, through a [`Var`](crate::Var).
    Local,
    /// A Modbus peer: a master writing to our slave, or the slave our master reads from.
    Remote(Peer),
}

impl Origin {
    /// True for changes made by a Modbus peer.
    ///
    /// ```
    /// use msm::{Origin, Peer};
    /// assert!(!Origin::Local.is_remote());
    /// let from_line = Origin::Remote(Peer::Serial { unit: 3 });
    /// assert!(from_line.is_remote());
    /// assert_eq!(from_line.to_string(), "remote serial unit 3");
    /// ```
    pub fn is_remote(&self) -> bool {
        matches!(self, Origin::Remote(_))
    }
}

/// The Modbus peer behind a remote change.
///
/// ```
/// use msm::Peer;
/// let plc = Peer::Tcp("192.168.0.10:50123".parse()?);
/// assert_eq!(plc.to_string(), "192.168.0.10:50123");
/// assert_eq!(Peer::Serial { unit: 17 }.to_string(), "serial unit 17");
/// assert_eq!(Peer::Udp("10.0.0.5:40000".parse()?).to_string(), "10.0.0.5:40000 (UDP)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A peer on a TCP connection.
    Tcp(SocketAddr),
    /// A unit on a serial line.
    Serial {
        /// The unit (slave) address on the line.
        unit: u8,
    },
    /// A peer that sent a UDP datagram (Modbus/UDP).
    Udp(SocketAddr),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(addr) => write!(f, "{addr}"),
            Peer::Serial { unit } => write!(f, "serial unit {unit}"),
            Peer::Udp(addr) => write!(f, "{addr} (UDP)"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Local => f.write_str("local"),
            Origin::Remote(peer) => write!(f, "remote {peer}"),
        }
    }
}

/// A subscriber fell behind and `0` changes were dropped (the oldest first).
///
/// ```
/// use msm::{Lagged, Memory};
/// let mem = Memory::new(1);
/// let mut changes = mem.subscribe_with_capacity(1);
/// let v = mem.holding::<u16>(0)?;
/// v.set(1)?;
/// v.set(2)?;
/// let lag = changes.try_recv().unwrap_err();
/// assert_eq!(lag, Lagged(1));
/// assert!(lag.to_string().contains("missed 1 change"));
/// assert!(changes.try_recv()?.is_some()); // the stream goes on
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the subscriber fell behind and missed {0} change(s): read faster or subscribe with a larger capacity"
)]
pub struct Lagged(pub u64);

/// Why a blocking receive returned without a change.
///
/// ```
/// use msm::{Lagged, Memory, RecvTimeoutError};
/// use std::time::Duration;
/// let mem = Memory::new(1);
/// let mut changes = mem.subscribe_with_capacity(1);
/// let wait = Duration::from_millis(1);
/// assert_eq!(changes.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
/// let v = mem.holding::<u16>(0)?;
/// v.set(1)?;
/// v.set(2)?;
/// assert_eq!(changes.recv_timeout(wait), Err(RecvTimeoutError::Lagged(Lagged(1))));
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecvTimeoutError {
    /// No change arrived before the deadline.
    #[error("no change within the timeout")]
    Timeout,
    /// Changes were dropped because the subscriber fell behind.
    #[error(transparent)]
    Lagged(#[from] Lagged),
}

struct Queue {
    inner: Mutex<QueueInner>,
    ready: Condvar,
    capacity: usize,
}

struct QueueInner {
    events: VecDeque<Stamped>,
    lagged: u64,
    /// Threads blocked in `recv_timeout`: the condvar is only signalled for them (a
    /// signal is a system call, paid per change otherwise).
    blocked: usize,
    /// The task awaiting [`Subscription::recv`], if one found the queue empty: a plain
    /// std waker, so that the memory holds no runtime's type.
    waker: Option<Waker>,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, change: Stamped) {
        let mut q = self.lock();
        // Only a queue that was empty can have a reader waiting for it: one that is not
        // will find this change when it next looks (waking is paid per change otherwise).
        let was_empty = q.events.is_empty() && q.lagged == 0;
        if q.events.len() >= self.capacity {
            q.events.pop_front();
            q.lagged += 1;
        }
        q.events.push_back(change);
        let blocked = q.blocked > 0;
        let waker = if was_empty { q.waker.take() } else { None };
        drop(q);
        if blocked {
            self.ready.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn take(&self, q: &mut QueueInner) -> Option<Result<Stamped, Lagged>> {
        if q.lagged > 0 {
            let n = std::mem::take(&mut q.lagged);
            return Some(Err(Lagged(n)));
        }
        q.events.pop_front().map(Ok)
    }
}

/// The set of live subscriptions of one memory.
///
/// The queues are held strongly; one that no [`Subscription`] holds any more is dropped.
/// Checking that is a plain read, where upgrading a weak reference would be two atomic
/// writes per change and subscriber, under the memory's lock.
#[derive(Default)]
pub(crate) struct Subscribers {
    entries: Vec<Entry>,
}

struct Entry {
    queue: Arc<Queue>,
    /// The subscription also takes the changes of file records.
    files: bool,
    /// Set while the subscription is paused: its changes are counted here, under the
    /// memory's lock, instead of queued.
    paused: Option<Counted>,
}

impl Entry {
    fn is_live(&self) -> bool {
        Arc::strong_count(&self.queue) > 1
    }
}

impl Subscribers {
    pub(super) fn add(&mut self, capacity: usize, memory: Weak<Shared>) -> Subscription {
        self.entries.retain(Entry::is_live);
        let queue = Arc::new(Queue {
            inner: Mutex::new(QueueInner {
                events: VecDeque::new(),
                lagged: 0,
                blocked: 0,
                waker: None,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        });
        self.entries.push(Entry {
            queue: Arc::clone(&queue),
            files: false,
            paused: None,
        });
        Subscription { queue, memory }
    }

    fn entry(&mut self, queue: &Arc<Queue>) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .find(|e| Arc::ptr_eq(&e.queue, queue))
    }

    /// Live subscriptions, as of the last change or subscription.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The changes each subscription holds.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> Vec<usize> {
        self.entries
            .iter()
            .map(|e| e.queue.lock().events.len())
            .collect()
    }

    /// Tells every subscription of a change of `count` items from `address` (bits
    /// `mask` of them), made now: the time is read once, and only when a subscription
    /// queues the change.
    pub(crate) fn publish(
        &mut self,
        area: Area,
        address: u16,
        count: u16,
        mask: u16,
        origin: Origin,
    ) {
        self.publish_to(Change::new(area, address, count, origin), mask, None);
    }

    /// Tells the subscriptions that take files of a write of `count` records of `file`
    /// from `record`.
    pub(crate) fn publish_file(&mut self, file: u16, record: u16, count: u16, origin: Origin) {
        let change = Change::new(Area::Holding, record, count, origin);
        self.publish_to(change, super::WHOLE, Some(file));
    }

    fn publish_to(&mut self, change: Change, mask: u16, file: Option<u16>) {
        let mut dead = false;
        let mut stamped: Option<Stamped> = None;
        for e in &mut self.entries {
            if !e.is_live() {
                dead = true;
            } else if file.is_some() && !e.files {
                // A subscription that did not ask for files never sees them.
            } else if let Some(counted) = &mut e.paused {
                counted.add(change.origin);
            } else {
                let stamped = *stamped.get_or_insert_with(|| Stamped {
                    change,
                    mask,
                    time: SystemTime::now(),
                    file,
                });
                e.queue.push(stamped);
            }
        }
        if dead {
            self.entries.retain(Entry::is_live);
        }
    }
}

/// A stream of every [`Change`] made to a memory after the subscription was taken,
/// in the order the changes were made. Usable from async code and from threads.
///
/// ```
/// use msm::{Area, Memory, Origin, Var};
/// use std::time::Duration;
/// let mem = Memory::new(4);
/// let mut changes = mem.subscribe();
/// let v: Var<u32> = mem.holding(2)?;
/// v.set(7)?;
/// let c = changes.recv_timeout(Duration::from_secs(1)).expect("a change");
/// assert_eq!((c.area, c.address, c.count, c.origin), (Area::Holding, 2, 2, Origin::Local));
/// # Ok::<(), msm::Error>(())
/// ```
pub struct Subscription {
    queue: Arc<Queue>,
    /// To pause and resume, under the memory's lock; the subscription does not keep the
    /// memory alive.
    memory: Weak<Shared>,
}

impl Subscription {
    /// Waits for the next change. `Err(Lagged(n))` says `n` changes were dropped because
    /// the subscriber fell behind; the stream goes on after it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mem = msm::Memory::new(4);
    /// let mut changes = mem.subscribe();
    /// let level = mem.holding::<u16>(2)?;
    /// tokio::spawn(async move { level.set(80) });
    /// let change = changes.recv().await?;
    /// assert_eq!((change.address, change.count), (2, 1));
    /// # Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Result<Change, Lagged> {
        self.recv_stamped().await.map(|s| s.change)
    }

    /// [`recv`](Self::recv), with the bits written and the time of the change.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mem = msm::Memory::new(4);
    /// let mut changes = mem.subscribe();
    /// let level = mem.holding::<u16>(2)?;
    /// tokio::spawn(async move { level.set(80) });
    /// let change = changes.recv_stamped().await?;
    /// assert_eq!((change.address, change.mask), (2, 0xFFFF));
    /// # Ok(()) }
    /// ```
    pub async fn recv_stamped(&mut self) -> Result<Stamped, Lagged> {
        std::future::poll_fn(|cx| {
            let mut q = self.queue.lock();
            match self.queue.take(&mut q) {
                Some(r) => Poll::Ready(r),
                None => {
                    // Checked and registered under one lock: a change pushed after this
                    // finds the waker and wakes it.
                    match &mut q.waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Blocks the thread until the next change or the timeout.
    ///
    /// ```
    /// use msm::{Memory, RecvTimeoutError};
    /// use std::time::Duration;
    /// let mem = Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// let v = mem.holding::<u16>(0)?;
    /// let writer = std::thread::spawn(move || v.set(1));
    /// let c = changes.recv_timeout(Duration::from_secs(5))?;
    /// assert_eq!(c.address, 0);
    /// writer.join().expect("writer thread")?;
    /// assert_eq!(changes.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Change, RecvTimeoutError> {
        self.recv_stamped_timeout(timeout).map(|s| s.change)
    }

    /// [`recv_timeout`](Self::recv_timeout), with the bits written and the time of the
    /// change.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let mem = msm::Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// mem.holding::<u16>(0)?.set(1)?;
    /// let c = changes.recv_stamped_timeout(Duration::from_secs(5))?;
    /// assert!(c.time <= SystemTime::now());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_stamped_timeout(&mut self, timeout: Duration) -> Result<Stamped, RecvTimeoutError> {
        let deadline = crate::time::later(Instant::now(), timeout);
        let mut q = self.queue.lock();
        loop {
            if let Some(r) = self.queue.take(&mut q) {
                return r.map_err(RecvTimeoutError::from);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RecvTimeoutError::Timeout);
            }
            q.blocked += 1;
            q = match self.queue.ready.wait_timeout(q, left) {
                Ok((q, _)) => q,
                Err(e) => e.into_inner().0,
            };
            q.blocked -= 1;
        }
    }

    /// The next change if one is waiting, without blocking.
    ///
    /// ```
    /// let mem = msm::Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// assert_eq!(changes.try_recv(), Ok(None)); // nothing yet, and no waiting
    /// mem.holding::<u16>(0)?.set(5)?;
    /// assert!(changes.try_recv()?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<Option<Change>, Lagged> {
        Ok(self.try_recv_stamped()?.map(|s| s.change))
    }

    /// [`try_recv`](Self::try_recv), with the bits written and the time of the change.
    ///
    /// ```
    /// let mem = msm::Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// mem.holding::<u16>(0)?.set(5)?;
    /// assert_eq!(changes.try_recv_stamped()?.expect("a change").mask, 0xFFFF);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv_stamped(&mut self) -> Result<Option<Stamped>, Lagged> {
        self.queue.take(&mut self.queue.lock()).transpose()
    }

    /// The same subscription, also taking the writes of file records (FC21 and
    /// [`File`](crate::memory::File)'s writes): each comes as a [`Stamped`] change whose `file`
    /// names the file. A subscription takes none unless asked, so that a program that
    /// only knows the four areas never mistakes a record for a holding register.
    ///
    /// ```
    /// use msm::Memory;
    /// let mem = Memory::builder().holding_registers(2).file(5, 10).build()?;
    /// let mut all = mem.subscribe().with_files();
    /// let mut areas = mem.subscribe();
    /// mem.file(5)?.set(9, 1)?;
    /// let c = all.try_recv_stamped()?.expect("the file change");
    /// assert_eq!((c.file, c.address, c.count), (Some(5), 9, 1));
    /// assert!(!mem.holding::<u16>(1)?.touched_by(&c)); // not a holding register
    /// assert_eq!(areas.try_recv()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_files(self) -> Subscription {
        if let Some(shared) = self.memory.upgrade() {
            let mut st = shared.lock();
            if let Some(e) = st.subscribers.entry(&self.queue) {
                e.files = true;
            }
        }
        self
    }

    /// From now on, counts the changes per origin instead of queueing them, until
    /// [`resume`](Self::resume). The changes queued before stay to be received.
    ///
    /// For a reader that wants the details of a few changes and only the amount of the
    /// rest, such as a display refreshed a few times a second: a counted change costs
    /// the writer, who counts it under the memory's lock, much less than a queued one.
    /// While paused, [`recv`](Self::recv) and [`recv_timeout`](Self::recv_timeout) wait
    /// for the changes queued before the pause only. Pausing a paused subscription does
    /// nothing.
    ///
    /// ```
    /// use msm::{Memory, Origin};
    /// let mem = Memory::new(4);
    /// let v = mem.holding::<u16>(0)?;
    /// let mut changes = mem.subscribe();
    /// v.set(1)?;
    /// changes.pause();
    /// v.set(2)?;
    /// v.set(3)?;
    /// assert!(changes.try_recv()?.is_some()); // the change from before the pause
    /// assert_eq!(changes.try_recv()?, None);   // the two after it were counted
    /// assert_eq!(changes.resume().by_origin(), &[(Origin::Local, 2)]);
    /// v.set(4)?;
    /// assert!(changes.try_recv()?.is_some()); // queued again
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pause(&mut self) {
        let Some(shared) = self.memory.upgrade() else {
            return;
        };
        let mut st = shared.lock();
        if let Some(e) = st.subscribers.entry(&self.queue) {
            e.paused.get_or_insert_with(Counted::default);
        }
    }

    /// Queues the changes again, and returns how many were counted while paused (none
    /// if the subscription was not paused). Every change made while paused is either
    /// counted or, after this returns, queued: none is lost or seen twice.
    ///
    /// ```
    /// let mem = msm::Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// assert_eq!(changes.resume().total(), 0); // not paused: nothing counted
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn resume(&mut self) -> Counted {
        let Some(shared) = self.memory.upgrade() else {
            return Counted::default();
        };
        let mut st = shared.lock();
        st.subscribers
            .entry(&self.queue)
            .and_then(|e| e.paused.take())
            .unwrap_or_default()
    }

    /// True while [`pause`](Self::pause)d.
    ///
    /// ```
    /// let mem = msm::Memory::new(1);
    /// let mut changes = mem.subscribe();
    /// changes.pause();
    /// assert!(changes.is_paused());
    /// changes.resume();
    /// assert!(!changes.is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        let Some(shared) = self.memory.upgrade() else {
            return false;
        };
        let mut st = shared.lock();
        st.subscribers
            .entry(&self.queue)
            .is_some_and(|e| e.paused.is_some())
    }
}

impl Drop for Subscription {
    /// Frees the queued changes now: the memory forgets the queue itself at its next
    /// change or subscription.
    fn drop(&mut self) {
        self.queue.lock().events = VecDeque::new();
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.queue.lock();
        f.debug_struct("Subscription")
            .field("pending", &q.events.len())
            .field("capacity", &self.queue.capacity)
            .finish()
    }
}
