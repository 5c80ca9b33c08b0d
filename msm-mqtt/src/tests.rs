//! The whole bridge (driver, router, workers) over a scripted fake session: what is
//! published, acknowledged and written for what the "broker" sends, without a broker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use msm::{MapMemory, Master, Slave};

use crate::bridge::spawn;
use crate::session::fake::{self, Script};
use crate::session::{AckId, Command, Message, SessionEvent};
use crate::{AsyncBridgeHandle, Bridge, Broker, Device};

const DEADLINE: Duration = Duration::from_secs(20);

/// A map of `n` u16 holding registers `V0`.. and one input `T`.
fn memory(n: usize) -> MapMemory {
    let mut toml = format!("[memory]\nholding_registers = {n}\ninput_registers = 1\n[vars]\n");
    for i in 0..n {
        toml.push_str(&format!(
            "V{i} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    toml.push_str("T = { area = \"input\", address = 0, type = \"i16\" }\n");
    msm::Map::from_toml_str(&toml)
        .and_then(|m| m.build())
        .expect("map")
}

fn start(devices: Vec<Device>) -> (Script, AsyncBridgeHandle) {
    let (events, sender, script) = fake::session();
    let mut bridge = Bridge::new(Broker::new("fake", 1883));
    for d in devices {
        bridge = bridge.device(d);
    }
    let handle = spawn(bridge, events, sender, true);
    script.send(SessionEvent::Connected {
        session_present: false,
    });
    (script, handle)
}

fn set(topic: &str, payload: &str, pkid: u16) -> SessionEvent {
    SessionEvent::Message(Message {
        topic: topic.into(),
        payload: Bytes::copy_from_slice(payload.as_bytes()),
        retain: false,
        ack: Some(AckId {
            pkid,
            connection: 1,
        }),
        expires_in: None,
        marker: None,
    })
}

/// Reads what the bridge sent until `want` has seen what it waits for (true), within
/// the deadline; every command read is kept in `seen`.
async fn until(
    script: &mut Script,
    seen: &mut Vec<Command>,
    mut want: impl FnMut(&[Command]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !want(seen) {
        match tokio::time::timeout_at(deadline, script.sent.recv()).await {
            Ok(Some(c)) => seen.push(c),
            Ok(None) => panic!("the bridge stopped; sent {seen:?}"),
            Err(_) => panic!("not within {DEADLINE:?}; sent:\n{seen:#?}"),
        }
    }
}

fn published<'a>(seen: &'a [Command], topic: &str) -> Vec<&'a [u8]> {
    seen.iter()
        .filter_map(|c| match c {
            Command::Publish(p) if p.topic == topic => Some(p.payload.as_ref()),
            _ => None,
        })
        .collect()
}

fn acked(seen: &[Command]) -> Vec<u16> {
    seen.iter()
        .filter_map(|c| match c {
            Command::Ack(id) => Some(id.pkid),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_set_is_written_acknowledged_and_its_value_published() {
    let mm = memory(2);
    let (mut script, bridge) = start(vec![Device::new("boiler", &mm)]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/V0").is_empty()
    })
    .await;
    script.send(set("msm/boiler/V0/set", " 1500\n", 7));
    until(&mut script, &mut seen, |s| {
        published(s, "msm/boiler/V0").contains(&&b"1500"[..])
    })
    .await;
    assert!(acked(&seen).contains(&7));
    assert_eq!(
        mm.find("V0").map(|v| v.get().to_string()).ok().as_deref(),
        Some("1500")
    );
    // A value that is not one: an error naming the variable, nothing written, acked.
    script.send(set("msm/boiler/V1/set", "hot", 8));
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/error").is_empty()
    })
    .await;
    let error = String::from_utf8_lossy(published(&seen, "msm/boiler/error")[0]).into_owned();
    assert!(error.starts_with("V1: \"hot\" is not a u16"), "{error}");
    until(&mut script, &mut seen, |s| acked(s).contains(&8)).await;
    assert_eq!(
        mm.find("V1").map(|v| v.get().to_string()).ok().as_deref(),
        Some("0")
    );
    assert_eq!(
        (bridge.status().sets_applied, bridge.status().sets_refused),
        (1, 1)
    );
}

#[tokio::test]
async fn ten_thousand_sets_over_five_devices_are_each_written_or_refused() {
    let maps: Vec<MapMemory> = (0..5).map(|_| memory(2_000)).collect();
    let devices = maps
        .iter()
        .enumerate()
        .map(|(i, mm)| Device::new(format!("d{i}"), mm))
        .collect();
    let (mut script, bridge) = start(devices);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/d4/V1999").is_empty()
    })
    .await;
    let mut pkid = 0u16;
    for var in 0..2_000 {
        for d in 0..5 {
            pkid = pkid.wrapping_add(1);
            script.send(set(
                &format!("msm/d{d}/V{var}/set"),
                &(var + 1).to_string(),
                pkid,
            ));
        }
    }
    until(&mut script, &mut seen, |s| acked(s).len() >= 10_000).await;
    let status = bridge.status();
    assert_eq!(
        status.sets_applied + status.sets_refused,
        10_000,
        "{status:?}"
    );
    assert_eq!(status.sets_refused, 0);
    for mm in &maps {
        for (i, v) in mm.vars().iter().take(2_000).enumerate() {
            assert_eq!(v.get().to_string(), (i + 1).to_string());
        }
    }
}

#[tokio::test]
async fn a_stop_says_offline_for_each_device_then_the_gateway_and_waits_for_the_acks() {
    let (a, b) = (memory(1), memory(1));
    let (mut script, bridge) = start(vec![Device::new("a", &a), Device::new("b", &b)]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        published(s, "msm/b/available") == [b"online"]
    })
    .await;
    let stopping = tokio::spawn(bridge.stop());
    until(&mut script, &mut seen, |s| {
        published(s, "msm/gateway/available").ends_with(&[b"offline"])
    })
    .await;
    let goodbyes: Vec<&str> = seen
        .iter()
        .filter_map(|c| match c {
            Command::Publish(p) if p.payload.as_ref() == b"offline" => Some(p.topic.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        goodbyes,
        [
            "msm/a/available",
            "msm/b/available",
            "msm/gateway/available"
        ]
    );
    // No disconnect while the broker has not acknowledged everything.
    let early = tokio::time::timeout(Duration::from_millis(300), script.sent.recv()).await;
    assert!(!matches!(early, Ok(Some(Command::Disconnect))), "{early:?}");
    while script.unacked() > 0 {
        script.send(SessionEvent::Acked);
        tokio::task::yield_now().await;
    }
    until(&mut script, &mut seen, |s| {
        matches!(s.last(), Some(Command::Disconnect))
    })
    .await;
    tokio::time::timeout(DEADLINE, stopping)
        .await
        .expect("stopped")
        .expect("task");
}

#[tokio::test]
async fn values_wait_for_the_next_connection_and_errors_are_kept_for_it() {
    let mm = memory(1);
    let (mut script, _bridge) = start(vec![Device::new("boiler", &mm)]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/V0").is_empty()
    })
    .await;
    // A set queued just before the connection drops is answered after it comes back.
    script.send(set("msm/boiler/NOPE/set", "1", 1));
    script.send(SessionEvent::Lost {
        last_heard: Instant::now(),
    });
    mm.find("V0").expect("V0").set_str("42").expect("set");
    script.send(SessionEvent::Connected {
        session_present: true,
    });
    until(&mut script, &mut seen, |s| {
        published(s, "msm/boiler/V0").contains(&&b"42"[..])
            && !published(s, "msm/boiler/error").is_empty()
    })
    .await;
    let errors = published(&seen, "msm/boiler/error");
    assert_eq!(errors.len(), 1, "{seen:#?}");
    assert!(String::from_utf8_lossy(errors[0]).starts_with("NOPE: no variable NOPE"));
}

#[tokio::test]
async fn sets_the_broker_kept_longer_than_the_max_age_are_refused() {
    let mm = memory(1);
    let (mut script, _bridge) = start(vec![Device::new("boiler", &mm)]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/V0").is_empty()
    })
    .await;
    let long_ago = Instant::now()
        .checked_sub(Duration::from_secs(120))
        .expect("a clock past 120s");
    script.send(SessionEvent::Lost {
        last_heard: long_ago,
    });
    script.send(SessionEvent::Connected {
        session_present: true,
    });
    let mut kept = set("msm/boiler/V0/set", "9", 3);
    if let SessionEvent::Message(m) = &mut kept {
        m.ack = Some(AckId {
            pkid: 3,
            connection: 2,
        });
    }
    script.send(kept);
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/error").is_empty()
    })
    .await;
    let error = String::from_utf8_lossy(published(&seen, "msm/boiler/error")[0]).into_owned();
    assert!(
        error.contains("waited in the broker while the gateway was away, up to 120.")
            && error.contains("set_max_age = 60s"),
        "{error}"
    );
    assert_eq!(
        mm.find("V0").map(|v| v.get().to_string()).ok().as_deref(),
        Some("0")
    );
}

#[tokio::test]
async fn a_device_offline_or_refusing_gets_its_sets_refused_with_the_reason() {
    // A device whose slave refuses writes to V1, and one nobody listens for.
    let served = memory(2);
    let slave = Slave::tcp("127.0.0.1:0")
        .read_only(msm::Area::Holding, 1..2)
        .serve_async(served.memory().clone())
        .await
        .expect("slave");
    let mm = memory(2);
    let master = Master::tcp(slave.local_addr())
        .period(Duration::from_millis(50))
        .start_async(mm.memory().clone())
        .await
        .expect("master");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let gone = memory(1);
    let nobody = Master::tcp(closed)
        .start_async(gone.memory().clone())
        .await
        .expect("master");
    let (mut script, bridge) = start(vec![
        Device::new("plc", &mm).master(Arc::new(master)),
        Device::new("gone", &gone).master(Arc::new(nobody)),
    ]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        published(s, "msm/plc/V0").contains(&&b"0"[..])
    })
    .await;
    until(&mut script, &mut seen, |s| {
        published(s, "msm/gone/available") == [b"offline"]
    })
    .await;
    script.send(set("msm/plc/V0/set", "5", 1));
    script.send(set("msm/gone/V0/set", "7", 3));
    until(&mut script, &mut seen, |s| {
        published(s, "msm/plc/V0").contains(&&b"5"[..])
    })
    .await;
    // Alone, so that the master does not join it to the write of V0.
    script.send(set("msm/plc/V1/set", "6", 2));
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/plc/error").is_empty() && !published(s, "msm/gone/error").is_empty()
    })
    .await;
    let plc = String::from_utf8_lossy(published(&seen, "msm/plc/error")[0]).into_owned();
    assert!(
        plc.starts_with("V1: the device refused the write: exception 02"),
        "{plc}"
    );
    assert_eq!(published(&seen, "msm/plc/error").len(), 1);
    let gone_error = String::from_utf8_lossy(published(&seen, "msm/gone/error")[0]).into_owned();
    assert!(
        gone_error.starts_with("V0: the device is offline"),
        "{gone_error}"
    );
    assert_eq!(
        served
            .find("V0")
            .map(|v| v.get().to_string())
            .ok()
            .as_deref(),
        Some("5")
    );
    let status = bridge.status();
    assert_eq!((status.sets_applied, status.sets_refused), (1, 2));
    bridge.stop().await;
    slave.stop().await;
}

#[tokio::test]
async fn a_set_whose_mqtt_message_expiry_passed_is_refused_and_one_within_it_written() {
    let mm = memory(2);
    let (mut script, bridge) = start(vec![Device::new("boiler", &mm)]);
    let mut seen = Vec::new();
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/V0").is_empty()
    })
    .await;
    let expiring = |topic: &str, payload: &str, pkid: u16, left: Duration| {
        let mut e = set(topic, payload, pkid);
        if let SessionEvent::Message(m) = &mut e {
            m.expires_in = Some(left);
        }
        e
    };
    // Nothing left of its expiry when the broker delivered it: by the time it would be
    // written, it has passed.
    script.send(expiring("msm/boiler/V0/set", "5", 1, Duration::ZERO));
    script.send(expiring("msm/boiler/V1/set", "6", 2, DEADLINE));
    until(&mut script, &mut seen, |s| {
        !published(s, "msm/boiler/error").is_empty()
            && published(s, "msm/boiler/V1").contains(&&b"6"[..])
    })
    .await;
    let error = String::from_utf8_lossy(published(&seen, "msm/boiler/error")[0]).into_owned();
    assert!(
        error.starts_with("V0: not written: its MQTT message expiry passed"),
        "{error}"
    );
    assert_eq!(acked(&seen), [1, 2]);
    let values: Vec<String> = mm
        .vars()
        .iter()
        .take(2)
        .map(|v| v.get().to_string())
        .collect();
    assert_eq!(values, ["0", "6"]);
    let status = bridge.status();
    assert_eq!((status.sets_applied, status.sets_refused), (1, 1));
}
