//! `msm gateway` under faults and hostile input (issue 23), against a real mosquitto on a
//! free loopback port and devices simulated by `msm serve`: a burst of 10,000 sets, a
//! broker outage, a 1 MB and a retained set, misaddressed sets, an offline device behind
//! `[serve]`, two gateways with one client id, an unreachable broker and a clean stop.
//! Each test prints what it measured (the report's figures).

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Running;
use common::gateway::{Broker, Peers, Sub, peers, publish, wait_for, wait_within};
use common::mqtt::{Publisher, modbus};
use msm::protocol::{ExceptionCode, Request};

/// A map of `n` u16 holding registers `V0`..`V{n-1}`, and `T` (an input register).
pub(crate) fn device_map(n: usize) -> String {
    let mut map = format!("[memory]\nholding_registers = {n}\ninput_registers = 1\n[vars]\n");
    for i in 0..n {
        map.push_str(&format!(
            "V{i} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    map.push_str("T = { area = \"input\", address = 0, type = \"i16\", value = 21 }\n");
    map
}

/// `msm serve` of `map` (a file in `dir`) at `listen`; the process and its address.
pub(crate) fn device(dir: &Path, map: &str, listen: &str) -> (Running, String) {
    let path = dir.join(map).display().to_string();
    // Quiet, except that a fixed port is said only without -q.
    let quiet = if listen.ends_with(":0") { "-q" } else { "-v" };
    common::serve_on(&[&path, quiet], listen)
}

/// A gateway configuration: `[mqtt]` (with `mqtt` lines added), `[serve]` if `serve`
/// (its lines), and devices `(name, map file, address)` with unit ids 1, 2, ...
pub(crate) fn config(
    port: u16,
    client_id: &str,
    mqtt: &str,
    serve: Option<&str>,
    devices: &[(&str, &str, &str)],
) -> String {
    let mut c =
        format!("[mqtt]\nurl = \"mqtt://127.0.0.1:{port}\"\nclient_id = \"{client_id}\"\n{mqtt}\n");
    if let Some(lines) = serve {
        c.push_str(&format!("[serve]\nlisten = \"127.0.0.1:0\"\n{lines}\n"));
    }
    for (i, (name, map, addr)) in devices.iter().enumerate() {
        c.push_str(&format!(
            "[[device]]\nname = \"{name}\"\nmap = \"{map}\"\nconnect = \"{addr}\"\nperiod = \"100ms\"\nunit_id = {}\n",
            i + 1
        ));
    }
    c
}

/// Starts `msm gateway FILE` in `dir` after writing `text` to it; the process and, with
/// `[serve]`, its slave's address.
pub(crate) fn gateway(dir: &Path, file: &str, text: &str) -> (Running, Option<String>) {
    std::fs::write(dir.join(file), text).expect("write the gateway's config");
    let gw = Running::start_in(dir, &["gateway", file]);
    let line = gw.expect_err("the gateway's start line", |l| {
        l.starts_with("msm gateway:")
    });
    let serving = line
        .split("serving them on ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .map(str::to_string);
    (gw, serving)
}

/// Waits until the gateway published `device`'s V0: it has subscribed by then (its
/// subscriptions go before anything it publishes).
pub(crate) fn subscribed(peers: &Peers, port: u16, device: &str) {
    let topic = format!("msm/{device}/V0");
    Sub::start(peers, port, &topic).expect_line(&topic, |l| l.starts_with(&topic));
}

/// The holding registers `0..n` of unit 1 at `addr`, read by an msm master (empty if
/// the device did not answer in time: a loaded machine, callers wait for a condition).
pub(crate) fn registers(addr: &str, n: usize) -> Vec<u16> {
    let mem = msm::Memory::new(n.max(1) as u32);
    let master = msm::Master::tcp(addr.to_string())
        .response_timeout(Duration::from_secs(5))
        .start(mem.clone())
        .expect("a master");
    if master.sync_timeout(common::DEADLINE).is_err() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            mem.holding::<u16>(i as u16)
                .map(|v| v.get())
                .expect("register")
        })
        .collect()
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn a_burst_of_10000_sets_over_5_devices_is_each_written_or_refused() {
    let Some(peers) = peers() else { return };
    let dir = common::TempDir::new();
    std::fs::write(dir.join("d.toml"), device_map(2_000)).expect("map");
    // The broker holds back what the gateway has not taken yet (back-pressure): it must
    // be allowed to queue the burst. mosquitto's default, 1000 messages a client, drops
    // the rest itself (logging "Outgoing messages are being dropped"): docs/gateway.md.
    let broker = Broker::start_with(&peers, &dir, "max_queued_messages 20000\n");
    let devices: Vec<(Running, String)> = (0..5)
        .map(|_| device(&dir, "d.toml", "127.0.0.1:0"))
        .collect();
    let names = ["d0", "d1", "d2", "d3", "d4"];
    let list: Vec<(&str, &str, &str)> = names
        .iter()
        .zip(&devices)
        .map(|(n, d)| (*n, "d.toml", d.1.as_str()))
        .collect();
    let mut errors = Sub::start(&peers, broker.port, "msm/+/error");
    let mut ready = Sub::start(&peers, broker.port, "msm/d4/V1999");
    let (_gw, _) = gateway(
        &dir,
        "gw.toml",
        &config(broker.port, "gw-burst", "", None, &list),
    );
    ready.expect("msm/d4/V1999", "0");
    let publisher = Publisher::connect(broker.port, "burst-publisher");
    let began = Instant::now();
    // One set per variable, over the five devices: 10,000 sets, value = index + 1.
    for var in 0..2_000 {
        for name in names {
            publisher.publish(
                &format!("msm/{name}/V{var}/set"),
                (var + 1).to_string(),
                false,
            );
        }
    }
    publisher.wait_acked(10_000);
    let accepted = began.elapsed();
    let want: Vec<u16> = (1..=2_000).collect();
    let mut written = 0;
    // 10,000 writes in a debug build on a shared machine: a minute at most.
    wait_within(
        "every set written or refused",
        Duration::from_secs(60),
        || {
            written = devices
                .iter()
                .map(|d| {
                    registers(&d.1, 2_000)
                        .iter()
                        .zip(&want)
                        .filter(|(a, b)| a == b)
                        .count()
                })
                .sum();
            written + errors.since_mark().len() >= 10_000
        },
    );
    let refused = errors.since_mark().len();
    let mut reasons: Vec<String> = errors
        .since_mark()
        .iter()
        .map(|l| {
            l.split_once(": ")
                .map_or(l.clone(), |(_, why)| why.chars().take(60).collect())
        })
        .collect();
    reasons.sort();
    reasons.dedup();
    eprintln!(
        "burst: 10000 sets acknowledged by the broker in {}, all answered in {}: {written} written, {refused} refused with an error",
        ms(accepted),
        ms(began.elapsed())
    );
    assert_eq!(written + refused, 10_000);
    assert_eq!(refused, 0, "refused: {reasons:?}");
}

fn sets_sent_during_a_10s_broker_outage_are_written_when_it_is_back() {
    let Some(peers) = peers() else { return };
    let dir = common::TempDir::new();
    std::fs::write(dir.join("d.toml"), device_map(50)).expect("map");
    let mut broker = Broker::start_persistent(&peers, &dir);
    let (_boiler, addr) = device(&dir, "d.toml", "127.0.0.1:0");
    let (gw, _) = gateway(
        &dir,
        "gw.toml",
        &config(
            broker.port,
            "gw-outage",
            "",
            None,
            &[("boiler", "d.toml", &addr)],
        ),
    );
    subscribed(&peers, broker.port, "boiler");
    let publisher = Publisher::connect(broker.port, "outage-publisher");
    publisher.publish("msm/boiler/V0/set", "1", false);
    publisher.wait_acked(1);
    wait_for("the first set written", || registers(&addr, 1) == [1]);

    let down = Instant::now();
    broker.terminate();
    gw.expect_err("the loss", |l| {
        l.contains("lost the connection to the MQTT broker")
    });
    gw.expect_err("the retries", |l| {
        l.contains("cannot reach the MQTT broker") && l.contains("next try in")
    });
    // Sets during the outage: the publisher keeps them until the broker is back.
    for i in 1..50 {
        publisher.publish(
            &format!("msm/boiler/V{i}/set"),
            (100 + i).to_string(),
            false,
        );
    }
    wait_for("10 s of outage", || {
        down.elapsed() >= Duration::from_secs(10)
    });
    broker.restart();
    let back = Instant::now();
    publisher.wait_acked(50);
    let line = gw.expect_err("reconnected", |l| {
        l.contains("reconnected to the MQTT broker")
    });
    assert!(line.contains("the broker kept the session"), "{line}");
    let want: Vec<u16> = std::iter::once(1).chain(101..150).collect();
    wait_for("the outage's sets written", || registers(&addr, 50) == want);
    eprintln!(
        "outage: broker down {}, 49 sets sent meanwhile all written {} after it came back",
        ms(back.duration_since(down)),
        ms(back.elapsed())
    );
}

fn a_1mb_set_and_a_retained_set_get_an_error_and_the_connection_stays_up() {
    let Some(peers) = peers() else { return };
    let dir = common::TempDir::new();
    std::fs::write(dir.join("d.toml"), device_map(2)).expect("map");
    let broker = Broker::start(&peers, &dir);
    let (_boiler, addr) = device(&dir, "d.toml", "127.0.0.1:0");
    let mut sub = Sub::start(&peers, broker.port, "msm/#");
    let (gw, _) = gateway(
        &dir,
        "gw.toml",
        &config(
            broker.port,
            "gw-big",
            "",
            None,
            &[("boiler", "d.toml", &addr)],
        ),
    );
    sub.expect("msm/boiler/V0", "0");
    sub.mark();
    let publisher = Publisher::connect(broker.port, "big-publisher");
    let began = Instant::now();
    publisher.publish("msm/boiler/V0/set", vec![b'7'; 1 << 20], false);
    let line = sub.expect_line("the 1 MB error", |l| {
        l.starts_with("msm/boiler/error V0: a payload of 1048576 bytes")
    });
    assert!(
        line.len() < 300,
        "the error quotes at most 64 bytes: {} bytes",
        line.len()
    );
    eprintln!(
        "1 MB set: refused with an error in {} ({} bytes)",
        ms(began.elapsed()),
        line.len()
    );
    // Retained, and retained and large: refused, never applied, no reconnection loop.
    publisher.publish("msm/boiler/V1/set", "5", true);
    publisher.publish("msm/boiler/V0/set", vec![b'8'; 1 << 20], true);
    publisher.wait_acked(3);
    let retained = sub.expect_line("the retained error", |l| {
        l.starts_with("msm/boiler/error V1: a retained set is never applied")
    });
    assert!(
        retained.contains("mosquitto_pub -r -n -t 'msm/boiler/V1/set'"),
        "{retained}"
    );
    sub.expect_line("the retained 1 MB error", |l| {
        l.starts_with("msm/boiler/error V0: a retained set is never applied")
    });
    // A plain set after them still works: the connection stayed up.
    publish(&peers, broker.port, "msm/boiler/V1/set", "9");
    sub.expect("msm/boiler/V1", "9");
    assert_eq!(registers(&addr, 2), [0, 9]);
    let seen = sub.since_mark().join("\n");
    assert!(
        !seen.contains("msm/gateway/available offline"),
        "the connection dropped: {seen}"
    );
    assert!(!gw.err.try_iter().any(|l| l.contains("lost the connection")));
    // Restarting the gateway does not apply (nor refuse again) the retained sets: the
    // session is kept and its subscription not made anew.
    drop(gw);
    sub.mark();
    let (_gw, _) = gateway(
        &dir,
        "gw.toml",
        &config(
            broker.port,
            "gw-big",
            "",
            None,
            &[("boiler", "d.toml", &addr)],
        ),
    );
    sub.expect("msm/gateway/available", "online");
    publish(&peers, broker.port, "msm/boiler/V1/set", "10");
    sub.expect("msm/boiler/V1", "10");
    let seen = sub.since_mark().join("\n");
    assert!(!seen.contains("retained set"), "{seen}");
    assert_eq!(registers(&addr, 2), [0, 10]);
    // Clearing them as the error says: no error for that.
    publish_empty_retained(&peers, broker.port, "msm/boiler/V1/set");
    publish(&peers, broker.port, "msm/boiler/V1/set", "11");
    sub.expect("msm/boiler/V1", "11");
    assert!(
        !sub.since_mark()
            .iter()
            .any(|l| l.starts_with("msm/boiler/error")),
        "{:?}",
        sub.since_mark()
    );
}

fn publish_empty_retained(peers: &Peers, port: u16, topic: &str) {
    let status = std::process::Command::new(&peers.publish)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-r",
            "-n",
            "-t",
            topic,
        ])
        .status()
        .expect("run mosquitto_pub");
    assert!(status.success());
}

fn sets_for_unknown_devices_variables_and_topics_get_an_error() {
    let Some(peers) = peers() else { return };
    let dir = common::TempDir::new();
    std::fs::write(dir.join("d.toml"), device_map(2)).expect("map");
    let broker = Broker::start(&peers, &dir);
    let (_boiler, addr) = device(&dir, "d.toml", "127.0.0.1:0");
    let mut sub = Sub::start(&peers, broker.port, "msm/+/error");
    let (gw, _) = gateway(
        &dir,
        "gw.toml",
        &config(
            broker.port,
            "gw-topics",
            "",
            None,
            &[("boiler", "d.toml", &addr)],
        ),
    );
    subscribed(&peers, broker.port, "boiler");
    let port = broker.port;
    for (topic, error) in [
        (
            "msm/boilr/V0/set",
            "msm/gateway/error no device \"boilr\" in this gateway (did you mean boiler?)",
        ),
        (
            "msm/boiler/x/V0/set",
            "msm/boiler/error topic \"msm/boiler/x/V0/set\" has 1 level(s) too many",
        ),
        (
            "msm/boiler/set",
            "msm/boiler/error topic \"msm/boiler/set\" names no variable",
        ),
        (
            "msm/boiler/V9/set",
            "msm/boiler/error V9: no variable V9 in this device's map",
        ),
        ("msm/boiler/T/set", "msm/boiler/error T: is read-only"),
    ] {
        publish(&peers, port, topic, "1");
        sub.expect_line(error, |l| l.starts_with(error));
    }
    // A topic or payload with control characters reaches neither the log nor the error raw.
    publish(&peers, port, "msm/boiler/V0/set", "1\u{1b}[2J\nforged");
    let line = sub.expect_line("the escaped error", |l| {
        l.starts_with("msm/boiler/error V0:")
    });
    // One line (no raw newline), no raw escape.
    assert!(
        line.contains("[2J") && line.contains("forged") && !line.contains('\u{1b}'),
        "{line}"
    );
    let log = gw.expect_err("the escaped log", |l| {
        l.contains("set refused (boiler): V0:")
    });
    assert!(!log.contains('\u{1b}'), "{log}");
    assert_eq!(registers(&addr, 2), [0, 0]);
}

fn an_offline_device_behind_serve_answers_0b_and_takes_no_write() {
    let Some(peers) = peers() else { return };
    for offline in ["", "offline = \"cached\""] {
        let dir = common::TempDir::new();
        std::fs::write(dir.join("d.toml"), device_map(2)).expect("map");
        let broker = Broker::start(&peers, &dir);
        let (boiler, addr) = device(&dir, "d.toml", "127.0.0.1:0");
        let mut sub = Sub::start(&peers, broker.port, "msm/boiler/available");
        let text = config(
            broker.port,
            "gw-serve",
            "",
            Some(offline),
            &[("boiler", "d.toml", &addr)],
        );
        let (gw, serving) = gateway(&dir, "gw.toml", &text);
        let serving = serving.expect("[serve]");
        sub.expect("msm/boiler/available", "online");
        let read = Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        };
        let write = Request::WriteSingleRegister {
            address: 1,
            value: 77,
        };
        assert_eq!(modbus(&serving, 1, &read), Ok(vec![0, 0]));
        drop(boiler);
        sub.expect("msm/boiler/available", "offline");
        gw.expect_err("the device offline", |l| {
            l.contains("device boiler is offline (")
        });
        let cached = !offline.is_empty();
        let want_read = if cached {
            Ok(vec![0, 0])
        } else {
            Err(ExceptionCode::GatewayTargetDevice)
        };
        assert_eq!(modbus(&serving, 1, &read), want_read, "{offline}");
        assert_eq!(
            modbus(&serving, 1, &write),
            Err(ExceptionCode::GatewayTargetDevice),
            "{offline}"
        );
        // Back: the refused write never lands; a new one does.
        let (_boiler, _) = device(&dir, "d.toml", &addr);
        sub.expect("msm/boiler/available", "online");
        gw.expect_err("the device online again", |l| {
            l.contains("device boiler is online again")
        });
        // The gateway says "online" once its master is connected; [serve] follows the
        // same status, read a moment later: on a loaded machine the connection may be
        // made again meanwhile, and each request is then answered 0B, as it should be.
        // Reads and a write are served again within the deadline.
        wait_for("reads served again", || {
            modbus(&serving, 1, &read) == Ok(vec![0, 0])
        });
        wait_for("a write taken again", || {
            modbus(&serving, 1, &write) == Ok(Vec::new())
        });
        wait_for("the write on the device", || registers(&addr, 2) == [0, 77]);
        eprintln!(
            "[serve] offline = {:?}: reads {:?}, writes 0B while the device was away",
            if cached { "cached" } else { "exception" },
            want_read
        );
    }
}

fn two_gateways_sharing_a_client_id_say_so() {
    let Some(peers) = peers() else { return };
    for protocol in ["5", "3.1.1"] {
        let dir = common::TempDir::new();
        std::fs::write(dir.join("d.toml"), device_map(1)).expect("map");
        let broker = Broker::start(&peers, &dir);
        let (_d, addr) = device(&dir, "d.toml", "127.0.0.1:0");
        let text = config(
            broker.port,
            "gw-shared",
            &format!("protocol = \"{protocol}\""),
            None,
            &[("boiler", "d.toml", &addr)],
        );
        let (first, _) = gateway(&dir, "one.toml", &text);
        subscribed(&peers, broker.port, "boiler");
        let (_second, _) = gateway(&dir, "two.toml", &text);
        // MQTT 5 brokers may say it (reason 0x8E); mosquitto 2.0 closes the connection, as
        // it does for 3.1.1.
        let said = "took the session over: do two gateways share this client_id?";
        let guessed = "another client may be connecting with client id \"gw-shared\" (two gateways sharing a client_id?)";
        let line = first.expect_err("the takeover", |l| l.contains(said) || l.contains(guessed));
        eprintln!("client id taken over (MQTT {protocol}): {line}");
    }
}

fn an_unreachable_broker_is_logged_with_the_next_try_and_a_stop_is_clean() {
    let Some(peers) = peers() else { return };
    let dir = common::TempDir::new();
    std::fs::write(dir.join("d.toml"), device_map(1)).expect("map");
    let (_d, addr) = device(&dir, "d.toml", "127.0.0.1:0");
    // Nobody listens on the broker's port yet.
    let mut broker = Broker::start(&peers, &dir);
    broker.stop();
    let text = config(
        broker.port,
        "gw-clean",
        "",
        None,
        &[("boiler", "d.toml", &addr)],
    );
    let (gw, _) = gateway(&dir, "gw.toml", &text);
    let line = gw.expect_err("unreachable", |l| {
        l.contains("cannot reach the MQTT broker")
    });
    assert!(
        line.contains(&format!("127.0.0.1:{}", broker.port)) && line.contains("; next try in 0."),
        "{line}"
    );
    assert!(
        line.to_lowercase().contains("refused"),
        "the reason: {line}"
    );
    broker.restart();
    gw.expect_err("connected", |l| l.contains("connected to the MQTT broker"));
    let mut sub = Sub::start(&peers, broker.port, "msm/+/available");
    sub.expect("msm/boiler/available", "online");
    let pid = gw.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    sub.expect("msm/gateway/available", "offline");
    assert_eq!(gw.wait(), Some(0));
    wait_for("the broker's disconnect line", || {
        broker.log_text().contains("gw-clean disconnected")
    });
    let log = broker.log_text();
    assert!(!log.contains("out of memory"), "{log}");
    let ending: Vec<&str> = log.lines().filter(|l| l.contains("gw-clean")).collect();
    eprintln!(
        "clean stop, the broker says: {}",
        ending.last().unwrap_or(&"")
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_burst_of_10000_sets_over_5_devices_is_each_written_or_refused",
        run: a_burst_of_10000_sets_over_5_devices_is_each_written_or_refused,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "sets_sent_during_a_10s_broker_outage_are_written_when_it_is_back",
        run: sets_sent_during_a_10s_broker_outage_are_written_when_it_is_back,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "a_1mb_set_and_a_retained_set_get_an_error_and_the_connection_stays_up",
        run: a_1mb_set_and_a_retained_set_get_an_error_and_the_connection_stays_up,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "sets_for_unknown_devices_variables_and_topics_get_an_error",
        run: sets_for_unknown_devices_variables_and_topics_get_an_error,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "an_offline_device_behind_serve_answers_0b_and_takes_no_write",
        run: an_offline_device_behind_serve_answers_0b_and_takes_no_write,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "two_gateways_sharing_a_client_id_say_so",
        run: two_gateways_sharing_a_client_id_say_so,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "an_unreachable_broker_is_logged_with_the_next_try_and_a_stop_is_clean",
        run: an_unreachable_broker_is_logged_with_the_next_try_and_a_stop_is_clean,
        needs: &["mosquitto"],
    },
];
