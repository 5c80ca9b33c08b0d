//! The master: keeps a local [`Memory`] in sync with a remote slave.
//!
//! A cycle writes the local changes, then reads every planned block. Local writes go
//! out at once (write-through), only what changed, and a read never overwrites a
//! register written locally after the read was sent (docs/architecture.md, "Master: the sync rule").
//! When the slave goes away, the master reconnects by itself with a capped exponential
//! backoff, keeping local writes to send afterwards.
//!
//! ```
//! use msm::{Master, Memory, Slave};
//! let served = Memory::new(4);
//! let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
//! let mem = Memory::new(4);
//! let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
//! mem.holding::<u16>(0)?.set(1)?;      // written through to the slave
//! served.holding::<u16>(1)?.set(2)?;   // read at the next cycle
//! master.flush()?;
//! master.sync()?;
//! assert_eq!(served.holding::<u16>(0)?.get(), 1);
//! assert_eq!(mem.holding::<u16>(1)?.get(), 2);
//! # Ok::<(), msm::Error>(())
//! ```

mod core;
mod device;
mod driver;
mod handle;
mod links;
mod requests;

// The core's modules under their short names, for the driver and the handles.
use self::core::{engine, planner, status};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

pub use crate::protocol::FileRead;
pub use device::{DeviceInfo, EventCounter, EventLog, RecordWrite, ServerReport};
pub use handle::{AsyncMasterHandle, MasterHandle};
pub use links::DEFAULT_UDP_RETRIES;
pub use planner::Plan;
pub use status::{BlockError, DepthReason, Fault, Operation, RequestFailure, Status};

use crate::memory::{Memory, Peer};
use crate::transport::{Link, LinkSpec, Parity, SerialConfig, TcpAddr};
use crate::types::{Error, Result};
use driver::{Driver, DriverConfig};
use engine::{Config, Engine, Framing, RtuTiming, Unit};

/// Sets up a master worker; [`start`](Master::start) runs it.
///
/// ```no_run
/// use msm::{Master, Memory, Var};
/// use std::time::Duration;
///
/// let mem = Memory::new(8);
/// let counter: Var<u32> = mem.holding(1)?;
/// let master = Master::tcp("192.168.0.10:502")
///     .unit(1)
///     .period(Duration::from_millis(100))
///     .start(mem.clone())?;
/// counter.set(10)?;              // sent at once
/// master.flush()?;               // confirmed by the slave
/// println!("{:?}", master.status());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a master does nothing until start() is called"]
pub struct Master {
    link: LinkSpec,
    unit: u8,
    plan: Plan,
    extra_units: Vec<(u8, Memory, Plan)>,
    period: Duration,
    response_timeout: Duration,
    connect_timeout: Duration,
    depth: usize,
    force_multiple_writes: bool,
    timeouts_before_reconnect: u32,
    backoff_min: Duration,
    backoff_max: Duration,
    broadcast_delay: Duration,
    fail_fast: bool,
    /// UDP: times a request goes again (`Master::retries`); `None`: the default.
    retries: Option<u32>,
}

/// The most requests a master keeps in flight on one connection.
///
/// ```
/// use msm::master::MAX_PIPELINE_DEPTH;
/// assert_eq!(MAX_PIPELINE_DEPTH, 64);
/// let too_deep = msm::Master::tcp("127.0.0.1:502").pipelining(MAX_PIPELINE_DEPTH + 1);
/// assert!(matches!(too_deep.start(msm::Memory::new(1)), Err(msm::Error::Config(_))));
/// ```
pub const MAX_PIPELINE_DEPTH: usize = 64;

impl Master {
    fn new(link: Link) -> Master {
        Master {
            link: LinkSpec::new(link),
            unit: 1,
            plan: Plan::WholeMemory,
            extra_units: Vec::new(),
            period: Duration::from_millis(100),
            response_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(3),
            depth: 4,
            force_multiple_writes: false,
            timeouts_before_reconnect: 2,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            broadcast_delay: Duration::from_millis(100),
            fail_fast: false,
            retries: None,
        }
    }

    /// A master for the Modbus/TCP slave at `addr`: `"host:port"` text (the name is
    /// resolved at each connection attempt), a `SocketAddr` or a `(host, port)` pair
    /// (see [`TcpAddr`]).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(4))?; // a SocketAddr
    /// master.sync()?;
    /// assert_eq!(master.peer(), slave.local_addr().to_string());
    /// // Text without a port is refused at start.
    /// assert!(Master::tcp("plc").start(Memory::new(4)).unwrap_err().to_string().contains("no port"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn tcp(addr: impl TcpAddr) -> Master {
        Master::new(Link::Tcp(addr.into_addr()))
    }

    /// A master for the Modbus/TCP Security (mbaps) slave at `addr`: MBAP inside TLS,
    /// this master authenticated by its certificate in `tls` (which carries its role),
    /// the slave by the CA(s) or the pinned certificate in `tls`. The slave's certificate
    /// must name the host of `addr` (an IP address or a DNS name) unless
    /// [`TlsSettings::server_name`](crate::transport::tls::TlsSettings::server_name) says
    /// otherwise. Everything else is as for [`tcp`](Self::tcp): pipelining, reconnection,
    /// status. The standard port is 802.
    ///
    /// ```
    /// use msm::transport::tls::Pki;
    /// use msm::{Master, Memory, Slave};
    /// let pki = Pki::new(&["operator"], &[])?;       // a throw-away CA (msm certs)
    /// let served = Memory::new(4);
    /// let slave = Slave::tls("127.0.0.1:0", pki.server()).serve(served.clone())?;
    /// let mem = Memory::new(4);
    /// let master = Master::tls(slave.local_addr(), pki.client("operator")?).start(mem.clone())?;
    /// mem.holding::<u16>(0)?.set(7)?;
    /// master.flush()?;
    /// assert_eq!(served.holding::<u16>(0)?.get(), 7);
    /// # Ok::<(), msm::Error>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(addr: impl TcpAddr, tls: crate::transport::tls::TlsSettings) -> Master {
        Master::new(Link::tls(addr.into_addr(), tls))
    }

    /// A master for Modbus RTU slaves on the serial line at `path` (8 data bits, even
    /// parity, 1 stop bit unless [`parity`](Self::parity) / [`stop_bits`](Self::stop_bits)
    /// say otherwise). Requests to every unit on the line are serialized; unit 0 is the
    /// broadcast address (written, never read, never answered).
    ///
    /// ```no_run
    /// use msm::{Master, Memory, Parity};
    /// let pump = Memory::new(16);
    /// let valve = Memory::new(4);
    /// let master = Master::rtu("/dev/ttyUSB0", 19_200)
    ///     .parity(Parity::Even)
    ///     .unit(1)
    ///     .with_unit(2, valve)
    ///     .start(pump)?;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn rtu(path: impl Into<String>, baud: u32) -> Master {
        Master::serial(SerialConfig::new(path, baud))
    }

    /// A master on a serial line set up in full.
    ///
    /// ```
    /// use msm::{Master, Memory, Parity, SerialConfig};
    /// let line = SerialConfig::new("/dev/ttyUSB0", 9600).parity(Parity::None).stop_bits(2);
    /// let master = Master::serial(line.clone()).unit(3);
    /// // The line is opened by the worker; its settings are checked at start.
    /// let err = Master::serial(line.data_bits(7)).start(Memory::new(4)).unwrap_err();
    /// assert!(err.to_string().contains("Modbus RTU needs 8"));
    /// # let _ = master;
    /// ```
    pub fn serial(line: SerialConfig) -> Master {
        let mut m = Master::new(Link::Serial(line));
        m.depth = 1;
        m
    }

    /// A master speaking RTU frames over a TCP connection to `addr` (serial-to-Ethernet
    /// converters in "raw" or "transparent" mode).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// served.holding::<u16>(2)?.set(42)?;
    /// let slave = Slave::rtu_over_tcp("127.0.0.1:0").serve(served)?; // answers unit 1
    /// let mem = Memory::new(4);
    /// let master = Master::rtu_over_tcp(slave.local_addr()).unit(1).start(mem.clone())?;
    /// master.sync()?;
    /// assert_eq!(mem.holding::<u16>(2)?.get(), 42);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn rtu_over_tcp(addr: impl TcpAddr) -> Master {
        let mut m = Master::new(Link::RtuOverTcp(addr.into_addr()));
        m.depth = 1;
        m
    }

    /// Serial lines: the parity (default even).
    ///
    /// ```
    /// use msm::{Master, Memory, Parity};
    /// let master = Master::rtu("/dev/ttyUSB0", 9600).parity(Parity::Odd);
    /// // On a TCP master the setting is a mistake, reported at start.
    /// let err = Master::tcp("127.0.0.1:502").parity(Parity::Odd).start(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("parity applies to serial lines"));
    /// # let _ = master;
    /// ```
    pub fn parity(mut self, parity: Parity) -> Self {
        self.link.set_parity(parity);
        self
    }

    /// Serial lines: 1 or 2 stop bits (default 1).
    ///
    /// ```
    /// use msm::{Master, Memory};
    /// let master = Master::rtu("/dev/ttyUSB0", 9600).stop_bits(2);
    /// let err = Master::rtu("/dev/ttyUSB0", 9600).stop_bits(3).start(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("3 stop bits: use 1 or 2"));
    /// # let _ = master;
    /// ```
    pub fn stop_bits(mut self, stop_bits: u8) -> Self {
        self.link.set_stop_bits(stop_bits);
        self
    }

    /// RTU: how long slaves are given to act on a broadcast before the next frame
    /// (default 100 ms, the spec's usual turnaround delay).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let served = Memory::new(2);
    /// let slave = Slave::rtu_over_tcp("127.0.0.1:0").serve(served.clone())?;
    /// let mut changes = served.subscribe();
    /// let mem = Memory::new(2);
    /// let master = Master::rtu_over_tcp(slave.local_addr())
    ///     .unit(0)                                   // broadcast: written, never read or answered
    ///     .broadcast_delay(Duration::from_millis(20))
    ///     .start(mem.clone())?;
    /// mem.holding::<u16>(0)?.set(9)?;
    /// changes.recv_timeout(Duration::from_secs(5))?;  // every slave on the line executes it
    /// assert_eq!(served.holding::<u16>(0)?.get(), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn broadcast_delay(mut self, delay: Duration) -> Self {
        self.broadcast_delay = delay;
        self
    }

    /// The unit id (slave id) to address (default 1).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(1);
    /// served.holding::<u16>(0)?.set(5)?;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(17).serve(served)?;
    /// let mem = Memory::new(1);
    /// let master = Master::tcp(slave.local_addr()).unit(17).start(mem.clone())?;
    /// master.sync()?;
    /// assert_eq!(mem.holding::<u16>(0)?.get(), 5);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn unit(mut self, id: u8) -> Self {
        self.unit = id;
        self
    }

    /// Time from the start of one cycle to the start of the next (default 100 ms).
    /// Local writes do not wait for it: they go out at once.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let served = Memory::new(2);
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
    /// let mem = Memory::new(2);
    /// let master = Master::tcp(slave.local_addr())
    ///     .period(Duration::from_secs(3600))        // read once an hour...
    ///     .start(mem.clone())?;
    /// mem.holding::<u16>(1)?.set(5)?;
    /// master.flush()?;                              // ...but writes go out at once
    /// assert_eq!(served.holding::<u16>(1)?.get(), 5);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// How long to wait for each response (default 1 s).
    ///
    /// ```
    /// use msm::master::Fault;
    /// use msm::{Error, Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr())
    ///     .unit(2)                                  // a unit nobody answers
    ///     .response_timeout(Duration::from_millis(50))
    ///     .start(Memory::new(4))?;
    /// let Err(Error::Block(e)) = master.sync() else { panic!("unit 2 answered") };
    /// assert_eq!(e.fault, Fault::Timeout(Duration::from_millis(50)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How long a connection attempt may take (default 3 s).
    ///
    /// ```
    /// use msm::{Error, Master, Memory};
    /// use std::time::Duration;
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())?.port();
    /// let master = Master::tcp(("127.0.0.1", port))  // nothing listens there
    ///     .connect_timeout(Duration::from_millis(500))
    ///     .start(Memory::new(4))?;
    /// assert!(matches!(master.sync(), Err(Error::NotConnected { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When a connection attempt fails, fail every waiting [`flush`](MasterHandle::flush)
    /// at once with [`Error::NotConnected`], as [`sync`](MasterHandle::sync) always is,
    /// instead of waiting for a later attempt to get through (default off: a flush waits
    /// for the slave to come back). For one-shot tools, which should say at once that a
    /// slave cannot be reached (`msm write`). The writes stay queued, and go out if a
    /// later attempt connects.
    ///
    /// ```
    /// use msm::{Error, Master, Memory};
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())?.port();
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(("127.0.0.1", port))    // nothing listens there
    ///     .fail_fast(true)
    ///     .start(mem.clone())?;
    /// mem.holding::<u16>(0)?.set(1)?;
    /// assert!(matches!(master.flush(), Err(Error::NotConnected { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Requests in flight at most on the connection (default 4 over TCP, 1 over UDP; 1
    /// disables pipelining).
    /// Each connection starts at one request in flight (so the first `sync` works with
    /// slaves that take one at a time) and widens up to this depth while the slave keeps
    /// up. A slave that leaves a request sent beside another unanswered is served one at
    /// a time (the unanswered reads go again inside the same cycle); a fault while
    /// pipelining narrows to 1 until a cycle goes through. `status().depth_reason` says
    /// which. RTU links (serial lines, RTU over TCP) always send one request at a time.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(10_000))?;
    /// let master = Master::tcp(slave.local_addr()).pipelining(8).start(Memory::new(10_000))?;
    /// master.sync()?; // first contact: one request at a time
    /// master.sync()?; // 80 reads of 125 registers, widening to 8 in flight
    /// assert_eq!(master.status().depth, 8);
    /// assert!(Master::tcp(slave.local_addr()).pipelining(0).start(Memory::new(1)).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn pipelining(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }

    /// Write single coils and registers with FC15/FC16 instead of FC5/FC6, for devices
    /// that lack the single-item functions.
    ///
    /// ```
    /// use msm::protocol::{ExceptionCode, FunctionCode};
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(2);
    /// let slave = Slave::tcp("127.0.0.1:0")
    ///     .write_validator(|w| match w.function {
    ///         FunctionCode::WriteSingleRegister => Err(ExceptionCode::IllegalFunction),
    ///         _ => Ok(()),
    ///     })
    ///     .serve(served.clone())?;
    /// let mem = Memory::new(2);
    /// let master = Master::tcp(slave.local_addr()).force_multiple_writes(true).start(mem.clone())?;
    /// mem.holding::<u16>(0)?.set(3)?;
    /// master.flush()?;                              // sent with FC16, which this slave takes
    /// assert_eq!(served.holding::<u16>(0)?.get(), 3);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn force_multiple_writes(mut self, force: bool) -> Self {
        self.force_multiple_writes = force;
        self
    }

    /// What to read every cycle (default: the whole memory).
    ///
    /// ```
    /// use msm::{Master, Memory, Plan, Slave};
    /// let served = Memory::new(100);
    /// served.holding::<u16>(0)?.set(1)?;
    /// served.holding::<u16>(99)?.set(2)?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served)?;
    /// let mem = Memory::new(100);
    /// let first = mem.holding::<u16>(0)?;         // the only variable declared
    /// let master = Master::tcp(slave.local_addr())
    ///     .plan(Plan::DeclaredVars { max_gap: 8 })
    ///     .start(mem.clone())?;
    /// master.sync()?;
    /// assert_eq!(first.get(), 1);
    /// assert_eq!(mem.holding::<u16>(99)?.get(), 0); // not declared then: not read
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// Bounds of the reconnection backoff (default 100 ms doubling up to 5 s).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let first = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let addr = first.local_addr();
    /// let master = Master::tcp(addr)
    ///     .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(200))
    ///     .start(Memory::new(4))?;
    /// master.sync()?;
    /// first.stop();                                 // the slave restarts...
    /// let _again = Slave::tcp(addr).serve(Memory::new(4))?;
    /// # let deadline = std::time::Instant::now() + Duration::from_secs(10);
    /// while master.status().reconnects == 0 {     // ...and the master finds it again
    /// #   assert!(std::time::Instant::now() < deadline, "no reconnection");
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max.max(min);
        self
    }

    /// Consecutive timeouts after which the connection is dropped and made again
    /// (default 2). Modbus/TCP only: on RTU links a silent unit is a timeout for that unit
    /// alone, not a reason to reopen the line.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr())
    ///     .unit(2)                                  // a unit nobody answers
    ///     .response_timeout(Duration::from_millis(20))
    ///     .timeouts_before_reconnect(1)
    ///     .start(Memory::new(4))?;
    /// assert!(master.sync().is_err());              // one timeout: the connection is made again
    /// # let deadline = std::time::Instant::now() + Duration::from_secs(10);
    /// while master.status().reconnects == 0 {
    /// #   assert!(std::time::Instant::now() < deadline, "no reconnection");
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn timeouts_before_reconnect(mut self, n: u32) -> Self {
        self.timeouts_before_reconnect = n.max(1);
        self
    }

    /// Also syncs unit `id` behind the same link with its own memory (a gateway with
    /// several devices, or several devices on one serial line). Requests to all units
    /// share the connection. The unit is read by the [`plan`](Self::plan) set before
    /// this call: a `plan` call after it does not apply to it.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(1);
    /// served.holding::<u16>(0)?.set(7)?;
    /// let gateway = Slave::tcp("127.0.0.1:0").units([1, 2]).serve(served)?;
    /// let (pump, valve) = (Memory::new(1), Memory::new(1));
    /// let master = Master::tcp(gateway.local_addr())
    ///     .unit(1)
    ///     .with_unit(2, valve.clone())
    ///     .start(pump.clone())?;
    /// master.sync()?;                               // reads unit 1 into pump, unit 2 into valve
    /// assert_eq!(valve.holding::<u16>(0)?.get(), 7);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn with_unit(mut self, id: u8, mem: Memory) -> Self {
        self.extra_units.push((id, mem, self.plan));
        self
    }

    /// Starts the worker on a thread of its own, syncing `mem` with the slave. Returns at
    /// once: connecting and reconnecting happen in the background (see
    /// [`MasterHandle::status`]). Fails only for a bad setting or a memory already synced
    /// by another master.
    ///
    /// ```
    /// use msm::{Error, Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// served.holding::<u32>(0)?.set(123_456)?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served)?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// master.sync()?;
    /// assert_eq!(mem.holding::<u32>(0)?.get(), 123_456);
    /// // One master per memory.
    /// let second = Master::tcp(slave.local_addr()).start(mem.clone());
    /// assert!(matches!(second, Err(Error::AlreadySynced)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn start(self, mem: Memory) -> Result<MasterHandle> {
        let (driver, parts) = self.prepare(mem)?;
        let name = format!("msm-master {}", parts.peer);
        let thread = crate::worker::on_own_thread(name, 1, "master", move || Ok(driver.run()))?;
        Ok(MasterHandle::new(parts, thread))
    }

    /// Starts the worker as a task on the current tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// served.holding::<u16>(3)?.set(8)?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(served).await?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// master.sync().await?;
    /// assert_eq!(mem.holding::<u16>(3)?.get(), 8);
    /// master.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn start_async(self, mem: Memory) -> Result<AsyncMasterHandle> {
        let (driver, parts) = self.prepare(mem)?;
        let task = tokio::spawn(driver.run());
        Ok(AsyncMasterHandle::new(parts, task))
    }

    fn prepare(self, mem: Memory) -> Result<(Driver, handle::Parts)> {
        if !(1..=MAX_PIPELINE_DEPTH).contains(&self.depth) {
            return Err(Error::Config(format!(
                "pipelining depth {} is out of range: use 1..={MAX_PIPELINE_DEPTH}",
                self.depth
            )));
        }
        self.link.check()?;
        let link = &self.link.link.for_master()?;
        if let Some(addr) = link.tcp_addr()
            && !crate::transport::has_port(addr)
        {
            // A number after the last colon that is too big is a port out of range.
            let too_big = addr
                .rsplit_once(':')
                .and_then(|(_, port)| port.parse::<u64>().ok())
                .filter(|&p| p > u64::from(u16::MAX));
            return Err(Error::Config(match too_big {
                Some(port) => format!(
                    "{addr:?}: port {port} is out of range: a TCP port is 1..=65535 \
                     (Modbus/TCP uses 502, Modbus/TCP Security 802)"
                ),
                None => format!(
                    "{addr:?} has no port, or is not host:port: write for example plc.local:502, \
                     10.0.0.5:502 or [fe80::1]:502"
                ),
            }));
        }
        let framing = match link {
            Link::Udp(_) => Framing::Udp,
            Link::Serial(line) => Framing::Rtu(RtuTiming::serial(
                line.baud,
                line.bits_per_char(),
                self.broadcast_delay,
            )),
            Link::Ascii(line) => Framing::Ascii(RtuTiming::ascii(
                line.baud,
                line.bits_per_char(),
                self.broadcast_delay,
            )),
            Link::RtuOverTcp(_) => Framing::Rtu(RtuTiming::over_tcp(self.broadcast_delay)),
            _ => Framing::Tcp,
        };
        let retries = match (framing, self.retries) {
            (Framing::Udp, n) => n.unwrap_or(links::DEFAULT_UDP_RETRIES),
            (_, None) => 0,
            (_, Some(_)) => {
                return Err(Error::Config(format!(
                    "retries apply to Modbus/UDP masters, not to {}: TCP delivers or \
                     breaks the connection, and a serial line reads again at the next cycle; \
                     remove the setting",
                    link.name()
                )));
            }
        };
        if matches!(framing, Framing::Rtu(_) | Framing::Ascii(_)) {
            let ids = std::iter::once(self.unit).chain(self.extra_units.iter().map(|(id, ..)| *id));
            if let Some(bad) = ids.into_iter().find(|id| *id > 247) {
                return Err(Error::Config(format!(
                    "unit {bad} does not exist on a serial line: slave addresses are 1..=247 (0 = broadcast)"
                )));
            }
        }
        let mut memories = vec![(self.unit, mem.clone(), self.plan)];
        memories.extend(self.extra_units.iter().cloned());
        let wake = Arc::new(Notify::new());
        attach(&memories, &wake)?;
        let units = memories
            .iter()
            .map(|(id, m, plan)| Unit::new(*id, m.clone(), *plan, Peer::Serial { unit: *id }))
            .collect();
        let engine = Engine::new(
            Config {
                period: self.period,
                response_timeout: self.response_timeout,
                depth: self.depth,
                retries,
                force_multiple_writes: self.force_multiple_writes,
                framing,
                timeouts_before_reconnect: self.timeouts_before_reconnect,
                peer: link.name(),
            },
            units,
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Arc::new(Mutex::new(engine.status().clone()));
        let driver = Driver::new(
            engine,
            DriverConfig {
                link: link.clone(),
                connect_timeout: self.connect_timeout,
                write_timeout: self.response_timeout.max(Duration::from_secs(1)),
                backoff_min: self.backoff_min,
                backoff_max: self.backoff_max,
                fail_fast: self.fail_fast,
                datagrams: framing == Framing::Udp,
            },
            rx,
            status.clone(),
            wake,
        );
        let parts = handle::Parts {
            commands: tx,
            status,
            memory: mem,
            peer: link.name(),
            unit: self.unit,
        };
        Ok((driver, parts))
    }
}

/// Marks every memory as synced by this master, or none if one already is.
fn attach(memories: &[(u8, Memory, Plan)], wake: &Arc<Notify>) -> Result<()> {
    for (i, (_, m, _)) in memories.iter().enumerate() {
        let taken = memories[..i].iter().any(|(_, other, _)| other.ptr_eq(m));
        let waker = wake.clone();
        if taken || !m.lock().attach(Arc::new(move || waker.notify_one())) {
            for (_, done, _) in &memories[..i] {
                done.lock().detach();
            }
            return Err(Error::AlreadySynced);
        }
    }
    Ok(())
}
