//! The router's rules, driven directly: scripted connections and messages in, what is
//! delivered, acknowledged and published out.

use super::*;
use bytes::Bytes;

const BOILER: usize = 0;

fn router(v5: bool) -> Router {
    let devices = vec![
        (
            "boiler".to_string(),
            vec!["SP".to_string(), "T".to_string()],
        ),
        ("valve".to_string(), vec!["set".to_string()]),
    ];
    Router::new(Topics::new("msm"), &devices, false, v5, "n1".into())
}

fn msg(topic: &str, payload: &[u8], pkid: u16, connection: u64) -> SessionEvent {
    SessionEvent::Message(Message {
        topic: topic.into(),
        payload: Bytes::copy_from_slice(payload),
        retain: false,
        ack: Some(AckId { pkid, connection }),
        expires_in: None,
        marker: None,
    })
}

fn outputs(r: &mut Router) -> Vec<Output> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

fn acks(out: &[Output]) -> Vec<u16> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(Command::Ack(id)) => Some(id.pkid),
            _ => None,
        })
        .collect()
}

fn delivered(out: &[Output]) -> Vec<(usize, String, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Deliver { device, set } => {
                Some((*device, set.var.clone(), set.payload.clone()))
            }
            _ => None,
        })
        .collect()
}

fn errors(out: &[Output]) -> Vec<(String, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(Command::Publish(p)) if p.topic.ends_with("/error") => Some((
                p.topic.clone(),
                String::from_utf8_lossy(&p.payload).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

fn connect(r: &mut Router, now: Instant, session_present: bool) -> Vec<Output> {
    r.handle_event(now, SessionEvent::Connected { session_present });
    outputs(r)
}

#[test]
fn a_connection_subscribes_and_says_online_with_its_marker() {
    let mut r = router(true);
    let out = connect(&mut r, Instant::now(), false);
    assert_eq!(out[0], Output::Up);
    let Output::Send(Command::Subscribe(filters)) = &out[1] else {
        panic!("{out:?}")
    };
    let topics: Vec<&str> = filters.iter().map(|f| f.topic.as_str()).collect();
    assert!(topics.contains(&"msm/+/+/set") && topics.contains(&"msm/gateway/available"));
    assert!(filters[0].retain_as_published && filters[0].retained == Retained::IfNew);
    let Output::Send(Command::Publish(online)) = &out[2] else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            online.topic.as_str(),
            online.payload.as_ref(),
            online.retain
        ),
        ("msm/gateway/available", &b"online"[..], true)
    );
    assert_eq!(online.marker.as_deref(), Some("n1"));
    // MQTT 3.1.1 with the session kept: no subscription again (it would send retained
    // sets again).
    let mut old = router(false);
    let out = connect(&mut old, Instant::now(), true);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Send(Command::Subscribe(_))))
    );
}

#[test]
fn a_set_is_acknowledged_once_queued_and_held_unacknowledged_while_the_queue_is_full() {
    let mut r = router(true);
    let now = Instant::now();
    connect(&mut r, now, false);
    for pkid in 1..=QUEUE as u16 + 3 {
        r.handle_event(now, msg("msm/boiler/SP/set", b"5", pkid, 1));
    }
    let out = outputs(&mut r);
    assert_eq!(delivered(&out).len(), QUEUE);
    assert_eq!(acks(&out), (1..=QUEUE as u16).collect::<Vec<_>>());
    // The device takes two: two more go out, acknowledged in order.
    r.took(BOILER);
    r.took(BOILER);
    let out = outputs(&mut r);
    assert_eq!(acks(&out), [QUEUE as u16 + 1, QUEUE as u16 + 2]);
    assert_eq!(delivered(&out).len(), 2);
    // The other device is not held up by the boiler's queue.
    r.handle_event(now, msg("msm/valve/set/set", b"1", 900, 1));
    assert_eq!(acks(&outputs(&mut r)), [900]);
}

#[test]
fn beyond_what_may_wait_a_set_is_refused_with_an_error_not_dropped() {
    let mut r = router(true);
    let now = Instant::now();
    connect(&mut r, now, false);
    let total = QUEUE + HELD_MAX + 5;
    for pkid in 0..total {
        r.handle_event(now, msg("msm/boiler/SP/set", b"5", pkid as u16, 1));
    }
    let out = outputs(&mut r);
    let refused = errors(&out);
    assert_eq!(delivered(&out).len() + refused.len() + HELD_MAX, total);
    assert_eq!(refused.len(), 5);
    assert!(
        refused[0].1.contains("sets already wait for device boiler"),
        "{refused:?}"
    );
}

#[test]
fn retained_unknown_oversize_and_malformed_sets_get_an_error_and_an_ack() {
    let mut r = router(true);
    let now = Instant::now();
    connect(&mut r, now, false);
    let mut retained = msg("msm/boiler/SP/set", b"5", 1, 1);
    if let SessionEvent::Message(m) = &mut retained {
        m.retain = true;
    }
    r.handle_event(now, retained);
    let mut cleared = msg("msm/boiler/SP/set", b"", 2, 1);
    if let SessionEvent::Message(m) = &mut cleared {
        m.retain = true;
    }
    r.handle_event(now, cleared);
    r.handle_event(now, msg("msm/boiller/SP/set", b"5", 3, 1));
    r.handle_event(now, msg("msm/boiler/x/SP/set", b"5", 4, 1));
    r.handle_event(now, msg("msm/boiler/set", b"5", 5, 1));
    r.handle_event(now, msg("msm/valve/set", b"5", 6, 1));
    let huge = vec![b'9'; 1 << 20];
    r.handle_event(now, msg("msm/boiler/SP/set", &huge, 7, 1));
    r.handle_event(now, msg("msm/boiler/SP/set", b"\xff\xfe", 8, 1));
    let out = outputs(&mut r);
    assert!(delivered(&out).is_empty(), "{out:?}");
    assert_eq!(acks(&out), (1..=8).collect::<Vec<_>>());
    let e = errors(&out);
    assert_eq!(e.len(), 6, "{e:?}");
    assert_eq!(e[0].0, "msm/boiler/error");
    assert!(
        e[0].1.contains("retained set is never applied")
            && e[0].1.contains("-r -n -t 'msm/boiler/SP/set'")
    );
    assert_eq!(e[1].0, "msm/gateway/error");
    assert!(
        e[1].1.contains("no device \"boiller\"") && e[1].1.contains("did you mean boiler?"),
        "{}",
        e[1].1
    );
    assert!(e[2].1.contains("1 level(s) too many") && e[2].0 == "msm/boiler/error");
    assert!(e[3].1.contains("names no variable"));
    // 1 MiB: refused, quoting 64 bytes of it.
    assert!(e[4].1.contains("1048576 bytes is too large"));
    assert!(e[4].1.len() < 300, "{}", e[4].1.len());
    assert!(e[5].1.contains("not UTF-8"));
}

#[test]
fn sets_kept_by_the_broker_count_from_when_it_was_last_heard_until_the_marker_comes_back() {
    let mut r = router(true);
    let t0 = Instant::now();
    // The first connection of the process, the broker kept a session: age unknown.
    connect(&mut r, t0, true);
    r.handle_event(t0, msg("msm/boiler/SP/set", b"1", 1, 1));
    let mut marker = msg("msm/gateway/available", b"online", 2, 1);
    if let SessionEvent::Message(m) = &mut marker {
        m.marker = Some("other-gateway".into());
    }
    r.handle_event(t0, marker);
    r.handle_event(t0, msg("msm/boiler/SP/set", b"2", 3, 1));
    let mut ours = msg("msm/gateway/available", b"online", 4, 1);
    if let SessionEvent::Message(m) = &mut ours {
        m.marker = Some("n1".into());
    }
    r.handle_event(t0, ours);
    let t1 = t0 + Duration::from_secs(1);
    r.handle_event(t1, msg("msm/boiler/SP/set", b"3", 5, 1));
    let born: Vec<(Option<Instant>, bool)> = outputs(&mut r)
        .into_iter()
        .filter_map(|o| match o {
            Output::Deliver { set, .. } => Some((set.born, set.from_backlog)),
            _ => None,
        })
        .collect();
    assert_eq!(born, [(None, true), (None, true), (Some(t1), false)]);

    // Lost, then back with the session: the backlog counts from the last word heard.
    let heard = t1 + Duration::from_secs(2);
    r.handle_event(heard, SessionEvent::Lost { last_heard: heard });
    let back = heard + Duration::from_secs(10);
    connect(&mut r, back, true);
    r.handle_event(back, msg("msm/boiler/SP/set", b"4", 1, 2));
    let out = outputs(&mut r);
    assert!(matches!(&out[..], [Output::Deliver { set, .. }, ..] if set.born == Some(heard)));
    // No marker ever: the backlog ends after a while anyway.
    let later = r.poll_timeout().expect("a timeout");
    r.handle_timeout(later);
    r.handle_event(later, msg("msm/boiler/SP/set", b"5", 2, 2));
    let out = outputs(&mut r);
    assert!(matches!(&out[..], [Output::Deliver { set, .. }, ..] if set.born == Some(later)));
}

#[test]
fn held_sets_of_a_dropped_connection_are_left_to_the_broker_or_handled_if_it_forgot_them() {
    for session_present in [true, false] {
        let mut r = router(true);
        let now = Instant::now();
        connect(&mut r, now, false);
        for pkid in 0..QUEUE as u16 + 2 {
            r.handle_event(now, msg("msm/boiler/SP/set", b"5", pkid, 1));
        }
        outputs(&mut r);
        r.handle_event(now, SessionEvent::Lost { last_heard: now });
        assert_eq!(outputs(&mut r), [Output::Down]);
        connect(&mut r, now, session_present);
        for _ in 0..QUEUE {
            r.took(BOILER);
        }
        let out = outputs(&mut r);
        let handed = delivered(&out).len();
        // Kept: the broker sends them again. Forgotten: handled now, with no ack to send.
        assert_eq!(
            handed,
            if session_present { 0 } else { 2 },
            "{session_present}"
        );
        assert!(acks(&out).is_empty());
    }
}

#[test]
fn home_assistant_coming_online_asks_for_discovery_again() {
    let devices = vec![("boiler".to_string(), vec!["SP".to_string()])];
    let mut r = Router::new(Topics::new("msm"), &devices, true, true, "n".into());
    let out = connect(&mut r, Instant::now(), false);
    assert!(out.iter().any(|o| matches!(o, Output::Send(Command::Subscribe(f)) if f.iter().any(|f| f.topic == HA_STATUS))));
    r.handle_event(Instant::now(), msg(HA_STATUS, b"online", 1, 1));
    let out = outputs(&mut r);
    assert_eq!(out[0], Output::HaOnline);
    assert_eq!(acks(&out), [1]);
}

#[test]
fn qos0_sets_refused_while_the_outbox_is_full_are_counted_in_one_error_once_it_drains() {
    let mut r = router(true);
    let now = Instant::now();
    connect(&mut r, now, false);
    r.set_congested(true);
    for _ in 0..3 {
        let mut qos0 = msg("msm/boiler/SP/set", b"5", 0, 1);
        if let SessionEvent::Message(m) = &mut qos0 {
            m.ack = None;
        }
        r.handle_event(now, qos0);
    }
    // QoS 1 is not refused for it: the broker holds it back through the ack.
    r.handle_event(now, msg("msm/boiler/SP/set", b"6", 9, 1));
    let out = outputs(&mut r);
    assert_eq!(delivered(&out), [(BOILER, "SP".into(), "6".into())]);
    assert_eq!(acks(&out), [9]);
    assert!(errors(&out).is_empty(), "not while the outbox is full");
    // Still full: nothing said yet. Drained: one error counting the three.
    r.set_congested(true);
    assert!(outputs(&mut r).is_empty());
    r.set_congested(false);
    let e = errors(&outputs(&mut r));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "msm/gateway/error");
    assert!(
        e[0].1
            .starts_with("3 set(s) sent at QoS 0 were refused unread")
            && e[0].1.contains("QoS 1"),
        "{}",
        e[0].1
    );
    assert_eq!(r.refused(), 3);
    // Nothing more to report after that.
    r.set_congested(true);
    r.set_congested(false);
    assert!(outputs(&mut r).is_empty());
}
