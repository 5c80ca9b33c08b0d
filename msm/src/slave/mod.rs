//! The slave: serves a [`Memory`] to any Modbus/TCP master.
//!
//! Functions 1, 2, 3, 4, 5, 6, 8 (sub-function 0), 15, 16, 22, 23 and 43/14 are executed
//! against the memory; any other is answered with exception 01. Every request is atomic
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
//! // ... a master writes holding register 0 ...
//! # drop(changes.try_recv());
//! println!("listening on {}, setpoint {}", slave.local_addr(), setpoint.get());
//! slave.stop();
//! # Ok::<(), msm::Error>(())
//! ```

mod config;
mod exec;
mod handle;
mod hooks;
mod identity;
mod ipnet;
mod session;
mod tcp;

use std::io;
use std::net::SocketAddr;
use std::ops::RangeBounds;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{
    DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_LEN,
    DEFAULT_WRITE_TIMEOUT, MIN_MAX_FRAME_LEN, WhenFull,
};
pub use handle::{AsyncSlaveHandle, SlaveHandle};
pub use hooks::{WriteRequest, WriteValues};
pub use identity::DeviceIdentity;
pub use ipnet::IpNet;

use crate::error::{Error, Result};
use crate::memory::{Area, Memory};
use crate::protocol::ExceptionCode;
use config::Config;
use handle::Parts;
use hooks::ReadOnly;
use tcp::{Server, Stats};

/// Sets up a slave; [`serve`](Slave::serve) (or [`serve_async`](Slave::serve_async))
/// runs it.
///
/// ```
/// use msm::{Memory, Slave};
/// use msm::slave::{DeviceIdentity, WhenFull};
/// use std::time::Duration;
///
/// let mem = Memory::builder().coils(16).holding_registers(100).build()?;
/// let slave = Slave::tcp("127.0.0.1:0")
///     .max_connections(16)
///     .when_full(WhenFull::Refuse)
///     .frame_timeout(Duration::from_secs(2))
///     .unit(1)
///     .allow("127.0.0.0/8".parse()?)
///     .identity(DeviceIdentity { vendor: "ACME".into(), ..DeviceIdentity::default() })
///     .serve(mem)?;
/// slave.stop();
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a slave does nothing until serve() is called"]
pub struct Slave {
    addr: String,
    config: Config,
}

impl std::fmt::Debug for Slave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slave")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Slave {
    /// A Modbus/TCP slave that will listen on `addr` (`host:port`; `0.0.0.0:502` for
    /// every interface on the standard port, port 0 for one the system picks).
    pub fn tcp(addr: impl Into<String>) -> Slave {
        Slave {
            addr: addr.into(),
            config: Config::default(),
        }
    }

    /// Most connections served at once (default 256). What happens to one more is
    /// [`when_full`](Self::when_full)'s choice.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }

    /// What to do with a new connection beyond [`max_connections`](Self::max_connections)
    /// (default [`WhenFull::CloseOldestIdle`]).
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.config.when_full = policy;
        self
    }

    /// A connection that sends nothing for this long is closed (default 60 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// A connection whose frame stays incomplete this long after its first byte arrived
    /// is closed (default 5 s): a client that stalls mid-frame holds nothing for long.
    pub fn frame_timeout(mut self, timeout: Duration) -> Self {
        self.config.frame_timeout = timeout;
        self
    }

    /// A connection whose client takes no response data for this long (it does not
    /// read its socket) is closed (default 5 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// Longest frame accepted, MBAP header included (default and maximum 260, minimum
    /// 12). A connection announcing a longer frame is closed.
    pub fn max_frame_len(mut self, len: usize) -> Self {
        self.config.max_frame_len = len;
        self
    }

    /// Answers unit id `id`. The first call switches from answering every unit id (the
    /// default, 0 and 0xFF included) to answering only the ids given.
    pub fn unit(mut self, id: u8) -> Self {
        self.config.units.insert(id);
        self
    }

    /// Answers the unit ids given (in addition to any given before).
    pub fn units(mut self, ids: impl IntoIterator<Item = u8>) -> Self {
        for id in ids {
            self.config.units.insert(id);
        }
        self
    }

    /// Answers every unit id again (the default).
    pub fn any_unit(mut self) -> Self {
        self.config.units = config::Units::Any;
        self
    }

    /// How a request for a unit id not served is answered: not at all (`false`, the
    /// default, as a gateway without that device: the master times out), or with
    /// exception 0x0B, Gateway Target Device Failed to Respond (`true`).
    pub fn unknown_unit_exception(mut self, answer: bool) -> Self {
        self.config.unknown_unit_exception = answer;
        self
    }

    /// Lets clients from `net` connect. Without any call, every client may; after the
    /// first, only clients inside one of the networks given (others are closed at once).
    ///
    /// ```
    /// let slave = msm::Slave::tcp("0.0.0.0:502")
    ///     .allow("192.168.10.0/24".parse()?)
    ///     .allow("::1".parse()?);
    /// # let _ = slave;
    /// # Ok::<(), msm::Error>(())
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
    /// use msm::Area;
    /// let slave = msm::Slave::tcp("127.0.0.1:0")
    ///     .read_only(Area::Holding, 100..200)
    ///     .read_only(Area::Coil, ..=7);
    /// # let _ = slave;
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
    /// let slave = msm::Slave::tcp("127.0.0.1:0").write_validator(|w| match w.values {
    ///     WriteValues::Registers(r) if r.iter().any(|v| v > 1000) => {
    ///         Err(ExceptionCode::IllegalDataValue)
    ///     }
    ///     _ => Ok(()),
    /// });
    /// # let _ = slave;
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
    pub fn identity(mut self, identity: DeviceIdentity) -> Self {
        self.config.identity = identity;
        self
    }

    /// Threads serving connections for [`serve`](Self::serve) (default 2; ignored by
    /// `serve_async`, which runs on the caller's runtime). 1 runs a current-thread
    /// runtime, more a multi-thread one. Two served more requests per second than one
    /// with 1 and with 8 connections on a 2-core machine (docs/benchmarks.md); more may
    /// help when many busy masters meet many cores.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.config.worker_threads = n.max(1);
        self
    }

    /// Binds the address now (so a port in use is an error here, naming it) and serves
    /// `mem` from a thread of its own until the handle is stopped or dropped. Needs no
    /// runtime from the caller.
    pub fn serve(self, mem: Memory) -> Result<SlaveHandle> {
        let settings = Arc::new(self.config.settings(&mem)?);
        let listener = bind(&self.addr)?;
        let local_addr = local_addr(&listener, &self.addr)?;
        let runtime = if self.config.worker_threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(self.config.worker_threads);
            b
        }
        .enable_all()
        .build()
        .map_err(|e| Error::Io {
            context: "cannot start the slave's runtime".into(),
            source: e,
        })?;
        let stop = CancellationToken::new();
        let stats = Arc::new(Stats::default());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let server_parts = (settings, mem, stop.clone(), stats.clone());
        let addr = self.addr.clone();
        let thread = std::thread::Builder::new()
            .name(format!("msm-slave {local_addr}"))
            .spawn(move || {
                // The listener joins the runtime's reactor on the runtime's own thread,
                // and the runtime is dropped there too, never in a caller's async context.
                let (settings, mem, stop, stats) = server_parts;
                let registered = {
                    let _entered = runtime.enter();
                    TcpListener::from_std(listener)
                };
                match registered {
                    Ok(listener) => {
                        let _ = started_tx.send(Ok(()));
                        runtime.block_on(
                            Server {
                                listener,
                                settings,
                                mem,
                                stop,
                                stats,
                            }
                            .run(),
                        );
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(listen_error(&addr, e)));
                    }
                }
            })
            .map_err(|e| Error::Io {
                context: "cannot start the slave's thread".into(),
                source: e,
            })?;
        let parts = Parts {
            local_addr,
            stats,
            stop,
        };
        match started_rx.recv() {
            Ok(Ok(())) => Ok(SlaveHandle::new(parts, thread)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Stopped),
        }
    }

    /// Binds the address now and serves `mem` from tasks on the current tokio runtime
    /// until the handle is stopped or dropped.
    pub async fn serve_async(self, mem: Memory) -> Result<AsyncSlaveHandle> {
        let settings = Arc::new(self.config.settings(&mem)?);
        let listener = bind(&self.addr)?;
        let local_addr = local_addr(&listener, &self.addr)?;
        let listener = TcpListener::from_std(listener).map_err(|e| listen_error(&self.addr, e))?;
        let stop = CancellationToken::new();
        let stats = Arc::new(Stats::default());
        let server = Server {
            listener,
            settings,
            mem,
            stop: stop.clone(),
            stats: stats.clone(),
        };
        let task = tokio::spawn(server.run());
        Ok(AsyncSlaveHandle::new(
            Parts {
                local_addr,
                stats,
                stop,
            },
            task,
        ))
    }
}

/// Binds a non-blocking listener, with an error that says how to fix the usual causes.
fn bind(addr: &str) -> Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| listen_error(addr, e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| listen_error(addr, e))?;
    Ok(listener)
}

fn local_addr(listener: &std::net::TcpListener, addr: &str) -> Result<SocketAddr> {
    listener.local_addr().map_err(|e| listen_error(addr, e))
}

fn listen_error(addr: &str, source: io::Error) -> Error {
    let hint = match source.kind() {
        io::ErrorKind::AddrInUse => {
            "another program (or another slave) listens there: stop it, or choose another port"
        }
        io::ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: use a port such as 5020, or grant \
             CAP_NET_BIND_SERVICE"
        }
        io::ErrorKind::AddrNotAvailable => {
            "this machine has no such address: use one of its addresses, or 0.0.0.0 for all"
        }
        _ if !addr.contains(':') => "write the address as host:port, for example 0.0.0.0:502",
        _ => "check the address (host:port) and that the network is up",
    };
    Error::Listen {
        addr: addr.to_string(),
        hint,
        source,
    }
}
