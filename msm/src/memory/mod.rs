//! The shared memory: four areas, typed variables on them, and change tracking.
//!
//! One short lock guards a memory. Every variable read or write, every request a slave
//! executes and every response a master applies takes it once, so a multi-register value
//! is never torn, on either side.

mod area;
mod builder;
mod change;
mod order;
mod value;
mod var;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

pub(crate) use area::AreaData;
pub use area::{Area, AreaSpec};
pub use builder::MemoryBuilder;
pub(crate) use change::Subscribers;
pub use change::{Change, Lagged, Origin, Peer, RecvTimeoutError, Subscription};
pub use order::{Byte, Order};
pub use value::Value;
pub(crate) use var::Layout;
pub use var::Var;

use crate::error::{Error, Result};
use value::Shape;

/// The most registers one variable may span: what one FC16 write can carry, so that a
/// variable is always read and written whole in one request.
pub const MAX_VAR_REGISTERS: usize = 123;

/// Default capacity of a [`Subscription`] queue before the oldest changes are dropped.
pub const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 4096;

/// A block of Modbus memory: coils, discrete inputs, input registers and holding registers.
///
/// `Memory` is cheap to clone (an `Arc` inside); clones share the same data. Declare typed
/// variables on it, hand a clone to a [`Slave`](crate::Slave) or a [`Master`](crate::Master),
/// and read and write the variables.
///
/// ```
/// use msm::{Byte, Memory, Order, Var};
/// let mem = Memory::new(8);                             // 8 holding registers
/// let state: Var<u16> = mem.holding(0)?;
/// let counter: Var<u32> = mem.holding(1)?.order(Order::CDAB);
/// let alarm: Var<bool> = mem.holding_bit(3, 0)?;
/// let step: Var<u8> = mem.holding_byte(4, Byte::Low)?;
/// counter.set(10)?;
/// counter.update(|v| v + 1)?;
/// assert_eq!(counter.get(), 11);
/// assert_eq!(state.get(), 0);
/// # let _ = (alarm, step);
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone)]
pub struct Memory {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    default_order: Order,
}

/// A declared variable's items, for the master's block planner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Span {
    pub(crate) area: Area,
    pub(crate) index: usize,
    pub(crate) count: usize,
}

/// Everything behind the memory's lock.
pub(crate) struct State {
    areas: [AreaData; 4],
    /// The write counter: the last value handed to a local write.
    pub(crate) generation: u64,
    pub(crate) spans: BTreeSet<Span>,
    pub(crate) subscribers: Subscribers,
    /// Set while a master syncs this memory: wakes it at every write to send.
    pub(crate) master: Option<Arc<Notify>>,
    /// True while a master syncing this memory has no fresh copy of the slave's data.
    pub(crate) stale: bool,
}

impl State {
    pub(crate) fn area(&self, area: Area) -> &AreaData {
        &self.areas[area.index()]
    }

    pub(crate) fn area_mut(&mut self, area: Area) -> &mut AreaData {
        &mut self.areas[area.index()]
    }

    /// An area and the subscribers at once, to apply data and report it in one pass.
    pub(crate) fn area_and_subscribers(&mut self, area: Area) -> (&mut AreaData, &mut Subscribers) {
        (&mut self.areas[area.index()], &mut self.subscribers)
    }

    /// Takes the next write-counter value for a local write.
    pub(crate) fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Records a write made on behalf of the program or of a peer of the slave: stamps
    /// and marks the items dirty (so a master attached to this memory sends them), and
    /// tells the subscribers.
    pub(crate) fn record_write(&mut self, area: Area, index: usize, count: usize, origin: Origin) {
        let generation = self.next_generation();
        let data = self.area_mut(area);
        data.mark_written(index, count, generation);
        let address = (usize::from(data.start) + index) as u16;
        self.publish(area, address, count, origin);
        if let Some(master) = &self.master {
            master.notify_one();
        }
    }

    pub(crate) fn publish(&mut self, area: Area, address: u16, count: usize, origin: Origin) {
        self.subscribers.publish(Change {
            area,
            address,
            count: count.min(usize::from(u16::MAX)) as u16,
            origin,
        });
    }
}

impl Memory {
    /// A memory of `holding_registers` holding registers at addresses 0.., and no other
    /// areas: the original's `MemoryStore(n)`. Sizes above 65536 are capped at 65536
    /// (all of the address space); use [`Memory::builder`] for the other areas.
    ///
    /// ```
    /// let mem = msm::Memory::new(8);
    /// assert_eq!(mem.spec(msm::Area::Holding).size, 8);
    /// assert_eq!(mem.spec(msm::Area::Coil).size, 0);
    /// ```
    pub fn new(holding_registers: u32) -> Memory {
        if holding_registers > 65536 {
            tracing::warn!(
                holding_registers,
                "Memory::new: capped at 65536 holding registers"
            );
        }
        let mut b = Memory::builder();
        b = b.holding_registers(holding_registers.min(65536));
        b.build_unchecked()
    }

    /// Starts a memory with all four areas to choose.
    ///
    /// ```
    /// use msm::{Memory, Order};
    /// let mem = Memory::builder()
    ///     .coils(16)
    ///     .discrete_inputs(16)
    ///     .input_registers(16)
    ///     .holding_registers_at(1024, 1024)
    ///     .order(Order::CDAB)
    ///     .build()?;
    /// assert_eq!(mem.spec(msm::Area::Holding).start, 1024);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn builder() -> MemoryBuilder {
        MemoryBuilder::default()
    }

    fn from_parts(specs: [AreaSpec; 4], default_order: Order) -> Memory {
        let areas = [
            AreaData::new(Area::Coil, specs[0]),
            AreaData::new(Area::Discrete, specs[1]),
            AreaData::new(Area::Input, specs[2]),
            AreaData::new(Area::Holding, specs[3]),
        ];
        Memory {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    areas,
                    generation: 0,
                    spans: BTreeSet::new(),
                    subscribers: Subscribers::default(),
                    master: None,
                    stale: false,
                }),
                default_order,
            }),
        }
    }

    /// Where an area starts and how many items it holds.
    pub fn spec(&self, area: Area) -> AreaSpec {
        self.lock().area(area).spec()
    }

    /// The word order variables get when they don't set one.
    pub fn default_order(&self) -> Order {
        self.shared.default_order
    }

    /// Every change made from now on, local or remote, in order.
    /// See [`Subscription`].
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with_capacity(DEFAULT_SUBSCRIPTION_CAPACITY)
    }

    /// Like [`subscribe`](Self::subscribe), keeping up to `capacity` unread changes
    /// before the oldest are dropped (and reported as [`Lagged`]).
    pub fn subscribe_with_capacity(&self, capacity: usize) -> Subscription {
        self.lock().subscribers.add(capacity)
    }

    /// True if both handles share the same memory.
    pub fn ptr_eq(&self, other: &Memory) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// True while a master syncing this memory has lost its slave (or not reached it
    /// yet): the values are the last ones known, not the slave's current ones. Always false
    /// for a memory no master syncs. The master's `status()` says why.
    ///
    /// ```
    /// assert!(!msm::Memory::new(1).is_stale());
    /// ```
    pub fn is_stale(&self) -> bool {
        self.lock().stale
    }

    // ---- declarations -------------------------------------------------------------

    /// A variable of type `T` at `address` in `area`: `bool` on coils and discrete inputs,
    /// numbers and `[u16; N]` on registers. The named forms ([`holding`](Self::holding),
    /// [`coil`](Self::coil), ...) call this.
    pub fn var<T: Value>(&self, area: Area, address: u16) -> Result<Var<T>> {
        let layout = match (T::shape(), area.is_bits()) {
            (Shape::Bool, true) => Layout::Bit,
            (Shape::Words(n), false) => Layout::Number { count: n },
            (Shape::RawArray(n), false) => Layout::Raw { count: n },
            (_, true) => {
                return Err(Error::TypeMismatch {
                    ty: T::NAME,
                    area,
                    hint: "coils and discrete inputs hold single bits; declare a bool there, \
                           or put this value in holding or input registers",
                });
            }
            (Shape::Bool, false) => {
                return Err(Error::TypeMismatch {
                    ty: T::NAME,
                    area,
                    hint: "a bool in a register is one of its bits: use holding_bit(address, bit) \
                           or input_bit(address, bit)",
                });
            }
            (Shape::Byte, false) => {
                return Err(Error::TypeMismatch {
                    ty: T::NAME,
                    area,
                    hint: "a byte is half a register: use holding_byte(address, Byte::Low or Byte::High)",
                });
            }
            (Shape::Text, false) => {
                return Err(Error::TypeMismatch {
                    ty: T::NAME,
                    area,
                    hint: "a string needs a length: use holding_string(address, registers)",
                });
            }
            (Shape::RawWords, false) => {
                return Err(Error::TypeMismatch {
                    ty: T::NAME,
                    area,
                    hint: "raw registers need a count: use holding_raw(address, count) or a [u16; N]",
                });
            }
        };
        self.declare(area, address, layout)
    }

    /// A bit of a register: `bit` 0 is the least significant.
    pub fn bit(&self, area: Area, address: u16, bit: u8) -> Result<Var<bool>> {
        if bit > 15 {
            return Err(Error::BitOutOfRange { bit });
        }
        self.registers_only::<bool>(area, "declare a bool on coils with coil(address)")?;
        self.declare(area, address, Layout::RegBit { bit })
    }

    /// One byte of a register, as `u8` or `i8`.
    pub fn byte<T: Value>(&self, area: Area, address: u16, byte: Byte) -> Result<Var<T>> {
        self.registers_only::<T>(area, "declare a bool on coils with coil(address)")?;
        if T::shape() != Shape::Byte {
            return Err(Error::TypeMismatch {
                ty: T::NAME,
                area,
                hint: "only u8 and i8 fit in one byte of a register; declare wider values with holding(address)",
            });
        }
        self.declare(area, address, Layout::Byte { byte })
    }

    /// ASCII text over `registers` registers (two characters each, NUL-padded).
    pub fn string(&self, area: Area, address: u16, registers: usize) -> Result<Var<String>> {
        self.registers_only::<String>(area, "strings live in registers")?;
        self.declare(area, address, Layout::Text { count: registers })
    }

    /// `count` raw registers as a `Vec<u16>`.
    pub fn raw(&self, area: Area, address: u16, count: usize) -> Result<Var<Vec<u16>>> {
        self.registers_only::<Vec<u16>>(area, "raw registers live in registers")?;
        self.declare(area, address, Layout::Raw { count })
    }

    fn registers_only<T: Value>(&self, area: Area, hint: &'static str) -> Result<()> {
        if area.is_bits() {
            return Err(Error::TypeMismatch {
                ty: T::NAME,
                area,
                hint,
            });
        }
        Ok(())
    }

    fn declare<T: Value>(&self, area: Area, address: u16, layout: Layout) -> Result<Var<T>> {
        let count = layout.items();
        if !area.is_bits() && !(1..=MAX_VAR_REGISTERS).contains(&count) {
            return Err(Error::BadLength {
                count,
                max: MAX_VAR_REGISTERS,
            });
        }
        let mut st = self.lock();
        let data = st.area(area);
        let Some(index) = data.index_of(u32::from(address), count as u32) else {
            return Err(Error::OutOfRange {
                what: layout.describe(T::NAME),
                area,
                address: u32::from(address),
                count: count as u32,
                start: data.start,
                size: data.size,
            });
        };
        st.spans.insert(Span { area, index, count });
        drop(st);
        Ok(Var::new(
            self.clone(),
            area,
            address,
            index,
            layout,
            self.default_order(),
        ))
    }

    /// A coil (`bool`).
    ///
    /// ```
    /// let mem = msm::Memory::builder().coils(8).build()?;
    /// let run: msm::Var<bool> = mem.coil(3)?;
    /// run.set(true)?;
    /// assert!(run.get());
    /// assert!(mem.coil::<u32>(0).is_err()); // a u32 does not fit on a coil
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn coil<T: Value>(&self, address: u16) -> Result<Var<T>> {
        self.var(Area::Coil, address)
    }

    /// A discrete input (`bool`).
    pub fn discrete_input<T: Value>(&self, address: u16) -> Result<Var<T>> {
        self.var(Area::Discrete, address)
    }

    /// A number or `[u16; N]` in input registers.
    pub fn input<T: Value>(&self, address: u16) -> Result<Var<T>> {
        self.var(Area::Input, address)
    }

    /// A number or `[u16; N]` in holding registers.
    ///
    /// ```
    /// let mem = msm::Memory::new(4);
    /// let x: msm::Var<i32> = mem.holding(2)?;
    /// assert!(mem.holding::<i32>(3).is_err()); // would need register 4
    /// # let _ = x;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding<T: Value>(&self, address: u16) -> Result<Var<T>> {
        self.var(Area::Holding, address)
    }

    /// Bit `bit` (0 = least significant) of a holding register.
    pub fn holding_bit(&self, address: u16, bit: u8) -> Result<Var<bool>> {
        self.bit(Area::Holding, address, bit)
    }

    /// Bit `bit` (0 = least significant) of an input register.
    pub fn input_bit(&self, address: u16, bit: u8) -> Result<Var<bool>> {
        self.bit(Area::Input, address, bit)
    }

    /// One byte (`u8` or `i8`) of a holding register.
    pub fn holding_byte<T: Value>(&self, address: u16, byte: Byte) -> Result<Var<T>> {
        self.byte(Area::Holding, address, byte)
    }

    /// One byte (`u8` or `i8`) of an input register.
    pub fn input_byte<T: Value>(&self, address: u16, byte: Byte) -> Result<Var<T>> {
        self.byte(Area::Input, address, byte)
    }

    /// ASCII text over `len_registers` holding registers.
    ///
    /// ```
    /// let mem = msm::Memory::new(8);
    /// let name = mem.holding_string(4, 4)?;    // 8 characters
    /// name.set("PUMP-1".to_string())?;
    /// assert_eq!(name.get(), "PUMP-1");
    /// assert!(name.set("far too long".to_string()).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_string(&self, address: u16, len_registers: usize) -> Result<Var<String>> {
        self.string(Area::Holding, address, len_registers)
    }

    /// ASCII text over `len_registers` input registers.
    pub fn input_string(&self, address: u16, len_registers: usize) -> Result<Var<String>> {
        self.string(Area::Input, address, len_registers)
    }

    /// `count` raw holding registers.
    pub fn holding_raw(&self, address: u16, count: usize) -> Result<Var<Vec<u16>>> {
        self.raw(Area::Holding, address, count)
    }

    /// `count` raw input registers.
    pub fn input_raw(&self, address: u16, count: usize) -> Result<Var<Vec<u16>>> {
        self.raw(Area::Input, address, count)
    }
}

impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        let mut d = f.debug_struct("Memory");
        for area in Area::ALL {
            let s = st.area(area).spec();
            d.field(area.key(), &format_args!("{}+{}", s.start, s.size));
        }
        d.field("order", &self.shared.default_order).finish()
    }
}

#[cfg(test)]
mod tests;
