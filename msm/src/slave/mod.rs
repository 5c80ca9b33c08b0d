//! The slave: serves a [`Memory`] to any Modbus master, over Modbus/TCP, a serial line
//! (RTU, [`Slave::rtu`], or ASCII, [`Slave::ascii`]), RTU frames over TCP
//! ([`Slave::rtu_over_tcp`]) or Modbus/UDP ([`Slave::udp`]).
//!
//! Every public function code of the spec is answered: 1 to 6, 7 (exception status), 8
//! (diagnostics, every sub-function), 11 and 12 (comm event counter and log), 15, 16, 17
//! (report server id), 20 and 21 (file records), 22, 23, 24 (FIFO queues) and 43/14
//! (device identification); any other is answered with exception 01. Every request is atomic
//! (one lock of the memory), pipelined requests are answered in order, and many
//! connections are served at once. See `docs/slave.md` for the check order, the limits
//! and their defaults, unit ids, hooks and logging.
//!
//! ```
//! use msm::{Memory, Slave, Var};
//! use std::time::Duration;
//!
//! let mem = Memory::new(8);
//! let setpoint: Var<u16> = mem.holding(0)?;
//! let slave = Slave::tcp("127.0.0.1:0")                 // 0.0.0.0:502 on a real device
//!     .idle_timeout(Duration::from_secs(30))
//!     .read_only(msm::Area::Holding, 4..8)
//!     .serve(mem.clone())?;
//! let mut changes = mem.subscribe();
//! # let theirs = Memory::new(8);
//! # let master = msm::Master::tcp(slave.local_addr()).start(theirs.clone())?;
//! # theirs.holding::<u16>(0)?.set(1500)?;
//! // ... a master writes holding register 0 ...
//! let change = changes.recv_timeout(Duration::from_secs(5))?;
//! assert!(setpoint.touched_by(&change) && change.origin.is_remote());
//! println!("listening on {}, setpoint {}", slave.local_addr(), setpoint.get());
//! assert_eq!(setpoint.get(), 1500);
//! # drop(master);
//! slave.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod availability;
mod busy_poll;
mod config;
mod conn;
mod core;
mod device;
mod handle;
mod ipnet;
mod links;
mod rtu;
mod start;
mod tcp;
mod tcp_task;
mod tcp_thread;
mod udp;

use std::ops::RangeBounds;
use std::sync::Arc;
use std::time::Duration;

pub use self::core::diagnostics::Diagnostics;
pub use crate::authz::{AccessRequest, Rights, Roles, Scope, Span};
pub use crate::types::{DeviceIdentity, Fault, FaultAction, Hit, ServerId};
pub use config::{
    DEFAULT_BUSY_POLL, DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_LEN, DEFAULT_WRITE_TIMEOUT, MAX_BUSY_POLL, MIN_MAX_FRAME_LEN, WhenFull,
};
pub use handle::{AsyncSlaveHandle, SlaveHandle};
pub use hooks::{WriteRequest, WriteValues};
pub use ipnet::IpNet;

use self::core::hooks;
use crate::memory::{Area, Memory};
use crate::protocol::ExceptionCode;
use crate::transport::{Link, LinkSpec, Parity, SerialConfig, TcpAddr};
use crate::types::Result;
use config::Config;
use hooks::ReadOnly;
use start::LineMode;

/// Sets up a slave; [`serve`](Slave::serve) (or [`serve_async`](Slave::serve_async))
/// runs it.
///
/// ```
/// use msm::slave::{DeviceIdentity, WhenFull};
/// use msm::{Master, Memory, Slave};
/// use std::time::Duration;
///
/// let shape = || Memory::builder().coils(16).holding_registers(100).build();
/// let slave = Slave::tcp("127.0.0.1:0")
///     .max_connections(16)
///     .when_full(WhenFull::Refuse)
///     .frame_timeout(Duration::from_secs(2))
///     .unit(1)
///     .allow("127.0.0.0/8".parse()?)
///     .identity(DeviceIdentity { vendor: "ACME".into(), ..DeviceIdentity::default() })
///     .serve(shape()?)?;
/// let master = Master::tcp(slave.local_addr()).unit(1).start(shape()?)?;
/// master.sync()?;
/// # drop(master);
/// slave.stop();
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a slave does nothing until serve() is called"]
pub struct Slave {
    link: LinkSpec,
    config: Config,
}

impl std::fmt::Debug for Slave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slave")
            .field("link", &self.link.link.name())
            .finish_non_exhaustive()
    }
}

impl Slave {
    fn on(link: Link) -> Slave {
        Slave {
            link: LinkSpec::new(link),
            config: Config::default(),
        }
    }

    /// A Modbus/TCP slave that will listen on `addr`: `"host:port"` text, a `SocketAddr`
    /// or a `(host, port)` pair (see [`TcpAddr`]); `0.0.0.0:502` for every interface on
    /// the standard port, port 0 for one the system picks.
    ///
    /// ```
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve(msm::Memory::new(4))?;
    /// assert_ne!(slave.local_addr().port(), 0);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn tcp(addr: impl TcpAddr) -> Slave {
        Slave::on(Link::Tcp(addr.into_addr()))
    }

    /// A Modbus/TCP Security (mbaps) slave that will listen on `addr` (the standard
    /// port is 802): MBAP inside TLS 1.2 or 1.3, with a client certificate required and
    /// checked against the CA(s) in `tls`. The client's role is read from its
    /// certificate and every request is authorized by it ([`roles`](Self::roles),
    /// [`authorize`](Self::authorize); without either, every authenticated client may
    /// do everything). A client refused (no certificate, a wrong one, TLS 1.1, plaintext)
    /// is logged with the reason; the others are served on.
    ///
    /// ```
    /// use msm::transport::tls::Pki;
    /// use msm::{Master, Memory, Slave};
    /// let pki = Pki::new(&["viewer"], &[])?;
    /// let served = Memory::new(4);
    /// served.holding::<u16>(1)?.set(42)?;
    /// let slave = Slave::tls("127.0.0.1:0", pki.server()).serve(served)?;
    /// let mem = Memory::new(4);
    /// Master::tls(slave.local_addr(), pki.client("viewer")?).start(mem.clone())?.sync()?;
    /// assert_eq!(mem.holding::<u16>(1)?.get(), 42);
    /// # Ok::<(), msm::Error>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(addr: impl TcpAddr, tls: crate::transport::tls::TlsSettings) -> Slave {
        Slave::on(Link::tls(addr.into_addr(), tls))
    }

    /// Authorizes every request by the client's role before it executes (R-24 … R-31):
    /// `hook(role, request)` returns true to allow it; a refused request is answered
    /// with exception 01 (Illegal Function) and logged with the peer, the role and the
    /// request. The role is `None` for a certificate without a role extension, and on
    /// links without TLS. The hook runs on the slave's worker; keep it short.
    ///
    /// ```
    /// use msm::transport::tls::Pki;
    /// use msm::{Master, Memory, Slave};
    /// let pki = Pki::new(&["viewer"], &[])?;
    /// let slave = Slave::tls("127.0.0.1:0", pki.server())
    ///     .authorize(|role, request| role == Some("viewer") && request.writes.is_none())
    ///     .serve(Memory::new(4))?;
    /// let mem = Memory::new(4);
    /// let master = Master::tls(slave.local_addr(), pki.client("viewer")?).start(mem.clone())?;
    /// master.sync()?;                               // reads are allowed
    /// mem.holding::<u16>(0)?.set(1)?;
    /// assert!(master.flush().is_err());             // writes refused with exception 01
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn authorize(
        mut self,
        hook: impl Fn(Option<&str>, &AccessRequest) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.config.authorizer = Some(Arc::new(hook));
        self
    }

    /// Authorizes every request by a roles-to-rights database (a map file's `[roles]`,
    /// [`Map::roles`](crate::Map::roles)): whatever no rule allows is refused, the NULL
    /// role included. See [`authorize`](Self::authorize).
    ///
    /// ```
    /// use msm::slave::{Rights, Roles, Scope};
    /// let mut roles = Roles::new();
    /// roles.insert("viewer", Rights { read: vec![Scope::All], write: vec![] });
    /// let slave = msm::Slave::tcp("127.0.0.1:0").roles(roles); // without TLS: the NULL role
    /// # let _ = slave;
    /// ```
    pub fn roles(self, roles: Roles) -> Self {
        self.authorize(move |role, request| roles.allows(role, request))
    }

    /// A Modbus RTU slave on the serial line at `path` (8 data bits, even parity, 1 stop
    /// bit unless [`parity`](Self::parity) / [`stop_bits`](Self::stop_bits) say otherwise).
    /// It answers its own address only: 1, or those given with [`unit`](Self::unit)
    /// (1..=247). Broadcasts (address 0) are executed and never answered; frames for other
    /// units, with a bad CRC, or with a silence over 1.5 characters inside are dropped.
    /// [`SlaveHandle::local_addr`] reports `0.0.0.0:0`: a serial line has no socket.
    ///
    /// ```no_run
    /// use msm::{Memory, Parity, Slave};
    /// let slave = Slave::rtu("/dev/ttyUSB0", 19_200).parity(Parity::Even).unit(17).serve(Memory::new(16))?;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn rtu(path: impl Into<String>, baud: u32) -> Slave {
        Slave::serial(SerialConfig::new(path, baud))
    }

    /// A Modbus RTU slave on a serial line set up in full.
    ///
    /// ```
    /// use msm::{Memory, Parity, SerialConfig, Slave};
    /// let line = SerialConfig::new("/dev/msm-no-such-port", 19_200).parity(Parity::None).stop_bits(2);
    /// // The line is opened by serve(), which says what went wrong.
    /// let err = Slave::serial(line).unit(17).serve(Memory::new(16)).unwrap_err();
    /// assert!(err.to_string().contains("cannot open the serial line /dev/msm-no-such-port"));
    /// ```
    pub fn serial(line: SerialConfig) -> Slave {
        Slave::on(Link::Serial(line))
    }

    /// A slave answering RTU frames on TCP connections at `addr`, as a device behind a
    /// serial-to-Ethernet converter does. Addresses as for [`rtu`](Self::rtu).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::rtu_over_tcp("127.0.0.1:0").unit(5).serve(Memory::new(4))?;
    /// let master = Master::rtu_over_tcp(slave.local_addr()).unit(5).start(Memory::new(4))?;
    /// master.sync()?;
    /// // Serial addresses are 1..=247.
    /// assert!(Slave::rtu_over_tcp("127.0.0.1:0").unit(248).serve(Memory::new(4)).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn rtu_over_tcp(addr: impl TcpAddr) -> Slave {
        Slave::on(Link::RtuOverTcp(addr.into_addr()))
    }

    /// Serial lines: the parity (default even). On a link over TCP the setting is a
    /// mistake, refused by `serve` (as by the master's builder).
    ///
    /// ```
    /// use msm::{Memory, Parity, Slave};
    /// let on_a_line = Slave::rtu("/dev/ttyUSB0", 9600).parity(Parity::None);
    /// let err = Slave::tcp("127.0.0.1:0").parity(Parity::Odd).serve(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("parity applies to serial lines"));
    /// # let _ = on_a_line;
    /// ```
    pub fn parity(mut self, parity: Parity) -> Self {
        self.link.set_parity(parity);
        self
    }

    /// Serial lines: 1 or 2 stop bits (default 1). On a link over TCP the setting is a
    /// mistake, refused by `serve`.
    ///
    /// ```
    /// use msm::{Memory, Slave};
    /// let on_a_line = Slave::rtu("/dev/ttyUSB0", 9600).stop_bits(2);
    /// let err = Slave::rtu("/dev/ttyUSB0", 9600).stop_bits(3).serve(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("3 stop bits: use 1 or 2"));
    /// let err = Slave::rtu_over_tcp("127.0.0.1:0").stop_bits(2).serve(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("stop bits applies to serial lines"));
    /// # let _ = on_a_line;
    /// ```
    pub fn stop_bits(mut self, stop_bits: u8) -> Self {
        self.link.set_stop_bits(stop_bits);
        self
    }

    /// Most connections served at once (default 256). What happens to one more is
    /// [`when_full`](Self::when_full)'s choice.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::net::TcpStream;
    /// let slave = msm::Slave::tcp("127.0.0.1:0").max_connections(1).serve(msm::Memory::new(1))?;
    /// let mut first = TcpStream::connect(slave.local_addr())?;
    /// # first.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    /// let _second = TcpStream::connect(slave.local_addr())?;
    /// assert_eq!(first.read(&mut [0; 8])?, 0); // closed to make room (WhenFull::CloseOldestIdle)
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }

    /// What to do with a new connection beyond [`max_connections`](Self::max_connections)
    /// (default [`WhenFull::CloseOldestIdle`]).
    ///
    /// ```
    /// use msm::slave::WhenFull;
    /// use std::io::Read;
    /// use std::net::TcpStream;
    /// let slave = msm::Slave::tcp("127.0.0.1:0")
    ///     .max_connections(1)
    ///     .when_full(WhenFull::Refuse)
    ///     .serve(msm::Memory::new(1))?;
    /// let _first = TcpStream::connect(slave.local_addr())?;
    /// let mut second = TcpStream::connect(slave.local_addr())?;
    /// # second.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    /// assert_eq!(second.read(&mut [0; 8])?, 0); // refused: closed at once
    /// assert_eq!(slave.connections(), 1);       // the first one is still served
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.config.when_full = policy;
        self
    }

    /// A connection that sends nothing for this long is closed (default 60 s).
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Duration;
    /// let slave = msm::Slave::tcp("127.0.0.1:0")
    ///     .idle_timeout(Duration::from_millis(50))
    ///     .serve(msm::Memory::new(1))?;
    /// let mut client = std::net::TcpStream::connect(slave.local_addr())?;
    /// # client.set_read_timeout(Some(Duration::from_secs(10)))?;
    /// assert_eq!(client.read(&mut [0; 8])?, 0); // closed after 50 ms without a request
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// A connection whose frame stays incomplete this long after its first byte arrived
    /// is closed (default 5 s): a client that stalls mid-frame holds nothing for long.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    /// let slave = msm::Slave::tcp("127.0.0.1:0")
    ///     .frame_timeout(Duration::from_millis(50))
    ///     .serve(msm::Memory::new(1))?;
    /// let mut client = std::net::TcpStream::connect(slave.local_addr())?;
    /// # client.set_read_timeout(Some(Duration::from_secs(10)))?;
    /// client.write_all(&[0x00, 0x01, 0x00])?;   // the start of an MBAP header, and no more
    /// assert_eq!(client.read(&mut [0; 8])?, 0); // closed 50 ms later
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn frame_timeout(mut self, timeout: Duration) -> Self {
        self.config.frame_timeout = timeout;
        self
    }

    /// A connection whose client takes no response data for this long (it does not
    /// read its socket) is closed (default 5 s).
    ///
    /// ```
    /// use msm::{Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").write_timeout(Duration::from_secs(1)).serve(Memory::new(1))?;
    /// let zero = Slave::tcp("127.0.0.1:0").write_timeout(Duration::ZERO).serve(Memory::new(1));
    /// assert!(zero.unwrap_err().to_string().contains("write_timeout is 0"));
    /// # drop(slave);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// Longest frame accepted, MBAP header included (default and maximum 260, minimum
    /// 12). A connection announcing a longer frame is closed.
    ///
    /// ```
    /// // Below the minimum of 12 (a one-register request): refused when serving.
    /// let err = msm::Slave::tcp("127.0.0.1:0").max_frame_len(8).serve(msm::Memory::new(1));
    /// assert!(err.unwrap_err().to_string().contains("max_frame_len"));
    /// ```
    pub fn max_frame_len(mut self, len: usize) -> Self {
        self.config.max_frame_len = len;
        self
    }

    /// Answers unit id `id`. The first call switches from answering every unit id (the
    /// default, 0 and 0xFF included) to answering only the ids given.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).unit(2).serve(Memory::new(1))?;
    /// let two = Master::tcp(slave.local_addr()).unit(2).start(Memory::new(1))?;
    /// two.sync()?;
    /// let three = Master::tcp(slave.local_addr())
    ///     .unit(3)
    ///     .response_timeout(Duration::from_millis(50))
    ///     .start(Memory::new(1))?;
    /// assert!(three.sync().is_err()); // unit 3 is not answered
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn unit(mut self, id: u8) -> Self {
        self.config.units.insert(id);
        self
    }

    /// Answers the unit ids given (in addition to any given before).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0")
    ///     .units(1..=4)
    ///     .unknown_unit_exception(true)
    ///     .serve(Memory::new(1))?;
    /// let four = Master::tcp(slave.local_addr()).unit(4).start(Memory::new(1))?;
    /// four.sync()?;
    /// let five = Master::tcp(slave.local_addr()).unit(5).start(Memory::new(1))?;
    /// assert!(five.sync().is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn units(mut self, ids: impl IntoIterator<Item = u8>) -> Self {
        for id in ids {
            self.config.units.insert(id);
        }
        self
    }

    /// Answers every unit id again (the default).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").unit(3).any_unit().serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).unit(200).start(Memory::new(1))?;
    /// master.sync()?; // any unit id is answered
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn any_unit(mut self) -> Self {
        self.config.units = config::Units::Any;
        self
    }

    /// How a request for a unit id not served is answered: not at all (`false`, the
    /// default, as a gateway without that device: the master times out), or with
    /// exception 0x0B, Gateway Target Device Failed to Respond (`true`).
    ///
    /// ```
    /// use msm::master::Fault;
    /// use msm::protocol::ExceptionCode;
    /// use msm::{Error, Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).unknown_unit_exception(true).serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).unit(2).start(Memory::new(1))?;
    /// let Err(Error::Block(e)) = master.sync() else { panic!("unit 2 was served") };
    /// assert_eq!(e.fault, Fault::Exception { code: ExceptionCode::GatewayTargetDevice }); // at once
    /// # Ok::<(), Error>(())
    /// ```
    pub fn unknown_unit_exception(mut self, answer: bool) -> Self {
        self.config.unknown_unit_exception = answer;
        self
    }

    /// Serves unit `id` from `mem`, a memory of its own, instead of the memory given to
    /// [`serve`](Self::serve): one listener in front of many devices, as a gateway is.
    /// Like [`unit`](Self::unit), the first call switches from answering every unit id to
    /// answering only the ids given; units given with `unit` or [`units`](Self::units)
    /// but no memory of their own are served from `serve`'s memory. A later call for the
    /// same id replaces its memory. Read-only ranges and the write validator apply to
    /// every unit (the validator sees the unit in [`WriteRequest::unit`]). On RTU links a
    /// broadcast (address 0) is executed on `serve`'s memory only.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let (boiler, pump) = (Memory::new(4), Memory::new(2));
    /// boiler.holding::<u16>(0)?.set(1200)?;
    /// pump.holding::<u16>(0)?.set(7)?;
    /// let gateway = Slave::tcp("127.0.0.1:0")
    ///     .unit_memory(1, boiler.clone())
    ///     .unit_memory(2, pump.clone())
    ///     .serve(Memory::new(0))?;
    /// let (one, two) = (Memory::new(4), Memory::new(2));
    /// let master = Master::tcp(gateway.local_addr())
    ///     .unit(1)
    ///     .with_unit(2, two.clone())
    ///     .start(one.clone())?;
    /// master.sync()?;
    /// assert_eq!((one.holding::<u16>(0)?.get(), two.holding::<u16>(0)?.get()), (1200, 7));
    /// two.holding::<u16>(1)?.set(9)?;
    /// master.flush()?;                                // lands in unit 2's memory
    /// assert_eq!(pump.holding::<u16>(1)?.get(), 9);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn unit_memory(mut self, id: u8, mem: Memory) -> Self {
        self.config.units.insert(id);
        self.config.unit_memories.push((id, mem));
        self
    }

    /// Lets clients from `net` connect. Without any call, every client may; after the
    /// first, only clients inside one of the networks given (others are closed at once).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::io::Read;
    /// let elsewhere = Slave::tcp("127.0.0.1:0").allow("10.0.0.0/8".parse()?).serve(Memory::new(1))?;
    /// let mut client = std::net::TcpStream::connect(elsewhere.local_addr())?; // from 127.0.0.1
    /// # client.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    /// assert_eq!(client.read(&mut [0; 8])?, 0); // not in the list: closed at once
    /// let here = Slave::tcp("127.0.0.1:0")
    ///     .allow("192.168.10.0/24".parse()?)
    ///     .allow("127.0.0.1".parse()?)
    ///     .serve(Memory::new(1))?;
    /// Master::tcp(here.local_addr()).start(Memory::new(1))?.sync()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow(mut self, net: IpNet) -> Self {
        self.config.allow.push(net);
        self
    }

    /// Makes `range` of `area` read-only for masters: a write touching it is refused
    /// with exception 02 (Illegal Data Address) and changes nothing. The program's own
    /// variables still write there. (Input areas are read-only for masters anyway.)
    ///
    /// ```
    /// use msm::{Area, Master, Memory, Slave};
    /// let served = Memory::new(8);
    /// let slave = Slave::tcp("127.0.0.1:0").read_only(Area::Holding, 4..8).serve(served.clone())?;
    /// served.holding::<u16>(5)?.set(1)?;            // the program still writes there
    /// let mem = Memory::new(8);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// mem.holding::<u16>(5)?.set(2)?;
    /// assert!(master.flush().is_err());             // refused with exception 02
    /// assert!(master.sync().is_err());              // reported until a later write is taken
    /// assert_eq!(mem.holding::<u16>(5)?.get(), 1);  // the slave's value, read back
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn read_only(mut self, area: Area, range: impl RangeBounds<u16>) -> Self {
        self.config.read_only.push(ReadOnly::new(area, range));
        self
    }

    /// Checks every remote write before it touches the memory: returning an exception
    /// code refuses the write (the master gets that exception, nothing changes).
    ///
    /// It runs after the address checks and the read-only ranges, on the slave's worker,
    /// possibly for several connections at once, and *without* the memory's lock, so it
    /// may read the memory's variables (a value it reads may change before the write
    /// lands, if the program writes concurrently). Keep it short: the connection waits.
    ///
    /// ```
    /// use msm::protocol::ExceptionCode;
    /// use msm::slave::WriteValues;
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0")
    ///     .write_validator(|w| match w.values {
    ///         WriteValues::Registers(r) if r.iter().any(|v| v > 1000) => {
    ///             Err(ExceptionCode::IllegalDataValue)
    ///         }
    ///         _ => Ok(()),
    ///     })
    ///     .serve(Memory::new(4))?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// mem.holding::<u16>(0)?.set(800)?;
    /// master.flush()?;
    /// mem.holding::<u16>(0)?.set(1200)?;
    /// assert!(master.flush().is_err()); // refused with exception 03
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn write_validator(
        mut self,
        validator: impl Fn(&WriteRequest<'_>) -> std::result::Result<(), ExceptionCode>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.config.validator = Some(Arc::new(validator));
        self
    }

    /// What Read Device Identification (FC43/14) reports (default: vendor and product
    /// code `msm`, revision this crate's version).
    ///
    /// ```
    /// use msm::protocol::{ReadDeviceIdCode, Request, Response, tcp};
    /// use msm::slave::DeviceIdentity;
    /// use std::io::{Read, Write};
    /// let id = DeviceIdentity { product_name: "Mixer".into(), ..DeviceIdentity::default() };
    /// let slave = msm::Slave::tcp("127.0.0.1:0").identity(id).serve(msm::Memory::new(1))?;
    /// let ask = Request::ReadDeviceIdentification { read_code: ReadDeviceIdCode::Regular, object_id: 0 };
    /// # let mut conn = std::net::TcpStream::connect(slave.local_addr())?;
    /// # let mut buf = [0u8; tcp::MAX_FRAME_LEN];
    /// # let n = tcp::encode_request(&mut buf, 1, 1, &ask)?;
    /// # conn.write_all(&buf[..n])?;
    /// # conn.read_exact(&mut buf[..tcp::HEADER_LEN])?;
    /// # let len = usize::from(u16::from_be_bytes([buf[4], buf[5]])) - 1;
    /// # conn.read_exact(&mut buf[tcp::HEADER_LEN..tcp::HEADER_LEN + len])?;
    /// # let pdu = &buf[tcp::HEADER_LEN..tcp::HEADER_LEN + len];
    /// // ... send `ask` to the slave, read the response's PDU ...
    /// let Response::ReadDeviceIdentification(answer) = Response::decode(pdu)? else { panic!() };
    /// assert!(answer.objects.iter().any(|(id, value)| id == 0x04 && value == b"Mixer"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn identity(mut self, identity: DeviceIdentity) -> Self {
        self.config.identity = identity;
        self
    }

    /// Threads serving connections for [`serve`](Self::serve) (default 2; ignored by
    /// `serve_async`, which runs on the caller's runtime). 1 runs a current-thread
    /// runtime, more a multi-thread one. Two served more requests per second than one
    /// with 1 and with 8 connections on a 2-core machine (docs/benchmarks.md); more may
    /// help when many busy masters meet many cores.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(1);
    /// served.holding::<u16>(0)?.set(3)?;
    /// let slave = Slave::tcp("127.0.0.1:0").worker_threads(1).serve(served)?;
    /// let mem = Memory::new(1);
    /// Master::tcp(slave.local_addr()).start(mem.clone())?.sync()?;
    /// assert_eq!(mem.holding::<u16>(0)?.get(), 3);
    /// slave.stop();
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.config.worker_threads = n.max(1);
        self
    }

    /// Opts in to busy polling: after an answer, a connection's thread keeps polling its
    /// socket for the next request for up to `budget` before it sleeps. Off by default
    /// (a slave spins no core unless told to); [`DEFAULT_BUSY_POLL`] (50 µs) is the
    /// budget to give, [`MAX_BUSY_POLL`] (1 ms) the longest, `Duration::ZERO` turns it
    /// off again.
    ///
    /// A master that sends its next request as soon as it has the answer then finds the
    /// slave awake, which spares a wake-up per request: one such connection was served
    /// about 3 times as fast on a 2-core machine (docs/benchmarks.md). Polling is only
    /// done on plain TCP connections (Modbus/TCP and RTU over TCP, not TLS), on machines
    /// with 2 CPUs or more, while the process (all its slaves together) serves at most
    /// half as many threaded connections as there are CPUs, and for a master whose last
    /// request came within 4 budgets of the answer before it; after a poll that caught
    /// nothing, the next 1, 2, 4, … 64 requests are waited for without one. A master
    /// that polls every few milliseconds never causes it, so it costs CPU time only
    /// while a master keeps the slave busy: up to one CPU per such connection.
    ///
    /// ```
    /// use msm::slave::DEFAULT_BUSY_POLL;
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").busy_poll(DEFAULT_BUSY_POLL).serve(Memory::new(1))?;
    /// Master::tcp(slave.local_addr()).start(Memory::new(1))?.sync()?; // served, polling between requests
    /// let long = Slave::tcp("127.0.0.1:0").busy_poll(Duration::from_millis(5)).serve(Memory::new(1));
    /// assert!(long.unwrap_err().to_string().contains("busy_poll 5ms is longer than the 1ms allowed"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn busy_poll(mut self, budget: Duration) -> Self {
        self.config.busy_poll = budget;
        self
    }

    /// Makes faults on purpose, to test masters against a device that misbehaves
    /// (docs/simulator.md): for each request the slave would answer, the faults are
    /// tried in order and the first that hits it applies (an exception, a late answer,
    /// no answer, a close, an answer with the wrong transaction id or unit, short,
    /// trickled, with a bad CRC, or garbage). Replaces any faults given before;
    /// [`SlaveHandle::set_faults`] replaces them while the slave serves. A fault that is
    /// wrong is refused by `serve`; one that cannot apply on the slave's link (a CRC on
    /// Modbus/TCP, a transaction id on RTU) is skipped there, with a warning.
    ///
    /// ```
    /// use msm::slave::{Fault, FaultAction};
    /// use msm::{Master, Memory, Slave};
    /// use std::time::{Duration, Instant};
    /// let slave = Slave::tcp("127.0.0.1:0")
    ///     .faults([Fault::new(FaultAction::Delay(Duration::from_millis(300))).function(3)])
    ///     .serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(4))?;
    /// let asked = Instant::now();
    /// master.sync()?;                                       // answered, late
    /// assert!(asked.elapsed() >= Duration::from_millis(300));
    /// let wrong = Slave::tcp("127.0.0.1:0").faults([Fault::new(FaultAction::Drop).probability(2.0)]);
    /// assert!(wrong.serve(Memory::new(4)).unwrap_err().to_string().contains("fault 1"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.config.faults = faults.into_iter().collect();
        self
    }

    /// Seeds the random numbers faults with a [`probability`](Fault::probability) draw
    /// from: the same seed, the same requests hit, run after run (default: a new seed
    /// each run). A map file's `seed` and `msm serve --seed` give it.
    ///
    /// ```
    /// use msm::slave::{Fault, FaultAction};
    /// let slave = msm::Slave::tcp("127.0.0.1:0")
    ///     .faults([Fault::new(FaultAction::Drop).probability(0.1)])
    ///     .seed(42);
    /// # let _ = slave;
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Counts the threaded connections against `gate` instead of the process's: a test
    /// of the gate is not disturbed by the other tests' slaves.
    #[cfg(test)]
    pub(crate) fn busy_poll_gate(mut self, gate: &'static busy_poll::Gate) -> Self {
        self.config.busy_poll_gate = gate;
        self
    }

    /// Binds the address now (so a port in use is an error here, naming it) and serves
    /// `mem` from a thread of its own until the handle is stopped or dropped. Needs no
    /// runtime from the caller.
    ///
    /// ```
    /// let mem = msm::Memory::new(4);
    /// let first = msm::Slave::tcp("127.0.0.1:0").serve(mem.clone())?;
    /// let taken = first.local_addr().to_string();
    /// let err = msm::Slave::tcp(taken).serve(mem).unwrap_err();
    /// assert!(err.to_string().contains("choose another port"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn serve(self, mem: Memory) -> Result<SlaveHandle> {
        self.link.check()?;
        let settings = self.config.settings(&mem, self.link.link.framing())?;
        let workers = self.config.worker_threads;
        match self.link.link {
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => {
                start::blocking(&addr, settings, mem, workers, None)
            }
            #[cfg(feature = "tls")]
            Link::Tls(addr, tls) => {
                let acceptor = crate::transport::tls::acceptor(&tls.settings)?;
                start::blocking(&addr, settings, mem, workers, Some(acceptor))
            }
            Link::Serial(line) => start::blocking_serial(line, LineMode::Rtu, settings, mem),
            Link::Ascii(line) => start::blocking_serial(line, LineMode::Ascii, settings, mem),
            Link::Udp(addr) => start::blocking_udp(&addr, settings, mem),
        }
    }

    /// Binds the address now and serves `mem` from tasks on the current tokio runtime
    /// until the handle is stopped or dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> msm::Result<()> {
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve_async(msm::Memory::new(4)).await?;
    /// assert_eq!(slave.connections(), 0);
    /// slave.stop().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn serve_async(self, mem: Memory) -> Result<AsyncSlaveHandle> {
        self.link.check()?;
        let settings = self.config.settings(&mem, self.link.link.framing())?;
        match self.link.link {
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => {
                start::in_runtime(&addr, settings, mem, None)
            }
            #[cfg(feature = "tls")]
            Link::Tls(addr, tls) => {
                let acceptor = crate::transport::tls::acceptor(&tls.settings)?;
                start::in_runtime(&addr, settings, mem, Some(acceptor))
            }
            Link::Serial(line) => start::in_runtime_serial(line, LineMode::Rtu, settings, mem),
            Link::Ascii(line) => start::in_runtime_serial(line, LineMode::Ascii, settings, mem),
            Link::Udp(addr) => start::in_runtime_udp(&addr, settings, mem),
        }
    }
}
