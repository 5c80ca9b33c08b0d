//! Typed variables: views of a memory's items that a program reads and writes.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::quality::{BlockError, Quality};
use super::value::{Raw, RawMut};
use super::{AnyChange, Area, Byte, MAX_VAR_REGISTERS, Memory, Order, Origin, State, Value};
use crate::types::{Error, Result};

/// How a variable lies over its area's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One coil or discrete input.
    Bit,
    /// One bit of a register.
    RegBit { bit: u8 },
    /// One byte of a register.
    Byte { byte: Byte },
    /// A number over `count` registers; the word order applies.
    Number { count: usize },
    /// ASCII over `count` registers; only the byte swap of the order applies.
    Text { count: usize },
    /// Raw registers; the order does not apply.
    Raw { count: usize },
}

impl Layout {
    /// Items (bits or registers) the variable covers.
    pub(crate) fn items(self) -> usize {
        match self {
            Layout::Bit | Layout::RegBit { .. } | Layout::Byte { .. } => 1,
            Layout::Number { count } | Layout::Text { count } | Layout::Raw { count } => count,
        }
    }

    pub(crate) fn describe(self, ty: &str) -> String {
        match self {
            Layout::Bit => format!("a {ty}"),
            Layout::RegBit { bit } => format!("bit {bit}"),
            Layout::Byte { byte } => format!("the {byte} byte"),
            Layout::Number { count: 1 } => format!("a {ty} (1 register)"),
            Layout::Number { count } => format!("a {ty} ({count} registers)"),
            Layout::Text { count } => format!("a string of {count} registers"),
            Layout::Raw { count } => format!("{count} raw registers"),
        }
    }
}

/// What a variable's items held, copied out under the lock.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Snapshot {
    Bit(bool),
    Byte(u8),
    Words(usize),
}

impl Snapshot {
    /// True if two snapshots (with their word buffers) hold the same value.
    fn same_as(&self, other: &Snapshot, mine: &[u8], theirs: &[u8]) -> bool {
        match (self, other) {
            (Snapshot::Words(a), Snapshot::Words(b)) => {
                a == b && mine.get(..*a) == theirs.get(..*b)
            }
            _ => self == other,
        }
    }
}

/// A typed variable on a [`Memory`]: a view of one or more of its items.
///
/// Every `get`, `set` and `update` is atomic with respect to every other access to the
/// same memory (other variables, the slave serving it, the master syncing it): a
/// multi-register value is never seen half written. Variables may overlap, and then see
/// each other's writes.
///
/// ```
/// use msm::{Memory, Order, Var};
/// let mem = Memory::new(8);
/// let counter: Var<u32> = mem.holding(1)?.order(Order::CDAB);
/// counter.set(99_999)?;
/// assert_eq!(counter.update(|v| v + 1)?, 100_000);
/// assert_eq!(counter.get(), 100_000);
/// # Ok::<(), msm::Error>(())
/// ```
pub struct Var<T> {
    mem: Memory,
    area: Area,
    address: u16,
    index: usize,
    layout: Layout,
    order: Order,
    _type: PhantomData<fn() -> T>,
}

impl<T: Value> Var<T> {
    /// A new variable starts in its memory's default word order.
    pub(crate) fn new(mem: Memory, area: Area, address: u16, index: usize, layout: Layout) -> Self {
        Var {
            order: mem.default_order(),
            mem,
            area,
            address,
            index,
            layout,
            _type: PhantomData,
        }
    }

    /// The same variable with another word order. Bits, bytes and raw registers ignore it;
    /// one-register numbers (`u16`, `i16`) and strings take only its byte swap (`BADC`,
    /// `DCBA`).
    ///
    /// ```
    /// use msm::{Memory, Order, Var};
    /// let mem = Memory::new(2);
    /// let v: Var<u32> = mem.holding(0)?.order(Order::CDAB);
    /// v.set(1)?;
    /// assert_eq!(mem.holding_raw(0, 2)?.get(), [1, 0]); // least significant word first
    /// let w: Var<u16> = mem.holding(0)?.order(Order::DCBA);
    /// w.set(0x1234)?;
    /// assert_eq!(mem.holding_raw(0, 1)?.get(), [0x3412]); // a u16 takes the byte swap
    /// # Ok::<(), msm::Error>(())
    /// ```
    #[must_use]
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// The variable's word order.
    ///
    /// ```
    /// use msm::{Memory, Order, Var};
    /// let v: Var<f32> = Memory::new(2).holding(0)?;
    /// assert_eq!(v.word_order(), Order::ABCD); // the memory's default
    /// assert_eq!(v.order(Order::BADC).word_order(), Order::BADC);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn word_order(&self) -> Order {
        self.order
    }

    /// The area the variable lives in.
    ///
    /// ```
    /// let mem = msm::Memory::builder().coils(4).build()?;
    /// let pump = mem.coil::<bool>(2)?;
    /// assert_eq!(pump.area(), msm::Area::Coil);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn area(&self) -> Area {
        self.area
    }

    /// Its first address.
    ///
    /// ```
    /// let mem = msm::Memory::builder().holding_registers_at(100, 10).build()?;
    /// let v = mem.holding::<u32>(104)?;
    /// assert_eq!(v.address(), 104); // the Modbus address, not an offset in the area
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn address(&self) -> u16 {
        self.address
    }

    /// How many items (registers or bits) it covers.
    ///
    /// ```
    /// let mem = msm::Memory::new(8);
    /// assert_eq!(mem.holding::<f64>(0)?.count(), 4);
    /// assert_eq!(mem.holding_string(4, 3)?.count(), 3);
    /// assert_eq!(mem.holding_bit(7, 5)?.count(), 1);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        self.layout.items()
    }

    /// The memory it lives on.
    ///
    /// ```
    /// let mem = msm::Memory::new(2);
    /// let v = mem.holding::<u16>(0)?;
    /// assert!(v.memory().ptr_eq(&mem));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn memory(&self) -> &Memory {
        &self.mem
    }

    /// The current value.
    ///
    /// ```
    /// use msm::{Memory, Var};
    /// let mem = Memory::new(2);
    /// let whole: Var<u32> = mem.holding(0)?;
    /// let high_word: Var<u16> = mem.holding(0)?; // overlaps `whole`
    /// assert_eq!(whole.get(), 0);                 // a new memory is all zeros
    /// whole.set(0x0003_0004)?;
    /// assert_eq!(high_word.get(), 3);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn get(&self) -> T {
        let mut buf = [0u8; 2 * MAX_VAR_REGISTERS];
        let snap = self.read(&self.mem.lock(), &mut buf);
        self.decode(snap, &mut buf)
    }

    /// Writes `value`. Fails only if the value cannot be represented (a string too long
    /// or not ASCII, raw registers of the wrong count) or, on a memory synced by a master,
    /// for an input area, which only the slave may change.
    ///
    /// ```
    /// use msm::{Error, Master, Memory, Slave};
    /// let mem = Memory::builder().holding_registers(2).input_registers(1).build()?;
    /// let name = mem.holding_string(0, 2)?;
    /// name.set("ABCD".to_string())?;
    /// assert!(matches!(name.set("ABCDE".to_string()), Err(Error::StringTooLong { .. })));
    /// assert!(matches!(name.set("Ä".to_string()), Err(Error::NotAscii { .. })));
    /// // Synced by a master, the input registers are the slave's to change.
    /// # let remote = Memory::builder().holding_registers(2).input_registers(1).build()?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(remote)?;
    /// let _master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// assert!(matches!(mem.input::<u16>(0)?.set(1), Err(Error::ReadOnly { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn set(&self, value: T) -> Result<()> {
        let mut buf = [0u8; 2 * MAX_VAR_REGISTERS];
        let snap = self.encode(&value, &mut buf)?;
        let mut st = self.mem.lock();
        self.check_writable(&st)?;
        self.store(&mut st, snap, &buf, true);
        drop(st);
        Ok(())
    }

    /// Writes a starting value without counting it as a local write: it is not marked
    /// for a master to send and not reported to subscribers. For map files' `value`.
    #[cfg(feature = "map")]
    pub(crate) fn init(&self, value: T) -> Result<()> {
        let mut buf = [0u8; 2 * MAX_VAR_REGISTERS];
        let snap = self.encode(&value, &mut buf)?;
        self.store(&mut self.mem.lock(), snap, &buf, false);
        Ok(())
    }

    /// Reads the value, computes `f` of it and writes the result, atomically: if another
    /// write to the variable lands while `f` runs, `f` runs again on the newer value
    /// (compare-and-swap, like `AtomicU64::fetch_update`), so no update is ever lost.
    /// `f` runs without the memory's lock, so it may read other variables; it should be
    /// free of side effects, since it may run more than once. Returns the value written.
    ///
    /// ```
    /// let mem = msm::Memory::new(2);
    /// let count: msm::Var<u16> = mem.holding(0)?;
    /// let step: msm::Var<u16> = mem.holding(1)?;
    /// step.set(5)?;
    /// assert_eq!(count.update(|c| c + step.get())?, 5);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn update(&self, mut f: impl FnMut(T) -> T) -> Result<T> {
        let mut seen = [0u8; 2 * MAX_VAR_REGISTERS];
        let mut work = [0u8; 2 * MAX_VAR_REGISTERS];
        let mut now = [0u8; 2 * MAX_VAR_REGISTERS];
        loop {
            let before = {
                let st = self.mem.lock();
                self.check_writable(&st)?;
                self.read(&st, &mut seen)
            };
            work.copy_from_slice(&seen);
            let new = f(self.decode(before, &mut work));
            let encoded = self.encode(&new, &mut work)?;
            let mut st = self.mem.lock();
            self.check_writable(&st)?;
            let current = self.read(&st, &mut now);
            if current.same_as(&before, &now, &seen) {
                self.store(&mut st, encoded, &work, true);
                return Ok(new);
            }
        }
    }

    /// How far the value can be trusted: [`Quality::Good`] once a master keeping this
    /// memory has read it from the slave (and always, for a memory no master keeps),
    /// [`Quality::NotRead`] before, [`Quality::Stale`] after the connection was lost,
    /// [`Quality::Bad`] when its last read failed. A change of quality is published to
    /// subscribers like a change of value.
    ///
    /// ```
    /// use msm::{Master, Memory, Plan, Quality, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let mem = Memory::new(8);                     // more than the slave has
    /// let near = mem.holding::<u16>(0)?;
    /// let far = mem.holding::<u16>(6)?;
    /// let master = Master::tcp(slave.local_addr())
    ///     .plan(Plan::DeclaredVars { max_gap: 0 })  // one read per variable
    ///     .start(mem.clone())?;
    /// assert!(master.sync().is_err());               // the far block is refused
    /// assert!(near.quality().is_good());
    /// let Quality::Bad(e) = far.quality() else { panic!("{:?}", far.quality()) };
    /// assert_eq!(e.describe(), "exception 02 (illegal data address) reading holding 6");
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn quality(&self) -> Quality {
        self.mem.lock().quality(self.area, self.index, self.count())
    }

    /// The value and its quality, read together under the memory's lock: a master's
    /// read applied between two separate calls cannot pair a fresh value with the
    /// quality it had before (a display showing both wants this).
    ///
    /// ```
    /// use msm::Memory;
    /// let mem = Memory::new(2);
    /// let v = mem.holding::<u16>(0)?;
    /// v.set(7)?;
    /// let (value, quality) = v.get_with_quality();
    /// assert_eq!(value, 7);
    /// assert!(quality.is_good()); // no master keeps this memory
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn get_with_quality(&self) -> (T, Quality) {
        let mut buf = [0u8; 2 * MAX_VAR_REGISTERS];
        let state = self.mem.lock();
        let quality = state.quality(self.area, self.index, self.count());
        let snap = self.read(&state, &mut buf);
        drop(state);
        (self.decode(snap, &mut buf), quality)
    }

    /// True while a local write of this variable is not yet confirmed by the slave
    /// (always false for a memory no master keeps).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let mem = Memory::new(4);
    /// let v = mem.holding::<u16>(0)?;
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// v.set(5)?;
    /// master.flush()?;
    /// assert!(!v.pending());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn pending(&self) -> bool {
        self.mem.lock().pending(self.area, self.index, self.count())
    }

    /// The slave's refusal of the last write of this variable, while it stands (until a
    /// later write of it is confirmed).
    ///
    /// ```
    /// use msm::{Area, Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").read_only(Area::Holding, 0..1).serve(Memory::new(4))?;
    /// let mem = Memory::new(4);
    /// let v = mem.holding::<u16>(0)?;
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// v.set(5)?;
    /// assert!(master.flush().is_err());
    /// assert!(v.refused().is_some_and(|e| e.describe().starts_with("exception 02")));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn refused(&self) -> Option<BlockError> {
        self.mem.lock().refused(self.area, self.index, self.count())
    }

    /// True if `change` touched this variable's items; given a [`Stamped`](super::Stamped)
    /// change, for a bit or a byte of a register, its bits ([`Stamped::mask`](super::Stamped::mask)):
    /// a mask write of the high byte leaves a variable on the low byte untouched.
    ///
    /// ```
    /// use msm::{Byte, Memory, Var};
    /// let mem = Memory::new(4);
    /// let a: Var<u16> = mem.holding(0)?;
    /// let b: Var<u32> = mem.holding(1)?;
    /// let high: Var<u8> = mem.holding_byte(3, Byte::High)?;
    /// let low: Var<u8> = mem.holding_byte(3, Byte::Low)?;
    /// let mut changes = mem.subscribe();
    /// a.set(1)?;
    /// let c = changes.try_recv()?.expect("a change");
    /// assert!(a.touched_by(&c));
    /// assert!(!b.touched_by(&c));
    /// high.set(7)?;
    /// let c = changes.try_recv_stamped()?.expect("a change"); // with the bits written
    /// assert!(high.touched_by(&c) && !low.touched_by(&c));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touched_by<C: AnyChange + ?Sized>(&self, change: &C) -> bool {
        change.touches(self.area, self.address, self.count() as u16, self.mask())
    }

    /// Resolves with the new value at the next write that touches this variable: a local
    /// `set`, a write by a remote master, or a master's read that changed it. Changes are
    /// watched from the moment `changed` is called, not from the first poll. Wrap it in
    /// `tokio::time::timeout` for a deadline. (The `Result` is always `Ok` today; it leaves
    /// room for a memory that could be closed.)
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), msm::Error> {
    /// let mem = msm::Memory::new(2);
    /// let v: msm::Var<u16> = mem.holding(0)?;
    /// let next = v.changed();
    /// v.set(5)?;
    /// assert_eq!(next.await?, 5);
    /// # Ok(()) }
    /// ```
    pub fn changed(&self) -> impl Future<Output = Result<T>> + Send + 'static {
        let mut changes = self.mem.subscribe();
        let var = self.clone();
        async move {
            loop {
                match changes.recv_stamped().await {
                    Ok(c) if !var.touched_by(&c) => continue,
                    // A lag may have hidden our change: report one rather than miss it.
                    Ok(_) | Err(_) => return Ok(var.get()),
                }
            }
        }
    }

    /// Blocks until the next write that touches this variable, or `timeout`. Returns the
    /// new value, or [`Error::Timeout`] if the timeout passed first (as `recv_timeout`
    /// does for std's channels).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mem = msm::Memory::new(2);
    /// let v: msm::Var<u16> = mem.holding(0)?;
    /// let waited = v.wait_changed(Duration::from_millis(10));
    /// assert!(matches!(waited, Err(msm::Error::Timeout { .. })));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn wait_changed(&self, timeout: Duration) -> Result<T> {
        let deadline = crate::time::later(Instant::now(), timeout);
        let mut changes = self.mem.subscribe();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match changes.recv_stamped_timeout(left) {
                Ok(c) if !self.touched_by(&c) => continue,
                Ok(_) | Err(super::RecvTimeoutError::Lagged(_)) => return Ok(self.get()),
                Err(super::RecvTimeoutError::Timeout) => {
                    return Err(Error::Timeout {
                        what: "waiting for a change of the variable",
                        after: timeout,
                    });
                }
            }
        }
    }

    fn check_writable(&self, st: &State) -> Result<()> {
        if st.is_attached() && self.area.is_read_only_for_master() {
            return Err(Error::ReadOnly {
                area: self.area,
                address: self.address,
            });
        }
        Ok(())
    }

    fn read(&self, st: &State, buf: &mut [u8]) -> Snapshot {
        let data = st.area(self.area);
        match self.layout {
            Layout::Bit => Snapshot::Bit(data.bit(self.index)),
            Layout::RegBit { bit } => {
                let r = data.registers(self.index, 1);
                Snapshot::Bit(u16::from_be_bytes([r[0], r[1]]) >> bit & 1 == 1)
            }
            Layout::Byte { byte } => {
                let r = data.registers(self.index, 1);
                Snapshot::Byte(if byte == Byte::High { r[0] } else { r[1] })
            }
            Layout::Number { count } | Layout::Text { count } | Layout::Raw { count } => {
                buf[..count * 2].copy_from_slice(data.registers(self.index, count));
                Snapshot::Words(count * 2)
            }
        }
    }

    /// Converts between the wire image and the big-endian image the value types use.
    fn reorder(&self, bytes: &mut [u8]) {
        match self.layout {
            Layout::Number { .. } => self.order.apply(bytes),
            Layout::Text { .. } if self.order.swaps_bytes() => {
                bytes.chunks_exact_mut(2).for_each(|p| p.swap(0, 1));
            }
            _ => {}
        }
    }

    fn decode(&self, snap: Snapshot, buf: &mut [u8]) -> T {
        match snap {
            Snapshot::Bit(b) => T::decode(Raw::Bit(b)),
            Snapshot::Byte(b) => T::decode(Raw::Byte(b)),
            Snapshot::Words(n) => {
                self.reorder(&mut buf[..n]);
                T::decode(Raw::Words(&buf[..n]))
            }
        }
    }

    fn encode(&self, value: &T, buf: &mut [u8]) -> Result<Snapshot> {
        Ok(match self.layout {
            Layout::Bit | Layout::RegBit { .. } => {
                let mut b = false;
                value.encode(RawMut::Bit(&mut b))?;
                Snapshot::Bit(b)
            }
            Layout::Byte { .. } => {
                let mut b = 0;
                value.encode(RawMut::Byte(&mut b))?;
                Snapshot::Byte(b)
            }
            Layout::Number { count } | Layout::Text { count } | Layout::Raw { count } => {
                let n = count * 2;
                value.encode(RawMut::Words(&mut buf[..n]))?;
                self.reorder(&mut buf[..n]);
                Snapshot::Words(n)
            }
        })
    }

    fn store(&self, st: &mut State, snap: Snapshot, buf: &[u8], record: bool) {
        let data = st.area_mut(self.area);
        match (self.layout, snap) {
            (Layout::Bit, Snapshot::Bit(b)) => data.set_bit(self.index, b),
            (Layout::RegBit { bit }, Snapshot::Bit(b)) => {
                let r = data.registers_mut(self.index, 1);
                let mut word = u16::from_be_bytes([r[0], r[1]]);
                word = if b {
                    word | 1 << bit
                } else {
                    word & !(1 << bit)
                };
                r.copy_from_slice(&word.to_be_bytes());
            }
            (Layout::Byte { byte }, Snapshot::Byte(b)) => {
                let r = data.registers_mut(self.index, 1);
                r[usize::from(byte == Byte::Low)] = b;
            }
            (_, Snapshot::Words(n)) => {
                data.registers_mut(self.index, n / 2)
                    .copy_from_slice(&buf[..n]);
            }
            // encode() gives the snapshot kind of the layout, so nothing else occurs.
            _ => return,
        }
        if record {
            let mask = self.mask();
            st.record_write_masked(self.area, self.index, self.count(), mask, Origin::Local);
        }
    }

    /// The bits of its register a bit or byte variable holds; `WHOLE` for the others.
    fn mask(&self) -> u16 {
        match self.layout {
            Layout::RegBit { bit } => 1 << bit,
            Layout::Byte { byte: Byte::High } => 0xFF00,
            Layout::Byte { byte: Byte::Low } => 0x00FF,
            _ => crate::memory::WHOLE,
        }
    }
}

impl<T> Clone for Var<T> {
    fn clone(&self) -> Self {
        Var {
            mem: self.mem.clone(),
            area: self.area,
            address: self.address,
            index: self.index,
            layout: self.layout,
            order: self.order,
            _type: PhantomData,
        }
    }
}

impl<T: Value> fmt::Debug for Var<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Var")
            .field("type", &T::NAME)
            .field("area", &self.area)
            .field("address", &self.address)
            .field("layout", &self.layout)
            .field("order", &self.order)
            .field("value", &self.get())
            .finish()
    }
}
