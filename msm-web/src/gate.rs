//! What every request passes through: the token and loopback-host checks on the way
//! in; on the way out, the security headers, and a JSON body for every refusal.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::hints::Hints;
use crate::page;

/// A refusal: `status` with `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// Who may ask: the token, and whether the view listens on loopback only.
#[derive(Clone)]
pub(crate) struct Gate {
    /// The token every request must carry, if any.
    pub(crate) token: Option<Arc<str>>,
    /// True when bound to a loopback address: requests must then name a loopback host,
    /// so that a web page the user visits cannot reach the view by DNS rebinding.
    pub(crate) loopback: bool,
    /// How refusals name the settings that fix them.
    pub(crate) hints: Hints,
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenQuery {
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

/// At most this much of anything a client sent is quoted back to it.
const QUOTED: usize = 100;

/// `text` cut to [`QUOTED`] characters.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Lets a request through when it names a loopback host (on a loopback bind) and carries
/// the token (when one is set).
pub(crate) async fn auth(
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
                     not {:?}: open it as http://127.0.0.1:PORT/, {}",
                    quoted(host),
                    gate.hints.other_address()
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
    refused
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    refused
}

/// The headers every answer carries: no framing (clickjacking a writable page), no
/// guessing of content types, no caching (values are live, a token may be in the
/// address), no referrer (which would carry the token).
const HEADERS: [(HeaderName, &str); 4] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Adds the security headers to every answer, and gives every refusal without a JSON
/// body one (axum's own: a 405, a body too large, a path that is not UTF-8).
pub(crate) async fn secure(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = quoted(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !json {
        let allow = response.headers().get(header::ALLOW).cloned();
        let text = match axum::body::to_bytes(std::mem::take(response.body_mut()), 4096).await {
            Ok(body) => String::from_utf8_lossy(&body).trim().to_string(),
            Err(_) => String::new(),
        };
        let message = refusal_text(status, &method, &path, allow.as_ref(), &text);
        let headers = std::mem::take(response.headers_mut());
        response = error(status, message);
        for (name, value) in headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                response.headers_mut().insert(name, value.clone());
            }
        }
    }
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page::CSP_API),
        );
    }
    response
}

/// The API in one line, for a request that missed it.
pub(crate) const API: &str = "the API is GET /api/vars, GET or PUT /api/vars/NAME, \
     GET /api/vars/NAME/trend, GET /api/trends, GET /api/status and GET /api/events";

/// What a refusal that came without words says: what was refused and how to ask instead.
fn refusal_text(
    status: StatusCode,
    method: &Method,
    path: &str,
    allow: Option<&HeaderValue>,
    text: &str,
) -> String {
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = allow.and_then(|a| a.to_str().ok()).unwrap_or("GET");
        return format!(
            "{method} is not allowed on {path:?}: it takes {allowed} (GET reads; PUT /api/vars/NAME with {{\"value\": V}} writes a variable)"
        );
    }
    let what = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        quoted(text)
    };
    format!("{method} {path:?}: {what}; {API}")
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_bare_refusal_says_what_was_refused() {
        let allow = HeaderValue::from_static("GET,HEAD,PUT");
        let t = refusal_text(
            StatusCode::METHOD_NOT_ALLOWED,
            &Method::POST,
            "/api/vars/X",
            Some(&allow),
            "",
        );
        assert!(
            t.starts_with("POST is not allowed on \"/api/vars/X\": it takes GET,HEAD,PUT"),
            "{t}"
        );
        let t = refusal_text(
            StatusCode::PAYLOAD_TOO_LARGE,
            &Method::PUT,
            "/api/vars/X",
            None,
            "Failed to buffer the request body",
        );
        assert!(
            t.contains("Failed to buffer") && t.contains("GET /api/vars"),
            "{t}"
        );
        assert_eq!(quoted(&"x".repeat(500)).chars().count(), QUOTED + 1);
    }
}
