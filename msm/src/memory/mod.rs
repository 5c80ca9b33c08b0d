//! The shared memory: four areas, typed variables on them, and change tracking.
//!
//! One short lock guards a memory. Every variable read or write, every request a slave
//! executes and every response a master applies takes it once, so a multi-register value
//! is never torn, on either side.
//!
//! ```
//! use msm::{Area, Memory, Var};
//! let mem = Memory::builder().coils(8).holding_registers(16).build()?;
//! let speed: Var<f32> = mem.holding(0)?;
//! let run: Var<bool> = mem.coil(0)?;
//! let mut changes = mem.subscribe();
//! speed.set(12.5)?;
//! run.set(true)?;
//! let areas: Vec<Area> = std::iter::from_fn(|| changes.try_recv().ok().flatten())
//!     .map(|c| c.area)
//!     .collect();
//! assert_eq!(areas, [Area::Holding, Area::Coil]);
//! # Ok::<(), msm::Error>(())
//! ```

mod area;
mod builder;
mod change;
mod counted;
mod file;
mod sync;
mod value;
mod var;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use crate::types::quality;
pub use crate::types::{Area, AreaSpec, Byte, Order, Quality};
pub(crate) use area::AreaData;
pub use builder::MemoryBuilder;
pub(crate) use change::Subscribers;
pub use change::{
    AnyChange, Change, Lagged, Origin, Peer, RecvTimeoutError, Stamped, Subscription,
};
pub use counted::Counted;
pub use file::{File, MAX_FILE_RECORDS, Record};
pub(crate) use file::{FileData, Files};
pub(crate) use sync::{SyncState, WHOLE};
pub use value::Value;
pub(crate) use var::Layout;
pub use var::Var;

use crate::types::{Error, Result};
use value::Shape;

/// The most registers one variable may span: what one FC16 write can carry, so that a
/// variable is always read and written whole in one request.
///
/// ```
/// let mem = msm::Memory::new(200);
/// assert!(mem.holding_raw(0, msm::memory::MAX_VAR_REGISTERS).is_ok());
/// assert!(matches!(
///     mem.holding_raw(0, msm::memory::MAX_VAR_REGISTERS + 1),
///     Err(msm::Error::BadLength { max: 123, .. })
/// ));
/// ```
pub const MAX_VAR_REGISTERS: usize = 123;

/// Default capacity of a [`Subscription`] queue before the oldest changes are dropped.
///
/// ```
/// assert_eq!(msm::memory::DEFAULT_SUBSCRIPTION_CAPACITY, 4096);
/// ```
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

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    pub(crate) subscribers: Subscribers,
    /// What the master that keeps this memory tracks (sync.rs).
    sync: SyncState,
    /// Files of records (FC20/FC21), fixed when the memory is built.
    pub(crate) files: Files,
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

    /// Records a write made on behalf of the program or of a peer of the slave: stamps
    /// and marks the items dirty (so a master attached to this memory sends them), and
    /// tells the subscribers.
    pub(crate) fn record_write(&mut self, area: Area, index: usize, count: usize, origin: Origin) {
        self.record_write_masked(area, index, count, WHOLE, origin);
    }

    /// Like `record_write`, for a write of some bits (`mask`) of one register.
    pub(crate) fn record_write_masked(
        &mut self,
        area: Area,
        index: usize,
        count: usize,
        mask: u16,
        origin: Origin,
    ) {
        self.stamp_write(area, index, count, mask);
        let address = (usize::from(self.area(area).start) + index) as u16;
        let count = count.min(usize::from(u16::MAX)) as u16;
        self.subscribers.publish(area, address, count, mask, origin);
    }

    /// Tells the subscriptions that take files of a write of `count` records of `file`
    /// from `record` (a master keeps no file in sync: nothing is stamped).
    pub(crate) fn record_file_write(
        &mut self,
        file: u16,
        record: u16,
        count: usize,
        origin: Origin,
    ) {
        let count = count.min(usize::from(u16::MAX)) as u16;
        self.subscribers.publish_file(file, record, count, origin);
    }

    /// Tells the subscribers of a change of whole items that was not a write (a read
    /// that changed values or their quality).
    pub(crate) fn publish(&mut self, area: Area, address: u16, count: usize, origin: Origin) {
        let count = count.min(usize::from(u16::MAX)) as u16;
        self.subscribers
            .publish(area, address, count, WHOLE, origin);
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

    fn from_parts(specs: [AreaSpec; 4], default_order: Order, files: Vec<FileData>) -> Memory {
        let areas = [
            AreaData::new(Area::Coil, specs[0]),
            AreaData::new(Area::Discrete, specs[1]),
            AreaData::new(Area::Input, specs[2]),
            AreaData::new(Area::Holding, specs[3]),
        ];
        let sizes = specs.map(|s| s.size as usize);
        Memory {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    areas,
                    subscribers: Subscribers::default(),
                    sync: SyncState::new(sizes),
                    files: Files::new(files),
                }),
                default_order,
            }),
        }
    }

    /// Where an area starts and how many items it holds.
    ///
    /// ```
    /// use msm::{Area, AreaSpec, Memory};
    /// let mem = Memory::builder().holding_registers_at(100, 10).build()?;
    /// assert_eq!(mem.spec(Area::Holding), AreaSpec::new(100, 10));
    /// assert_eq!(mem.spec(Area::Input).size, 0);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn spec(&self, area: Area) -> AreaSpec {
        self.lock().area(area).spec()
    }

    /// The word order variables get when they don't set one.
    ///
    /// ```
    /// use msm::{Memory, Order, Var};
    /// let mem = Memory::builder().holding_registers(4).order(Order::DCBA).build()?;
    /// assert_eq!(mem.default_order(), Order::DCBA);
    /// let v: Var<u32> = mem.holding(0)?;
    /// assert_eq!(v.word_order(), Order::DCBA); // variables start with it
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn default_order(&self) -> Order {
        self.shared.default_order
    }

    /// Every change made from now on, local or remote, in order.
    /// See [`Subscription`].
    ///
    /// ```
    /// use msm::{Memory, Var};
    /// let mem = Memory::new(4);
    /// let v: Var<u16> = mem.holding(3)?;
    /// v.set(1)?;                                     // before the subscription: not seen
    /// let mut changes = mem.subscribe();
    /// v.set(2)?;
    /// assert_eq!(changes.try_recv()?.map(|c| c.address), Some(3));
    /// assert_eq!(changes.try_recv()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with_capacity(DEFAULT_SUBSCRIPTION_CAPACITY)
    }

    /// Like [`subscribe`](Self::subscribe), keeping up to `capacity` unread changes
    /// before the oldest are dropped (and reported as [`Lagged`]).
    ///
    /// ```
    /// use msm::{Lagged, Memory, Var};
    /// let mem = Memory::new(1);
    /// let v: Var<u16> = mem.holding(0)?;
    /// let mut changes = mem.subscribe_with_capacity(2);
    /// for i in 1..=3 {
    ///     v.set(i)?;
    /// }
    /// assert_eq!(changes.try_recv(), Err(Lagged(1))); // the oldest change was dropped
    /// assert!(changes.try_recv()?.is_some());          // the two newest are still there
    /// assert!(changes.try_recv()?.is_some());
    /// assert_eq!(changes.try_recv()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe_with_capacity(&self, capacity: usize) -> Subscription {
        let memory = Arc::downgrade(&self.shared);
        self.lock().subscribers.add(capacity, memory)
    }

    /// The file numbered `number` (declared with
    /// [`MemoryBuilder::file`](MemoryBuilder::file), or `[[file]]` in a map).
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(4, 10).build()?;
    /// mem.file(4)?.set(0, 1)?;
    /// assert!(matches!(mem.file(5), Err(msm::Error::FileNotDeclared { number: 5 })));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn file(&self, number: u16) -> Result<File> {
        let records = self
            .lock()
            .files
            .get(number)
            .map(FileData::records)
            .ok_or(Error::FileNotDeclared { number })?;
        Ok(File::new(self.clone(), number, records))
    }

    /// Every file, by number.
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(9, 1).file(2, 100).build()?;
    /// let files: Vec<(u16, usize)> = mem.files().iter().map(|f| (f.number(), f.len())).collect();
    /// assert_eq!(files, [(2, 100), (9, 1)]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn files(&self) -> Vec<File> {
        let shapes = self.lock().files.shapes();
        shapes
            .into_iter()
            .map(|(number, records)| File::new(self.clone(), number, records))
            .collect()
    }

    /// True if both handles share the same memory.
    ///
    /// ```
    /// let mem = msm::Memory::new(4);
    /// assert!(mem.ptr_eq(&mem.clone()));
    /// assert!(!mem.ptr_eq(&msm::Memory::new(4)));
    /// ```
    pub fn ptr_eq(&self, other: &Memory) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// True while a master syncing this memory has lost its slave (or not reached it
    /// yet): the values are the last ones known, not the slave's current ones. Always false
    /// for a memory no master syncs. The master's `status()` says why.
    ///
    /// ```
    /// assert!(!msm::Memory::new(1).is_stale());
    /// ```
    pub fn is_stale(&self) -> bool {
        self.lock().is_stale()
    }

    // ---- declarations -------------------------------------------------------------

    /// A variable of type `T` at `address` in `area`: `bool` on coils and discrete inputs,
    /// numbers and `[u16; N]` on registers. The named forms ([`holding`](Self::holding),
    /// [`coil`](Self::coil), ...) call this.
    ///
    /// ```
    /// use msm::{Area, Memory, Var};
    /// let mem = Memory::builder().coils(8).holding_registers(8).build()?;
    /// let run: Var<bool> = mem.var(Area::Coil, 0)?;
    /// let speed: Var<f32> = mem.var(Area::Holding, 2)?;
    /// assert_eq!((speed.area(), speed.address(), speed.count()), (Area::Holding, 2, 2));
    /// assert!(matches!(mem.var::<bool>(Area::Holding, 0), Err(msm::Error::TypeMismatch { .. })));
    /// # let _ = run;
    /// # Ok::<(), msm::Error>(())
    /// ```
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
    ///
    /// ```
    /// use msm::{Area, Memory, Var};
    /// let mem = Memory::new(1);
    /// let ready = mem.bit(Area::Holding, 0, 3)?;
    /// ready.set(true)?;
    /// let word: Var<u16> = mem.holding(0)?;
    /// assert_eq!(word.get(), 0b1000);
    /// assert!(matches!(mem.bit(Area::Holding, 0, 16), Err(msm::Error::BitOutOfRange { bit: 16 })));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn bit(&self, area: Area, address: u16, bit: u8) -> Result<Var<bool>> {
        if bit > 15 {
            return Err(Error::BitOutOfRange { bit });
        }
        self.registers_only::<bool>(area, "declare a bool on coils with coil(address)")?;
        self.declare(area, address, Layout::RegBit { bit })
    }

    /// One byte of a register, as `u8` or `i8`.
    ///
    /// ```
    /// use msm::{Area, Byte, Memory, Var};
    /// let mem = Memory::new(1);
    /// let hi: Var<u8> = mem.byte(Area::Holding, 0, Byte::High)?;
    /// let lo: Var<i8> = mem.byte(Area::Holding, 0, Byte::Low)?;
    /// hi.set(0x12)?;
    /// lo.set(-1)?;
    /// assert_eq!(mem.holding::<u16>(0)?.get(), 0x12FF);
    /// assert!(mem.byte::<u16>(Area::Holding, 0, Byte::Low).is_err()); // a u16 is a whole register
    /// # Ok::<(), msm::Error>(())
    /// ```
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
    ///
    /// ```
    /// use msm::{Area, Memory};
    /// let mem = Memory::builder().input_registers(4).build()?;
    /// let serial = mem.string(Area::Input, 0, 2)?; // 4 characters
    /// serial.set("AB12".to_string())?;
    /// assert_eq!(serial.get(), "AB12");
    /// assert!(mem.string(Area::Coil, 0, 2).is_err()); // strings live in registers
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn string(&self, area: Area, address: u16, registers: usize) -> Result<Var<String>> {
        self.registers_only::<String>(area, "strings live in registers")?;
        self.declare(area, address, Layout::Text { count: registers })
    }

    /// `count` raw registers as a `Vec<u16>`.
    ///
    /// ```
    /// use msm::{Area, Memory};
    /// let mem = Memory::new(4);
    /// let block = mem.raw(Area::Holding, 1, 3)?;
    /// block.set(vec![1, 2, 3])?;
    /// assert_eq!(block.get(), [1, 2, 3]);
    /// assert!(block.set(vec![1, 2]).is_err()); // exactly 3 registers
    /// # Ok::<(), msm::Error>(())
    /// ```
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

    /// Declares a variable of any layout: the one place a declaration is checked against
    /// the area (the typed forms above and `#[derive(Vars)]`'s layouts call it).
    pub(crate) fn declare<T: Value>(
        &self,
        area: Area,
        address: u16,
        layout: Layout,
    ) -> Result<Var<T>> {
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
        st.sync.declare(Span { area, index, count });
        drop(st);
        Ok(Var::new(self.clone(), area, address, index, layout))
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
    ///
    /// ```
    /// let mem = msm::Memory::builder().discrete_inputs(8).build()?;
    /// let door_open: msm::Var<bool> = mem.discrete_input(7)?;
    /// door_open.set(true)?; // the program (a slave) sets it; masters only read it
    /// assert!(door_open.get());
    /// assert!(mem.discrete_input::<bool>(8).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn discrete_input<T: Value>(&self, address: u16) -> Result<Var<T>> {
        self.var(Area::Discrete, address)
    }

    /// A number or `[u16; N]` in input registers.
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers(4).build()?;
    /// let temperature: msm::Var<f32> = mem.input(0)?;
    /// temperature.set(21.5)?;
    /// assert_eq!(temperature.get(), 21.5);
    /// assert_eq!(temperature.area(), msm::Area::Input);
    /// # Ok::<(), msm::Error>(())
    /// ```
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
    ///
    /// ```
    /// let mem = msm::Memory::new(1);
    /// let alarm = mem.holding_bit(0, 15)?;
    /// alarm.set(true)?;
    /// assert_eq!(mem.holding::<u16>(0)?.get(), 0x8000);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_bit(&self, address: u16, bit: u8) -> Result<Var<bool>> {
        self.bit(Area::Holding, address, bit)
    }

    /// Bit `bit` (0 = least significant) of an input register.
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers(1).build()?;
    /// let fault = mem.input_bit(0, 0)?;
    /// mem.input::<u16>(0)?.set(0b0101)?;
    /// assert!(fault.get());
    /// assert!(!mem.input_bit(0, 1)?.get());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn input_bit(&self, address: u16, bit: u8) -> Result<Var<bool>> {
        self.bit(Area::Input, address, bit)
    }

    /// One byte (`u8` or `i8`) of a holding register.
    ///
    /// ```
    /// use msm::{Byte, Var};
    /// let mem = msm::Memory::new(1);
    /// let step: Var<u8> = mem.holding_byte(0, Byte::Low)?;
    /// step.set(7)?;
    /// assert_eq!(mem.holding::<u16>(0)?.get(), 0x0007);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_byte<T: Value>(&self, address: u16, byte: Byte) -> Result<Var<T>> {
        self.byte(Area::Holding, address, byte)
    }

    /// One byte (`u8` or `i8`) of an input register.
    ///
    /// ```
    /// use msm::{Byte, Var};
    /// let mem = msm::Memory::builder().input_registers(1).build()?;
    /// mem.input::<u16>(0)?.set(0xFF01)?;
    /// let offset: Var<i8> = mem.input_byte(0, Byte::High)?;
    /// assert_eq!(offset.get(), -1);
    /// # Ok::<(), msm::Error>(())
    /// ```
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
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers(8).build()?;
    /// let model = mem.input_string(0, 8)?; // up to 16 characters
    /// model.set("MX-200".to_string())?;
    /// assert_eq!(model.get(), "MX-200");
    /// assert_eq!(model.count(), 8);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn input_string(&self, address: u16, len_registers: usize) -> Result<Var<String>> {
        self.string(Area::Input, address, len_registers)
    }

    /// `count` raw holding registers.
    ///
    /// ```
    /// let mem = msm::Memory::new(8);
    /// let recipe = mem.holding_raw(2, 4)?;
    /// recipe.set(vec![10, 20, 30, 40])?;
    /// assert_eq!(mem.holding::<u16>(5)?.get(), 40);
    /// assert_eq!(recipe.get(), [10, 20, 30, 40]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_raw(&self, address: u16, count: usize) -> Result<Var<Vec<u16>>> {
        self.raw(Area::Holding, address, count)
    }

    /// `count` raw input registers.
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers(4).build()?;
    /// mem.input::<u32>(0)?.set(0x0001_0002)?;
    /// assert_eq!(mem.input_raw(0, 2)?.get(), [1, 2]);
    /// # Ok::<(), msm::Error>(())
    /// ```
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
        let files = st.files.shapes();
        if !files.is_empty() {
            d.field("files", &files);
        }
        d.field("order", &self.shared.default_order).finish()
    }
}

#[cfg(test)]
mod tests;
