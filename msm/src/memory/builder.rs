//! Building a memory with all four areas.

use super::{Area, AreaSpec, Memory, Order};
use crate::error::Result;

/// Sets the four areas and the default word order of a [`Memory`].
/// Every area defaults to empty, starting at address 0.
///
/// ```
/// let mem = msm::Memory::builder().coils(8).holding_registers(32).build()?;
/// assert_eq!(mem.spec(msm::Area::Coil).size, 8);
/// assert!(msm::Memory::builder().input_registers_at(65000, 1000).build().is_err());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the memory"]
pub struct MemoryBuilder {
    specs: [AreaSpec; 4],
    order: Order,
}

impl Default for AreaSpec {
    fn default() -> Self {
        AreaSpec::new(0, 0)
    }
}

impl MemoryBuilder {
    /// Sets one area.
    pub fn area(mut self, area: Area, spec: AreaSpec) -> Self {
        self.specs[area.index()] = spec;
        self
    }

    /// `n` coils at addresses 0..n.
    pub fn coils(self, n: u32) -> Self {
        self.area(Area::Coil, AreaSpec::new(0, n))
    }

    /// `n` coils from address `start`.
    pub fn coils_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Coil, AreaSpec::new(start, n))
    }

    /// `n` discrete inputs at addresses 0..n.
    pub fn discrete_inputs(self, n: u32) -> Self {
        self.area(Area::Discrete, AreaSpec::new(0, n))
    }

    /// `n` discrete inputs from address `start`.
    pub fn discrete_inputs_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Discrete, AreaSpec::new(start, n))
    }

    /// `n` input registers at addresses 0..n.
    pub fn input_registers(self, n: u32) -> Self {
        self.area(Area::Input, AreaSpec::new(0, n))
    }

    /// `n` input registers from address `start`.
    pub fn input_registers_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Input, AreaSpec::new(start, n))
    }

    /// `n` holding registers at addresses 0..n.
    pub fn holding_registers(self, n: u32) -> Self {
        self.area(Area::Holding, AreaSpec::new(0, n))
    }

    /// `n` holding registers from address `start`.
    pub fn holding_registers_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Holding, AreaSpec::new(start, n))
    }

    /// The word order of variables that don't set their own (default `ABCD`).
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Checks the areas (each must end by address 65535) and makes the memory.
    pub fn build(self) -> Result<Memory> {
        for area in Area::ALL {
            self.specs[area.index()].check(area)?;
        }
        Ok(self.build_unchecked())
    }

    /// Builds with every area clipped to the address space.
    pub(crate) fn build_unchecked(mut self) -> Memory {
        for spec in &mut self.specs {
            spec.size = spec.size.min(65536 - u32::from(spec.start));
        }
        Memory::from_parts(self.specs, self.order)
    }
}
