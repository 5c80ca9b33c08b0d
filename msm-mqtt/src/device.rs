//! A device as the bridge sees it: a name (a topic level), the variables of a map memory,
//! and the master that keeps them in sync with the real device, if any.

use std::sync::Arc;

use msm::{AnyVar, AsyncMasterHandle, MapMemory, Memory};

use crate::Error;
use crate::topics::{GATEWAY, bad_level};

/// One device of a bridge: its variables are published under `PREFIX/NAME/VAR`, and
/// `PREFIX/NAME/VAR/set` writes them.
///
/// Without a master, the memory is the program's own (served by a slave, say): a set
/// writes it at once, and the device is always `online`. With one
/// ([`master`](Self::master)), a set is written through the master and confirmed by the
/// real device before its new value is published, availability follows the master's
/// connection, and a set for a device that is offline is refused.
///
/// ```
/// let mm = msm::Map::from_toml_str(
///     "[memory]\nholding_registers = 2\n[vars]\nSETPOINT = { area = \"holding\", address = 0, type = \"u16\" }\n",
/// )?.build()?;
/// let boiler = msm_mqtt::Device::new("boiler", &mm);
/// assert_eq!(boiler.name(), "boiler");
/// # Ok::<(), msm::MapError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Device {
    pub(crate) name: String,
    pub(crate) memory: Memory,
    pub(crate) vars: Vec<AnyVar>,
    pub(crate) master: Option<Arc<AsyncMasterHandle>>,
}

impl Device {
    /// The device `name` with every variable of `mm`.
    pub fn new(name: impl Into<String>, mm: &MapMemory) -> Device {
        Device {
            name: name.into(),
            memory: mm.memory().clone(),
            vars: mm.vars().to_vec(),
            master: None,
        }
    }

    /// The master that keeps this memory in sync with the real device (several devices
    /// on one link may share one).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// let mm = msm::Map::from_path("boiler.toml")?.build()?;
    /// let master = msm::Master::tcp("192.168.1.20:502").start_async(mm.memory().clone()).await?;
    /// let boiler = msm_mqtt::Device::new("boiler", &mm).master(Arc::new(master));
    /// # let _ = boiler; Ok(()) }
    /// ```
    pub fn master(mut self, master: Arc<AsyncMasterHandle>) -> Device {
        self.master = Some(master);
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why this device cannot be bridged under its name, if it cannot.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if let Some(why) = bad_level(&self.name) {
            return Err(Error::Config(format!(
                "device name {:?} cannot be a topic level: {why}",
                self.name
            )));
        }
        if self.name == GATEWAY {
            return Err(Error::Config(format!(
                "device name {GATEWAY:?} is the bridge's own (PREFIX/{GATEWAY}/available): \
                 choose another"
            )));
        }
        for var in &self.vars {
            if let Some(why) = bad_level(var.name()) {
                return Err(Error::Config(format!(
                    "device {}: variable {:?} cannot be a topic level: {why}; rename it in the map",
                    self.name,
                    var.name()
                )));
            }
        }
        Ok(())
    }
}
