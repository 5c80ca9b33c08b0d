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
use super::conn::{Accepted, Close, Core, SERVED, io_error};
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

impl Accepted<()> {
    /// Serves `stream` on a thread of its own; ends when that thread does. Falls back to
    /// the runtime when no thread can be started (a process at its thread limit).
    pub(super) async fn run_threaded(self, stream: tokio::net::TcpStream) {
        let std_stream = match stream.into_std().and_then(|s| {
            s.set_nonblocking(false)?;
            // The core's write timeout, kept by the kernel: a write that blocks this
            // long with nothing taken fails, and the core closes the connection.
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
        let core = self.core(Instant::now());
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let thread_conn = Threaded {
            stream: std_stream.clone(),
            conn: self.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("msm-slave-conn".into())
            .spawn(move || {
                let _counted = thread_conn.conn.settings.polling.enter();
                let mut core = core;
                let close = thread_conn.serve(&mut core);
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
        // The idle timeout is watched here, not as a socket timeout on the thread's
        // reads: a read with a timeout arms and cancels a kernel timer every time it
        // blocks, about 5 % of a request's cost (docs/benchmarks.md). At the deadline
        // the thread publishes, the socket is closed, which wakes the thread; its core
        // then finds the connection idle and says so.
        let reason = loop {
            let published = self.last_served.load(Ordering::Relaxed) & !SERVED;
            let since = later(self.epoch, Duration::from_millis(published));
            tokio::select! {
                biased;
                () = self.evict.cancelled() => {
                    guard.close();
                    let _ = (&mut done).await;
                    break self.cancelled();
                }
                close = &mut done => break close.unwrap_or(Close::Stopping),
                () = tokio::time::sleep_until(later(since, idle)) => {
                    if self.last_served.load(Ordering::Relaxed) & !SERVED == published {
                        guard.close();
                        break (&mut done).await.unwrap_or(Close::Stopping);
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
    conn: Accepted<()>,
}

impl Threaded {
    /// Moves bytes and time between the socket and the core, with blocking reads and
    /// writes: the core's timers other than the idle one are socket timeouts, set only
    /// while one runs (a frame begun, an RTU silence).
    fn serve(&self, core: &mut Core) -> Close {
        let conn = &self.conn;
        let mut stream = &*self.stream;
        // The time of the last read, or of the last timer.
        let mut now = Instant::now();
        let mut published = None;
        // The read timeout last given to the socket: set again only when it changes
        // (each setsockopt is a system call).
        let mut read_timeout: Option<Option<Duration>> = None;
        let polling = &*conn.settings.polling;
        let mut pace = Pace::default();
        loop {
            // Answer everything buffered; one write per batch.
            while let Some(out) = core.poll_transmit(now) {
                match stream.write(out) {
                    Ok(0) => return io_error(core, io::ErrorKind::WriteZero.into()),
                    Ok(n) => core.transmitted(n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if is_timeout(&e) => {
                        // The socket's write timeout ran out with nothing taken.
                        core.stalled(now);
                        now = Instant::now();
                        core.handle_timeout(now);
                    }
                    Err(e) => return io_error(core, e),
                }
            }
            if let Some(reason) = core.poll_close() {
                return reason.into();
            }
            conn.publish(core, &mut published);
            let deadline = core.poll_timeout_but_idle();
            if !core.wants_input() {
                // An answer held back until its instant: nothing to read meanwhile.
                if let Some(at) = deadline {
                    std::thread::sleep(at.saturating_duration_since(Instant::now()));
                }
                now = Instant::now();
                core.handle_timeout(now);
                continue;
            }
            // Between frames the read waits without a timeout (the idle timeout is the
            // runtime task's); a frame begun must end within the frame timeout.
            let wait = match deadline {
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        now = Instant::now();
                        core.handle_timeout(now);
                        continue;
                    }
                    nonzero(left.max(MIN_WAIT))
                }
                None => None,
            };
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
                    let polled = polling.read(stream, core.read_space());
                    pace.polled(polled.is_some());
                    polled
                }
                _ => None,
            };
            match polled.unwrap_or_else(|| stream.read(core.read_space())) {
                Ok(0) => {
                    // Closed by the client, or by the runtime task for the idle timeout:
                    // the core tells which.
                    now = Instant::now();
                    core.handle_timeout(now);
                    core.handle_eof();
                }
                Ok(n) => {
                    now = Instant::now();
                    pace.came(
                        waiting_since.is_some_and(|since| {
                            polling.quick(now.saturating_duration_since(since))
                        }),
                    );
                    core.filled(now, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    now = Instant::now();
                    core.handle_timeout(now);
                }
                Err(e) => return Close::Io(e),
            }
        }
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
