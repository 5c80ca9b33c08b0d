//! The async driver: moves bytes and time between a link and the engine, and nothing
//! else. Every decision is the engine's.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

use super::core::backoff::Backoff;
use super::engine::{Engine, Event};
use super::status::Status;
use crate::memory::Peer;
use crate::transport::{Link, Stream};
use crate::types::{Error, Result};

/// Where a waiter wants its answer: a blocked thread or a task.
pub(crate) enum Reply<T = ()> {
    Blocking(std::sync::mpsc::Sender<Result<T>>),
    Async(oneshot::Sender<Result<T>>),
}

impl<T> Reply<T> {
    fn send(self, result: Result<T>) {
        // The waiter may have given up (timeout); nobody to tell then.
        match self {
            Reply::Blocking(tx) => drop(tx.send(result)),
            Reply::Async(tx) => drop(tx.send(result)),
        }
    }
}

/// What a handle asks of the worker.
pub(crate) enum Command {
    Sync(Reply),
    Flush(Reply),
    /// A one-off request: `pdu` to `unit`, answered with the response PDU (`answered`:
    /// false for a request the slave never answers).
    Request {
        unit: u8,
        pdu: Vec<u8>,
        answered: bool,
        reply: Reply<Vec<u8>>,
    },
    Stop,
}

/// Connection settings of the driver.
#[derive(Clone, Debug)]
pub(crate) struct DriverConfig {
    pub(crate) link: Link,
    pub(crate) connect_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    /// A failed connection attempt fails every waiting sync and flush at once.
    pub(crate) fail_fast: bool,
    /// The link carries datagrams (UDP): each frame is written on its own, each read is
    /// one datagram, and an empty one closes nothing.
    pub(crate) datagrams: bool,
}

/// A connection attempt under way: kept across the commands that arrive meanwhile, so
/// that a `sync` asked while connecting does not drop the half-open connection and
/// start another (the slave would see one connection closed mid-handshake per client).
type Attempt =
    Pin<Box<dyn Future<Output = std::io::Result<(Box<dyn Stream>, Option<SocketAddr>)>> + Send>>;

pub(crate) struct Driver {
    pub(crate) engine: Engine,
    pub(crate) cfg: DriverConfig,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) status: Arc<Mutex<Status>>,
    /// Signalled by the memories at every local write.
    pub(crate) wake: Arc<Notify>,
    waiters: Vec<(u64, Reply)>,
    /// The programs waiting for one-off requests' answers.
    requests: Vec<(u64, Reply<Vec<u8>>)>,
    next_id: u64,
    /// Why the last connection attempt failed, while its waiters are still to be told
    /// (with [`DriverConfig::fail_fast`]).
    unreachable: Option<String>,
}

impl Driver {
    pub(crate) fn new(
        engine: Engine,
        cfg: DriverConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        status: Arc<Mutex<Status>>,
        wake: Arc<Notify>,
    ) -> Self {
        Driver {
            engine,
            cfg,
            commands,
            status,
            wake,
            waiters: Vec::new(),
            requests: Vec::new(),
            next_id: 0,
            unreachable: None,
        }
    }

    /// Runs until stopped (a `Stop` command, or every handle dropped).
    pub(crate) async fn run(mut self) {
        let mut link: Option<Box<dyn Stream>> = None;
        let mut retry = Backoff::new(self.cfg.backoff_min, self.cfg.backoff_max);
        let mut rbuf = vec![0u8; 4096];
        // Room for the longest frame of any link: an ASCII one.
        let mut frame = [0u8; crate::protocol::ascii::MAX_FRAME_LEN];
        let mut wbuf: Vec<u8> = Vec::with_capacity(4096);
        let mut connecting: Option<Attempt> = None;
        loop {
            if link.is_none() && (connecting.is_some() || retry.ready(Instant::now().into_std())) {
                if !self.connect(&mut link, &mut retry, &mut connecting).await {
                    break;
                }
                self.after_step(&mut link, &mut retry);
                continue;
            }

            if let Some(stream) = link.as_mut()
                && let Some(error) = self.transmit(stream, &mut frame, &mut wbuf).await
            {
                self.lose(&mut link, &mut retry, &error);
            }
            self.after_step(&mut link, &mut retry);

            let mut deadline = self.engine.poll_timeout().map(Instant::from_std);
            if link.is_none()
                && let Some(next) = retry.wake_at().map(Instant::from_std)
            {
                deadline = Some(deadline.map_or(next, |d| d.min(next)));
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                read = read_some(&mut link, &mut rbuf) => match read {
                    Ok(0) if self.cfg.datagrams => {} // an empty datagram: no answer
                    Ok(0) => self.lose(&mut link, &mut retry, "closed by the slave"),
                    Ok(n) => self.engine.handle_input(Instant::now().into_std(), &rbuf[..n]),
                    Err(e) => self.lose(&mut link, &mut retry, &e.to_string()),
                },
                () = self.wake.notified() => {}
                () = sleep => self.engine.handle_timeout(Instant::now().into_std()),
                cmd = self.commands.recv() => if !self.command(cmd) { break },
            }
            self.after_step(&mut link, &mut retry);
        }
        self.engine.stop();
        self.after_step(&mut link, &mut retry);
        if let Some(mut stream) = link {
            // Closed cleanly (TLS: close_notify), so that the slave sees a client that
            // left, not one that broke off; bounded, as a stop must not wait on a peer.
            let _ = tokio::time::timeout(Duration::from_millis(100), stream.shutdown()).await;
        }
        tracing::debug!(peer = %self.cfg.link.name(), "master stopped");
    }

    /// Goes on with the connection attempt under way (or starts one), taking commands
    /// meanwhile; false when the worker must stop.
    async fn connect(
        &mut self,
        link: &mut Option<Box<dyn Stream>>,
        retry: &mut Backoff,
        connecting: &mut Option<Attempt>,
    ) -> bool {
        let attempt = connecting.get_or_insert_with(|| {
            let (to, timeout) = (self.cfg.link.clone(), self.cfg.connect_timeout);
            Box::pin(async move { to.open(timeout).await })
        });
        let opened = tokio::select! {
            opened = attempt => opened,
            cmd = self.commands.recv() => return self.command(cmd),
        };
        *connecting = None;
        match opened {
            Ok((stream, peer)) => {
                tracing::info!(peer = %self.cfg.link.name(), "connected");
                if let Some(addr) = peer {
                    self.engine.set_peer(if self.cfg.datagrams {
                        Peer::Udp(addr)
                    } else {
                        Peer::Tcp(addr)
                    });
                }
                *link = Some(stream);
                self.engine.handle_connected(Instant::now().into_std());
            }
            Err(e) => {
                tracing::debug!(
                    peer = %self.cfg.link.name(), error = %e, retry_in = ?retry.next_pause(),
                    "connect failed"
                );
                self.engine.handle_connect_failed(&e.to_string());
                if self.cfg.fail_fast {
                    self.unreachable = Some(e.to_string());
                }
                retry.failed(Instant::now().into_std());
            }
        }
        true
    }

    /// Sends everything the engine has to send now, in one write; why the link failed,
    /// if it did.
    async fn transmit(
        &mut self,
        stream: &mut Box<dyn Stream>,
        frame: &mut [u8],
        wbuf: &mut Vec<u8>,
    ) -> Option<String> {
        wbuf.clear();
        // Datagrams: one frame each (its start in `wbuf`, `ends` after each frame).
        let mut ends = Vec::new();
        while let Some(n) = self.engine.poll_transmit(Instant::now().into_std(), frame) {
            wbuf.extend_from_slice(&frame[..n]);
            if self.cfg.datagrams {
                ends.push(wbuf.len());
            }
        }
        if wbuf.is_empty() {
            return None;
        }
        // The flush sends what a TLS stream still buffers; a no-op on TCP.
        let send = async {
            if ends.is_empty() {
                stream.write_all(wbuf).await?;
            }
            let mut start = 0;
            for end in ends {
                stream.write_all(&wbuf[start..end]).await?;
                start = end;
            }
            stream.flush().await
        };
        match tokio::time::timeout(self.cfg.write_timeout, send).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!(
                "the slave took no data for {:?}",
                self.cfg.write_timeout
            )),
        }
    }

    /// The connection is gone: tell the engine, and try again after the backoff (a slave
    /// that accepts and closes at once must not be hammered).
    fn lose(&mut self, link: &mut Option<Box<dyn Stream>>, retry: &mut Backoff, reason: &str) {
        *link = None;
        let now = Instant::now().into_std();
        self.engine.handle_disconnected(now, reason);
        retry.failed(now);
    }

    /// Handles a command; false when the worker must stop.
    fn command(&mut self, cmd: Option<Command>) -> bool {
        let now = Instant::now().into_std();
        match cmd {
            Some(Command::Sync(reply)) => {
                let id = self.register(reply);
                self.engine.request_sync(now, id);
            }
            Some(Command::Flush(reply)) => {
                let id = self.register(reply);
                self.engine.request_flush(id);
            }
            Some(Command::Request {
                unit,
                pdu,
                answered,
                reply,
            }) => {
                self.next_id += 1;
                self.requests.push((self.next_id, reply));
                self.engine
                    .request_one_off(self.next_id, unit, pdu, answered);
            }
            Some(Command::Stop) | None => return false,
        }
        true
    }

    fn register(&mut self, reply: Reply) -> u64 {
        self.next_id += 1;
        self.waiters.push((self.next_id, reply));
        self.next_id
    }

    /// Delivers the engine's events and publishes its status.
    fn after_step(&mut self, link: &mut Option<Box<dyn Stream>>, retry: &mut Backoff) {
        if self.engine.answered_on_connection() {
            // The slave answers: the next loss starts the backoff from the bottom again.
            retry.succeeded();
        }
        let mut done = Vec::new();
        let mut answers = Vec::new();
        while let Some(event) = self.engine.poll_event() {
            match event {
                Event::SyncDone { id, result } | Event::FlushDone { id, result } => {
                    if let Some(pos) = self.waiters.iter().position(|(w, _)| *w == id) {
                        done.push((self.waiters.swap_remove(pos).1, result));
                    }
                }
                Event::RequestDone { id, result } => {
                    if let Some(pos) = self.requests.iter().position(|(w, _)| *w == id) {
                        answers.push((self.requests.swap_remove(pos).1, result));
                    }
                }
                Event::Reconnect { reason } => {
                    tracing::warn!(peer = %self.cfg.link.name(), %reason, "dropping the connection");
                    self.lose(link, retry, &reason);
                }
            }
        }
        // Fail fast: every waiter hears of the failed attempt now. The engine still holds
        // their flushes; its answer, once connected, finds no waiter and is dropped.
        if let Some(reason) = self.unreachable.take() {
            let not_connected = || Error::NotConnected {
                peer: self.cfg.link.name(),
                reason: reason.clone(),
            };
            for (_, reply) in self.waiters.drain(..) {
                done.push((reply, Err(not_connected())));
            }
            for (_, reply) in self.requests.drain(..) {
                answers.push((reply, Err(not_connected())));
            }
        }
        // The status first: a caller woken by its answer sees the state it was told of.
        let status = self.engine.status();
        {
            let mut shared = self.status.lock().unwrap_or_else(|e| e.into_inner());
            if *shared != *status {
                *shared = status.clone();
            }
        }
        for (reply, result) in done {
            reply.send(result);
        }
        for (reply, result) in answers {
            reply.send(result);
        }
    }
}

/// Reads from the link, or waits forever when there is none.
async fn read_some(link: &mut Option<Box<dyn Stream>>, buf: &mut [u8]) -> std::io::Result<usize> {
    match link {
        Some(stream) => stream.read(buf).await,
        None => std::future::pending().await,
    }
}

/// Error for a waiter whose worker is gone.
pub(crate) fn gone() -> Error {
    Error::Stopped
}
