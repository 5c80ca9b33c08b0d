//! The live streams under load and abuse: a cap on how many, a client that never reads
//! dropped once its queue is full, and none of it ever slowing the slave down.

use crate::common::{self, DEADLINE, get, idle_stream, registers_map, served};

use std::io::Read as _;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn at_most_max_clients_streams_and_one_more_gets_503() {
    let web = served(common::MAP, |v| v.max_clients(3));
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(common::open_stream(&web.url).await);
    }
    let (status, err) = get(&format!("{}/api/events", web.url)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("at most 3 live pages")),
        "{err}"
    );
    let status_url = format!("{}/api/status", web.url);
    let (_, s) = get(&status_url).await;
    assert_eq!(
        (&s["clients"], &s["clients_refused"]),
        (&3.into(), &1.into())
    );
    // A page that leaves gives its place to another.
    open.pop();
    common::eventually(&status_url, "the place given back", |s| s["clients"] == 2).await;
    open.push(common::open_stream(&web.url).await);
    let (_, s) = get(&status_url).await;
    assert_eq!(s["clients"], 3);
}

/// The view's counters.
async fn status(url: &str) -> Value {
    let (code, s) = get(&format!("{url}/api/status")).await;
    assert_eq!(code, StatusCode::OK, "{s}");
    s
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_and_never_blocks_the_slave() {
    // 300 registers, each a variable: every write below changes all of them, so each
    // event is large (about 45 kB) and the idle clients' buffers fill quickly.
    let web = served(&registers_map(300), |v| v);
    let idle: Vec<_> = (0..4).map(|_| idle_stream(web.view.local_addr())).collect();
    let writer = common::Writer::start(web.modbus).await;
    // A client that does read: each round waits for it to see the round, so every round
    // is an event of its own.
    let (mut live, mut buf) = common::open_stream(&web.url).await;
    let began = Instant::now();
    let mut round: u16 = 0;
    loop {
        round += 1;
        writer.round(round).await;
        common::next_event(&mut live, &mut buf, "rows", |v| {
            v.as_array()
                .is_some_and(|rows| rows.iter().any(|r| r["i"] == 299 && r["value"] == round))
        })
        .await;
        if round.is_multiple_of(20) && status(&web.url).await["clients_dropped"] == 4 {
            break;
        }
        assert!(
            round < 2000 && began.elapsed() < Duration::from_secs(120),
            "the idle clients were not dropped after {round} writes: {}",
            status(&web.url).await
        );
    }
    // The reader stays; the four that never read were dropped, their places free.
    let s = status(&web.url).await;
    assert_eq!(
        (&s["clients"], &s["clients_dropped"]),
        (&1.into(), &4.into()),
        "{s}"
    );
    // Each idle client finds its connection closed once it reads what was sent.
    for mut s in idle {
        s.set_read_timeout(Some(DEADLINE)).expect("timeout");
        let mut sink = vec![0; 1 << 16];
        let began = Instant::now();
        loop {
            match s.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => assert!(began.elapsed() < DEADLINE, "still open"),
            }
        }
    }
    // The view still answers, and has the last value.
    let (code, row) = get(&format!("{}/api/vars/R299", web.url)).await;
    assert_eq!((code, &row["value"]), (StatusCode::OK, &round.into()));
    writer.master.stop().await;
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "at_most_max_clients_streams_and_one_more_gets_503",
        run: at_most_max_clients_streams_and_one_more_gets_503,
        needs: &[],
    },
    crate::Test {
        name: "a_client_that_never_reads_is_dropped_and_never_blocks_the_slave",
        run: a_client_that_never_reads_is_dropped_and_never_blocks_the_slave,
        needs: &[],
    },
];
