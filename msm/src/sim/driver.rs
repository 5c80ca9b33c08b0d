//! Runs a [`Simulator`] on a thread of its own: it ticks the engine at the instants the
//! engine asks for and sleeps in between (no polling), until stopped.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use super::Simulator;
use crate::types::{Error, Result};

/// A simulator running on a thread of its own ([`Simulator::start`]). Dropping it stops
/// the simulator, as [`stop`](Self::stop) does; the variables keep their last values.
///
/// ```
/// use msm::sim::Simulator;
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     input_registers = 1
///     [vars]
///     UP = { area = "input", address = 0, type = "u16", sim = { kind = "uptime" } }
/// "#)?.build()?;
/// let sim = Simulator::new(&mm)?.start()?;
/// assert_eq!(mm.find("UP")?.get().to_string(), "0");
/// sim.stop();
/// # Ok::<(), msm::Error>(())
/// ```
pub struct SimHandle {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
}

/// Set and signalled to stop the thread.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Simulator {
    /// Runs the simulator on a thread of its own, from now: the first tick is made
    /// before this returns (behaviours of time have their first values), the next ones
    /// when they are due. Needs no runtime; works the same in a tokio program.
    pub fn start(mut self) -> Result<SimHandle> {
        let stop = Arc::new(Stop::default());
        let mut next = self.tick(Instant::now(), SystemTime::now());
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("msm-sim".into())
            .spawn(move || {
                let mut stopped = thread_stop
                    .stopped
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                loop {
                    if *stopped {
                        return;
                    }
                    stopped = match next {
                        Some(at) => {
                            let wait = at.saturating_duration_since(Instant::now());
                            if wait.is_zero() {
                                drop(stopped);
                                next = self.tick(Instant::now(), SystemTime::now());
                                thread_stop
                                    .stopped
                                    .lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                            } else {
                                thread_stop
                                    .wake
                                    .wait_timeout(stopped, wait)
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .0
                            }
                        }
                        None => thread_stop
                            .wake
                            .wait(stopped)
                            .unwrap_or_else(PoisonError::into_inner),
                    };
                }
            })
            .map_err(|e| Error::Io {
                context: "cannot start the simulator's thread".into(),
                source: e,
            })?;
        Ok(SimHandle {
            stop,
            thread: Some(thread),
        })
    }
}

impl SimHandle {
    /// Stops the simulator and waits for its thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        *self
            .stop
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.stop.wake.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the simulator's thread panicked");
        }
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").finish_non_exhaustive()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
