//! The live stream, `GET /api/events`: a snapshot, then batches of changed rows and the
//! connection state. At most `max_clients` streams at once (one more is refused with
//! 503); each has a bounded queue, and a client that does not read is dropped once its
//! queue is full: its connection is closed, which frees what it held. A page reconnects
//! by itself and starts again from a snapshot.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::board::Board;
use crate::gate::error;
use crate::sse::{self, Event};
use crate::streams::Streams;

/// Events a client's queue holds at most.
const QUEUE_EVENTS: usize = 64;

/// Bytes a client's queue holds at most (about 7 s of a 1,000-variable view changing
/// every second); one event always fits, however large.
const QUEUE_BYTES: usize = 1 << 20;

/// A quiet stream sends a comment this often.
const QUIET: Duration = Duration::from_secs(15);

/// The connection a request came on: closing it drops a client that does not read.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// Cancelled to close the connection.
    pub(crate) close: CancellationToken,
}

/// `GET /api/events`.
pub(crate) async fn events(State(app): State<App>, conn: Option<Extension<Conn>>) -> Response {
    let Some(permit) = app.streams.take() else {
        let mut refused = error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "this web view serves at most {} live pages at once, and all are taken: \
                 close a page or tab that shows it, or raise the limit ({})",
                app.streams.max(),
                app.board.hints().max_clients()
            ),
        );
        let headers = refused.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        // Its connection is not kept: a refused client holds nothing here.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        return refused;
    };
    let (tx, rx) = mpsc::channel(QUEUE_EVENTS);
    let queued = Arc::new(AtomicUsize::new(0));
    let first = app.board.snapshot();
    queued.fetch_add(first.len(), Ordering::Relaxed);
    // A new channel has room for its first event.
    let _ = tx.try_send(first);
    let feed = Feed {
        board: app.board.clone(),
        events: app.board.subscribe(),
        queue: tx,
        queued: queued.clone(),
        conn: conn.map(|Extension(c)| c),
        streams: app.streams.clone(),
        permit: Some(permit),
    };
    tokio::spawn(feed.run());
    let stream = futures_util::stream::unfold((rx, queued), |(mut rx, queued)| async move {
        let frame = match tokio::time::timeout(QUIET, rx.recv()).await {
            Ok(Some(event)) => {
                queued.fetch_sub(event.len(), Ordering::Relaxed);
                event.frame
            }
            Ok(None) => return None,
            Err(_) => Bytes::from_static(sse::KEEP_ALIVE),
        };
        Some((Ok::<_, Infallible>(frame), (rx, queued)))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            // A reverse proxy passes each event on at once.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Moves the board's events into one client's queue, until the client goes or stops
/// reading.
struct Feed {
    board: Arc<Board>,
    events: broadcast::Receiver<Event>,
    queue: mpsc::Sender<Event>,
    /// Bytes of event data in the queue.
    queued: Arc<AtomicUsize>,
    conn: Option<Conn>,
    streams: Arc<Streams>,
    /// The client's place among the `max_clients`, given back when this ends (or, for
    /// a client dropped, before it is counted as dropped).
    permit: Option<OwnedSemaphorePermit>,
}

impl Feed {
    async fn run(mut self) {
        loop {
            let event = tokio::select! {
                () = self.queue.closed() => return, // the client went away
                e = self.events.recv() => match e {
                    Ok(e) => e,
                    // This feed fell behind the board (a starved runtime): start afresh.
                    Err(RecvError::Lagged(_)) => self.board.snapshot(),
                    Err(RecvError::Closed) => return,
                },
            };
            let waiting = self.queued.load(Ordering::Relaxed);
            let full =
                self.queue.capacity() == 0 || (waiting > 0 && waiting + event.len() > QUEUE_BYTES);
            if full {
                self.permit = None;
                self.drop_client(waiting);
                return;
            }
            self.queued.fetch_add(event.len(), Ordering::Relaxed);
            if self.queue.try_send(event).is_err() {
                return;
            }
        }
    }

    /// Closes the connection of a client that stopped reading: what it held (its queue,
    /// the server's buffer for it) is freed, and its place goes to another page.
    fn drop_client(&self, waiting: usize) {
        self.streams.count_dropped();
        let events = QUEUE_EVENTS - self.queue.capacity();
        match &self.conn {
            Some(conn) => {
                tracing::warn!(
                    "web view: the client at {} did not read its event stream ({events} events, \
                     {waiting} bytes waiting); it is dropped (a page reconnects by itself)",
                    conn.peer
                );
                conn.close.cancel();
            }
            None => tracing::warn!(
                "web view: a client did not read its event stream ({events} events, \
                 {waiting} bytes waiting); its stream ends"
            ),
        }
    }
}
