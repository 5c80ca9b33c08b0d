//! The shipped example runs, serves a live view of its memory, and stops by itself.

use crate::common::{DEADLINE, get};

use std::path::PathBuf;
use std::time::Instant;

use reqwest::StatusCode;

/// An example binary built by `cargo test` (which builds the package's examples).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} not built: run `cargo test` (it builds examples)",
        path.display()
    );
    path
}

#[tokio::main(flavor = "current_thread")]
async fn embed_serves_a_live_view_and_stops_by_itself() {
    let mut run = crate::peers::PeerProcess::start(&example("embed"), &["--seconds", "4"]);
    // embed: Modbus on 127.0.0.1:PORT, live view at http://127.0.0.1:PORT/ (writable)
    let line = run.announced.clone();
    let url = line
        .split(" live view at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    assert!(line.contains("Modbus on 127.0.0.1:"), "{line}");
    let cycles = format!("{url}/api/vars/CYCLES");
    let (status, first) = get(&cycles).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // The program's loop moves the values; the view shows them.
    let began = Instant::now();
    loop {
        let (_, now) = get(&cycles).await;
        if now["value"].as_u64() > first["value"].as_u64() {
            break;
        }
        assert!(began.elapsed() < DEADLINE, "CYCLES stuck at {now}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, row) =
        crate::common::put(&format!("{url}/api/vars/SETPOINT"), r#"{"value": 70}"#).await;
    assert_eq!((status, &row["value"]), (StatusCode::OK, &70.into()));
    let exit = crate::common::wait_for("embed to stop by itself", DEADLINE, || {
        run.child.try_wait().expect("wait")
    });
    assert!(exit.success(), "{exit:?}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "embed_serves_a_live_view_and_stops_by_itself",
    run: embed_serves_a_live_view_and_stops_by_itself,
    needs: &[],
}];
