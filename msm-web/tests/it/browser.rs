//! The web view in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`). The page lists the variables, shows a write from
//! mbpoll without a reload, writes what is typed (checked with mbpoll), shows a bad value's
//! error without writing, draws each trend with its scale, keeps the Value column narrow,
//! and works when opened with its token; a screenshot goes to `target/web-screenshot.png`.
//! A second test measures the time from a change to the page showing it, at 1,000
//! variables.

use crate::common::{DEADLINE, MAP, served, wait_for};
use crate::peers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Chromium under chromedriver, headless, with a fresh profile; both end when dropped.
struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One browser at a time: two at once on a small machine would measure each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const HOW: &str =
    "install them with `apt-get install chromium chromium-driver` (bash .ci/run does)";

/// Starts chromedriver on a free loopback port and opens a headless Chromium session;
/// None (after a SKIP) when either is missing.
async fn browser() -> Option<Browser> {
    let chromium = peers::find_program("chromium")
        .or_else(|| peers::find_program("chromium-browser"))
        .or_else(|| {
            peers::missing("chromium", HOW);
            None
        })?;
    let chromedriver = peers::program("chromedriver", HOW)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let driver = Command::new(chromedriver)
        .args([
            format!("--port={port}"),
            "--allowed-ips=127.0.0.1".to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile =
        std::env::temp_dir().join(format!("msm-web-chromium-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&profile).expect("a profile directory");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1100,600",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let began = Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if began.elapsed() > DEADLINE => panic!("chromedriver did not start: {e}"),
            // Not listening yet.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    Some(Browser {
        client,
        driver,
        profile,
    })
}

/// Runs `script` until it returns something other than null or false; that value.
async fn until(c: &Client, what: &str, limit: Duration, script: &str) -> Value {
    let began = Instant::now();
    loop {
        let v = c.execute(script, vec![]).await.expect("run a script");
        if !v.is_null() && v != json!(false) {
            return v;
        }
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A script giving the text of the `class` cell of the row of `name` (null: no row yet).
fn cell(name: &str, class: &str) -> String {
    format!(
        "const e = document.querySelector('tr[data-name=\"{name}\"] .{class}'); return e && e.textContent;"
    )
}

/// A script true once the value of `name` shows `text`.
fn shows(name: &str, text: &str) -> String {
    format!(
        "const e = document.querySelector('tr[data-name=\"{name}\"] .v'); return !!e && e.textContent === '{text}';"
    )
}

fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-screenshot.png")
}

/// The holding register at `address` of the slave on `modbus`, read with mbpoll.
fn mbpoll_register(exe: &Path, modbus: std::net::SocketAddr, address: u16) -> String {
    let values = peers::mbpoll_tcp(
        exe,
        modbus.port(),
        &["-t", "4", "-r", &address.to_string()],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    values
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no register {address}"))
}

/// Moves LEVEL and FLOW every 100 ms, as a PLC program would, until dropped.
struct Plant {
    running: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Plant {
    fn start(mm: &msm::MapMemory) -> Plant {
        let level: msm::Var<f32> = mm.typed("LEVEL").expect("LEVEL");
        let flow: msm::Var<i16> = mm.typed("FLOW").expect("FLOW");
        let running = Arc::new(AtomicBool::new(true));
        let on = running.clone();
        let thread = std::thread::spawn(move || {
            let mut k = 0u32;
            while on.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                k += 1;
                level
                    .set(50.0 + 20.0 * (k as f32 / 10.0).sin())
                    .expect("set");
                flow.set((k % 7) as i16 - 3).expect("set");
            }
        });
        Plant {
            running,
            thread: Some(thread),
        }
    }
}

impl Drop for Plant {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_changes_and_writes_in_a_real_browser() {
    let Some(mbpoll_exe) = peers::mbpoll() else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let web = served(MAP, |v| v.writable(true));
    let _plant = Plant::start(&web.mm);
    c.goto(&web.url).await.expect("open the page");
    until(c, "the rows", DEADLINE, &cell("SETPOINT", "v")).await;
    let rows = c
        .execute(
            "return [...document.querySelectorAll('#vars tbody tr')].map(tr => \
             [tr.dataset.name, tr.querySelector('.v').textContent])",
            vec![],
        )
        .await
        .expect("the table");
    let names: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r[0].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        ["SETPOINT", "LEVEL", "LABEL", "PUMP", "DOOR", "FLOW"]
    );
    assert!(
        rows.as_array()
            .expect("rows")
            .iter()
            .any(|r| r == &json!(["LABEL", "pump"]))
    );
    until(c, "SETPOINT's value", DEADLINE, &shows("SETPOINT", "500")).await;
    // The page's style applied: the Content-Security-Policy let it in.
    let header = c
        .execute(
            "return getComputedStyle(document.querySelector('header.top')).backgroundColor",
            vec![],
        )
        .await
        .expect("a style");
    assert_eq!(header, "rgb(29, 38, 48)");

    // A write from mbpoll shows up without a reload, within a second.
    peers::mbpoll_tcp(
        &mbpoll_exe,
        web.modbus.port(),
        &["-t", "4", "-r", "0"],
        &["1234"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let written = Instant::now();
    until(
        c,
        "mbpoll's write in the page",
        DEADLINE,
        &shows("SETPOINT", "1234"),
    )
    .await;
    let shown_after = written.elapsed();
    assert!(
        shown_after < Duration::from_secs(1),
        "mbpoll's write took {shown_after:?} to show"
    );
    let origin = until(c, "the origin", DEADLINE, &cell("SETPOINT", "who")).await;
    assert!(
        origin.as_str().is_some_and(|o| o.starts_with("127.0.0.1:")),
        "{origin}"
    );

    // Typing a value and Enter writes it to the slave.
    let input = c
        .find(Locator::Css("tr[data-name=\"SETPOINT\"] input.write"))
        .await
        .expect("SETPOINT's input");
    input
        .send_keys(&format!("4321{}", char::from(Key::Enter)))
        .await
        .expect("type");
    wait_for("the typed value in the slave", DEADLINE, || {
        (mbpoll_register(&mbpoll_exe, web.modbus, 0) == "4321").then_some(())
    });

    // A bad value shows the error and writes nothing.
    input
        .send_keys(&format!("70000{}", char::from(Key::Enter)))
        .await
        .expect("type");
    let error = until(c, "the error", DEADLINE, &cell("SETPOINT", "error")).await;
    assert!(
        error
            .as_str()
            .is_some_and(|e| e.contains("does not fit a u16")),
        "{error}"
    );
    assert_eq!(mbpoll_register(&mbpoll_exe, web.modbus, 0), "4321");

    // Enough of the plant's movement for the trends: each shows its scale.
    until(
        c,
        "some trend points",
        DEADLINE,
        "return window.msmStats.updates >= 40",
    )
    .await;
    let scale = until(
        c,
        "LEVEL's scale",
        DEADLINE,
        "const s = document.querySelector('tr[data-name=\"LEVEL\"] .scale'); \
         return s && s.children[1].textContent !== '' && [s.children[0].textContent, s.children[1].textContent, \
         document.querySelector('tr[data-name=\"LEVEL\"] canvas.spark').title]",
    )
    .await;
    let (max, min) = (
        scale[0]
            .as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .expect("a max"),
        scale[1]
            .as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .expect("a min"),
    );
    // LEVEL started at 1.5 and the plant swings it between 30 and 70.
    assert!(
        min >= 1.5 && min < max && max > 50.0 && max <= 70.0,
        "{scale}"
    );
    let tip = format!(
        "min {}, max {} over the last ",
        scale[1].as_str().unwrap_or(""),
        scale[0].as_str().unwrap_or("")
    );
    assert!(
        scale[2]
            .as_str()
            .is_some_and(|t| t.starts_with(&tip) && t.contains(" s;")),
        "{scale}"
    );
    // The value column is narrow; the trend has the room.
    let widths = c
        .execute(
            "const r = document.querySelector('tr[data-name=\"SETPOINT\"]'); \
             return [r.querySelector('.val').offsetWidth, r.querySelector('.trend').offsetWidth]",
            vec![],
        )
        .await
        .expect("widths");
    let (value, trend) = (
        widths[0].as_f64().expect("px"),
        widths[1].as_f64().expect("px"),
    );
    assert!(value <= 15.0 * 14.0 + 1.0 && trend >= value, "{widths}");
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(screenshot_path(), png).expect("save the screenshot");

    // A click on a trend opens the bigger plot.
    c.find(Locator::Css("tr[data-name=\"LEVEL\"] canvas.spark"))
        .await
        .expect("LEVEL's trend")
        .click()
        .await
        .expect("click");
    until(
        c,
        "the big plot",
        DEADLINE,
        "return document.getElementById('plot').open",
    )
    .await;
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(screenshot_path().with_file_name("web-plot.png"), png).expect("save it");
    drop(web);
    b.client.clone().close().await.expect("close the browser");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_opened_with_its_token_uses_it_for_every_call() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let web = served(MAP, |v| v.writable(true).token("s3cret/+"));
    // The address the view gives (as `msm serve --web-token` prints it) opens the page...
    c.goto(web.view.url()).await.expect("open the page");
    until(c, "the rows", DEADLINE, &shows("SETPOINT", "500")).await;
    // ...whose stream and writes carry the token.
    let input = c
        .find(Locator::Css("tr[data-name=\"SETPOINT\"] input.write"))
        .await
        .expect("SETPOINT's input");
    input
        .send_keys(&format!("77{}", char::from(Key::Enter)))
        .await
        .expect("type");
    until(
        c,
        "the write in the page",
        DEADLINE,
        &shows("SETPOINT", "77"),
    )
    .await;
    let setpoint: msm::Var<u16> = web.mm.typed("SETPOINT").expect("SETPOINT");
    assert_eq!(setpoint.get(), 77);
    let status = until(
        c,
        "the header",
        DEADLINE,
        "return document.getElementById('conn').textContent",
    )
    .await;
    assert_eq!(status, "serving");
    // Without it, the page is refused.
    let plain = format!("http://{}/", web.view.local_addr());
    c.goto(&plain).await.expect("open without the token");
    let text = until(c, "the refusal", DEADLINE, "return document.body.innerText").await;
    assert!(
        text.as_str().is_some_and(|t| t.contains("needs its token")),
        "{text}"
    );
    drop(web);
    b.client.clone().close().await.expect("close the browser");
}

/// Milliseconds from a change on the server to the page showing it: (p50, p95, max).
fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    assert!(!ms.is_empty(), "no latencies recorded");
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

/// Changes `count` of the 1,000 variables once a second for `seconds` seconds, then
/// waits until the page has shown them all; the page's latencies to the screen and to the
/// event's arrival.
async fn measure(
    c: &Client,
    vars: &[msm::Var<u16>],
    master: &msm::AsyncMasterHandle,
    count: usize,
    seconds: u16,
) -> (Vec<f64>, Vec<f64>) {
    c.execute(
        "Object.assign(window.msmStats, {latencies: [], received: [], updates: 0}); return true",
        vec![],
    )
    .await
    .expect("reset the page's figures");
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for round in 0..seconds {
        tick.tick().await;
        for v in &vars[..count] {
            v.update(|x| x.wrapping_add(1)).expect("set");
        }
        tokio::time::timeout(DEADLINE, master.flush())
            .await
            .unwrap_or_else(|_| panic!("round {round}: the write hung"))
            .expect("flush");
    }
    let expected = count * usize::from(seconds);
    let got = until(
        c,
        "every change in the page",
        DEADLINE,
        &format!(
            "const s = window.msmStats; return s.updates >= {expected} && [s.latencies, s.received]"
        ),
    )
    .await;
    let list = |k: usize| -> Vec<f64> {
        got[k]
            .as_array()
            .expect("latencies")
            .iter()
            .filter_map(Value::as_f64)
            .collect()
    };
    (list(0), list(1))
}

/// Not a timed test: it prints the figures (docs/web.md quotes them) and checks only that
/// every change reached the page.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn dom_update_latency_at_1000_variables() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let mut map = String::from("[memory]\nholding_registers = 1000\n[vars]\n");
    for i in 0..1000 {
        map.push_str(&format!(
            "V{i:04} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    let web = served(&map, |v| v);
    c.goto(&web.url).await.expect("open the page");
    until(c, "the last row", DEADLINE, &cell("V0999", "v")).await;
    let mem = msm::Memory::new(1000);
    let vars: Vec<msm::Var<u16>> = (0..1000).map(|a| mem.holding(a).expect("var")).collect();
    let master = msm::Master::tcp(web.modbus)
        .start_async(mem.clone())
        .await
        .expect("master");
    // The peer in the same run: the same page with 10 variables changing.
    let (few, few_received) = measure(c, &vars, &master, 10, 5).await;
    let (all, all_received) = measure(c, &vars, &master, 1000, 5).await;
    let (few, all) = (percentiles(few), percentiles(all));
    let (few_received, all_received) = (percentiles(few_received), percentiles(all_received));
    eprintln!(
        "web view, change to event arrival: 10 vars/s p50 {:.0} ms p95 {:.0} ms; \
         1000 vars/s p50 {:.0} ms p95 {:.0} ms",
        few_received.0, few_received.1, all_received.0, all_received.1
    );
    eprintln!(
        "web view, change to DOM: 10 vars/s p50 {:.0} ms p95 {:.0} ms max {:.0} ms; \
         1000 vars/s p50 {:.0} ms p95 {:.0} ms max {:.0} ms; ratio p50 {:.2}, p95 {:.2}",
        few.0,
        few.1,
        few.2,
        all.0,
        all.1,
        all.2,
        all.0 / few.0.max(1.0),
        all.1 / few.1.max(1.0)
    );
    master.stop().await;
    drop(web);
    b.client.clone().close().await.expect("close the browser");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_page_shows_changes_and_writes_in_a_real_browser",
        run: the_page_shows_changes_and_writes_in_a_real_browser,
        needs: &["chromedriver", "chromium", "mbpoll"],
    },
    crate::Test {
        name: "a_page_opened_with_its_token_uses_it_for_every_call",
        run: a_page_opened_with_its_token_uses_it_for_every_call,
        needs: &["chromedriver", "chromium"],
    },
    crate::Test {
        name: "dom_update_latency_at_1000_variables",
        run: dom_update_latency_at_1000_variables,
        needs: &["chromedriver", "chromium"],
    },
];
