//! The plain types every layer shares, and the errors that name them.
//!
//! This is the leaf of the crate: it imports only the codec (`msm_proto`, for exception
//! codes) and std, so memory, maps, masters and slaves can all use these types without
//! importing each other. Each type is re-exported where users name it (`msm::Error`,
//! `msm::Area`, `msm::memory::Quality`, `msm::master::BlockError`,
//! `msm::map::MapErrorKind`, ...); where it is defined is an internal choice.

mod area;
mod error;
mod escape;
mod fault;
mod identity;
#[cfg(feature = "map")]
mod map_error;
mod order;
pub mod quality;
pub(crate) mod rng;
#[cfg(feature = "map")]
pub mod suggest;
#[cfg(feature = "map")]
mod var_type;

pub use area::{Area, AreaSpec};
pub(crate) use error::area_range;
pub use error::{Error, Result};
pub use escape::Escaped;
pub(crate) use fault::DurationText;
pub use fault::{Fault, FaultAction, Hit};
pub use identity::{DeviceIdentity, ServerId};
#[cfg(feature = "map")]
pub(crate) use map_error::{BEHAVIOURS, a_type};
#[cfg(feature = "map")]
pub use map_error::{MapError, MapErrorKind, Position};
pub use order::{Byte, Order};
pub use quality::Quality;
#[cfg(feature = "map")]
pub(crate) use var_type::parse_integer;
#[cfg(feature = "map")]
pub use var_type::{DynValue, VarType};
