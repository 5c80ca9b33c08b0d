//! A connection served as a task on the runtime: every TLS connection, and a plain one
//! whose thread could not be started. It moves bytes and time between the socket and the
//! connection's [`Core`]; every rule is in the core.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::conn::{Accepted, Close, Core, io_error};
use crate::time::later;

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

/// An instant too far away to matter: for a timer with nothing to wait for.
fn never(now: Instant) -> Instant {
    later(now, std::time::Duration::MAX)
}

impl Accepted<()> {
    /// Makes the TLS handshake (within the frame timeout), reads the client's role, then
    /// serves. A client refused is logged with the reason; the others are not affected.
    #[cfg(feature = "tls")]
    pub(super) async fn run_tls(self, acceptor: tokio_rustls::TlsAcceptor, stream: TcpStream) {
        let timeout = self.settings.frame_timeout;
        let accepted = tokio::select! {
            biased;
            () = self.evict.cancelled() => return,
            accepted = crate::transport::tls::accept(&acceptor, stream, timeout) => accepted,
        };
        match accepted {
            Ok(ok) => {
                tracing::debug!(
                    peer = %self.peer, role = %crate::types::Escaped(ok.role.as_deref().unwrap_or("(none)")),
                    "TLS client authenticated"
                );
                self.with(ok.stream, ok.role).run().await;
            }
            Err(reason) => {
                let reason = reason.to_string();
                tracing::warn!(peer = %self.peer, reason = %crate::types::Escaped(&reason), "TLS client refused")
            }
        }
    }
}

impl<S: ConnStream> Accepted<S> {
    pub(super) async fn run(mut self) {
        let mut core = self.core(Instant::now().into_std());
        let reason = self.serve(&mut core).await;
        tracing::debug!(peer = %self.peer, %reason, "connection closed");
    }

    async fn serve(&mut self, core: &mut Core) -> Close {
        let mut now = Instant::now();
        let mut published = None;
        // One timer for the connection's life, moved only when a deadline comes before
        // it (or it fired): moving it at every request, as the idle deadline does,
        // would cost more than the request. Firing early is harmless.
        let timer = tokio::time::sleep_until(never(now));
        tokio::pin!(timer);
        loop {
            // Answer everything buffered; one write per batch. (Answering the first
            // request of a burst alone was measured slower, for pipelining masters at
            // depth 4 and 8 alike: docs/benchmarks.md.)
            if let Err(close) = self.transmit(core, &mut now).await {
                return close;
            }
            if let Some(reason) = core.poll_close() {
                return reason.into();
            }
            self.publish(core, &mut published);
            let next = core.poll_timeout().map_or(never(now), Instant::from_std);
            if timer.is_elapsed() || next < timer.deadline() {
                timer.as_mut().reset(next);
            }
            tokio::select! {
                biased;
                () = self.evict.cancelled() => return self.cancelled(),
                read = self.stream.read(core.read_space()), if core.wants_input() => match read {
                    Ok(0) => core.handle_eof(),
                    Ok(n) => {
                        now = Instant::now();
                        core.filled(now.into_std(), n);
                    }
                    Err(e) => return Close::Io(e),
                },
                () = &mut timer => {
                    now = Instant::now();
                    core.handle_timeout(now.into_std());
                }
            }
        }
    }

    /// Sends what the core has ready: at once when the socket has room (no timer), else
    /// waiting for a client slow to take it, as long as the core's timers allow.
    async fn transmit(&mut self, core: &mut Core, now: &mut Instant) -> Result<(), Close> {
        while let Some(out) = core.poll_transmit(now.into_std()) {
            let n = match self.stream.write_now(out) {
                Ok(n) => n,
                Err(e) => return Err(io_error(core, e)),
            };
            core.transmitted(n);
            if !core.unsent().is_empty() || self.stream.pending() {
                self.wait_taken(core, now).await?;
            }
        }
        Ok(())
    }

    /// Waits until the client has taken all the core has released (and TLS has sent
    /// its records), or a timer of the core closes the connection.
    async fn wait_taken(&mut self, core: &mut Core, now: &mut Instant) -> Result<(), Close> {
        loop {
            let unsent = core.unsent();
            if unsent.is_empty() && !self.stream.pending() {
                return Ok(());
            }
            *now = Instant::now();
            core.stalled(now.into_std());
            let deadline = core.poll_timeout().map_or(never(*now), Instant::from_std);
            let unsent = core.unsent();
            tokio::select! {
                biased;
                () = self.evict.cancelled() => return Err(self.cancelled()),
                taken = write_some(&mut self.stream, unsent) => match taken {
                    Ok(n) => core.transmitted(n),
                    Err(e) => return Err(io_error(core, e)),
                },
                () = tokio::time::sleep_until(deadline) => {
                    *now = Instant::now();
                    core.handle_timeout(now.into_std());
                    if let Some(reason) = core.poll_close() {
                        return Err(reason.into());
                    }
                }
            }
        }
    }
}

/// Writes some of `buf` (cancel-safe: what was taken is returned), or with nothing to
/// write, flushes (TLS seals and sends its records; a no-op on TCP).
async fn write_some<S: ConnStream>(stream: &mut S, buf: &[u8]) -> io::Result<usize> {
    if buf.is_empty() {
        stream.flush().await?;
        return Ok(0);
    }
    match stream.write(buf).await? {
        0 => Err(io::ErrorKind::WriteZero.into()),
        n => Ok(n),
    }
}
