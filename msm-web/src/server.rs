//! Serving: the accept loop and each connection, with bounded buffers, a way to close
//! one connection (a client that does not read), and a stop for all.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

use crate::events::Conn;

/// What a connection may buffer each way (hyper's default is 400 KiB, which a client
/// that never reads its event stream holds for as long as it stays connected).
const CONNECTION_BUFFER: usize = 64 * 1024;

/// A client that opens a connection has this long to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// On stop, answers being sent get this long to finish.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// After an accept error (out of file descriptors, say), the pause before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` and serves `router` on each, until `stop`.
pub(crate) async fn accept(listener: TcpListener, router: Router, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve(stream, peer, router.clone(), stop.clone()));
                }
                Err(e) => {
                    tracing::warn!("web view: cannot accept a connection: {e}; trying again");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    // Each connection sees the stop too; what is left after the grace is cut.
    let _ = tokio::time::timeout(STOP_GRACE * 2, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// Serves one connection until it ends, is closed (its client did not read), or `stop`.
async fn serve(stream: TcpStream, peer: SocketAddr, router: Router, stop: CancellationToken) {
    let close = CancellationToken::new();
    let conn = Conn {
        peer,
        close: close.clone(),
    };
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(conn.clone());
        router.clone().call(request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(CONNECTION_BUFFER)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        done = connection.as_mut() => {
            if let Err(e) = done {
                tracing::debug!("web view: connection from {peer}: {e}");
            }
        }
        // Dropping the connection closes its socket and frees its buffers.
        () = close.cancelled() => {}
        () = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(STOP_GRACE, connection).await;
        }
    }
}
