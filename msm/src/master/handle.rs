//! Handles on a running master: for blocking programs and for tokio programs.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::driver::{Command, Reply, gone};
use super::status::Status;
use crate::memory::Memory;
use crate::types::Result;

pub(crate) struct Parts {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) status: Arc<Mutex<Status>>,
    pub(crate) memory: Memory,
    pub(crate) peer: String,
    /// The master's unit (its first one): where one-off requests go.
    pub(crate) unit: u8,
}

impl Parts {
    fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Either handle's `Debug`, under the handle's name.
    fn debug(&self, handle: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(handle)
            .field("peer", &self.peer)
            .field("status", &self.status())
            .finish()
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
                    Err(self.status().gave_up(what, after))
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(gone()),
            },
        }
    }

    /// Sends the one-off request `pdu` to `unit` and waits for the response PDU.
    pub(crate) fn request_blocking(
        &self,
        unit: u8,
        pdu: Vec<u8>,
        answered: bool,
    ) -> Result<Vec<u8>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let reply = Reply::Blocking(tx);
        self.send_request(unit, pdu, answered, reply)?;
        rx.recv().map_err(|_| gone())?
    }

    /// [`request_blocking`](Self::request_blocking), awaited.
    pub(crate) async fn request(&self, unit: u8, pdu: Vec<u8>, answered: bool) -> Result<Vec<u8>> {
        let (tx, rx) = oneshot::channel();
        self.send_request(unit, pdu, answered, Reply::Async(tx))?;
        rx.await.map_err(|_| gone())?
    }

    fn send_request(
        &self,
        unit: u8,
        pdu: Vec<u8>,
        answered: bool,
        reply: Reply<Vec<u8>>,
    ) -> Result<()> {
        let request = Command::Request {
            unit,
            pdu,
            answered,
            reply,
        };
        self.commands.send(request).map_err(|_| gone())
    }

    async fn ask(&self, make: fn(Reply) -> Command) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(Reply::Async(tx)))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    async fn ask_timeout(
        &self,
        make: fn(Reply) -> Command,
        timeout: Duration,
        what: &'static str,
    ) -> Result<()> {
        match tokio::time::timeout(timeout, self.ask(make)).await {
            Ok(result) => result,
            Err(_) => Err(self.status().gave_up(what, timeout)),
        }
    }
}

/// A running master, for programs without an async runtime. Dropping it stops the worker.
///
/// ```
/// # use msm::{Master, Memory};
/// # let slave = msm::Slave::tcp("127.0.0.1:0").serve(Memory::new(10))?;
/// # let addr = slave.local_addr().to_string(); // "192.168.0.10:502" for a real device
/// let mem = Memory::new(10);
/// let master = Master::tcp(addr).start(mem)?;
/// master.sync()?;                       // one full cycle, now
/// assert!(!master.memory().is_stale()); // the memory holds the slave's data
/// let s = master.status();
/// println!("connected={} cycles={} last={:?}", s.connected, s.cycles, s.last_cycle);
/// master.stop();
/// # Ok::<(), msm::Error>(())
/// ```
pub struct MasterHandle {
    pub(super) parts: Parts,
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
    ///
    /// ```
    /// use msm::{Master, Memory};
    /// use std::time::Duration;
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())?.port();
    /// let master = Master::tcp(("127.0.0.1", port)).start(Memory::new(4))?; // nothing listens there
    /// # let deadline = std::time::Instant::now() + Duration::from_secs(10);
    /// while master.status().last_error.is_none() {
    /// #   assert!(std::time::Instant::now() < deadline, "no connection attempt");
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// let s = master.status();
    /// assert!(!s.connected && s.stale && s.cycles == 0);
    /// assert!(s.last_error.unwrap_or_default().contains("cannot connect"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Status {
        self.parts.status()
    }

    /// Runs a full cycle now (local writes, then every block read) and waits for it.
    /// Fails if a block failed in that cycle or the slave cannot be reached.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(2);
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
    /// let mem = Memory::new(2);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// served.holding::<u16>(1)?.set(99)?;           // the slave's value changes...
    /// master.sync()?;                               // ...and is read now, not at the next period
    /// assert_eq!(mem.holding::<u16>(1)?.get(), 99);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn sync(&self) -> Result<()> {
        self.parts.ask_blocking(Command::Sync, None, "sync")
    }

    /// [`sync`](Self::sync), giving up after `timeout`: [`Error::GaveUp`](crate::Error::GaveUp) with the
    /// cause if the slave kept answering but not usably, else [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// ```
    /// use msm::{Error, Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).serve(Memory::new(2))?;
    /// let ok = Master::tcp(slave.local_addr()).start(Memory::new(2))?;
    /// ok.sync_timeout(Duration::from_secs(10))?;
    /// let silent = Master::tcp(slave.local_addr()).unit(9).start(Memory::new(2))?; // unit 9: no answer
    /// let err = silent.sync_timeout(Duration::from_millis(50)).unwrap_err();
    /// assert!(matches!(err, Error::Timeout { what: "sync", .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sync_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts
            .ask_blocking(Command::Sync, Some(timeout), "sync")
    }

    /// Waits until every local write made so far is confirmed by the slave (across
    /// reconnections). Fails if the slave refuses one of them with an exception.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// mem.holding::<f32>(0)?.set(2.5)?;
    /// mem.holding::<u16>(3)?.set(1)?;
    /// master.flush()?;                              // both writes are in the slave now
    /// assert_eq!(served.holding::<f32>(0)?.get(), 2.5);
    /// assert_eq!(served.holding::<u16>(3)?.get(), 1);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        self.parts.ask_blocking(Command::Flush, None, "flush")
    }

    /// [`flush`](Self::flush), giving up after `timeout`: [`Error::GaveUp`](crate::Error::GaveUp) with the
    /// slave's last unusable answer to a write (exception 06 busy, say, which the
    /// master retries), else [`Error::Timeout`](crate::Error::Timeout) (nothing answered).
    ///
    /// ```
    /// use msm::{Error, Master, Memory};
    /// use std::time::Duration;
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())?.port();
    /// let mem = Memory::new(1);
    /// let master = Master::tcp(("127.0.0.1", port)).start(mem.clone())?; // nothing listens there
    /// mem.holding::<u16>(0)?.set(1)?;               // kept, to send once connected
    /// let err = master.flush_timeout(Duration::from_millis(50)).unwrap_err();
    /// assert!(matches!(err, Error::Timeout { what: "flush", .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts
            .ask_blocking(Command::Flush, Some(timeout), "flush")
    }

    /// The memory this master syncs.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let mem = Memory::new(1);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// assert!(master.memory().ptr_eq(&mem));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn memory(&self) -> &Memory {
        &self.parts.memory
    }

    /// The slave's address as given.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let addr = format!("localhost:{}", slave.local_addr().port());
    /// let master = Master::tcp(&addr).start(Memory::new(1))?;
    /// assert_eq!(master.peer(), addr);              // as given, not resolved
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn peer(&self) -> &str {
        &self.parts.peer
    }

    /// Stops the worker and waits for it to end. Local writes not yet sent stay marked
    /// in the memory (a new master started on it sends them).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let shape = || Memory::builder().input_registers(1).build();
    /// let slave = Slave::tcp("127.0.0.1:0").serve(shape()?)?;
    /// let mem = shape()?;
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// assert!(mem.input::<u16>(0)?.set(1).is_err()); // synced: the slave's to change
    /// master.stop();
    /// mem.input::<u16>(0)?.set(1)?;                   // no longer synced
    /// let again = Master::tcp(slave.local_addr()).start(mem)?; // a new master may take it
    /// # drop(again);
    /// # Ok::<(), msm::Error>(())
    /// ```
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

/// A running master, for tokio programs. Dropping it stops the worker without waiting
/// for it to end; [`stop`](Self::stop) waits.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
/// use msm::{Master, Memory, Slave};
/// let served = Memory::new(4);
/// let slave = Slave::tcp("127.0.0.1:0").serve_async(served.clone()).await?;
/// let mem = Memory::new(4);
/// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
/// mem.holding::<u32>(0)?.set(70_000)?;
/// master.flush().await?;
/// assert_eq!(served.holding::<u32>(0)?.get(), 70_000);
/// master.stop().await;
/// # Ok(()) }
/// ```
pub struct AsyncMasterHandle {
    pub(super) parts: Parts,
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(Memory::new(4)).await?;
    /// let master = Master::tcp(slave.local_addr()).start_async(Memory::new(4)).await?;
    /// # let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    /// while master.status().cycles == 0 {
    /// #   assert!(tokio::time::Instant::now() < deadline, "no cycle");
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// assert!(master.status().connected);
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> Status {
        self.parts.status()
    }

    /// Runs a full cycle now and waits for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::builder().coils(8).build()?;
    /// served.coil::<bool>(5)?.set(true)?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(served).await?;
    /// let mem = Memory::builder().coils(8).build()?;
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// master.sync().await?;
    /// assert!(mem.coil::<bool>(5)?.get());
    /// # Ok(()) }
    /// ```
    pub async fn sync(&self) -> Result<()> {
        self.parts.ask(Command::Sync).await
    }

    /// Waits until every local write made so far is confirmed by the slave.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(8);
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(served.clone()).await?;
    /// let mem = Memory::new(8);
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// mem.holding_string(0, 8)?.set("HELLO".to_string())?;
    /// master.flush().await?;
    /// assert_eq!(served.holding_string(0, 8)?.get(), "HELLO");
    /// # Ok(()) }
    /// ```
    pub async fn flush(&self) -> Result<()> {
        self.parts.ask(Command::Flush).await
    }

    /// [`sync`](Self::sync), giving up after `timeout` as
    /// [`MasterHandle::sync_timeout`] does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Error, Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").unit(1).serve_async(Memory::new(2)).await?;
    /// let silent = Master::tcp(slave.local_addr()).unit(9).start_async(Memory::new(2)).await?;
    /// let err = silent.sync_timeout(Duration::from_millis(50)).await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { what: "sync", .. })); // unit 9: no answer
    /// # Ok(()) }
    /// ```
    pub async fn sync_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts.ask_timeout(Command::Sync, timeout, "sync").await
    }

    /// [`flush`](Self::flush), giving up after `timeout` as
    /// [`MasterHandle::flush_timeout`] does: [`Error::GaveUp`](crate::Error::GaveUp) says why when the slave
    /// kept answering but not usably.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let served = Memory::new(2);
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(served.clone()).await?;
    /// let mem = Memory::new(2);
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// mem.holding::<u16>(1)?.set(3)?;
    /// master.flush_timeout(Duration::from_secs(10)).await?;
    /// assert_eq!(served.holding::<u16>(1)?.get(), 3);
    /// # Ok(()) }
    /// ```
    pub async fn flush_timeout(&self, timeout: Duration) -> Result<()> {
        self.parts
            .ask_timeout(Command::Flush, timeout, "flush")
            .await
    }

    /// The memory this master syncs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(Memory::new(1)).await?;
    /// let mem = Memory::new(1);
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// assert!(master.memory().ptr_eq(&mem));
    /// # Ok(()) }
    /// ```
    pub fn memory(&self) -> &Memory {
        &self.parts.memory
    }

    /// Stops the worker and waits for it to end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve_async(Memory::new(1)).await?;
    /// let mem = Memory::new(1);
    /// let master = Master::tcp(slave.local_addr()).start_async(mem.clone()).await?;
    /// master.stop().await;
    /// let again = Master::tcp(slave.local_addr()).start_async(mem).await;
    /// assert!(again.is_ok()); // the memory is free to be synced again
    /// # Ok(()) }
    /// ```
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
        self.parts.debug("MasterHandle", f)
    }
}

impl std::fmt::Debug for AsyncMasterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.parts.debug("AsyncMasterHandle", f)
    }
}
