//! Handles on a running master: for blocking programs and for tokio programs.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::driver::{Command, Reply, gone};
use super::status::Status;
use crate::error::{Error, Result};
use crate::memory::Memory;

pub(crate) struct Parts {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) status: Arc<Mutex<Status>>,
    pub(crate) memory: Memory,
    pub(crate) peer: String,
}

impl Parts {
    fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn ask_blocking(
        &self,
        make: fn(Reply) -> Command,
        timeout: Option<Duration>,
        what: &'static str,
    ) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.commands
            .send(make(Reply::Blocking(tx)))
            .map_err(|_| gone())?;
        match timeout {
            None => rx.recv().map_err(|_| gone())?,
            Some(after) => match rx.recv_timeout(after) {
                Ok(result) => result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    Err(Error::Timeout { what, after })
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(gone()),
            },
        }
    }

    async fn ask(&self, make: fn(Reply) -> Command) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(Reply::Async(tx)))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

/// A running master, for programs without an async runtime. Dropping it stops the worker.
///
/// ```no_run
/// # use msm::{Master, Memory};
/// let mem = Memory::new(10);
/// let master = Master::tcp("127.0.0.1:5020").start(mem)?;
/// master.sync()?;                       // one full cycle, now
/// let s = master.status();
/// println!("connected={} cycles={} last={:?}", s.connected, s.cycles, s.last_cycle);
/// master.stop();
/// # Ok::<(), msm::Error>(())
/// ```
pub struct MasterHandle {
    parts: Parts,
    thread: Option<JoinHandle<()>>,
}

impl MasterHandle {
    pub(crate) fn new(parts: Parts, thread: JoinHandle<()>) -> Self {
        MasterHandle {
            parts,
            thread: Some(thread),
        }
    }

    /// The master's state now: connection, last error, cycles, cycle times, block errors.
    pub fn status(&self) -> Status {
        self.parts.status()
    }

    /// Runs a full cycle now (local writes, then every block read) and waits for it.
    /// Fails if a block failed in that cycle or the slave cannot be reached.
    pub fn sync(&self) -> Result<()> {
        self.parts.ask_blocking(Command::Sync, None, "sync")
    }

    /// [`sync`](Self::sync), giving up after `timeout`.
    pub fn sync_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts
            .ask_blocking(Command::Sync, Some(timeout), "sync")
    }

    /// Waits until every local write made so far is confirmed by the slave (across
    /// reconnections). Fails if the slave refuses one of them with an exception.
    pub fn flush(&self) -> Result<()> {
        self.parts.ask_blocking(Command::Flush, None, "flush")
    }

    /// [`flush`](Self::flush), giving up after `timeout`.
    pub fn flush_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts
            .ask_blocking(Command::Flush, Some(timeout), "flush")
    }

    /// The memory this master syncs.
    pub fn memory(&self) -> &Memory {
        &self.parts.memory
    }

    /// The slave's address as given.
    pub fn peer(&self) -> &str {
        &self.parts.peer
    }

    /// Stops the worker and waits for it to end. Local writes not yet sent stay marked
    /// in the memory (a new master started on it sends them).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.parts.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MasterHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A running master, for tokio programs. Dropping it stops the worker.
pub struct AsyncMasterHandle {
    parts: Parts,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl AsyncMasterHandle {
    pub(crate) fn new(parts: Parts, task: tokio::task::JoinHandle<()>) -> Self {
        AsyncMasterHandle {
            parts,
            task: Some(task),
        }
    }

    /// The master's state now.
    pub fn status(&self) -> Status {
        self.parts.status()
    }

    /// Runs a full cycle now and waits for it.
    pub async fn sync(&self) -> Result<()> {
        self.parts.ask(Command::Sync).await
    }

    /// Waits until every local write made so far is confirmed by the slave.
    pub async fn flush(&self) -> Result<()> {
        self.parts.ask(Command::Flush).await
    }

    /// The memory this master syncs.
    pub fn memory(&self) -> &Memory {
        &self.parts.memory
    }

    /// Stops the worker and waits for it to end.
    pub async fn stop(mut self) {
        let _ = self.parts.commands.send(Command::Stop);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for AsyncMasterHandle {
    fn drop(&mut self) {
        let _ = self.parts.commands.send(Command::Stop);
    }
}

impl std::fmt::Debug for MasterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterHandle")
            .field("peer", &self.parts.peer)
            .field("status", &self.status())
            .finish()
    }
}

impl std::fmt::Debug for AsyncMasterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncMasterHandle")
            .field("peer", &self.parts.peer)
            .field("status", &self.status())
            .finish()
    }
}
