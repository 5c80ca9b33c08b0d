//! The web view's JSON API and event stream, through a real HTTP client: every status
//! code, the token rule, values checked as `msm write` checks them, a master's state, and
//! a client that never reads the stream not slowing the slave down.

use crate::common;

use std::io::Write as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::web::{DEADLINE, MAP, serve, web_url};
use msm::{Map, Master, Memory};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("http client")
}

/// A client for event streams: no deadline on the whole response, which lasts as long
/// as the test; each wait for an event has its own (see `next_event`).
fn stream_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(DEADLINE)
        .build()
        .expect("http client")
}

async fn get(url: &str) -> (StatusCode, Value) {
    let r = client().get(url).send().await.expect("GET");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn put(url: &str, body: &str) -> (StatusCode, Value) {
    let r = client()
        .put(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PUT");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A master on a fresh memory shaped like `MAP`, connected to `modbus`.
async fn master_of(modbus: &str) -> (msm::MapMemory, msm::AsyncMasterHandle) {
    let mm = Map::from_toml_str(MAP)
        .expect("map")
        .build()
        .expect("build");
    let master = Master::tcp(modbus.to_string())
        .start_async(mm.memory().clone())
        .await
        .expect("master");
    (mm, master)
}

#[tokio::main(flavor = "current_thread")]
async fn the_api_lists_and_reads_and_refuses_writes_unless_writable() {
    let web = serve(MAP, &[]);
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
    assert!(
        err["error"]
            .as_str()
            .expect("a message")
            .contains("--web-writable")
    );
    let (status, s) = get(&format!("{}/api/status", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&s["role"], &s["writable"]),
        (&json!("slave"), &json!(false))
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
async fn writes_are_checked_as_msm_write_checks_them() {
    let web = serve(MAP, &["--web-writable"]);
    let setpoint = format!("{}/api/vars/SETPOINT", web.url);
    let (status, err) = put(&setpoint, r#"{"value": "70000"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = err["error"].as_str().expect("a message").to_string();
    // `msm write` refuses the same value with the same words.
    let map = common::temp_file("plant.toml", MAP);
    let cli = common::run(&["write", &map, "SETPOINT=70000", "--connect", &web.modbus]);
    assert!(!cli.status.success());
    let cli_err = common::stderr(&cli);
    // The same words after the file's name (each side has its own temp file).
    let words = message.split_once("variable ").map(|(_, w)| w);
    assert!(
        words.is_some_and(|w| cli_err.contains(w)),
        "web: {message}\ncli: {cli_err}"
    );
    for bad in [
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
    let (status, err) = put(
        &format!("{}/api/vars/LABEL", web.url),
        r#"{"value": "far too long"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, _) = put(&format!("{}/api/vars/NOPE", web.url), r#"{"value": 1}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing was written so far; now a number and a text that both fit.
    let (_, row) = get(&setpoint).await;
    assert_eq!(row["value"], 500);
    let (status, row) = put(&setpoint, r#"{"value": 601}"#).await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &json!(601)));
    let (status, _) = put(&format!("{}/api/vars/PUMP", web.url), r#"{"value": "on"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (mm, master) = master_of(&web.modbus).await;
    master.sync().await.expect("sync");
    assert_eq!(mm.find("SETPOINT").expect("var").get().to_string(), "601");
    assert_eq!(mm.find("PUMP").expect("var").get().to_string(), "true");
    master.stop().await;
}

#[tokio::main(flavor = "current_thread")]
async fn the_token_is_required_when_given() {
    let web = serve(MAP, &["--web-token", "s3cret"]);
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
    let (status, _) = get(&format!("{}/?token=s3cret", web.url)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::main(flavor = "current_thread")]
async fn on_loopback_only_requests_for_localhost_are_answered() {
    // A page on another site reaching the view by DNS rebinding names its own host.
    let web = serve(MAP, &["--web-writable"]);
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

/// Reads the event stream until an event satisfies `pred`; its data.
async fn next_event(
    resp: &mut reqwest::Response,
    buf: &mut String,
    kind: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let began = Instant::now();
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = if e == kind { kind } else { "other" };
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            if event == kind {
                let v: Value = serde_json::from_str(&data).expect("JSON data");
                if pred(&v) {
                    return v;
                }
            }
        }
        let left = DEADLINE
            .checked_sub(began.elapsed())
            .unwrap_or_else(|| panic!("no {kind} event within {DEADLINE:?}"));
        let chunk = tokio::time::timeout(left, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {kind} event within {DEADLINE:?}"))
            .expect("the stream")
            .expect("the stream ended");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::main(flavor = "current_thread")]
async fn the_event_stream_shows_a_remote_write_and_who_made_it() {
    let web = serve(MAP, &[]);
    let mut events = stream_client()
        .get(format!("{}/api/events", web.url))
        .send()
        .await
        .expect("GET /api/events");
    assert_eq!(
        events.headers()["content-type"],
        "text/event-stream",
        "an SSE stream"
    );
    let mut buf = String::new();
    let snap = next_event(&mut events, &mut buf, "snapshot", |_| true).await;
    assert_eq!(snap["vars"].as_array().map(Vec::len), Some(6));
    assert_eq!(snap["status"]["role"], "slave");

    let (mm, master) = master_of(&web.modbus).await;
    mm.find("SETPOINT")
        .expect("var")
        .set_str("777")
        .expect("set");
    master.flush().await.expect("flush");
    let rows = next_event(&mut events, &mut buf, "rows", |v| {
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_the_stream_never_blocks_the_slave() {
    // 300 registers, each a variable: every write below changes all of them, so each
    // event is large and the idle clients' socket buffers fill up quickly.
    let mut map = String::from("[memory]\nholding_registers = 300\n[vars]\n");
    for i in 0..300 {
        map.push_str(&format!(
            "R{i:03} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    let web = serve(&map, &[]);
    let host = web.url.trim_start_matches("http://").to_string();
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&host).expect("connect");
            write!(
                s,
                "GET /api/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .expect("request");
            s
        })
        .collect();

    let mem = Memory::new(300);
    let master = Master::tcp(web.modbus.clone())
        .start_async(mem.clone())
        .await
        .expect("master");
    let thirds: Vec<_> = (0..3)
        .map(|k| mem.holding_raw(k * 100, 100).expect("registers"))
        .collect();
    // A client that does read: each round waits for it to see the round, so every round
    // is an event of its own (about 45 kB, 18 MB in all: more than the idle clients'
    // socket buffers hold).
    let mut live = stream_client()
        .get(format!("{}/api/events", web.url))
        .send()
        .await
        .expect("GET /api/events");
    let mut buf = String::new();
    next_event(&mut live, &mut buf, "snapshot", |_| true).await;
    let began = Instant::now();
    let rounds: u16 = 400;
    for round in 1..=rounds {
        for third in &thirds {
            third.set(vec![round; 100]).expect("set");
        }
        tokio::time::timeout(DEADLINE, master.flush())
            .await
            .unwrap_or_else(|_| panic!("write {round} hung: the slave is blocked"))
            .expect("flush");
        next_event(&mut live, &mut buf, "rows", |v| {
            v.as_array()
                .is_some_and(|rows| rows.iter().any(|r| r["i"] == 299 && r["value"] == round))
        })
        .await;
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "bounded: {round} writes"
        );
    }
    // The view still answers, and catches up with the last value.
    let url = format!("{}/api/vars/R299", web.url);
    let began = Instant::now();
    loop {
        let (status, row) = get(&url).await;
        assert_eq!(status, StatusCode::OK);
        if row["value"] == rounds {
            break;
        }
        assert!(began.elapsed() < DEADLINE, "the view stuck at {row}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(idle);
    master.stop().await;
}

/// Polls `GET url` until `pred` holds for the JSON; that JSON.
async fn eventually(url: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let began = Instant::now();
    loop {
        let (status, v) = get(url).await;
        if status == StatusCode::OK && pred(&v) {
            return v;
        }
        assert!(began.elapsed() < DEADLINE, "{what}: last {status} {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `msm poll MAP --connect modbus --web 127.0.0.1:0 --web-writable`, and its web URL.
fn poll(modbus: &str) -> (common::Running, String) {
    let map = common::temp_file("plant.toml", MAP);
    let msm = common::Running::start(&[
        "poll",
        &map,
        "--connect",
        modbus,
        "--timeout",
        "300ms",
        "--web",
        "127.0.0.1:0",
        "--web-writable",
    ]);
    let url = web_url(&msm);
    (msm, url)
}

#[tokio::main(flavor = "current_thread")]
async fn poll_shows_the_masters_state_and_its_inputs_stay_read_only() {
    // A closed loopback port: nothing answers there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let (_poll, url) = poll(&closed);
    let s = eventually(&format!("{url}/api/status"), "an error", |s| {
        s["last_error"].is_string()
    })
    .await;
    assert_eq!(
        (&s["role"], &s["connected"]),
        (&json!("master"), &json!(false))
    );
    assert_eq!(s["state"], "reconnecting");
    let (_, flow) = get(&format!("{url}/api/vars/FLOW")).await;
    assert_eq!(flow["quality"], "not_read");
    let (status, err) = put(&format!("{url}/api/vars/FLOW"), r#"{"value": 1}"#).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("read-only"))
    );

    // Connected to a slave: good values, and a change shows who made it (the slave).
    let slave = serve(MAP, &["--web-writable"]);
    let (_poll, url) = poll(&slave.modbus);
    eventually(&format!("{url}/api/status"), "connected", |s| {
        s["state"] == "connected"
    })
    .await;
    let (status, _) = put(
        &format!("{}/api/vars/SETPOINT", slave.url),
        r#"{"value": 4242}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The value reads live from the memory; its change's time and origin follow.
    let row = eventually(&format!("{url}/api/vars/SETPOINT"), "the new value", |v| {
        v["value"] == 4242 && v["origin"].is_string()
    })
    .await;
    assert_eq!(row["quality"], "good");
    assert_eq!(row["origin"], json!(slave.modbus));

    // The slave goes away: the last values stay, marked stale with the reason.
    drop(slave);
    let row = eventually(&format!("{url}/api/vars/SETPOINT"), "stale", |v| {
        v["quality"] == "stale"
    })
    .await;
    assert_eq!(row["value"], 4242);
    assert!(row["reason"].is_string(), "{row}");
    let s = eventually(&format!("{url}/api/status"), "reconnecting", |s| {
        s["state"] == "reconnecting"
    })
    .await;
    assert!(s["last_error"].is_string(), "{s}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_api_lists_and_reads_and_refuses_writes_unless_writable",
        run: the_api_lists_and_reads_and_refuses_writes_unless_writable,
        needs: &[],
    },
    crate::Test {
        name: "writes_are_checked_as_msm_write_checks_them",
        run: writes_are_checked_as_msm_write_checks_them,
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
        name: "the_event_stream_shows_a_remote_write_and_who_made_it",
        run: the_event_stream_shows_a_remote_write_and_who_made_it,
        needs: &[],
    },
    crate::Test {
        name: "a_client_that_never_reads_the_stream_never_blocks_the_slave",
        run: a_client_that_never_reads_the_stream_never_blocks_the_slave,
        needs: &[],
    },
    crate::Test {
        name: "poll_shows_the_masters_state_and_its_inputs_stay_read_only",
        run: poll_shows_the_masters_state_and_its_inputs_stay_read_only,
        needs: &[],
    },
];
