//! `--web` on the command line: the flags reach the view (`--web-writable`,
//! `--web-token`, `--web-max-clients`), a write from the page is checked as `msm write`
//! checks it, `msm poll --web` shows the master's state with its inputs read-only, and
//! 500 clients that never read leave `msm serve`'s memory where it was. The view itself
//! is tested in msm-web.

use crate::common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::web::{
    DEADLINE, MAP, Writer, eventually, get, idle_stream, mirror_of, put, serve, web_url,
};
use reqwest::StatusCode;
use serde_json::json;

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
    // The first write is answered with the change it made.
    let (status, row) = put(&setpoint, r#"{"value": 601}"#).await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &json!(601)));
    assert_eq!(row["origin"], "local", "{row}");
    assert!(row["changed"].is_string(), "{row}");
    let (status, _) = put(&format!("{}/api/vars/PUMP", web.url), r#"{"value": "on"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (mm, master) = mirror_of(web.modbus.clone()).await;
    master.sync().await.expect("sync");
    assert_eq!(mm.find("SETPOINT").expect("var").get().to_string(), "601");
    assert_eq!(mm.find("PUMP").expect("var").get().to_string(), "true");
    master.stop().await;
}

#[tokio::main(flavor = "current_thread")]
async fn the_token_flag_guards_the_view_and_stays_out_of_logs() {
    let web = serve(MAP, &["--web-token", "s3cret"]);
    // stderr is a pipe here, not a terminal: the start line says how to open the view
    // without printing the secret.
    let (status, err) = get(&format!("{}/api/vars", web.url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
    let (status, _) = get(&format!("{}/api/vars?token=s3cret", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    let r = common::web::client()
        .get(format!("{}/?token=s3cret", web.url))
        .send()
        .await
        .expect("GET /");
    assert_eq!(r.status(), StatusCode::OK);
    let args = [
        "serve",
        "--quiet",
        "--listen",
        "127.0.0.1:0",
        "--web",
        "127.0.0.1:0",
    ];
    let msm = common::Running::start(&[&args[..], &["--web-token", "s3cret"]].concat());
    let line = msm.expect_err("the web address", |l| l.starts_with("msm web: "));
    assert!(
        !line.contains("s3cret") && line.contains("?token=TOKEN"),
        "{line}"
    );
    drop(web);
}

#[tokio::main(flavor = "current_thread")]
async fn the_max_clients_flag_caps_the_live_pages() {
    let web = serve(MAP, &["--web-max-clients", "2"]);
    let streams = reqwest::Client::builder()
        .connect_timeout(DEADLINE)
        .build()
        .expect("http client");
    let mut open = Vec::new();
    for _ in 0..2 {
        let r = streams
            .get(format!("{}/api/events", web.url))
            .send()
            .await
            .expect("GET /api/events");
        assert_eq!(r.status(), StatusCode::OK);
        open.push(r);
    }
    let (status, err) = get(&format!("{}/api/events", web.url)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        err["error"].as_str().is_some_and(
            |e| e.contains("at most 2 live pages") && e.contains("--web-max-clients N")
        ),
        "{err}"
    );
    // Without --web-writable the page may not write, and says how to let it.
    let (status, err) = put(&format!("{}/api/vars/SETPOINT", web.url), r#"{"value": 1}"#).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("--web-writable")),
        "{err}"
    );
    let bad = common::run(&[
        "serve",
        "--seconds",
        "1",
        "--web",
        "127.0.0.1:0",
        "--web-max-clients",
        "0",
    ]);
    assert!(!bad.status.success());
    assert!(
        common::stderr(&bad).contains("--web-max-clients"),
        "{}",
        common::stderr(&bad)
    );
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

/// The resident memory of process `pid`, in kB (`VmRSS` in /proc/PID/status).
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

/// Clients that never read, in all.
const IDLE_CLIENTS: usize = 500;

/// Not a timed test: it prints the figures (docs/web.md quotes them) and checks that
/// the memory came back within 10 MB.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn memory_comes_back_after_500_clients_that_never_read() {
    // 300 registers, each a variable: every round of writes changes all of them, so
    // each event is large (about 45 kB) and what the clients do not read piles up fast.
    let mut map = String::from("[memory]\nholding_registers = 300\n[vars]\n");
    for i in 0..300 {
        map.push_str(&format!(
            "R{i:03} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    let web = serve(&map, &[]);
    let pid = web.msm.child.id();
    let status_url = format!("{}/api/status", web.url);
    let host = web.url.trim_start_matches("http://").to_string();
    let writer = Writer::start(web.modbus.clone()).await;
    let mut round: u16 = 0;
    // Where it starts: serving, written to, its API and page asked once.
    {
        round += 1;
        writer.round(round).await;
    }
    let (status, _) = get(&format!("{}/", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    eventually(&status_url, "the view up", |_| true).await;
    let start = rss_kb(pid);

    // 500 clients ask for the stream at once and never read: 64 are served, the rest
    // refused; the 64 are dropped once their queues are full.
    let view_addr = host.parse().expect("the view's address");
    let idle: Vec<TcpStream> = (0..IDLE_CLIENTS).map(|_| idle_stream(view_addr)).collect();
    let s = eventually(&status_url, "every client answered", |s| {
        s["clients"] == 64 && s["clients_refused"] == IDLE_CLIENTS as u64 - 64
    })
    .await;
    assert_eq!(s["max_clients"], 64);
    let began = Instant::now();
    let mut peak = start;
    loop {
        {
            round += 1;
            writer.round(round).await;
        }
        peak = peak.max(rss_kb(pid));
        let (_, s) = get(&status_url).await;
        if s["clients_dropped"] == 64 {
            assert_eq!(s["clients"], 0, "{s}");
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(120) && round < 5000,
            "not all dropped after {round} writes: {s}"
        );
    }
    let rounds = round;
    drop(idle);
    // Gone: the memory is back within 10 MB of where it started.
    let began = Instant::now();
    let end = loop {
        let now = rss_kb(pid);
        if now <= start + 10 * 1024 || began.elapsed() > Duration::from_secs(10) {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "msm serve --web, {IDLE_CLIENTS} clients that never read (64 served, {} refused, \
         64 dropped after {rounds} writes of 300 registers): RSS {:.1} MB at start, \
         {:.1} MB at most, {:.1} MB after they left",
        IDLE_CLIENTS - 64,
        start as f64 / 1024.0,
        peak as f64 / 1024.0,
        end as f64 / 1024.0
    );
    assert!(
        end <= start + 10 * 1024,
        "RSS {end} kB after the clients left, {start} kB before"
    );
    // Still serving, and the view answers.
    {
        round += 1;
        writer.round(round).await;
    }
    let (status, _) = get(&format!("{}/api/vars/R299", web.url)).await;
    assert_eq!(status, StatusCode::OK);
    writer.master.stop().await;
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "writes_are_checked_as_msm_write_checks_them",
        run: writes_are_checked_as_msm_write_checks_them,
        needs: &[],
    },
    crate::Test {
        name: "the_token_flag_guards_the_view_and_stays_out_of_logs",
        run: the_token_flag_guards_the_view_and_stays_out_of_logs,
        needs: &[],
    },
    crate::Test {
        name: "the_max_clients_flag_caps_the_live_pages",
        run: the_max_clients_flag_caps_the_live_pages,
        needs: &[],
    },
    crate::Test {
        name: "poll_shows_the_masters_state_and_its_inputs_stay_read_only",
        run: poll_shows_the_masters_state_and_its_inputs_stay_read_only,
        needs: &[],
    },
    crate::Test {
        name: "memory_comes_back_after_500_clients_that_never_read",
        run: memory_comes_back_after_500_clients_that_never_read,
        needs: &[],
    },
];
