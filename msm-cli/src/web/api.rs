//! The HTTP routes: the page, the JSON API and the event stream, behind the token check.

use std::convert::Infallible;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tokio::sync::broadcast::error::RecvError;

use super::board::Board;

/// The page: one HTML file with its style and script put in, so one request brings all.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    include_str!("assets/index.html")
        .replace("/*STYLE*/", include_str!("assets/app.css"))
        .replace("/*SCRIPT*/", include_str!("assets/app.js"))
});

type Shared = State<Arc<Board>>;

/// Who may ask: the token, and whether the view listens on loopback only.
#[derive(Clone)]
pub(crate) struct Gate {
    /// The token every request must carry, if any.
    pub(crate) token: Option<Arc<str>>,
    /// True when bound to a loopback address: requests must then name a loopback host,
    /// so that a web page the user visits cannot reach the view by DNS rebinding.
    pub(crate) loopback: bool,
}

/// The routes, for `board`; every one goes through the `gate`.
pub(crate) fn router(board: Arc<Board>, gate: Gate) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/vars", get(list))
        .route("/api/vars/{name}", get(one).put(write))
        .route("/api/vars/{name}/trend", get(trend))
        .route("/api/trends", get(trends))
        .route("/api/status", get(status))
        .route("/api/events", get(events))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such page: the API is under /api/",
            )
        })
        .layer(middleware::from_fn_with_state(gate, auth))
        .with_state(board)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

fn json_ok(value: Value) -> Response {
    axum::Json(value).into_response()
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// True for a `Host` header naming a loopback address (with or without a port).
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Lets a request through when it names a loopback host (on a loopback bind) and carries
/// the token (when one is set).
async fn auth(
    State(gate): State<Gate>,
    query: Result<Query<TokenQuery>, QueryRejection>,
    request: Request,
    next: Next,
) -> Response {
    if gate.loopback {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if let Some(host) = host.filter(|h| !loopback_host(h)) {
            return error(
                StatusCode::FORBIDDEN,
                format!(
                    "this web view listens on loopback and answers only requests for localhost, \
                     not {host:?}: open it as http://127.0.0.1:PORT/, or bind another address \
                     with --web-token"
                ),
            );
        }
    }
    let Some(token) = gate.token else {
        return next.run(request).await;
    };
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_string);
    let given = bearer.or_else(|| query.ok().and_then(|Query(q)| q.token));
    let matches = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())));
    if matches {
        return next.run(request).await;
    }
    let mut refused = error(
        StatusCode::UNAUTHORIZED,
        "this web view needs its token: send Authorization: Bearer TOKEN or add ?token=TOKEN to the address",
    );
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    refused
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

async fn list(State(board): Shared) -> Response {
    json_ok(board.vars_json())
}

/// The 404 for a name no variable has.
fn unknown(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("unknown variable {name:?}: GET /api/vars lists the names"),
    )
}

async fn one(State(board): Shared, Path(name): Path<String>) -> Response {
    match board.find(&name) {
        Some(i) => json_ok(board.var_json(i)),
        None => unknown(&name),
    }
}

async fn trend(State(board): Shared, Path(name): Path<String>) -> Response {
    match board.find(&name) {
        Some(i) => json_ok(board.trend_json(i)),
        None => unknown(&name),
    }
}

async fn write(State(board): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let Some(i) = board.find(&name) else {
        return unknown(&name);
    };
    match board.write(i, &body) {
        Ok(row) => json_ok(row),
        Err(refused) => error(
            StatusCode::from_u16(refused.status).unwrap_or(StatusCode::BAD_REQUEST),
            refused.message,
        ),
    }
}

async fn trends(State(board): Shared) -> Response {
    json_ok(board.trends_json())
}

async fn status(State(board): Shared) -> Response {
    json_ok(board.status_json())
}

/// The live stream: a snapshot, then batches of changed rows and the connection state. A
/// page that falls behind skips what it missed and gets a fresh snapshot: the server keeps
/// a bounded backlog per page and never waits for one.
async fn events(State(board): Shared) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = board.subscribe();
    let first = board.snapshot();
    let stream = futures_util::stream::unfold(
        (board, rx, Some(first)),
        |(board, mut rx, pending)| async move {
            let event = match pending {
                Some(e) => e,
                None => match rx.recv().await {
                    Ok(e) => e,
                    Err(RecvError::Lagged(_)) => board.snapshot(),
                    Err(RecvError::Closed) => return None,
                },
            };
            let sse = SseEvent::default().event(event.kind).data(&*event.data);
            Some((Ok(sse), (board, rx, None)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_loopback_hosts_pass_on_a_loopback_bind() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:8080",
            "127.1.2.3",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "192.0.2.1",
            "[2001:db8::1]:80",
            "localhost.evil.example",
        ] {
            assert!(!loopback_host(bad), "{bad}");
        }
    }
}
