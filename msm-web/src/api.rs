//! The HTTP routes: the page, the JSON API and the event stream, behind the gate.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::app::App;
use crate::events;
use crate::gate::{self, API, Gate, error};
use crate::page;

/// A write's body is `{"value": ...}`: a string of a few registers at most.
const BODY_LIMIT: usize = 64 * 1024;

/// The routes of `app`; every request goes through the `gate`, every answer through
/// [`gate::secure`].
pub(crate) fn router(app: App, gate: Gate) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/vars", get(list))
        .route("/api/vars/{name}", get(one).put(write))
        .route("/api/vars/{name}/trend", get(trend))
        .route("/api/trends", get(trends))
        .route("/api/status", get(status))
        .route("/api/events", get(events::events))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                format!("no such page: the page is at /, and {API}"),
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(gate, gate::auth))
        .layer(middleware::from_fn(gate::secure))
        .with_state(app)
}

type Shared = State<App>;

fn json_ok(value: Value) -> Response {
    axum::Json(value).into_response()
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, page::CSP.as_str()),
        ],
        page::HTML.as_str(),
    )
        .into_response()
}

async fn list(State(app): Shared) -> Response {
    json_ok(app.board.vars_json())
}

/// The 404 for a name no variable has.
fn unknown(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "unknown variable {:?}: GET /api/vars lists the names",
            gate::quoted(name)
        ),
    )
}

async fn one(State(app): Shared, Path(name): Path<String>) -> Response {
    match app.board.find(&name) {
        Some(i) => json_ok(app.board.var_json(i)),
        None => unknown(&name),
    }
}

async fn trend(State(app): Shared, Path(name): Path<String>) -> Response {
    match app.board.find(&name) {
        Some(i) => json_ok(app.board.trend_json(i)),
        None => unknown(&name),
    }
}

async fn write(State(app): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let Some(i) = app.board.find(&name) else {
        return unknown(&name);
    };
    match app.board.write(i, &body).await {
        Ok(row) => json_ok(row),
        Err(refused) => error(
            StatusCode::from_u16(refused.status).unwrap_or(StatusCode::BAD_REQUEST),
            refused.message,
        ),
    }
}

async fn trends(State(app): Shared) -> Response {
    json_ok(app.board.trends_json())
}

/// The connection state, with the live pages served and the cap on them.
async fn status(State(app): Shared) -> Response {
    let mut s = app.board.status_json();
    if let Value::Object(fields) = &mut s {
        // The counts before the open streams: a client counted as dropped or refused
        // has given its place back already.
        let (dropped, refused) = (app.streams.dropped(), app.streams.refused());
        fields.insert("clients".into(), app.streams.open().into());
        fields.insert("max_clients".into(), app.streams.max().into());
        fields.insert("clients_dropped".into(), dropped.into());
        fields.insert("clients_refused".into(), refused.into());
    }
    json_ok(s)
}
