//! Carrying out one device's sets: each is checked (variable, area, age, expiry, the
//! device online, the value), written to the memory, and confirmed by the device through
//! its master, many at a time: one flush in flight, the sets that come meanwhile wait
//! for the next. What goes wrong is published on `PREFIX/DEVICE/error`, naming the
//! variable, and nothing is written.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use msm::Area;
use msm::map::suggest::did_you_mean;
use tokio::task::JoinHandle;

use crate::device::Device;
use crate::quote::{EXCERPT_BYTES, escape, excerpt, short};
use crate::router::SetRequest;
use crate::session::Publication;
use crate::status::Counters;
use crate::topics::Topics;

/// How long a stopping bridge waits for the device to confirm the writes in flight.
const FINISH: Duration = Duration::from_secs(1);

/// Sets written, waiting for one flush: how many per variable.
#[derive(Default)]
struct Batch {
    counts: Vec<u64>,
    touched: Vec<usize>,
}

impl Batch {
    fn add(&mut self, var: usize, vars: usize) {
        if self.counts.len() < vars {
            self.counts.resize(vars, 0);
        }
        if self.counts[var] == 0 {
            self.touched.push(var);
        }
        self.counts[var] += 1;
    }

    fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}

struct Flight {
    flush: JoinHandle<msm::Result<()>>,
    batch: Batch,
}

pub(crate) struct Sets {
    device: Arc<Device>,
    topics: Topics,
    /// Refusals to publish, oldest first (the worker sends them).
    pub(crate) errors: VecDeque<Publication>,
    counters: Arc<Counters>,
    max_age: Option<Duration>,
    waiting: Batch,
    flight: Option<Flight>,
}

impl Sets {
    pub(crate) fn new(
        device: Arc<Device>,
        topics: Topics,
        counters: Arc<Counters>,
        max_age: Option<Duration>,
    ) -> Sets {
        Sets {
            device,
            topics,
            errors: VecDeque::new(),
            counters,
            max_age,
            waiting: Batch::default(),
            flight: None,
        }
    }

    /// Checks `set` and writes it, or publishes why not.
    pub(crate) fn apply(&mut self, set: SetRequest) {
        let vars = &self.device.vars;
        let Some(i) = vars.iter().position(|v| v.name() == set.var) else {
            let why = format!(
                "no variable {} in this device's map{}: it has {} variable(s)",
                short(&set.var),
                did_you_mean(&set.var, vars.iter().map(|v| v.name())),
                vars.len()
            );
            return self.refuse(&short(&set.var), why);
        };
        let var = &vars[i];
        let name = var.name().to_string();
        if let Err(why) = self.check(&set, var.area()) {
            return self.refuse(&name, why);
        }
        let payload = set.payload.trim();
        let value = match var.parse_value(payload) {
            Ok(v) => v,
            Err(e) => {
                let why = if payload.len() > EXCERPT_BYTES {
                    // The map's message would quote all of it.
                    format!(
                        "{} is not a {} value: nothing written",
                        excerpt(payload.as_bytes()),
                        var.def().ty.name()
                    )
                } else if payload.is_empty() {
                    format!(
                        "{} (an empty payload: was a retained set being cleared? that is done \
                         with -r)",
                        e.kind()
                    )
                } else {
                    escape(&e.kind().to_string())
                };
                return self.refuse(&name, why);
            }
        };
        if let Err(e) = var.set(value) {
            return self.refuse(&name, e.to_string());
        }
        if self.device.master.is_some() {
            self.waiting.add(i, vars.len());
            self.start_flush();
        } else {
            // The program's own memory: written, nothing to confirm.
            self.counters.applied.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Why `set` may not be written now, if it may not.
    fn check(&self, set: &SetRequest, area: Area) -> Result<(), String> {
        if matches!(area, Area::Input | Area::Discrete) {
            return Err(format!(
                "is read-only (it lives in the {area} area, which masters cannot write)"
            ));
        }
        let now = Instant::now();
        if let Some(max) = self.max_age {
            let again = "publish it again if it still holds";
            match set.born {
                None => {
                    return Err(format!(
                        "not written: it waited in the broker while the gateway was not running, \
                         for an unknown time (maybe over set_max_age = {max:?}): {again}"
                    ));
                }
                Some(born) if now.saturating_duration_since(born) > max => {
                    let age = now.saturating_duration_since(born).as_secs_f64();
                    let wait = if set.from_backlog {
                        "in the broker while the gateway was away"
                    } else {
                        "to be written"
                    };
                    return Err(format!(
                        "not written: it waited {wait}, up to {age:.1}s, over set_max_age = \
                         {max:?}: {again}"
                    ));
                }
                Some(_) => {}
            }
        }
        if set.expires.is_some_and(|at| now > at) {
            return Err("not written: its MQTT message expiry passed before it could be".into());
        }
        if let Some(master) = &self.device.master
            && !master.status().connected
        {
            // A write kept for later would land after the error said it did not.
            return Err(
                "the device is offline: nothing written, send it again once it is online".into(),
            );
        }
        Ok(())
    }

    /// Starts a flush of the sets waiting, unless one is in flight.
    fn start_flush(&mut self) {
        if self.flight.is_some() || self.waiting.is_empty() {
            return;
        }
        let Some(master) = self.device.master.clone() else {
            return;
        };
        let batch = std::mem::take(&mut self.waiting);
        let flush = tokio::spawn(async move { master.flush().await });
        self.flight = Some(Flight { flush, batch });
    }

    /// True while a flush is in flight.
    pub(crate) fn confirming(&self) -> bool {
        self.flight.is_some()
    }

    /// The outcome of the flush in flight (never resolves without one). Cancel-safe.
    pub(crate) async fn confirmation(&mut self) -> Result<(), String> {
        match &mut self.flight {
            Some(f) => match (&mut f.flush).await {
                Ok(done) => done.map_err(|e| e.to_string()),
                Err(e) => Err(format!("the flush task failed: {e}")),
            },
            None => std::future::pending().await,
        }
    }

    /// The flush in flight ended with `outcome`: publishes an error for every variable
    /// the device refused (or did not confirm), starts the next flush, and returns the
    /// variables whose new value is confirmed (to publish).
    pub(crate) fn confirmed(&mut self, outcome: Result<(), String>) -> Vec<usize> {
        let Some(flight) = self.flight.take() else {
            return Vec::new();
        };
        let mut done = Vec::new();
        for &i in &flight.batch.touched {
            let var = &self.device.vars[i];
            let sets = flight.batch.counts[i];
            let why = match (&outcome, var.refused()) {
                (_, Some(refusal)) => {
                    format!("the device refused the write: {}", refusal.describe())
                }
                (Err(e), None) if var.pending() => format!("the write was not confirmed: {e}"),
                _ => {
                    self.counters.applied.fetch_add(sets, Ordering::Relaxed);
                    done.push(i);
                    continue;
                }
            };
            let name = var.name().to_string();
            self.refuse_many(&name, why, sets);
        }
        self.start_flush();
        done
    }

    /// A set still queued when the bridge stops.
    pub(crate) fn stopping(&mut self, var: &str) {
        self.refuse(&short(var), "not written: the gateway is stopping".into());
    }

    /// When stopping: waits (bounded) for the flush in flight, and says which writes were
    /// not confirmed.
    pub(crate) async fn finish(&mut self) {
        if self.flight.is_some() {
            match tokio::time::timeout(FINISH, self.confirmation()).await {
                Ok(outcome) => {
                    self.confirmed(outcome);
                }
                Err(_) => {
                    if let Some(flight) = self.flight.take() {
                        self.unconfirmed(flight.batch);
                    }
                }
            }
        }
        let waiting = std::mem::take(&mut self.waiting);
        self.unconfirmed(waiting);
    }

    fn unconfirmed(&mut self, batch: Batch) {
        for &i in &batch.touched {
            let name = self.device.vars[i].name().to_string();
            let why =
                "the gateway stopped before the device confirmed the write (it may still land)";
            self.refuse_many(&name, why.into(), batch.counts[i]);
        }
    }

    fn refuse(&mut self, var: &str, why: String) {
        self.refuse_many(var, why, 1);
    }

    /// Publishes `VAR: why` on the device's error topic, for `sets` sets.
    fn refuse_many(&mut self, var: &str, why: String, sets: u64) {
        self.counters.refused.fetch_add(sets, Ordering::Relaxed);
        let message = format!("{var}: {why}");
        tracing::warn!("set refused ({}): {message}", self.device.name);
        let topic = self.topics.error(&self.device.name);
        self.errors.push_back(Publication::error(topic, message));
    }
}
