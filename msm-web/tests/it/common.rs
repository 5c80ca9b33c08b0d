//! Helpers of the view's tests: a slave with a view of its memory (what `msm serve --web`
//! is, in one process), an HTTP client, an event-stream reader, waits with deadlines.
//! msm-cli's tests of `--web` use them too (its `common/web.rs` includes this file).

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use msm::{MapMemory, Slave, SlaveHandle};
use msm_web::{View, WebHandle};
use reqwest::StatusCode;
use serde_json::Value;

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

/// A map of `n` holding registers, each a `u16` variable `R000`...
pub fn registers_map(n: usize) -> String {
    let mut map = format!("[memory]\nholding_registers = {n}\n[vars]\n");
    for i in 0..n {
        map.push_str(&format!(
            "R{i:03} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    map
}

/// A master that writes every one of 300 holding registers at once (a round), so that
/// each round changes every variable of [`registers_map`]`(300)`: large events.
pub struct Writer {
    pub master: msm::AsyncMasterHandle,
    thirds: Vec<msm::Var<Vec<u16>>>,
}

impl Writer {
    pub async fn start(modbus: impl msm::transport::TcpAddr) -> Writer {
        let mem = msm::Memory::new(300);
        let master = msm::Master::tcp(modbus)
            .start_async(mem.clone())
            .await
            .expect("master");
        let thirds = (0..3)
            .map(|k| mem.holding_raw(k * 100, 100).expect("registers"))
            .collect();
        Writer { master, thirds }
    }

    /// Writes `round` to every register and waits for the slave to confirm: a slave
    /// that blocks fails the test.
    pub async fn round(&self, round: u16) {
        for third in &self.thirds {
            third.set(vec![round; 100]).expect("set");
        }
        tokio::time::timeout(DEADLINE, self.master.flush())
            .await
            .unwrap_or_else(|_| panic!("write {round} hung: the slave is blocked"))
            .expect("flush");
    }
}

/// A slave serving a map's memory, and a view of it set up by the test.
pub struct Served {
    pub mm: MapMemory,
    pub view: WebHandle,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    pub modbus: SocketAddr,
    _slave: SlaveHandle,
}

/// Serves `map_text` on a loopback slave and a view of it, set up by `setup`.
pub fn served(map_text: &str, setup: impl FnOnce(View) -> View) -> Served {
    let mm = msm::Map::from_toml_str(map_text)
        .expect("map")
        .build()
        .expect("build");
    let slave = Slave::tcp("127.0.0.1:0")
        .serve(mm.memory().clone())
        .expect("slave");
    let view = setup(View::of_map(&mm)).serve("127.0.0.1:0").expect("view");
    Served {
        url: format!("http://{}", view.local_addr()),
        modbus: slave.local_addr(),
        view,
        mm,
        _slave: slave,
    }
}

/// A master keeping a fresh memory shaped like `MAP` in sync with the slave at `modbus`.
pub async fn mirror_of(
    modbus: impl msm::transport::TcpAddr,
) -> (MapMemory, msm::AsyncMasterHandle) {
    let mirror = msm::Map::from_toml_str(MAP)
        .expect("map")
        .build()
        .expect("build");
    let master = msm::Master::tcp(modbus)
        .start_async(mirror.memory().clone())
        .await
        .expect("master");
    (mirror, master)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("http client")
}

/// A client for event streams: no deadline on the whole response, which lasts as long
/// as the test; each wait for an event has its own (see [`next_event`]).
pub fn stream_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(DEADLINE)
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

/// Opens `GET /api/events` and waits for its first event (the snapshot).
pub async fn open_stream(url: &str) -> (reqwest::Response, String) {
    let mut events = stream_client()
        .get(format!("{url}/api/events"))
        .send()
        .await
        .expect("GET /api/events");
    assert_eq!(events.status(), StatusCode::OK);
    let mut buf = String::new();
    next_event(&mut events, &mut buf, "snapshot", |_| true).await;
    (events, buf)
}

/// Reads the event stream until an event of `kind` satisfies `pred`; its data.
pub async fn next_event(
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

/// A client that asks for the event stream and never reads a byte of it.
pub fn idle_stream(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request");
    s
}

/// Polls `check` until it gives a value or `limit` passes.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let began = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
