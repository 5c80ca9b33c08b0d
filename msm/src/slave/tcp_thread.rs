//! Plain TCP connections served on a thread each, with blocking reads and writes.
//!
//! Why not the runtime: a slave's work per request is a few microseconds, so its rate
//! is set by how fast the kernel hands it the next request. A thread blocked in `read`
//! is woken straight by the kernel when bytes come; an epoll loop is woken, then reads,
//! and on a machine with few cores shared with the masters that costs up to half the
//! throughput (`docs/benchmarks.md`, the limit stand-in). A slave serves at most
//! `max_connections` (256 by default), so a thread each is affordable: an idle one
//! holds a few kilobytes of touched stack. TLS connections stay on the runtime.
//!
//! The runtime keeps one small task per connection: it closes the socket when the
//! connection is evicted or the slave stops (or the task is dropped with its runtime),
//! which wakes the thread out of its `read`, and it ends when the thread does, so the
//! accept loop's bookkeeping is the same for both kinds of connection.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::busy_poll::Pace;
use super::session::Session;
use super::tcp::{Close, Connection, SERVED, answer, millis};
use crate::memory::Peer;
use crate::time::later;

/// Closes the socket when dropped: the thread serving it wakes and ends.
struct CloseOnDrop(Arc<TcpStream>);

impl CloseOnDrop {
    fn close(&self) {
        // NotConnected when the peer closed first: nothing left to do.
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.close();
    }
}

impl Connection<()> {
    /// Serves `stream` on a thread of its own; ends when that thread does. Falls back to
    /// the runtime when no thread can be started (a process at its thread limit).
    pub(super) async fn run_threaded(self, stream: tokio::net::TcpStream) {
        let std_stream = match stream.into_std().and_then(|s| {
            s.set_nonblocking(false)?;
            s.set_write_timeout(nonzero(self.settings.write_timeout))?;
            Ok(s)
        }) {
            Ok(s) => Arc::new(s),
            Err(error) => {
                tracing::debug!(peer = %self.peer, %error, "cannot make the socket blocking");
                return;
            }
        };
        // Allocated here, on a runtime thread, so the connection thread never allocates
        // (and gets no malloc arena of its own).
        let session = Session::new(self.settings.max_frame_len, self.settings.rtu);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let thread_conn = Threaded {
            stream: std_stream.clone(),
            conn: self.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("msm-slave-conn".into())
            .spawn(move || {
                let _counted = thread_conn.conn.settings.polling.enter();
                let mut session = session;
                let close = thread_conn.serve(&mut session);
                let _ = done_tx.send(close);
            });
        if let Err(error) = spawned {
            tracing::warn!(
                peer = %self.peer, %error,
                "cannot start a thread for the connection; serving it on the runtime"
            );
            return self.run_on_runtime(std_stream).await;
        }
        let guard = CloseOnDrop(std_stream);
        let mut done = done_rx;
        let idle = self.settings.idle_timeout;
        // The idle timeout is kept here, not as a socket timeout on the thread's reads:
        // a read with a timeout arms and cancels a kernel timer every time it blocks,
        // about 5 % of a request's cost (docs/benchmarks.md).
        let reason = loop {
            let served = self.last_served.load(Ordering::Relaxed) & !SERVED;
            let since = later(self.epoch, Duration::from_millis(served));
            tokio::select! {
                biased;
                () = self.evict.cancelled() => {
                    guard.close();
                    let _ = (&mut done).await;
                    break if self.stop.is_cancelled() { Close::Stopping } else { Close::Evicted };
                }
                close = &mut done => break close.unwrap_or(Close::Stopping),
                () = tokio::time::sleep_until(later(since, idle)) => {
                    if self.last_served.load(Ordering::Relaxed) & !SERVED == served {
                        guard.close();
                        let _ = (&mut done).await;
                        break Close::Idle(idle);
                    }
                }
            }
        };
        tracing::debug!(peer = %self.peer, %reason, "connection closed");
    }

    async fn run_on_runtime(self, stream: Arc<TcpStream>) {
        let Ok(stream) = Arc::try_unwrap(stream) else {
            return;
        };
        let stream = stream
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpStream::from_std(stream));
        match stream {
            Ok(stream) => self.with(stream, None).run().await,
            Err(error) => tracing::debug!(peer = %self.peer, %error, "cannot serve the connection"),
        }
    }
}

/// The shortest socket timeout set: zero would mean none.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// What the connection's thread owns.
struct Threaded {
    stream: Arc<TcpStream>,
    conn: Connection<()>,
}

impl Threaded {
    /// The blocking twin of the runtime's `Connection::serve`: the same batches, one
    /// write each, the same idle and frame timeouts (as socket read timeouts).
    fn serve(&self, session: &mut Session) -> Close {
        let conn = &self.conn;
        let settings = &*conn.settings;
        let peer = Peer::Tcp(conn.peer);
        let role = conn.role.as_deref();
        let mut stream = &*self.stream;
        let mut last_input = Instant::now();
        // The time frames are split at: the last read's, or the read timeout's.
        let mut now = last_input;
        let mut partial_since: Option<Instant> = None;
        // The read timeout last given to the socket: set again only when it changes
        // (each setsockopt is a system call).
        let mut read_timeout: Option<Option<Duration>> = None;
        let polling = &*settings.polling;
        let mut pace = Pace::default();
        loop {
            let mut frames = 0;
            loop {
                let processed = session.process(now, |incoming, out| {
                    answer(settings, &conn.mem, peer, role, incoming, out)
                });
                let batch = match processed {
                    Ok(batch) => batch,
                    Err(fault) => {
                        // The frames before the bad one were executed: answer them.
                        let _ = write_out(&mut stream, session, settings.write_timeout);
                        return Close::Fault(fault);
                    }
                };
                frames += batch.frames;
                conn.log_dropped(batch.dropped, batch.foreign);
                if let Err(close) = write_out(&mut stream, session, settings.write_timeout) {
                    return close;
                }
                if !batch.more {
                    break;
                }
            }
            if frames > 0 {
                let at = millis(conn.epoch, tokio::time::Instant::from_std(last_input));
                conn.last_served.store(at | SERVED, Ordering::Relaxed);
            }
            if !session.has_partial() {
                partial_since = None;
            } else if frames > 0 || partial_since.is_none() {
                partial_since = Some(last_input);
            }
            // Between frames the read waits without a timeout (the idle timeout is the
            // runtime task's); a frame begun must end within the frame timeout.
            let mut wait = match partial_since {
                Some(since) => {
                    let left = later(since, settings.frame_timeout)
                        .saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Close::FrameTimeout(settings.frame_timeout);
                    }
                    nonzero(left)
                }
                None => None,
            };
            // RTU over TCP: a frame of unknown length, or cut short, ends with a silence.
            let silence = session.poll_timeout();
            if let Some(at) = silence {
                let left = at.saturating_duration_since(Instant::now()).max(MIN_WAIT);
                wait = Some(wait.map_or(left, |w| w.min(left)));
            }
            if read_timeout != Some(wait) {
                if let Err(e) = stream.set_read_timeout(wait) {
                    return Close::Io(e);
                }
                read_timeout = Some(wait);
            }
            // Between whole frames, with few connections: poll if the master is quick,
            // and time how quick it is.
            let waiting_since = (wait.is_none() && polling.applies()).then(Instant::now);
            let polled = match waiting_since {
                Some(_) if pace.poll_now() => {
                    let polled = polling.read(stream, session.read_space());
                    pace.polled(polled.is_some());
                    polled
                }
                _ => None,
            };
            match polled.unwrap_or_else(|| stream.read(session.read_space())) {
                Ok(0) => {
                    return Close::PeerClosed {
                        mid_frame: session.has_partial(),
                    };
                }
                Ok(n) => {
                    last_input = Instant::now();
                    now = last_input;
                    pace.came(waiting_since.is_some_and(|since| {
                        polling.quick(last_input.saturating_duration_since(since))
                    }));
                    session.filled(now, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    now = Instant::now();
                    if silence.is_some_and(|at| at <= now) {
                        continue; // the framer's silence: process again
                    }
                    // The loop's top closes a frame past its frame timeout.
                }
                Err(e) => return Close::Io(e),
            }
        }
    }
}

/// Writes the whole output; a client that takes none of it for `timeout` is closed.
fn write_out(
    stream: &mut &TcpStream,
    session: &mut Session,
    timeout: Duration,
) -> Result<(), Close> {
    let len = session.output().len();
    if len == 0 {
        return Ok(());
    }
    match stream.write_all(session.output()) {
        Ok(()) => {
            session.written(len);
            Ok(())
        }
        Err(e) if is_timeout(&e) => Err(Close::WriteTimeout(timeout)),
        Err(e) => Err(Close::Io(e)),
    }
}

/// A socket timeout reads as `WouldBlock` on Unix and `TimedOut` on Windows.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// `Some(d)` for a socket timeout, `None` (wait forever) for zero or "never": a zero
/// socket timeout is an error, and `Duration::MAX` means no timeout.
fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero() && d < Duration::from_secs(u64::from(u32::MAX))).then_some(d)
}
