//! The slave's settings, their defaults, and the checked form the worker runs with.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::busy_poll::{BusyPoll, Gate};
use super::core::connection::Limits;
use super::core::diagnostics::DiagnosticsState;
use super::core::fault::FaultSwitch;
use super::core::identity::{Objects, ServerIdAnswer};
use super::core::routes::{Route, Routes};
pub(crate) use super::core::rules::{Rules, Units};
use super::hooks::{ReadOnly, UnitCheck, Validator};
use super::ipnet::IpNet;
use crate::authz::Authorizer;
use crate::memory::{Area, Memory};
use crate::protocol::tcp;
use crate::transport::Framing;
use crate::types::rng::Rng;
use crate::types::{DeviceIdentity, Error, Fault, Result, ServerId};

/// Default most connections served at once.
/// ```
/// assert_eq!(msm::slave::DEFAULT_MAX_CONNECTIONS, 256);
/// ```
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default time a connection may stay silent before it is closed.
/// ```
/// assert_eq!(msm::slave::DEFAULT_IDLE_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time the rest of a frame may take once its first byte has arrived.
/// ```
/// assert_eq!(msm::slave::DEFAULT_FRAME_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a client may take to accept a response before its connection is closed.
/// ```
/// assert_eq!(msm::slave::DEFAULT_WRITE_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default (and largest) frame length: a 7-byte MBAP header and a 253-byte PDU.
/// ```
/// assert_eq!(msm::slave::DEFAULT_MAX_FRAME_LEN, 260);
/// ```
pub const DEFAULT_MAX_FRAME_LEN: usize = tcp::MAX_FRAME_LEN;
/// The busy-poll budget to give [`Slave::busy_poll`](super::Slave::busy_poll) when you
/// opt in: how long a connection's thread keeps polling for the next request after an
/// answer, before it sleeps. A slave does not poll unless told to (the budget is then
/// zero); 50 µs caught a quick master's next request on the 2-core machine of
/// `docs/benchmarks.md`.
/// ```
/// use msm::slave::DEFAULT_BUSY_POLL;
/// assert_eq!(DEFAULT_BUSY_POLL.as_micros(), 50);
/// let slave = msm::Slave::tcp("127.0.0.1:0").busy_poll(DEFAULT_BUSY_POLL); // opting in
/// # let _ = slave;
/// ```
pub const DEFAULT_BUSY_POLL: Duration = Duration::from_micros(50);
/// Longest busy-poll budget a slave accepts.
/// ```
/// assert_eq!(msm::slave::MAX_BUSY_POLL.as_millis(), 1);
/// ```
pub const MAX_BUSY_POLL: Duration = Duration::from_millis(1);
/// Shortest frame length limit a slave accepts: a request of 1 register or coil is 12.
/// ```
/// assert_eq!(msm::slave::MIN_MAX_FRAME_LEN, 12);
/// ```
pub const MIN_MAX_FRAME_LEN: usize = 12;

/// What the slave does with a new connection when it already serves the maximum.
///
/// ```
/// use msm::slave::WhenFull;
/// assert_eq!(WhenFull::default(), WhenFull::CloseOldestIdle);
/// let slave = msm::Slave::tcp("127.0.0.1:0").when_full(WhenFull::Refuse);
/// # let _ = slave;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Close the connection that has gone longest without a request served (a master
    /// that went away without closing, a half-open socket), and serve the new one;
    /// connections that never sent a request go first, oldest first. The default: a
    /// PLC keeps answering the masters that talk to it, and a flood of bare
    /// connections only pushes itself out.
    #[default]
    CloseOldestIdle,
    /// Refuse the new connection (close it at once); the ones being served stay.
    Refuse,
}

/// Everything the builder collects.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) max_connections: usize,
    pub(crate) when_full: WhenFull,
    pub(crate) idle_timeout: Duration,
    pub(crate) frame_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_frame_len: usize,
    pub(crate) units: Units,
    pub(crate) unknown_unit_exception: bool,
    pub(crate) allow: Vec<IpNet>,
    pub(crate) read_only: Vec<ReadOnly>,
    pub(crate) validator: Option<Validator>,
    /// Decides, by the client's role, whether a request may run at all.
    pub(crate) authorizer: Option<Authorizer>,
    /// Whether a request's unit can answer now (`Slave::unit_available`).
    pub(crate) unit_available: Option<UnitCheck>,
    pub(crate) identity: DeviceIdentity,
    /// What Report Server ID (FC17) answers.
    pub(crate) server_id: ServerId,
    /// FC07: the first of the eight exception status coils.
    pub(crate) exception_status_coils: Option<u16>,
    /// FC24: the FIFO pointer addresses.
    pub(crate) fifos: Vec<u16>,
    pub(crate) worker_threads: usize,
    /// Units served from a memory of their own (`Slave::unit_memory`).
    pub(crate) unit_memories: Vec<(u8, Memory)>,
    /// How long a connection's thread polls before it sleeps (`Slave::busy_poll`):
    /// zero, not polling, unless the program opts in.
    pub(crate) busy_poll: Duration,
    /// What the threaded connections are counted against: the process's, shared by
    /// every slave (a test's own in tests).
    pub(crate) busy_poll_gate: &'static Gate,
    /// The faults made on purpose (`Slave::faults`), in the order they are tried.
    pub(crate) faults: Vec<Fault>,
    /// What the faults' random numbers are seeded with (`Slave::seed`); a new seed each
    /// run without one.
    pub(crate) seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            when_full: WhenFull::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            frame_timeout: DEFAULT_FRAME_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            units: Units::Any,
            unknown_unit_exception: false,
            allow: Vec::new(),
            read_only: Vec::new(),
            validator: None,
            authorizer: None,
            unit_available: None,
            identity: DeviceIdentity::default(),
            server_id: ServerId::default(),
            exception_status_coils: None,
            fifos: Vec::new(),
            worker_threads: 2,
            unit_memories: Vec::new(),
            busy_poll: Duration::ZERO,
            busy_poll_gate: Gate::process(),
            faults: Vec::new(),
            seed: None,
        }
    }
}

/// The checked settings a running slave works with, shared by its connections: the
/// builder's [`Config`], the rules its requests are answered by (with the unit set a
/// serial line implies), and its busy polling.
pub(crate) struct Settings {
    config: Config,
    /// How requests are answered: the connection core's part of the settings.
    pub(crate) rules: Arc<Rules>,
    /// Whether, and how long, threaded connections poll before sleeping.
    pub(crate) polling: Arc<BusyPoll>,
}

/// The settings read as the builder gave them (`settings.idle_timeout`).
impl std::ops::Deref for Settings {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

impl Config {
    /// Checks every setting against its range, naming the one that is wrong.
    pub(crate) fn settings(&self, mem: &Memory, framing: Framing) -> Result<Settings> {
        let rtu = framing.serial_addressing();
        if self.max_connections == 0 {
            return Err(Error::Config(
                "max_connections is 0: a slave must accept at least one connection".into(),
            ));
        }
        for (name, d) in [
            ("idle_timeout", self.idle_timeout),
            ("frame_timeout", self.frame_timeout),
            ("write_timeout", self.write_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::Config(format!(
                    "{name} is 0: give it a positive duration (Duration::MAX for none)"
                )));
            }
        }
        if !(MIN_MAX_FRAME_LEN..=DEFAULT_MAX_FRAME_LEN).contains(&self.max_frame_len) {
            return Err(Error::Config(format!(
                "max_frame_len {} is out of range: use {MIN_MAX_FRAME_LEN}..={DEFAULT_MAX_FRAME_LEN} \
                 (the MBAP header and a PDU of at most 253 bytes)",
                self.max_frame_len
            )));
        }
        if self.busy_poll > MAX_BUSY_POLL {
            return Err(Error::Config(format!(
                "busy_poll {:?} is longer than the {MAX_BUSY_POLL:?} allowed: a thread polls \
                 that long after every answer; give at most {MAX_BUSY_POLL:?} (0 turns it off)",
                self.busy_poll
            )));
        }
        if self.units == Units::Set([0; 4]) {
            return Err(Error::Config(
                "the set of unit ids is empty: give at least one, or use any_unit()".into(),
            ));
        }
        let mut units = self.units.clone();
        if rtu {
            // On a serial line a slave answers its own address only: 1 unless told.
            if units == Units::Any {
                units = Units::Set([0; 4]);
                units.insert(1);
            }
            if let Some(bad) = (0..=255u8).find(|&u| units.contains(u) && !(1..=247).contains(&u)) {
                return Err(Error::Config(format!(
                    "unit {bad} cannot be a serial slave's address: use 1..=247 (0 is the broadcast \
                     address, which every slave listens to anyway)"
                )));
            }
        }
        check_faults(&self.faults)?;
        warn_inapplicable(&self.faults, framing);
        let seed = self.seed.unwrap_or_else(Rng::any_seed);
        if let Some(address) = self.exception_status_coils
            && mem
                .spec(Area::Coil)
                .index_of(u32::from(address), 8)
                .is_none()
        {
            return Err(Error::Config(format!(
                "exception_status_coils {address}: the eight coils {address}..={} are not all in \
                 the memory's coils ({}): give an address with eight coils from it, or more coils",
                u32::from(address) + 7,
                crate::types::area_range(mem.spec(Area::Coil).start, mem.spec(Area::Coil).size),
            )));
        }
        let mut fifos = self.fifos.clone();
        fifos.sort_unstable();
        fifos.dedup();
        if let Some(bad) = fifos
            .iter()
            .find(|&&a| mem.spec(Area::Holding).index_of(u32::from(a), 1).is_none())
        {
            return Err(Error::Config(format!(
                "FIFO at {bad}: holding register {bad} (the FIFO's count) is not in the memory \
                 (its holding registers {}): declare the FIFO inside them",
                crate::types::area_range(
                    mem.spec(Area::Holding).start,
                    mem.spec(Area::Holding).size
                ),
            )));
        }
        let rules = Rules {
            units,
            unknown_unit_exception: self.unknown_unit_exception,
            rtu,
            read_only: self.read_only.clone(),
            validator: self.validator.clone(),
            authorizer: self.authorizer.clone(),
            unit_available: self.unit_available.clone(),
            objects: Objects::new(&self.identity)?,
            specs: Route::new(mem.clone()).specs,
            routes: Routes::new(&self.unit_memories),
            faults: Arc::new(FaultSwitch::new(self.faults.clone(), seed)),
            diagnostics: DiagnosticsState::default(),
            server_id: ServerIdAnswer::new(&self.server_id)?,
            exception_status_coils: self.exception_status_coils,
            fifos,
        };
        Ok(Settings {
            config: self.clone(),
            rules: Arc::new(rules),
            polling: Arc::new(BusyPoll::gated(self.busy_poll, self.busy_poll_gate)),
        })
    }
}

/// Checks faults given to a slave, naming the first that is wrong by its place.
pub(crate) fn check_faults(faults: &[Fault]) -> Result<()> {
    for (i, fault) in faults.iter().enumerate() {
        if let Some(problem) = fault.problem() {
            return Err(Error::Config(format!(
                "fault {} ({fault}): {problem}",
                i + 1
            )));
        }
    }
    Ok(())
}

/// Warns about faults that cannot apply on the slave's link: they are skipped there (a
/// map of faults may be served over TCP and over RTU alike, so this is no error).
fn warn_inapplicable(faults: &[Fault], framing: Framing) {
    let mbap = framing == Framing::Mbap;
    for (i, fault) in faults.iter().enumerate() {
        if !fault.action().applies(mbap) {
            let only = if mbap {
                "RTU and ASCII"
            } else {
                "Modbus/TCP, TLS and UDP"
            };
            tracing::warn!(
                "fault {} ({fault}) applies only on {only} links: it is skipped on this one",
                i + 1
            );
        }
    }
}

impl Settings {
    /// True if a client at `ip` may connect.
    pub(crate) fn allows(&self, ip: IpAddr) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(ip))
    }

    /// The limits each connection is served with (a serial line has none).
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            idle_timeout: self.idle_timeout,
            frame_timeout: self.frame_timeout,
            write_timeout: self.write_timeout,
            max_frame_len: self.max_frame_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_named() {
        let mem = Memory::new(4);
        let bad = [
            Config {
                max_connections: 0,
                ..Config::default()
            },
            Config {
                idle_timeout: Duration::ZERO,
                ..Config::default()
            },
            Config {
                max_frame_len: 11,
                ..Config::default()
            },
            Config {
                max_frame_len: 261,
                ..Config::default()
            },
            Config {
                units: Units::Set([0; 4]),
                ..Config::default()
            },
        ];
        for (config, word) in bad.iter().zip([
            "max_connections",
            "idle_timeout",
            "max_frame_len",
            "max_frame_len",
            "unit",
        ]) {
            let err = config
                .settings(&mem, Framing::Mbap)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(word), "{err}");
        }
    }
}
