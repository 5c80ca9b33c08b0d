//! The bridge: a builder, and the tasks it starts (the session's events, the connection
//! driver, one worker per device, discovery and stats), on the caller's runtime
//! ([`Bridge::start_async`]) or on a thread of their own ([`Bridge::start`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::driver::{Conn, Driver, Inputs};
use crate::router::Router;
use crate::session::v4::V4Events;
use crate::session::v5::V5Events;
use crate::session::{Events, Sender, SessionEvent};
use crate::status::Counters;
use crate::topics::{GATEWAY, Topics, bad_level};
use crate::worker::WorkerParts;
use crate::{BridgeStatus, Broker, Device, Error, Protocol};

/// The default topic prefix.
pub const DEFAULT_PREFIX: &str = "msm";
/// The default [`Bridge::set_max_age`]: a minute.
pub const DEFAULT_SET_MAX_AGE: Duration = Duration::from_secs(60);
/// Messages from the workers waiting for the connection driver.
const PUBLICATIONS: usize = 1_024;
/// Session events waiting for the driver.
const EVENTS: usize = 64;

/// An MQTT bridge for one or more devices (memories): builds, then
/// [`start`](Self::start)s or [`start_async`](Self::start_async).
///
/// Every variable is published retained on `PREFIX/DEVICE/VAR` (once read good) with its
/// quality on `PREFIX/DEVICE/VAR/quality`; `PREFIX/DEVICE/VAR/set` writes it; refusals go
/// to `PREFIX/DEVICE/error`; `PREFIX/DEVICE/available` and `PREFIX/gateway/available`
/// (the last will) say who is online. See `docs/gateway.md` for the topics.
///
/// ```no_run
/// use msm_mqtt::{Bridge, Broker, Device};
/// let mm = msm::Map::from_path("boiler.toml")?.build()?;
/// let bridge = Bridge::new(Broker::parse("mqtt://127.0.0.1:1883")?.client_id("boiler-bridge"))
///     .prefix("plant")
///     .device(Device::new("boiler", &mm))
///     .start()?;
/// // ... plant/boiler/SETPOINT/set writes mm's SETPOINT ...
/// bridge.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a bridge does nothing until start() is called"]
pub struct Bridge {
    broker: Broker,
    prefix: String,
    devices: Vec<Device>,
    ha_discovery: bool,
    set_max_age: Option<Duration>,
    stats: bool,
}

impl Bridge {
    /// A bridge to `broker`, with prefix `msm`, no device yet, a set max age of a minute,
    /// no Home Assistant discovery and no stats.
    pub fn new(broker: Broker) -> Bridge {
        Bridge {
            broker,
            prefix: DEFAULT_PREFIX.to_string(),
            devices: Vec::new(),
            ha_discovery: false,
            set_max_age: Some(DEFAULT_SET_MAX_AGE),
            stats: false,
        }
    }

    /// The topic prefix (default `msm`; levels separated by `/`, no `+` or `#`).
    ///
    /// ```
    /// let b = msm_mqtt::Bridge::new(msm_mqtt::Broker::new("127.0.0.1", 1883)).prefix("site/a");
    /// # let _ = b;
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Bridge {
        self.prefix = prefix.into();
        self
    }

    /// Bridges `device` too (names must be unique).
    pub fn device(mut self, device: Device) -> Bridge {
        self.devices.push(device);
        self
    }

    /// Home Assistant MQTT discovery: a retained config per variable under
    /// `homeassistant/`, at every connection and whenever Home Assistant says `online`.
    pub fn ha_discovery(mut self, on: bool) -> Bridge {
        self.ha_discovery = on;
        self
    }

    /// Refuses (with an error) a set older than `age` instead of applying it late: one
    /// the broker kept while the bridge was away counts from when the broker was last
    /// heard from, and one it kept while the bridge was not running has no known age, so
    /// it is refused. `None` applies sets whatever their age. Default: a minute.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = msm_mqtt::Bridge::new(msm_mqtt::Broker::new("127.0.0.1", 1883))
    ///     .set_max_age(Some(Duration::from_secs(10)));
    /// # let _ = b;
    /// ```
    pub fn set_max_age(mut self, age: Option<Duration>) -> Bridge {
        self.set_max_age = age;
        self
    }

    /// Publishes `PREFIX/gateway/stats` every 5 s (links, online, cycles, messages,
    /// cycle durations) for the devices that have a master.
    pub fn stats(mut self, on: bool) -> Bridge {
        self.stats = on;
        self
    }

    /// Checks the settings: a prefix that can be one, at least one device, names that
    /// are topic levels and unique.
    fn check(&self) -> Result<(), Error> {
        let prefix = self.prefix.trim_end_matches('/');
        if prefix.is_empty() || prefix.split('/').any(|l| bad_level(l).is_some()) {
            return Err(Error::Config(format!(
                "prefix {:?} cannot be a topic prefix: give non-empty levels without + or # \
                 (default \"{DEFAULT_PREFIX}\")",
                self.prefix
            )));
        }
        if self.devices.is_empty() {
            return Err(Error::Config(
                "no device to bridge: add one with Bridge::device".into(),
            ));
        }
        for (i, d) in self.devices.iter().enumerate() {
            d.check()?;
            if self.devices[..i].iter().any(|o| o.name == d.name) {
                return Err(Error::Config(format!(
                    "two devices are named {:?}: names are topic levels and must be unique",
                    d.name
                )));
            }
        }
        Ok(())
    }

    /// Starts the bridge on the current tokio runtime. It connects in the background (the
    /// broker may be down: it is retried, and said so on stderr).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mm = msm::Map::from_path("boiler.toml")?.build()?;
    /// use msm_mqtt::{Bridge, Broker, Device};
    /// let bridge = Bridge::new(Broker::parse("mqtt://127.0.0.1:1883")?)
    ///     .device(Device::new("boiler", &mm))
    ///     .start_async()
    ///     .await?;
    /// println!("{:?}", bridge.status());
    /// bridge.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn start_async(self) -> Result<AsyncBridgeHandle, Error> {
        self.check()?;
        let will = Topics::new(&self.prefix).available(GATEWAY);
        Ok(match self.broker.protocol {
            Protocol::V3_1_1 => {
                let (events, sender) = V4Events::open(&self.broker, &will)?;
                spawn(self, events, sender, false)
            }
            Protocol::V5 => {
                let (events, sender) = V5Events::open(&self.broker, &will)?;
                spawn(self, events, sender, true)
            }
        })
    }

    /// Starts the bridge on a thread of its own (with its own runtime), for programs
    /// without tokio.
    pub fn start(self) -> Result<BridgeHandle, Error> {
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("msm-mqtt".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match self.start_async().await {
                        Ok(mut handle) => {
                            let stop = handle.stop.clone();
                            let status = handle.counters.clone();
                            if ready_tx.send(Ok((stop, status))).is_ok() {
                                handle.stopped().await;
                            }
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(Error::Runtime)?;
        let (stop, counters) = ready
            .recv()
            .map_err(|_| Error::Config("the bridge's thread ended at start".into()))??;
        Ok(BridgeHandle {
            stop,
            counters,
            thread: Some(thread),
        })
    }
}

/// Starts the tasks of `bridge` over a session's halves, on the current runtime.
pub(crate) fn spawn<E: Events, S: Sender>(
    bridge: Bridge,
    events: E,
    sender: S,
    v5: bool,
) -> AsyncBridgeHandle {
    let topics = Topics::new(&bridge.prefix);
    let counters = Arc::new(Counters::default());
    let stop = CancellationToken::new();
    let workers_stop = CancellationToken::new();
    let goodbye = CancellationToken::new();
    let (conn_tx, conn) = watch::channel(Conn::default());
    let (out, publications) = mpsc::channel(PUBLICATIONS);
    let (took_tx, took) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::channel(EVENTS);
    let ha_online = Arc::new(Notify::new());
    let names: Vec<(String, Vec<String>)> = bridge
        .devices
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.vars.iter().map(|v| v.name().to_string()).collect(),
            )
        })
        .collect();
    let router = Router::new(topics.clone(), &names, bridge.ha_discovery, v5, nonce());
    let devices: Vec<Arc<Device>> = bridge.devices.into_iter().map(Arc::new).collect();
    let mut inboxes = Vec::new();
    let mut workers = Vec::new();
    for (index, device) in devices.iter().enumerate() {
        let (tx, sets) = mpsc::unbounded_channel();
        inboxes.push(tx);
        let parts = WorkerParts {
            index,
            device: Device::clone(device),
            topics: topics.clone(),
            out: out.clone(),
            sets,
            took: took_tx.clone(),
            conn: conn.clone(),
            counters: counters.clone(),
            max_age: bridge.set_max_age,
        };
        workers.push(tokio::spawn(crate::worker::run(
            parts,
            workers_stop.clone(),
        )));
    }
    if bridge.ha_discovery {
        workers.push(tokio::spawn(crate::discovery::run(
            topics.clone(),
            devices.clone(),
            out.clone(),
            conn.clone(),
            ha_online.clone(),
            workers_stop.clone(),
        )));
    }
    if bridge.stats {
        let masters = devices.iter().filter_map(|d| d.master.clone()).collect();
        workers.push(tokio::spawn(crate::stats::run(
            topics.stats(),
            masters,
            out.clone(),
            counters.clone(),
            workers_stop.clone(),
        )));
    }
    drop(out);
    let driver = Driver {
        sender,
        router,
        topics,
        conn: conn_tx,
        inboxes,
        device_names: names.into_iter().map(|(n, _)| n).collect(),
        ha_online,
        counters: counters.clone(),
        outbox: Default::default(),
    };
    let inputs = Inputs {
        events: events_rx,
        publications,
        took,
    };
    let pump = tokio::spawn(pump_events(events, events_tx));
    let driver = tokio::spawn(driver.run(inputs, goodbye.clone()));
    let stopping = stop.clone();
    let done = tokio::spawn(async move {
        stopping.cancelled().await;
        // Workers first (they answer the sets still queued), then the goodbyes.
        workers_stop.cancel();
        for w in workers {
            let _ = w.await;
        }
        goodbye.cancel();
        let _ = driver.await;
        pump.abort();
        let _ = pump.await;
    });
    AsyncBridgeHandle {
        stop,
        done: Some(done),
        counters,
    }
}

/// Moves the session's events to the driver until the session ends.
async fn pump_events<E: Events>(mut events: E, to: mpsc::Sender<SessionEvent>) {
    loop {
        let event = events.next().await;
        let closed = matches!(event, SessionEvent::Closed);
        if to.send(event).await.is_err() || closed {
            break;
        }
    }
}

/// Marks this bridge's own `online` message among others on the same prefix.
fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}", std::process::id())
}

/// A bridge running on the caller's runtime ([`Bridge::start_async`]). Dropping it stops
/// the bridge in the background; [`stop`](Self::stop) waits for the goodbyes.
#[derive(Debug)]
pub struct AsyncBridgeHandle {
    stop: CancellationToken,
    done: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl AsyncBridgeHandle {
    /// The bridge's state now.
    pub fn status(&self) -> BridgeStatus {
        self.counters.status()
    }

    /// Stops cleanly: the sets still queued are answered, every device and then the
    /// gateway say `offline` (retained), the broker's acknowledgement is awaited (at most
    /// 2 s) and the connection is closed with a DISCONNECT. Bounded: a few seconds.
    pub async fn stop(mut self) {
        self.stop.cancel();
        self.stopped().await;
    }

    /// Waits until the bridge has stopped.
    async fn stopped(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for AsyncBridgeHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A bridge running on a thread of its own ([`Bridge::start`]). Dropping it stops the
/// bridge and waits, as [`stop`](Self::stop) does.
#[derive(Debug)]
pub struct BridgeHandle {
    stop: CancellationToken,
    counters: Arc<Counters>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BridgeHandle {
    /// The bridge's state now.
    pub fn status(&self) -> BridgeStatus {
        self.counters.status()
    }

    /// Stops cleanly (see [`AsyncBridgeHandle::stop`]) and waits for it.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for BridgeHandle {
    fn drop(&mut self) {
        self.shut();
    }
}
