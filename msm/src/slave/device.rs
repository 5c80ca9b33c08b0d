//! The slave's settings for what a device says about itself and for its FIFO queues:
//! Report Server ID (FC17), the exception status coils (FC07), FIFO queues (FC24), and
//! a map's `[identity]` and `[[fifo]]` at once.

use super::Slave;
use crate::types::ServerId;

impl Slave {
    /// What Report Server ID (FC17) answers: the server id (default: the unit id the
    /// request is addressed to), the run indicator (default ON) and additional data
    /// (default `msm VERSION`); at most 251 bytes in all, checked by `serve`.
    ///
    /// ```
    /// use msm::slave::ServerId;
    /// use msm::{Master, Memory, Slave};
    /// let id = ServerId { id: Some(vec![0x2A]), run: true, additional_data: b"mixer".to_vec() };
    /// let slave = Slave::tcp("127.0.0.1:0").server_id(id).serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(1))?;
    /// let report = master.report_server_id()?;
    /// assert_eq!((report.server_id.as_slice(), report.running, report.additional_data.as_slice()),
    ///            (&[0x2A][..], Some(true), &b"mixer"[..]));
    /// let long = ServerId { additional_data: vec![b'x'; 251], ..ServerId::default() };
    /// assert!(Slave::tcp("127.0.0.1:0").server_id(long).serve(Memory::new(1)).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn server_id(mut self, server_id: ServerId) -> Self {
        self.config.server_id = server_id;
        self
    }

    /// The eight coils from `address` are the exception status outputs Read Exception
    /// Status (FC07) reports, coil `address` in bit 0 (without this, it reports 0). The
    /// coils must be in the memory served (checked by `serve`).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::builder().coils(16).build()?;
    /// served.coil::<bool>(8)?.set(true)?;
    /// served.coil::<bool>(10)?.set(true)?;
    /// let slave = Slave::tcp("127.0.0.1:0").exception_status_coils(8).serve(served)?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// assert_eq!(master.read_exception_status()?, 0b101);
    /// assert!(Slave::tcp("127.0.0.1:0").exception_status_coils(9).serve(Memory::builder().coils(16).build()?).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn exception_status_coils(mut self, address: u16) -> Self {
        self.config.exception_status_coils = Some(address);
        self
    }

    /// A FIFO queue for Read FIFO Queue (FC24) at `address`: reading it answers the count
    /// held in holding register `address` (0..=31; more is exception 03) and that many
    /// holding registers from `address + 1`. A FIFO not declared is exception 02. The
    /// count register must be in the memory served (checked by `serve`).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(8);
    /// served.holding_raw(0, 3)?.set(vec![2, 0x01B8, 0x1284])?;
    /// let slave = Slave::tcp("127.0.0.1:0").fifo(0).serve(served)?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// assert_eq!(master.read_fifo_queue(0)?, [0x01B8, 0x1284]);
    /// assert!(master.read_fifo_queue(4).is_err()); // no FIFO there: exception 02
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn fifo(mut self, address: u16) -> Self {
        self.config.fifos.push(address);
        self
    }

    /// What a map says about the device beside its memory: `[identity]` (FC43's objects,
    /// FC17's answer, FC07's coils) and `[[fifo]]`. Its `[[file]]`s are part of the
    /// memory ([`Map::build`](crate::Map::build)); its `[roles]` are given with
    /// [`roles`](Self::roles).
    ///
    /// ```
    /// use msm::{Map, Master, Memory, Slave};
    /// let map = Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 8
    ///     [identity]
    ///     server_id = 10
    ///     vendor = "ACME"
    ///     [[fifo]]
    ///     address = 0
    /// "#)?;
    /// let mm = map.build()?;
    /// let slave = Slave::tcp("127.0.0.1:0").map_settings(&map).serve(mm.memory().clone())?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// assert_eq!(master.report_server_id()?.server_id, [10]);
    /// assert_eq!(master.read_fifo_queue(0)?, []);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "map")]
    pub fn map_settings(mut self, map: &crate::Map) -> Self {
        if let Some(identity) = map.identity() {
            self.config.identity = identity.device_identity();
            self.config.server_id = identity.server_id();
            self.config.exception_status_coils = identity.exception_status_coils;
        }
        self.config.fifos.extend_from_slice(map.fifos());
        self
    }
}
