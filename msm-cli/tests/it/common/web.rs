//! Helpers for the tests of `--web`: starting `msm` with it, finding where it listens,
//! asking its API.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::Running;

/// The bound on every wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A map with a variable of each kind the page shows.
pub const MAP: &str = r#"
[memory]
coils = 8
discrete_inputs = 8
input_registers = 8
holding_registers = 16

[vars]
SETPOINT = { area = "holding", address = 0, type = "u16", value = 500 }
LEVEL    = { area = "holding", address = 2, type = "f32", value = 1.5 }
LABEL    = { area = "holding", address = 4, type = "string", len = 4, value = "pump" }
PUMP     = { area = "coil", address = 1, type = "bool" }
DOOR     = { area = "discrete", address = 0, type = "bool" }
FLOW     = { area = "input", address = 0, type = "i16", value = -3 }
"#;

/// A running `msm` with a web view: the process, its web root URL and its Modbus address.
pub struct Web {
    pub msm: Running,
    /// `http://ADDR`, without a trailing slash or a token.
    pub url: String,
    pub modbus: String,
    /// The map served, removed when the test is done with it.
    _map: crate::common::TempFile,
}

/// `msm serve MAP --listen 127.0.0.1:0 --web 127.0.0.1:0 EXTRA...`.
pub fn serve(map_text: &str, extra: &[&str]) -> Web {
    let map = crate::common::temp_file("plant.toml", map_text);
    let mut args = vec!["serve", &map];
    args.extend(["--quiet", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"]);
    args.extend(extra);
    let msm = Running::start(&args);
    let serving = msm.expect_err("the Modbus address", |l| l.contains("serving"));
    let modbus = serving
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {serving:?}"))
        .to_string();
    let url = web_url(&msm);
    Web {
        msm,
        url,
        modbus,
        _map: map,
    }
}

/// The web view's root URL, from `msm web: http://ADDR/ ...` on stderr.
pub fn web_url(msm: &Running) -> String {
    let line = msm.expect_err("the web address", |l| l.starts_with("msm web: "));
    let url = line
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    url.split('?')
        .next()
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_string()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("http client")
}

pub async fn get(url: &str) -> (StatusCode, Value) {
    let r = client().get(url).send().await.expect("GET");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn put(url: &str, body: &str) -> (StatusCode, Value) {
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

/// Polls `GET url` until `pred` holds for the JSON; that JSON.
pub async fn eventually(url: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
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
