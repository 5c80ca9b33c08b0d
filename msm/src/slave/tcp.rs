//! The tokio driver: accepts connections and moves bytes and time between each socket
//! and its [`Session`]. Every Modbus decision is in the session and `exec`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::busy_poll::BusyPoll;
use super::config::{Settings, WhenFull};
use super::exec::{self, Context};
use super::session::{Incoming, Session, StreamError};
use crate::memory::{Memory, Peer};
use crate::protocol::{ExceptionCode, encode_exception};

/// Counters a handle can read while the slave runs.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) connections: AtomicUsize,
    /// The connections' busy polling, for its counters (`None` on a serial line).
    pub(crate) polling: Option<Arc<BusyPoll>>,
}

/// The accept loop and everything it needs to start connections.
pub(crate) struct Server {
    pub(crate) listener: TcpListener,
    pub(crate) settings: Arc<Settings>,
    pub(crate) mem: Memory,
    pub(crate) stop: CancellationToken,
    pub(crate) stats: Arc<Stats>,
    /// Modbus/TCP Security: every connection makes a TLS handshake first.
    pub(crate) tls: Option<Acceptor>,
}

/// What makes a TLS slave's handshakes (nothing can, built without TLS).
#[cfg(feature = "tls")]
pub(crate) type Acceptor = tokio_rustls::TlsAcceptor;
/// What makes a TLS slave's handshakes (nothing can, built without TLS).
#[cfg(not(feature = "tls"))]
pub(crate) type Acceptor = std::convert::Infallible;

/// What a connection runs over: a TCP socket, or TLS on one.
pub(crate) trait ConnStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Writes what the stream takes at once, without waiting (0 if it would block).
    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize>;

    /// True if bytes taken by [`write_now`](Self::write_now) still wait to be sent.
    fn pending(&self) -> bool {
        false
    }
}

impl ConnStream for TcpStream {
    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.try_write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other,
        }
    }
}

#[cfg(feature = "tls")]
impl ConnStream for tokio_rustls::server::TlsStream<TcpStream> {
    /// Seals `buf` into TLS records and sends what the socket takes now; the rest waits
    /// in rustls for the flush (see [`pending`](ConnStream::pending)).
    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize> {
        use std::io::Write;
        let (tcp, conn) = self.get_mut();
        let n = conn.writer().write(buf)?;
        while conn.wants_write() {
            match conn.write_tls(&mut TryWrite(tcp)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    fn pending(&self) -> bool {
        self.get_ref().1.wants_write()
    }
}

/// A socket as `std::io::Write` that never waits: `WouldBlock` when it is full.
#[cfg(feature = "tls")]
struct TryWrite<'a>(&'a TcpStream);

#[cfg(feature = "tls")]
impl std::io::Write for TryWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A connection being served, as the accept loop sees it.
struct Slot {
    task: tokio::task::Id,
    peer: SocketAddr,
    /// Milliseconds since the server started at which it last had a request served
    /// (with [`SERVED`] set), or was accepted (without).
    last_served: Arc<AtomicU64>,
    evict: CancellationToken,
}

impl Server {
    /// Accepts until stopped, then closes every connection and waits for them to end.
    pub(crate) async fn run(self) {
        let local = match self.listener.local_addr() {
            Ok(addr) => addr.to_string(),
            Err(e) => format!("(address unknown: {e})"),
        };
        tracing::info!(addr = %local, "slave listening");
        let epoch = Instant::now();
        let mut slots: Vec<Slot> = Vec::new();
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => break,
                Some(done) = tasks.join_next_with_id() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(e) => e.id(),
                    };
                    slots.retain(|s| s.task != id);
                    self.stats.connections.store(slots.len(), Ordering::Relaxed);
                }
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => self.admit(stream, peer, epoch, &mut slots, &mut tasks),
                    Err(error) => {
                        // Out of file descriptors, usually: give the connections being
                        // served a moment to end instead of spinning on the error.
                        tracing::warn!(%error, "accept failed; retrying in 50 ms");
                        tokio::select! {
                            () = self.stop.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        }
                    }
                },
            }
        }
        drop(self.listener);
        // Every connection's token is a child of `stop`: they are closing.
        while tasks.join_next().await.is_some() {}
        self.stats.connections.store(0, Ordering::Relaxed);
        tracing::info!(addr = %local, "slave stopped");
    }

    fn admit(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        epoch: Instant,
        slots: &mut Vec<Slot>,
        tasks: &mut JoinSet<()>,
    ) {
        let settings = &self.settings;
        if !settings.allows(peer.ip()) {
            tracing::debug!(%peer, "connection refused: the address is not in the allow-list");
            return;
        }
        if slots.len() >= settings.max_connections {
            match settings.when_full {
                WhenFull::Refuse => {
                    tracing::debug!(
                        %peer, max = settings.max_connections,
                        "connection refused: the slave serves its maximum of connections"
                    );
                    return;
                }
                WhenFull::CloseOldestIdle => {
                    let oldest = slots
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, s)| s.last_served.load(Ordering::Relaxed))
                        .map(|(i, _)| i);
                    if let Some(i) = oldest {
                        let slot = slots.remove(i);
                        tracing::debug!(
                            peer = %slot.peer, new = %peer,
                            "closing the connection idle longest to make room for a new one"
                        );
                        slot.evict.cancel();
                    }
                }
            }
        }
        // Responses are small and latency matters more than packet count.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
        }
        let conn = Connection {
            stream: (),
            role: None,
            peer,
            mem: self.mem.clone(),
            settings: self.settings.clone(),
            evict: self.stop.child_token(),
            stop: self.stop.clone(),
            last_served: Arc::new(AtomicU64::new(millis(epoch, Instant::now()))),
            epoch,
        };
        let slot_parts = (conn.evict.clone(), conn.last_served.clone());
        tracing::debug!(%peer, connections = slots.len() + 1, "connection accepted");
        #[cfg(feature = "tls")]
        let handle = match &self.tls {
            Some(acceptor) => tasks.spawn(conn.run_tls(acceptor.clone(), stream)),
            None => tasks.spawn(conn.run_threaded(stream)),
        };
        #[cfg(not(feature = "tls"))]
        let handle = match self.tls {
            Some(never) => match never {},
            None => tasks.spawn(conn.run_threaded(stream)),
        };
        slots.push(Slot {
            task: handle.id(),
            peer,
            last_served: slot_parts.1,
            evict: slot_parts.0,
        });
        self.stats.connections.store(slots.len(), Ordering::Relaxed);
    }
}

/// Set in `last_served` once a connection has had a request served. Connections that
/// never sent one sort before all others when the oldest idle is chosen: a flood of
/// bare connections evicts itself, not the masters that talk.
pub(super) const SERVED: u64 = 1 << 63;

/// Milliseconds from `epoch` to `at`, without the [`SERVED`] bit.
pub(super) fn millis(epoch: Instant, at: Instant) -> u64 {
    let ms = at.saturating_duration_since(epoch).as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX) & !SERVED
}

/// `t + d`, or a time far away when that overflows (`Duration::MAX` means never).
fn after(t: Instant, d: Duration) -> Instant {
    crate::time::later(t, d)
}

/// Why a connection was closed.
pub(super) enum Close {
    PeerClosed { mid_frame: bool },
    Idle(Duration),
    FrameTimeout(Duration),
    WriteTimeout(Duration),
    Fault(StreamError),
    Io(io::Error),
    Evicted,
    Stopping,
}

impl fmt::Display for Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Close::PeerClosed { mid_frame: false } => f.write_str("closed by the client"),
            Close::PeerClosed { mid_frame: true } => {
                f.write_str("closed by the client in the middle of a frame")
            }
            Close::Idle(d) => write!(f, "no request for {d:?} (idle timeout)"),
            Close::FrameTimeout(d) => {
                write!(f, "a frame stayed incomplete for {d:?} (frame timeout)")
            }
            Close::WriteTimeout(d) => {
                write!(
                    f,
                    "the client took no response data for {d:?} (write timeout)"
                )
            }
            Close::Fault(fault) => write!(f, "{fault}"),
            Close::Io(e) => write!(f, "I/O error: {e}"),
            Close::Evicted => {
                f.write_str("closed to make room for a new connection (max connections)")
            }
            Close::Stopping => f.write_str("the slave is stopping"),
        }
    }
}

#[derive(Clone)]
pub(super) struct Connection<S> {
    pub(super) stream: S,
    /// The client's role, from its TLS certificate (`None`: the NULL role, or no TLS).
    pub(super) role: Option<String>,
    pub(super) peer: SocketAddr,
    pub(super) mem: Memory,
    pub(super) settings: Arc<Settings>,
    /// Cancelled to close this connection (eviction, or the server stopping).
    pub(super) evict: CancellationToken,
    pub(super) stop: CancellationToken,
    pub(super) last_served: Arc<AtomicU64>,
    pub(super) epoch: Instant,
}

impl Connection<()> {
    /// The connection on `stream`, for a client with `role`.
    pub(super) fn with<S>(self, stream: S, role: Option<String>) -> Connection<S> {
        Connection {
            stream,
            role,
            peer: self.peer,
            mem: self.mem,
            settings: self.settings,
            evict: self.evict,
            stop: self.stop,
            last_served: self.last_served,
            epoch: self.epoch,
        }
    }

    /// Makes the TLS handshake (within the frame timeout), reads the client's role, then
    /// serves. A client refused is logged with the reason; the others are not affected.
    #[cfg(feature = "tls")]
    async fn run_tls(self, acceptor: tokio_rustls::TlsAcceptor, stream: TcpStream) {
        let timeout = self.settings.frame_timeout;
        let accepted = tokio::select! {
            biased;
            () = self.evict.cancelled() => return,
            accepted = crate::transport::tls::accept(&acceptor, stream, timeout) => accepted,
        };
        match accepted {
            Ok(ok) => {
                tracing::debug!(
                    peer = %self.peer, role = %ok.role.as_deref().unwrap_or("(none)"),
                    "TLS client authenticated"
                );
                self.with(ok.stream, ok.role).run().await;
            }
            Err(reason) => tracing::warn!(peer = %self.peer, %reason, "TLS client refused"),
        }
    }
}

impl<S> Connection<S> {
    /// Logs frames a batch dropped unanswered.
    pub(super) fn log_dropped(&self, dropped: usize, foreign: usize) {
        if dropped > 0 {
            tracing::debug!(
                peer = %self.peer, frames = dropped,
                "dropped RTU frames: a bad CRC, an impossible length, or cut short by a silence"
            );
        }
        if foreign > 0 {
            tracing::debug!(
                peer = %self.peer, frames = foreign,
                "dropped frames whose protocol id is not 0 (not Modbus)"
            );
        }
    }
}

impl<S: ConnStream> Connection<S> {
    pub(super) async fn run(mut self) {
        let mut session = Session::new(self.settings.max_frame_len, self.settings.rtu);
        let reason = self.serve(&mut session).await;
        tracing::debug!(peer = %self.peer, %reason, "connection closed");
    }

    async fn serve(&mut self, session: &mut Session) -> Close {
        let settings = self.settings.clone();
        let peer = Peer::Tcp(self.peer);
        let role = self.role.clone();
        let mut last_input = Instant::now();
        // The time frames are split at: the last read's, or the timer's when it fired.
        let mut now = last_input;
        let mut partial_since: Option<Instant> = None;
        // One timer for the connection's life, moved only when it fires early or a
        // frame starts: resetting it at every request would cost more than the request.
        let timer = tokio::time::sleep_until(after(last_input, settings.idle_timeout));
        tokio::pin!(timer);
        loop {
            // Answer everything buffered; one write per batch. (Answering the first
            // request of a burst alone was measured slower, for pipelining masters at
            // depth 4 and 8 alike: docs/benchmarks.md.)
            let mut frames = 0;
            loop {
                let batch = match session.process(now.into_std(), |incoming, out| {
                    answer(&settings, &self.mem, peer, role.as_deref(), incoming, out)
                }) {
                    Ok(batch) => batch,
                    Err(fault) => {
                        // The frames before the bad one were executed: answer them.
                        if !session.output().is_empty() {
                            let _ = self.write_out(session, settings.write_timeout).await;
                        }
                        return Close::Fault(fault);
                    }
                };
                frames += batch.frames;
                self.log_dropped(batch.dropped, batch.foreign);
                if !session.output().is_empty()
                    && let Err(close) = self.write_out(session, settings.write_timeout).await
                {
                    return close;
                }
                if !batch.more {
                    break;
                }
            }
            if frames > 0 {
                // The time of the read that completed them: one clock read less.
                let at = millis(self.epoch, last_input);
                self.last_served.store(at | SERVED, Ordering::Relaxed);
            }
            if !session.has_partial() {
                partial_since = None;
            } else if frames > 0 || partial_since.is_none() {
                partial_since = Some(last_input);
            }
            if let Some(since) = partial_since {
                let deadline = after(since, settings.frame_timeout);
                if timer.deadline() > deadline {
                    timer.as_mut().reset(deadline);
                }
            }
            // RTU over TCP: a frame of unknown length, or cut short, ends with a silence.
            if let Some(silence) = session.poll_timeout().map(Instant::from_std)
                && timer.deadline() > silence
            {
                timer.as_mut().reset(silence);
            }

            tokio::select! {
                biased;
                () = self.evict.cancelled() => {
                    return if self.stop.is_cancelled() { Close::Stopping } else { Close::Evicted };
                }
                read = self.stream.read(session.read_space()) => match read {
                    Ok(0) => return Close::PeerClosed { mid_frame: session.has_partial() },
                    Ok(n) => {
                        last_input = Instant::now();
                        now = last_input;
                        session.filled(now.into_std(), n);
                    }
                    Err(e) => return Close::Io(e),
                },
                () = &mut timer => {
                    now = Instant::now();
                    let (deadline, close) = match partial_since {
                        Some(since) => (
                            after(since, settings.frame_timeout),
                            Close::FrameTimeout(settings.frame_timeout),
                        ),
                        None => (
                            after(last_input, settings.idle_timeout),
                            Close::Idle(settings.idle_timeout),
                        ),
                    };
                    if now >= deadline {
                        return close;
                    }
                    // Also when it fired for a silence: the loop's top moves it earlier.
                    timer.as_mut().reset(deadline);
                }
            }
        }
    }

    /// Writes the session's output: at once when the socket has room (no timer), else
    /// waiting at most `timeout` for a client that does not read its responses.
    async fn write_out(&mut self, session: &mut Session, timeout: Duration) -> Result<(), Close> {
        match self.stream.write_now(session.output()) {
            Ok(n) => session.written(n),
            Err(e) => return Err(Close::Io(e)),
        }
        if session.output().is_empty() && !self.stream.pending() {
            return Ok(());
        }
        let len = session.output().len();
        let deadline = after(Instant::now(), timeout);
        tokio::select! {
            biased;
            () = self.evict.cancelled() => {
                Err(if self.stop.is_cancelled() { Close::Stopping } else { Close::Evicted })
            }
            written = tokio::time::timeout_at(deadline, write_flush(&mut self.stream, session.output())) => {
                match written {
                    Ok(Ok(())) => {
                        session.written(len);
                        Ok(())
                    }
                    Ok(Err(e)) => Err(Close::Io(e)),
                    Err(_) => Err(Close::WriteTimeout(timeout)),
                }
            }
        }
    }
}

/// Writes all of `buf` and flushes (TLS seals and sends its records; a no-op on TCP).
async fn write_flush<S: ConnStream>(stream: &mut S, buf: &[u8]) -> io::Result<()> {
    stream.write_all(buf).await?;
    stream.flush().await
}

/// Answers one frame: the unit-id filter, then the request itself.
pub(crate) fn answer(
    settings: &Settings,
    mem: &Memory,
    peer: Peer,
    role: Option<&str>,
    incoming: Incoming<'_>,
    out: &mut [u8],
) -> Option<usize> {
    if settings.rtu && incoming.unit == 0 {
        // An RTU broadcast: executed by every slave, answered by none (the session
        // drops the answer).
        let (mem, specs) = settings.route(0, mem);
        let ctx = Context {
            settings,
            specs,
            peer,
            unit: 0,
            role,
        };
        return exec::execute(incoming.pdu, mem, &ctx, out);
    }
    if !settings.units.contains(incoming.unit) {
        log_unknown_unit(peer, incoming.unit);
        if !settings.unknown_unit_exception || settings.rtu {
            // Silence, as a gateway without that device would give: the master times out.
            return None;
        }
        let function = incoming.pdu.first()? & 0x7F;
        return encode_exception(out, function, ExceptionCode::GatewayTargetDevice).ok();
    }
    let (mem, specs) = settings.route(incoming.unit, mem);
    let ctx = Context {
        settings,
        specs,
        peer,
        unit: incoming.unit,
        role,
    };
    exec::execute(incoming.pdu, mem, &ctx, out)
}

/// Logs a request for a unit this slave does not serve, at most once a second (a
/// master polling the wrong unit would otherwise flood the log). The target
/// `msm::unknown_unit` lets a program show just these.
fn log_unknown_unit(peer: Peer, unit: u8) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    static SKIPPED: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if LAST.swap(now, Ordering::Relaxed) == now {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let skipped = SKIPPED.swap(0, Ordering::Relaxed);
    tracing::warn!(
        target: "msm::unknown_unit",
        "request from {peer} for unit {unit}, which this slave does not serve \
         (check the master's unit id, or --unit){}",
        if skipped > 0 { format!("; {skipped} more since the last such line") } else { String::new() }
    );
}
