//! `msm gateway` against a real mosquitto (started per test on a free loopback port),
//! devices simulated by `msm serve`, mosquitto_sub/mosquitto_pub as the MQTT side and
//! mbpoll as the Modbus side.

use crate::common;

use std::path::Path;

use common::Running;
use common::gateway::{Broker, Peers, Sub, mbpoll_read, mbpoll_write, peers, publish};

/// Holding 0 = SETPOINT (u16, 1200 at start), holding 1 = spare, input 0..2 = TEMP.
const DEVICE_MAP: &str = "[memory]\nholding_registers = 4\ninput_registers = 2\n[vars]\n\
    SETPOINT = { area = \"holding\", address = 0, type = \"u16\", value = 1200 }\n\
    TEMP = { area = \"input\", address = 0, type = \"f32\", value = 21.5 }\n";

/// A scratch folder with the device map in it, removed when dropped.
fn scratch() -> common::TempDir {
    let dir = common::TempDir::new();
    std::fs::write(dir.join("device.toml"), DEVICE_MAP).expect("write the device map");
    dir
}

/// A simulated device: `msm serve` of the device map at `listen` (127.0.0.1:0 for any
/// port); its address.
fn device(dir: &Path, listen: &str) -> (Running, String) {
    let map = dir.join("device.toml").display().to_string();
    common::serve_on(&[&map], listen)
}

/// The gateway for devices `boiler` (unit_id 1) and `pump` (unit_id 2), serving on any
/// port; the process and, if `serve`, the address its slave listens on.
fn gateway(dir: &Path, port: u16, boiler: &str, pump: &str, mqtt: &str) -> (Running, String) {
    gateway_with(dir, port, boiler, pump, mqtt, &[])
}

/// [`gateway`] with more command-line arguments.
fn gateway_with(
    dir: &Path,
    port: u16,
    boiler: &str,
    pump: &str,
    mqtt: &str,
    extra: &[&str],
) -> (Running, String) {
    let config = format!(
        "[mqtt]\nurl = \"mqtt://127.0.0.1:{port}\"\nclient_id = \"gw-test-{port}\"\n{mqtt}\n\
         [serve]\nlisten = \"127.0.0.1:0\"\n\
         [[device]]\nname = \"boiler\"\nmap = \"device.toml\"\nconnect = \"{boiler}\"\nperiod = \"100ms\"\nunit_id = 1\n\
         [[device]]\nname = \"pump\"\nmap = \"device.toml\"\nconnect = \"{pump}\"\nperiod = \"100ms\"\nunit_id = 2\n"
    );
    let path = dir.join("gw.toml");
    std::fs::write(&path, config).expect("write gw.toml");
    let mut args = vec!["gateway", "gw.toml"];
    args.extend(extra);
    let gw = Running::start_in(dir, &args);
    let line = gw.expect_err("the gateway's start line", |l| {
        l.contains("serving them on")
    });
    let addr = line
        .split("serving them on ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .expect("serve address")
        .to_string();
    (gw, addr)
}

/// Two devices, a broker and a gateway.
struct Rig {
    peers: Peers,
    broker: Broker,
    boiler: (Running, String),
    pump: (Running, String),
    gw: (Running, String),
    /// Last, so that it is removed after the processes using it are stopped.
    dir: common::TempDir,
}

fn rig() -> Option<Rig> {
    rig_with("")
}

/// [`rig`] with more `[mqtt]` keys.
fn rig_with(mqtt: &str) -> Option<Rig> {
    let peers = peers()?;
    let dir = scratch();
    let broker = Broker::start(&peers, &dir);
    let boiler = device(&dir, "127.0.0.1:0");
    let pump = device(&dir, "127.0.0.1:0");
    let gw = gateway(&dir, broker.port, &boiler.1, &pump.1, mqtt);
    Some(Rig {
        peers,
        dir,
        broker,
        boiler,
        pump,
        gw,
    })
}

impl Rig {
    fn sub(&self, topic: &str) -> Sub {
        Sub::start(&self.peers, self.broker.port, topic)
    }
}

fn retained_values_quality_and_availability_follow_the_devices() {
    let Some(mut rig) = rig() else { return };
    let mut sub = rig.sub("msm/#");
    for dev in ["boiler", "pump"] {
        sub.expect(&format!("msm/{dev}/available"), "online");
        sub.expect(&format!("msm/{dev}/SETPOINT"), "1200");
        sub.expect(&format!("msm/{dev}/TEMP"), "21.5");
    }
    sub.expect("msm/gateway/available", "online");

    // A late subscriber gets the retained state.
    let mut late = rig.sub("msm/boiler/#");
    late.expect("msm/boiler/SETPOINT", "1200");
    late.expect("msm/boiler/SETPOINT/quality", "good");

    // A change on the device is published.
    sub.mark();
    mbpoll_write(&rig.peers, &rig.pump.1, 1, 0, 321);
    sub.expect("msm/pump/SETPOINT", "321");

    // The boiler's slave dies: offline and stale; it comes back: online and good.
    sub.mark();
    drop(rig.boiler.0);
    sub.expect("msm/boiler/available", "offline");
    sub.expect("msm/boiler/SETPOINT/quality", "stale");
    sub.expect("msm/boiler/TEMP/quality", "stale");
    // A set meanwhile is refused, not kept for later.
    publish(
        &rig.peers,
        rig.broker.port,
        "msm/boiler/SETPOINT/set",
        "999",
    );
    sub.expect_line("the offline error", |l| {
        l.starts_with("msm/boiler/error SETPOINT: the device is offline")
    });
    sub.mark();
    rig.boiler = device(&rig.dir, &rig.boiler.1);
    sub.expect("msm/boiler/available", "online");
    sub.expect("msm/boiler/SETPOINT/quality", "good");
    sub.expect("msm/boiler/TEMP/quality", "good");
    assert_eq!(mbpoll_read(&rig.peers, &rig.boiler.1, 1, 0, 1), [1200]);
}

fn a_set_lands_on_the_device_and_a_bad_one_nowhere() {
    let Some(rig) = rig() else { return };
    let mut sub = rig.sub("msm/boiler/#");
    sub.expect("msm/boiler/SETPOINT", "1200");
    let port = rig.broker.port;
    sub.mark();
    publish(&rig.peers, port, "msm/boiler/SETPOINT/set", "1500");
    sub.expect("msm/boiler/SETPOINT", "1500");
    assert_eq!(mbpoll_read(&rig.peers, &rig.boiler.1, 1, 0, 1), [1500]);

    for (var, payload, why) in [
        ("SETPOINT", "abc", "SETPOINT: \"abc\" is not a u16"),
        ("SETPOINT", "70000", "SETPOINT: 70000 does not fit a u16"),
        ("TEMP", "3", "TEMP: is read-only"),
        ("NOPE", "3", "NOPE: no variable NOPE in this device's map"),
    ] {
        publish(&rig.peers, port, &format!("msm/boiler/{var}/set"), payload);
        sub.expect_line(why, |l| {
            l.starts_with("msm/boiler/error ") && l.contains(why)
        });
    }
    // Nothing of those was written.
    assert_eq!(mbpoll_read(&rig.peers, &rig.boiler.1, 1, 0, 2), [1500, 0]);
    assert!(
        !sub.seen.iter().any(|l| l.starts_with("msm/pump/")),
        "the pump was touched"
    );
}

fn killing_the_gateway_makes_the_broker_publish_its_will() {
    let Some(mut rig) = rig() else { return };
    let mut sub = rig.sub("msm/gateway/available");
    sub.expect("msm/gateway/available", "online");
    sub.mark();
    rig.gw.0.child.kill().expect("kill the gateway");
    sub.expect("msm/gateway/available", "offline");
}

fn stopping_the_gateway_says_offline_before_it_goes() {
    let Some(rig) = rig() else { return };
    let mut sub = rig.sub("msm/+/available");
    sub.expect("msm/gateway/available", "online");
    sub.expect("msm/boiler/available", "online");
    sub.expect("msm/pump/available", "online");
    sub.mark();
    let pid = rig.gw.0.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    sub.expect("msm/boiler/available", "offline");
    sub.expect("msm/pump/available", "offline");
    sub.expect("msm/gateway/available", "offline");
    // The devices' goodbyes come before the gateway's, and nothing follows it.
    let after = sub.since_mark();
    assert_eq!(
        after.last().map(String::as_str),
        Some("msm/gateway/available offline"),
        "{after:?}"
    );
    // What a newcomer is told (retained): everything is offline.
    let mut late = rig.sub("msm/+/available");
    late.expect("msm/boiler/available", "offline");
    late.expect("msm/pump/available", "offline");
    late.expect("msm/gateway/available", "offline");
    assert_eq!(rig.gw.0.wait(), Some(0), "a clean stop exits 0");
}

fn a_broker_restart_loses_nothing_that_changed_meanwhile() {
    let Some(mut rig) = rig() else { return };
    {
        let mut sub = rig.sub("msm/#");
        sub.expect("msm/pump/SETPOINT", "1200");
    }
    rig.broker.stop();
    mbpoll_write(&rig.peers, &rig.pump.1, 1, 0, 4242);
    // The gateway keeps polling without its broker: the gateway's own slave has it.
    common::gateway::wait_for("the new value polled", || {
        mbpoll_read(&rig.peers, &rig.gw.1, 2, 0, 1) == [4242]
    });
    rig.broker.restart();
    // A fresh broker (no persistence): everything retained is published again.
    let mut sub = rig.sub("msm/#");
    sub.expect("msm/pump/SETPOINT", "4242");
    sub.expect("msm/boiler/SETPOINT", "1200");
    sub.expect("msm/gateway/available", "online");
}

fn the_gateways_slave_serves_each_device_by_unit_id_and_writes_go_to_it() {
    let Some(rig) = rig() else { return };
    mbpoll_write(&rig.peers, &rig.pump.1, 1, 1, 77);
    common::gateway::wait_for("unit 2 polled through the gateway", || {
        mbpoll_read(&rig.peers, &rig.gw.1, 2, 0, 2) == [1200, 77]
    });
    assert_eq!(mbpoll_read(&rig.peers, &rig.gw.1, 1, 0, 2), [1200, 0]);
    // A write to unit 1 of the gateway lands on the boiler, not on the pump.
    mbpoll_write(&rig.peers, &rig.gw.1, 1, 1, 99);
    common::gateway::wait_for("the write on the boiler", || {
        mbpoll_read(&rig.peers, &rig.boiler.1, 1, 1, 1) == [99]
    });
    assert_eq!(mbpoll_read(&rig.peers, &rig.pump.1, 1, 1, 1), [77]);
    // Unit 3 is no device: exception 0x0B, so no values.
    assert!(mbpoll_read(&rig.peers, &rig.gw.1, 3, 0, 1).is_empty());
}

fn home_assistant_discovery_is_sent_at_connection_and_when_it_comes_online() {
    let Some(rig) = rig_with("ha_discovery = true") else {
        return;
    };
    let mut sub = rig.sub("homeassistant/#");
    let setpoint = "homeassistant/number/msm_boiler/SETPOINT/config";
    let line = sub.expect_line(setpoint, |l| l.starts_with(setpoint));
    assert!(
        line.contains("\"command_topic\":\"msm/boiler/SETPOINT/set\""),
        "{line}"
    );
    assert!(
        line.contains("\"state_topic\":\"msm/boiler/SETPOINT\""),
        "{line}"
    );
    let temp = "homeassistant/sensor/msm_pump/TEMP/config";
    sub.expect_line(temp, |l| l.starts_with(temp));
    sub.mark();
    publish(
        &rig.peers,
        rig.broker.port,
        "homeassistant/status",
        "online",
    );
    sub.expect_line("the configs again", |l| l.starts_with(setpoint));
}

fn check_validates_the_file_and_its_maps_with_file_line_and_fix() {
    let dir = scratch();
    let good = "[mqtt]\nurl = \"mqtt://127.0.0.1:1\"\n[[device]]\nname = \"boiler\"\nmap = \"device.toml\"\nconnect = \"127.0.0.1:1\"\n";
    std::fs::write(dir.join("good.toml"), good).expect("write");
    let out = common::run_in(&dir, &["gateway", "--check", "good.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("good.toml: ok: 1 device(s), 2 variable(s)"));

    let bad = good
        .replace("device.toml", "missing.toml")
        .replace("boiler", "boi ler");
    std::fs::write(dir.join("bad.toml"), bad).expect("write");
    let out = common::run_in(&dir, &["gateway", "--check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("bad.toml:4:8: device name \"boi ler\""),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:5: device boi ler: ") && err.contains("missing.toml"),
        "{err}"
    );
}

fn devices_on_one_link_share_its_master_and_each_is_published() {
    let Some(peers) = peers() else { return };
    let dir = scratch();
    let broker = Broker::start(&peers, &dir);
    // One slave answering any unit: two devices behind one address, units 1 and 2.
    let (_slave, addr) = device(&dir, "127.0.0.1:0");
    let port = broker.port;
    let config = format!(
        "[mqtt]\nurl = \"mqtt://127.0.0.1:{port}\"\nclient_id = \"gw-link-{port}\"\n\
         [[device]]\nname = \"left\"\nmap = \"device.toml\"\nconnect = \"{addr}\"\nunit = 1\n\
         [[device]]\nname = \"right\"\nmap = \"device.toml\"\nconnect = \"{addr}\"\nunit = 2\nperiod = \"100ms\"\n"
    );
    std::fs::write(dir.join("link.toml"), config).expect("write link.toml");
    let mut sub = Sub::start(&peers, port, "msm/#");
    let _gw = Running::start_in(&dir, &["gateway", "link.toml"]);
    sub.expect("msm/left/SETPOINT", "1200");
    sub.expect("msm/right/SETPOINT", "1200");
    let stats = sub.expect_line("one link, online", |l| {
        l.starts_with("msm/gateway/stats ") && l.contains("\"links\":1,\"online\":1")
    });
    // Percentiles over the cycles of the window (5 s of a 100 ms period), not the last.
    let json: serde_json::Value =
        serde_json::from_str(stats.trim_start_matches("msm/gateway/stats ")).expect("JSON");
    let cycle = &json["cycle_ms"];
    assert!(cycle["samples"].as_u64().is_some_and(|n| n >= 10), "{json}");
    let (p50, p99, max) = (
        cycle["p50"].as_f64(),
        cycle["p99"].as_f64(),
        cycle["max"].as_f64(),
    );
    assert!(p50 <= p99 && p99 <= max && p50.is_some(), "{json}");
    sub.mark();
    publish(&peers, port, "msm/right/SETPOINT/set", "5");
    sub.expect("msm/right/SETPOINT", "5");
    assert_eq!(mbpoll_read(&peers, &addr, 2, 0, 1), [5]);
}

fn a_tls_broker_is_reached_with_mqtts_and_its_ca() {
    let Some(peers) = peers() else { return };
    let dir = scratch();
    if common::gateway::certificates(&dir).is_none() {
        return;
    }
    let path = |name: &str| dir.join(name).display().to_string();
    let tls = format!(
        "cafile {}\ncertfile {}\nkeyfile {}\n",
        path("ca.pem"),
        path("server.pem"),
        path("server.key")
    );
    let broker = Broker::start_with(&peers, &dir, &tls);
    let (_device, addr) = device(&dir, "127.0.0.1:0");
    let port = broker.port;
    let config = format!(
        "[mqtt]\nurl = \"mqtts://127.0.0.1:{port}\"\nca = \"ca.pem\"\nclient_id = \"gw-tls-{port}\"\n\
         [[device]]\nname = \"boiler\"\nmap = \"device.toml\"\nconnect = \"{addr}\"\n"
    );
    std::fs::write(dir.join("tls.toml"), config).expect("write tls.toml");
    let _gw = Running::start_in(&dir, &["gateway", "tls.toml"]);
    let mut sub = Sub::start_with(&peers, port, "msm/#", &["--cafile", &path("ca.pem")]);
    sub.expect("msm/boiler/SETPOINT", "1200");
    sub.expect("msm/gateway/available", "online");
}

fn the_web_view_shows_every_devices_variables_with_their_quality() {
    let Some(peers) = peers() else { return };
    let dir = scratch();
    let broker = Broker::start(&peers, &dir);
    let boiler = device(&dir, "127.0.0.1:0");
    let pump = device(&dir, "127.0.0.1:0");
    let (gw, _) = gateway_with(
        &dir,
        broker.port,
        &boiler.1,
        &pump.1,
        "",
        &["--web", "127.0.0.1:0"],
    );
    let line = gw.expect_err("the web view's address", |l| l.contains("msm web: http://"));
    let url = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("web address")
        .to_string();
    // Both devices' variables, named DEVICE/VAR, read good.
    let began = std::time::Instant::now();
    loop {
        let body = http_get(&url, "/api/vars");
        let vars: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let names: Vec<&str> = vars
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert!(names.contains(&"boiler/SETPOINT"), "{names:?}");
        assert!(names.contains(&"pump/TEMP"), "{names:?}");
        let good = vars
            .as_array()
            .expect("a list")
            .iter()
            .all(|v| v["quality"] == "good");
        if good {
            let setpoint = vars
                .as_array()
                .and_then(|a| a.iter().find(|v| v["name"] == "boiler/SETPOINT"))
                .expect("boiler/SETPOINT");
            assert_eq!(setpoint["value"], 1200);
            break;
        }
        assert!(began.elapsed() < common::DEADLINE, "not all good: {vars}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `GET path` on `host:port`, the body (HTTP/1.0, so the server closes when done).
fn http_get(host: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).expect("connect to the web view");
    s.set_read_timeout(Some(common::DEADLINE)).expect("timeout");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_web_view_shows_every_devices_variables_with_their_quality",
        run: the_web_view_shows_every_devices_variables_with_their_quality,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "retained_values_quality_and_availability_follow_the_devices",
        run: retained_values_quality_and_availability_follow_the_devices,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "a_set_lands_on_the_device_and_a_bad_one_nowhere",
        run: a_set_lands_on_the_device_and_a_bad_one_nowhere,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "killing_the_gateway_makes_the_broker_publish_its_will",
        run: killing_the_gateway_makes_the_broker_publish_its_will,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "stopping_the_gateway_says_offline_before_it_goes",
        run: stopping_the_gateway_says_offline_before_it_goes,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "a_broker_restart_loses_nothing_that_changed_meanwhile",
        run: a_broker_restart_loses_nothing_that_changed_meanwhile,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "the_gateways_slave_serves_each_device_by_unit_id_and_writes_go_to_it",
        run: the_gateways_slave_serves_each_device_by_unit_id_and_writes_go_to_it,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "home_assistant_discovery_is_sent_at_connection_and_when_it_comes_online",
        run: home_assistant_discovery_is_sent_at_connection_and_when_it_comes_online,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "check_validates_the_file_and_its_maps_with_file_line_and_fix",
        run: check_validates_the_file_and_its_maps_with_file_line_and_fix,
        needs: &[],
    },
    crate::Test {
        name: "devices_on_one_link_share_its_master_and_each_is_published",
        run: devices_on_one_link_share_its_master_and_each_is_published,
        needs: &["mosquitto"],
    },
    crate::Test {
        name: "a_tls_broker_is_reached_with_mqtts_and_its_ca",
        run: a_tls_broker_is_reached_with_mqtts_and_its_ca,
        needs: &["mosquitto"],
    },
];
