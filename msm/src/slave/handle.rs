//! Handles on a running slave: for blocking programs and for tokio programs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use tokio_util::sync::CancellationToken;

use super::config::check_faults;
use super::core::diagnostics::Diagnostics;
use super::core::fault::FaultSwitch;
use super::core::rules::Rules;
use super::tcp::Stats;
use crate::types::{Fault, Result};

/// What both handles hold.
pub(crate) struct Parts {
    pub(crate) local_addr: SocketAddr,
    /// The rules the slave answers by, for its diagnostics.
    pub(crate) rules: Arc<Rules>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) stop: CancellationToken,
    /// The faults the slave makes on purpose, which the handle may replace.
    pub(crate) faults: Arc<FaultSwitch>,
}

impl Parts {
    fn set_faults(&self, faults: Vec<Fault>) -> Result<()> {
        check_faults(&faults)?;
        self.faults.replace(faults);
        Ok(())
    }

    fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::Relaxed)
    }

    fn diagnostics(&self) -> Diagnostics {
        self.rules.diagnostics.snapshot()
    }

    /// Busy polls that caught a request, over the slave's life.
    pub(crate) fn polls_caught(&self) -> u64 {
        self.stats.polling.as_ref().map_or(0, |p| p.caught())
    }

    /// Either handle's `Debug`, under the handle's name.
    fn debug(&self, handle: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(handle)
            .field("local_addr", &self.local_addr)
            .field("connections", &self.connections())
            .field("polls_caught", &self.polls_caught())
            .finish()
    }
}

/// A running slave, for programs without an async runtime: it serves from a thread of
/// its own. Dropping the handle stops the slave, as [`stop`](Self::stop) does.
///
/// ```
/// use msm::{Memory, Slave};
/// let mem = Memory::new(8);
/// let slave = Slave::tcp("127.0.0.1:0").serve(mem)?;   // port 0: the system picks one
/// println!("serving on {}", slave.local_addr());
/// assert_eq!(slave.connections(), 0);
/// slave.stop();
/// # Ok::<(), msm::Error>(())
/// ```
pub struct SlaveHandle {
    parts: Parts,
    thread: Option<JoinHandle<()>>,
}

impl SlaveHandle {
    pub(crate) fn new(parts: Parts, thread: JoinHandle<()>) -> Self {
        SlaveHandle {
            parts,
            thread: Some(thread),
        }
    }

    /// The address the slave listens on (with the port the system chose for port 0).
    ///
    /// ```
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve(msm::Memory::new(1))?;
    /// let addr = slave.local_addr();
    /// assert!(addr.ip().is_loopback());
    /// assert_ne!(addr.port(), 0); // the port the system chose
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.parts.local_addr
    }

    /// The slave's diagnostics as FC08, FC11 and FC12 report them: the counters, the
    /// comm event log, listen-only mode, the ASCII input delimiter. See
    /// [`Diagnostics`](super::Diagnostics).
    pub fn diagnostics(&self) -> Diagnostics {
        self.parts.diagnostics()
    }

    /// Connections being served now.
    ///
    /// ```
    /// use std::time::Duration;
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve(msm::Memory::new(1))?;
    /// let client = std::net::TcpStream::connect(slave.local_addr())?;
    /// # let deadline = std::time::Instant::now() + Duration::from_secs(10);
    /// while slave.connections() != 1 {
    /// #   assert!(std::time::Instant::now() < deadline, "not accepted");
    ///     std::thread::sleep(Duration::from_millis(5)); // accepted by the slave's thread
    /// }
    /// drop(client);
    /// while slave.connections() != 0 {
    /// #   assert!(std::time::Instant::now() < deadline, "not closed");
    ///     std::thread::sleep(Duration::from_millis(5));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connections(&self) -> usize {
        self.parts.connections()
    }

    /// Busy polls that caught a request ([`Slave::busy_poll`](super::Slave::busy_poll)).
    #[cfg(test)]
    pub(crate) fn polls_caught(&self) -> u64 {
        self.parts.polls_caught()
    }

    /// Replaces the faults the slave makes on purpose ([`Slave::faults`](super::Slave::faults)),
    /// while it serves: every connection's next request sees the new ones (an empty list
    /// switches them off), their counts start from zero and their random numbers are
    /// seeded again. A fault that is wrong (`every(0)`, a probability outside 0..=1) is an
    /// error naming it, and the faults in place stay.
    ///
    /// ```
    /// use msm::slave::{Fault, FaultAction};
    /// use msm::{Master, Memory, Slave};
    /// use std::time::Duration;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr())
    ///     .response_timeout(Duration::from_millis(100))
    ///     .start(Memory::new(4))?;
    /// master.sync()?;
    /// slave.set_faults([Fault::new(FaultAction::Drop)])?;   // the device goes silent
    /// assert!(master.sync().is_err());
    /// assert!(slave.faults_applied()[0] >= 1);
    /// slave.set_faults([])?;                                  // and answers again:
    /// let deadline = std::time::Instant::now() + Duration::from_secs(5);
    /// while master.sync().is_err() {                          // (it reconnects first)
    ///     assert!(std::time::Instant::now() < deadline, "the master did not recover");
    ///     std::thread::sleep(Duration::from_millis(20));
    /// }
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn set_faults(&self, faults: impl IntoIterator<Item = Fault>) -> Result<()> {
        self.parts.set_faults(faults.into_iter().collect())
    }

    /// How many requests each fault has been applied to, in the order the faults were
    /// given (since they were last set).
    ///
    /// ```
    /// use msm::protocol::ExceptionCode;
    /// use msm::slave::{Fault, FaultAction};
    /// use msm::{Master, Memory, Slave};
    /// let refuse = Fault::new(FaultAction::Exception(ExceptionCode::IllegalDataValue)).function(16);
    /// let slave = Slave::tcp("127.0.0.1:0").faults([refuse]).serve(Memory::new(4))?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
    /// master.sync()?;                                 // reads are answered
    /// mem.holding::<[u16; 2]>(0)?.set([1, 2])?;
    /// assert!(master.flush().is_err());               // the write is refused (03), once
    /// assert_eq!(slave.faults_applied(), [1]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn faults_applied(&self) -> Vec<u64> {
        self.parts.faults.applied()
    }

    /// Stops accepting, closes every connection (requests already executed are
    /// answered; none is executed halfway) and waits until the worker has ended, so the
    /// port is free again when this returns.
    ///
    /// ```
    /// use msm::{Memory, Slave};
    /// let first = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let addr = first.local_addr();
    /// first.stop();
    /// let second = Slave::tcp(addr).serve(Memory::new(1))?; // the port is free again
    /// assert_eq!(second.local_addr(), addr);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.parts.stop.cancel();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the slave's thread panicked");
        }
    }
}

impl std::fmt::Debug for SlaveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.parts.debug("SlaveHandle", f)
    }
}

impl Drop for SlaveHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A running slave, for tokio programs: it serves from tasks on the runtime it was
/// started on. Dropping the handle stops the slave without waiting for it to end;
/// [`stop`](Self::stop) waits.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> msm::Result<()> {
/// let mem = msm::Memory::new(8);
/// mem.holding::<u16>(0)?.set(11)?;
/// let slave = msm::Slave::tcp("127.0.0.1:0").serve_async(mem).await?;
/// println!("serving on {}", slave.local_addr());
/// let local = msm::Memory::new(8);
/// let master = msm::Master::tcp(slave.local_addr()).start_async(local.clone()).await?;
/// master.sync().await?;                         // served by tasks on this runtime
/// assert_eq!(local.holding::<u16>(0)?.get(), 11);
/// slave.stop().await;
/// # Ok(())
/// # }
/// ```
pub struct AsyncSlaveHandle {
    parts: Parts,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl AsyncSlaveHandle {
    pub(crate) fn new(parts: Parts, task: tokio::task::JoinHandle<()>) -> Self {
        AsyncSlaveHandle {
            parts,
            task: Some(task),
        }
    }

    /// The address the slave listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve_async(msm::Memory::new(1)).await?;
    /// assert_ne!(slave.local_addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.parts.local_addr
    }

    /// The slave's diagnostics as FC08, FC11 and FC12 report them: the counters, the
    /// comm event log, listen-only mode, the ASCII input delimiter. See
    /// [`Diagnostics`](super::Diagnostics).
    pub fn diagnostics(&self) -> Diagnostics {
        self.parts.diagnostics()
    }

    /// Connections being served now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve_async(msm::Memory::new(1)).await?;
    /// let _client = tokio::net::TcpStream::connect(slave.local_addr()).await?;
    /// # let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    /// while slave.connections() == 0 {
    /// #   assert!(tokio::time::Instant::now() < deadline, "not accepted");
    ///     tokio::time::sleep(Duration::from_millis(5)).await; // the accept task runs
    /// }
    /// assert_eq!(slave.connections(), 1);
    /// # Ok(()) }
    /// ```
    pub fn connections(&self) -> usize {
        self.parts.connections()
    }

    /// Replaces the faults the slave makes on purpose while it serves: see
    /// [`SlaveHandle::set_faults`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// use msm::slave::{Fault, FaultAction};
    /// let slave = msm::Slave::tcp("127.0.0.1:0").serve_async(msm::Memory::new(1)).await?;
    /// slave.set_faults([Fault::new(FaultAction::Close).function(6)])?;
    /// assert_eq!(slave.faults_applied(), [0]);
    /// assert!(slave.set_faults([Fault::new(FaultAction::Drop).every(0)]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn set_faults(&self, faults: impl IntoIterator<Item = Fault>) -> Result<()> {
        self.parts.set_faults(faults.into_iter().collect())
    }

    /// How many requests each fault has been applied to: see
    /// [`SlaveHandle::faults_applied`].
    pub fn faults_applied(&self) -> Vec<u64> {
        self.parts.faults.applied()
    }

    /// Stops accepting, closes every connection and waits until all have ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> msm::Result<()> {
    /// let first = msm::Slave::tcp("127.0.0.1:0").serve_async(msm::Memory::new(1)).await?;
    /// let addr = first.local_addr();
    /// first.stop().await;
    /// let second = msm::Slave::tcp(addr).serve_async(msm::Memory::new(1)).await?; // free again
    /// assert_eq!(second.local_addr(), addr);
    /// # Ok(()) }
    /// ```
    pub async fn stop(mut self) {
        self.parts.stop.cancel();
        if let Some(task) = self.task.take()
            && task.await.is_err()
        {
            tracing::error!("the slave's task panicked");
        }
    }
}

impl std::fmt::Debug for AsyncSlaveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.parts.debug("AsyncSlaveHandle", f)
    }
}

impl Drop for AsyncSlaveHandle {
    fn drop(&mut self) {
        self.parts.stop.cancel();
    }
}
