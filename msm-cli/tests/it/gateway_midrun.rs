//! `msm gateway` losing its broker in the middle of a burst (issue 23): sets already
//! inside the gateway (queued for a device that has stalled, or held unacknowledged
//! behind them) when the broker goes down are each written or refused with an error
//! that reaches the MQTT side once the broker is back; none is silently lost. Over MQTT
//! 5 and 3.1.1 (which, with the session kept, does not subscribe again).

use crate::common;

use std::time::{Duration, Instant};

use common::Running;
use common::gateway::{Broker, Sub, peers, wait_for, wait_within};
use common::mqtt::Publisher;

use crate::gateway_faults::{config, device, device_map, gateway, ms, registers, subscribed};

/// Sets in the burst: more than a device's queue (64), fewer than it may hold back.
const SETS: usize = 300;

/// Sends `signal` (`STOP`, `CONT`) to the process `p`.
fn signal(p: &Running, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &p.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal}");
}

fn sets_inside_the_gateway_when_the_broker_goes_down_are_each_written_or_refused() {
    let Some(peers) = peers() else { return };
    for protocol in ["5", "3.1.1"] {
        let dir = common::TempDir::new();
        std::fs::write(dir.join("d.toml"), device_map(SETS)).expect("map");
        let mut broker = Broker::start_persistent(&peers, &dir);
        let (boiler, addr) = device(&dir, "d.toml", "127.0.0.1:0");
        // The errors, on a persistent session: those published once the broker is back
        // are kept for it until it has reconnected too.
        let id = format!("errors-{}", broker.port);
        let mut errors = Sub::start_with(
            &peers,
            broker.port,
            "msm/+/error",
            &["-c", "-q", "1", "-i", &id],
        );
        let text = config(
            broker.port,
            "gw-midrun",
            &format!("protocol = \"{protocol}\""),
            None,
            &[("boiler", "d.toml", &addr)],
        );
        let (gw, _) = gateway(&dir, "gw.toml", &text);
        subscribed(&peers, broker.port, "boiler");

        // The device stalls: the burst piles up inside the gateway (its queue for the
        // device, then held unacknowledged), and the broker goes down meanwhile.
        signal(&boiler, "STOP");
        let publisher = Publisher::connect(broker.port, &format!("midrun-{}", broker.port));
        for i in 0..SETS {
            publisher.publish(&format!("msm/boiler/V{i}/set"), (i + 1).to_string(), false);
        }
        publisher.wait_acked(SETS);
        // The broker's log: what it handed the gateway, what the gateway acknowledged.
        let handed = |log: &str| log.matches("Sending PUBLISH to gw-midrun").count();
        wait_for("the burst handed to the gateway", || {
            handed(&broker.log_text()) >= SETS
        });
        let down = Instant::now();
        broker.terminate();
        let log = broker.log_text();
        let acked = log.matches("Received PUBACK from gw-midrun").count();
        gw.expect_err("the loss", |l| {
            l.contains("lost the connection to the MQTT broker")
        });
        signal(&boiler, "CONT");
        broker.restart();
        let back = Instant::now();
        gw.expect_err("reconnected", |l| {
            l.contains("reconnected to the MQTT broker")
        });

        // Every set: its value on the device, or an error naming its variable.
        let mut missing = Vec::new();
        let mut written = 0;
        wait_within(
            "every set written or refused",
            Duration::from_secs(60),
            || {
                let on_device = registers(&addr, SETS);
                if on_device.len() != SETS {
                    return false;
                }
                let refused = errors.since_mark().to_vec();
                written = 0;
                missing = (0..SETS)
                    .filter(|&i| {
                        let ok = usize::from(on_device[i]) == i + 1;
                        written += usize::from(ok);
                        let named = format!("msm/boiler/error V{i}: ");
                        !ok && !refused.iter().any(|l| l.starts_with(&named))
                    })
                    .collect();
                missing.is_empty()
            },
        );
        let refused = errors.since_mark().len();
        eprintln!(
            "broker down mid-burst (MQTT {protocol}): {SETS} sets inside the gateway ({} \
             messages handed to it, {acked} acknowledged), broker away {}, all answered {} \
             after it came back: {written} written, {refused} refused with an error",
            handed(&log),
            ms(back.duration_since(down)),
            ms(back.elapsed())
        );
        assert!(missing.is_empty(), "lost: {missing:?}");
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "sets_inside_the_gateway_when_the_broker_goes_down_are_each_written_or_refused",
    run: sets_inside_the_gateway_when_the_broker_goes_down_are_each_written_or_refused,
    needs: &["mosquitto"],
}];
