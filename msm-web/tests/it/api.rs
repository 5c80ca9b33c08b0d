//! The view's JSON API through a real HTTP client: every status code, the token rule,
//! values checked as `msm write` checks them, a write answered with the change it made,
//! the security headers, and a JSON body for every refusal.

use crate::common::{self, MAP, client, get, put, served};

use msm::Memory;
use msm_web::{Hints, View};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn the_api_lists_and_reads_and_refuses_writes_unless_writable() {
    let web = served(MAP, |v| v);
    let (status, vars) = get(&format!("{}/api/vars", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = vars
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        ["SETPOINT", "LEVEL", "LABEL", "PUMP", "DOOR", "FLOW"]
    );
    for key in [
        "name", "area", "address", "type", "value", "quality", "changed", "origin",
    ] {
        assert!(vars[0].get(key).is_some(), "{key} missing in {}", vars[0]);
    }
    let (status, level) = get(&format!("{}/api/vars/LEVEL", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            &level["area"],
            &level["address"],
            &level["type"],
            &level["value"]
        ),
        (&json!("holding"), &json!(2), &json!("f32"), &json!(1.5))
    );
    assert_eq!(level["quality"], "good");
    let (status, err) = get(&format!("{}/api/vars/NOPE", web.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(err["error"].as_str().expect("a message").contains("NOPE"));
    let (status, err) = put(&format!("{}/api/vars/SETPOINT", web.url), r#"{"value": 1}"#).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A Rust program's view names the Rust setting.
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("View::writable(true)")),
        "{err}"
    );
    let (status, s) = get(&format!("{}/api/status", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&s["role"], &s["writable"], &s["max_clients"]),
        (&json!("slave"), &json!(false), &json!(64))
    );

    let page = client().get(&web.url).send().await.expect("GET /");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("the page");
    assert!(html.contains("<table") && html.contains("EventSource"));
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "the page loads nothing from elsewhere"
    );
}

#[tokio::main(flavor = "current_thread")]
async fn writes_are_checked_and_answered_with_the_change_they_made() {
    let web = served(MAP, |v| v.writable(true));
    let setpoint = format!("{}/api/vars/SETPOINT", web.url);
    for bad in [
        r#"{"value": "70000"}"#,
        r#"{"value": -1}"#,
        r#"{"value": 2.5}"#,
        r#"{"value": true}"#,
        "{}",
        "nope",
    ] {
        let (status, err) = put(&setpoint, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {err}");
        assert!(err["error"].is_string(), "{bad}: {err}");
    }
    let (_, err) = put(&setpoint, r#"{"value": "70000"}"#).await;
    assert_eq!(
        err["error"],
        "variable SETPOINT: 70000 does not fit a u16, which holds whole numbers 0..=65535"
    );
    let (status, err) = put(
        &format!("{}/api/vars/LABEL", web.url),
        r#"{"value": "far too long"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, _) = put(&format!("{}/api/vars/NOPE", web.url), r#"{"value": 1}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing was written so far: no change to tell.
    let (_, row) = get(&setpoint).await;
    assert_eq!(
        (&row["value"], &row["changed"]),
        (&json!(500), &Value::Null)
    );
    // The first write is answered with the change it made: when, and by whom; the
    // stream and the API tell the same time.
    let (mut events, mut buf) = common::open_stream(&web.url).await;
    let (status, row) = put(&setpoint, r#"{"value": 601}"#).await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &json!(601)));
    assert_eq!(row["origin"], "local", "{row}");
    let changed = row["changed_ms"].as_u64().expect("a time of change");
    assert!(
        row["changed"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{row}"
    );
    let rows = common::next_event(&mut events, &mut buf, "rows", |v| {
        v.as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["i"] == 0 && r["value"] == 601))
    })
    .await;
    assert_eq!(rows[0]["changed_ms"], changed, "{rows}");
    let (_, again) = get(&setpoint).await;
    assert_eq!(again["changed_ms"], changed);

    let (status, _) = put(&format!("{}/api/vars/PUMP", web.url), r#"{"value": "on"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (mirror, master) = common::mirror_of(web.modbus).await;
    master.sync().await.expect("sync");
    assert_eq!(
        mirror.find("SETPOINT").expect("var").get().to_string(),
        "601"
    );
    assert_eq!(mirror.find("PUMP").expect("var").get().to_string(), "true");
    master.stop().await;
}

#[tokio::main(flavor = "current_thread")]
async fn the_token_is_required_when_given() {
    let web = served(MAP, |v| v.token("s3cret"));
    assert_eq!(web.view.url(), format!("{}/?token=s3cret", web.url));
    let http = client();
    for path in [
        "/",
        "/api/vars",
        "/api/status",
        "/api/events",
        "/api/vars/LEVEL",
    ] {
        let r = http
            .get(format!("{}{path}", web.url))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let r = http
            .get(format!("{}{path}", web.url))
            .bearer_auth("wrong")
            .send()
            .await
            .expect("GET");
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with a wrong token"
        );
        let err: Value = r.json().await.expect("a JSON refusal");
        assert!(err["error"].as_str().is_some_and(|e| e.contains("?token=")));
    }
    let r = http
        .get(format!("{}/api/vars", web.url))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = get(&format!("{}/api/status?token=s3cret", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    // The address the view gives opens the page.
    let r = http.get(web.view.url()).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::main(flavor = "current_thread")]
async fn on_loopback_only_requests_for_localhost_are_answered() {
    // A page on another site reaching the view by DNS rebinding names its own host.
    let web = served(MAP, |v| v.writable(true));
    let r = client()
        .put(format!("{}/api/vars/SETPOINT", web.url))
        .header("host", "evil.example:8080")
        .body(r#"{"value": 1}"#)
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let err: Value = r.json().await.expect("JSON");
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("evil.example")),
        "{err}"
    );
    let (_, row) = get(&format!("{}/api/vars/SETPOINT", web.url)).await;
    assert_eq!(row["value"], 500, "nothing written");
    let port = web.url.rsplit(':').next().expect("a port");
    let r = client()
        .get(format!("{}/api/status", web.url))
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
}

/// Sends `method path` with `body`; the status, the headers and the body as JSON (or
/// `None` when it is not JSON).
async fn ask(
    method: reqwest::Method,
    url: &str,
    body: Vec<u8>,
) -> (StatusCode, reqwest::header::HeaderMap, Option<Value>) {
    let r = client()
        .request(method, url)
        .body(body)
        .send()
        .await
        .expect("a request");
    let (status, headers) = (r.status(), r.headers().clone());
    let body = r.bytes().await.expect("a body");
    (status, headers, serde_json::from_slice(&body).ok())
}

#[tokio::main(flavor = "current_thread")]
async fn every_answer_carries_the_security_headers_and_every_refusal_a_json_body() {
    use reqwest::Method;
    let web = served(MAP, |v| v.writable(true).max_clients(1));
    let (_events, _) = common::open_stream(&web.url).await; // the one live page
    let url = |path: &str| format!("{}{path}", web.url);
    let cases: Vec<(Method, String, Vec<u8>, StatusCode, &str)> = vec![
        (Method::GET, url("/"), vec![], StatusCode::OK, ""),
        (Method::GET, url("/api/vars"), vec![], StatusCode::OK, ""),
        (
            Method::GET,
            url("/nowhere"),
            vec![],
            StatusCode::NOT_FOUND,
            "no such page",
        ),
        (
            Method::POST,
            url("/api/vars"),
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "POST is not allowed",
        ),
        (
            Method::DELETE,
            url("/api/vars/SETPOINT"),
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "PUT",
        ),
        (
            Method::PUT,
            url("/api/vars/SETPOINT"),
            vec![b' '; 100_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "PUT \"/api/vars/SETPOINT\"",
        ),
        (
            Method::PUT,
            url("/api/vars/SETPOINT"),
            b"[".to_vec(),
            StatusCode::BAD_REQUEST,
            "not JSON",
        ),
        (
            Method::GET,
            url("/api/vars/%FF"),
            vec![],
            StatusCode::BAD_REQUEST,
            "GET \"/api/vars/%FF\"",
        ),
        (
            Method::GET,
            url("/api/events"),
            vec![],
            StatusCode::SERVICE_UNAVAILABLE,
            "at most 1 live pages",
        ),
    ];
    for (method, address, body, want, says) in cases {
        let what = format!("{method} {address}");
        let (status, headers, json) = ask(method, &address, body).await;
        assert_eq!(status, want, "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["cache-control"], "no-store", "{what}");
        let csp = headers["content-security-policy"].to_str().expect("text");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        if status.is_success() {
            continue;
        }
        let json = json.unwrap_or_else(|| panic!("{what}: the refusal is not JSON"));
        let error = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {json}"));
        assert!(error.contains(says), "{what}: {error}");
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(headers.contains_key("allow"), "{what}");
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(error.contains("View::max_clients(n)"), "{error}");
            assert_eq!(headers["retry-after"], "5");
        }
    }
    // The page's policy lets its own script run and nothing else.
    let (_, headers, _) = ask(Method::GET, &url("/"), vec![]).await;
    let csp = headers["content-security-policy"].to_str().expect("text");
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("default-src 'none'"),
        "{csp}"
    );
}

#[tokio::main(flavor = "current_thread")]
async fn the_event_stream_shows_a_remote_write_and_who_made_it() {
    let web = served(MAP, |v| v);
    let (mut events, mut buf) = common::open_stream(&web.url).await;
    let (mirror, master) = common::mirror_of(web.modbus).await;
    mirror
        .find("SETPOINT")
        .expect("var")
        .set_str("777")
        .expect("set");
    master.flush().await.expect("flush");
    let rows = common::next_event(&mut events, &mut buf, "rows", |v| {
        v.as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["i"] == 0 && r["value"] == 777))
    })
    .await;
    let row = rows
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["i"] == 0))
        .expect("SETPOINT's row");
    let origin = row["origin"].as_str().expect("an origin");
    assert!(
        origin.starts_with("127.0.0.1:"),
        "the master's address: {origin}"
    );
    assert!(row["changed"].as_str().is_some_and(|t| t.ends_with('Z')));
    master.stop().await;
}

#[tokio::main(flavor = "current_thread")]
async fn a_memory_without_a_map_shows_every_item_and_takes_writes() {
    let mem = Memory::builder()
        .coils(2)
        .holding_registers(3)
        .build()
        .expect("memory");
    mem.holding::<u16>(1).expect("var").set(77).expect("set");
    let view = View::of_memory(&mem)
        .expect("a view")
        .writable(true)
        .hints(Hints::Python)
        .serve_async("127.0.0.1:0")
        .await
        .expect("serve");
    let base = format!("http://{}", view.local_addr());
    let (_, vars) = get(&format!("{base}/api/vars")).await;
    let rows: Vec<(String, Value)> = vars
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_string(),
                v["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("coil:0".to_string(), json!(false)),
            ("coil:1".to_string(), json!(false)),
            ("holding:0".to_string(), json!(0)),
            ("holding:1".to_string(), json!(77)),
            ("holding:2".to_string(), json!(0)),
        ]
    );
    let (status, row) = put(
        &format!("{base}/api/vars/holding:2"),
        r#"{"value": "0xBEEF"}"#,
    )
    .await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &json!(0xBEEF)));
    assert_eq!(mem.holding::<u16>(2).expect("var").get(), 0xBEEF);
    let (status, err) = put(&format!("{base}/api/vars/holding:2"), r#"{"value": -1}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let addr = view.local_addr();
    view.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped"
    );
}

#[tokio::main(flavor = "current_thread")]
async fn a_write_to_one_byte_of_a_register_changes_only_its_row() {
    let map = r#"
        [memory]
        holding_registers = 1
        [vars]
        MODE = { area = "holding", address = 0, type = "u8", byte = "high" }
        STEP = { area = "holding", address = 0, type = "u8", byte = "low" }
    "#;
    let web = served(map, |v| v.writable(true));
    let (status, row) = put(&format!("{}/api/vars/MODE", web.url), r#"{"value": 4}"#).await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &json!(4)));
    let changed = row["changed_ms"].as_u64().expect("MODE changed");
    // The change's time is when the memory made it: the stream, the API and the answer
    // tell the same.
    let (_, again) = get(&format!("{}/api/vars/MODE", web.url)).await;
    assert_eq!(again["changed_ms"], changed);
    let (_, step) = get(&format!("{}/api/vars/STEP", web.url)).await;
    assert_eq!(
        (&step["value"], &step["changed"]),
        (&json!(0), &Value::Null),
        "{step}"
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_api_lists_and_reads_and_refuses_writes_unless_writable",
        run: the_api_lists_and_reads_and_refuses_writes_unless_writable,
        needs: &[],
    },
    crate::Test {
        name: "writes_are_checked_and_answered_with_the_change_they_made",
        run: writes_are_checked_and_answered_with_the_change_they_made,
        needs: &[],
    },
    crate::Test {
        name: "the_token_is_required_when_given",
        run: the_token_is_required_when_given,
        needs: &[],
    },
    crate::Test {
        name: "on_loopback_only_requests_for_localhost_are_answered",
        run: on_loopback_only_requests_for_localhost_are_answered,
        needs: &[],
    },
    crate::Test {
        name: "every_answer_carries_the_security_headers_and_every_refusal_a_json_body",
        run: every_answer_carries_the_security_headers_and_every_refusal_a_json_body,
        needs: &[],
    },
    crate::Test {
        name: "the_event_stream_shows_a_remote_write_and_who_made_it",
        run: the_event_stream_shows_a_remote_write_and_who_made_it,
        needs: &[],
    },
    crate::Test {
        name: "a_write_to_one_byte_of_a_register_changes_only_its_row",
        run: a_write_to_one_byte_of_a_register_changes_only_its_row,
        needs: &[],
    },
    crate::Test {
        name: "a_memory_without_a_map_shows_every_item_and_takes_writes",
        run: a_memory_without_a_map_shows_every_item_and_takes_writes,
        needs: &[],
    },
];
