//! msm-mqtt against a real mosquitto (started per test on a free loopback port): the
//! example bridges its oven, stops by itself and says goodbye. A missing mosquitto makes
//! the test ignored, with the reason (a failure under `CI=true`).

use std::process::ExitCode;
use std::time::Duration;

#[path = "../../examples/bridge.rs"]
#[allow(dead_code)] // its main is the example's
mod bridge;
#[path = "../../../msm-cli/tests/it/common/gateway.rs"]
#[allow(dead_code)] // the broker and subscriber helpers of the gateway's tests
mod gateway;
#[path = "../../../msm/tests/it/harness.rs"]
mod harness;

use gateway::{Broker, Sub, peers, publish};
pub(crate) use harness::Test;

fn the_example_bridges_its_oven_and_stops_by_itself() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().expect("a temp dir");
    let broker = Broker::start(&peers, dir.path());
    let mut sub = Sub::start(&peers, broker.port, "example/#");
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let example = std::thread::spawn(move || {
        bridge::run(&url, Duration::from_secs(4)).map_err(|e| e.to_string())
    });
    sub.expect("example/gateway/available", "online");
    sub.expect("example/oven/available", "online");
    sub.expect("example/oven/SETPOINT", "180");
    sub.expect("example/oven/HEATING", "true");
    publish(&peers, broker.port, "example/oven/SETPOINT/set", "15");
    sub.expect("example/oven/SETPOINT", "15");
    // The oven follows: it cools below 20 and stops heating.
    sub.expect("example/oven/HEATING", "false");
    example
        .join()
        .expect("the example's thread")
        .expect("the example");
    sub.expect("example/oven/available", "offline");
    sub.expect("example/gateway/available", "offline");
    let after = sub.since_mark();
    assert_eq!(
        after.last().map(String::as_str),
        Some("example/gateway/available offline"),
        "{after:?}"
    );
}

const TESTS: &[Test] = &[Test {
    name: "the_example_bridges_its_oven_and_stops_by_itself",
    run: the_example_bridges_its_oven_and_stops_by_itself,
    needs: &["mosquitto"],
}];

/// Why `peer` cannot be used here, if it cannot (mosquitto is the only one).
fn peer_missing(peer: &str) -> Option<String> {
    let found = ["/usr/sbin", "/usr/local/sbin"]
        .iter()
        .map(std::path::PathBuf::from)
        .chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        )
        .any(|dir| dir.join(peer).is_file());
    (!found)
        .then(|| format!("{peer} is not installed (apt-get install mosquitto mosquitto-clients)"))
}

fn main() -> ExitCode {
    harness::run(&[("example", TESTS)], gateway::in_ci(), peer_missing)
}
