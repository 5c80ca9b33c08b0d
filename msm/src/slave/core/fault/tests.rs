//! Which requests faults hit: filters, order, `every`, seeded probabilities, the links
//! an action applies on, and replacing the faults while connections hold them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::protocol::ExceptionCode;

fn request(tid: Option<u16>, unit: u8, pdu: &[u8]) -> Incoming<'_> {
    Incoming {
        transaction_id: tid,
        unit,
        pdu,
        at: Instant::now(),
    }
}

/// FC3 reading `count` registers from `address`.
fn read(address: u16, count: u16) -> Vec<u8> {
    let [a, b] = address.to_be_bytes();
    let [c, d] = count.to_be_bytes();
    vec![3, a, b, c, d]
}

fn faults(list: Vec<Fault>, seed: u64) -> Faults {
    Faults::new(Arc::new(FaultSwitch::new(list, seed)))
}

/// Which of `pdus` (over MBAP, unit 1) the faults hit, as the index of the fault.
fn struck(f: &mut Faults, pdus: &[Vec<u8>]) -> Vec<Option<usize>> {
    pdus.iter()
        .map(|pdu| f.hit(&request(Some(1), 1, pdu), &"test").map(|s| s.index))
        .collect()
}

#[test]
fn a_fault_hits_requests_whose_items_overlap_its_range() {
    let mut f = faults(
        vec![Fault::new(FaultAction::Drop).address(0x170..=0x17F)],
        1,
    );
    let pdus = [
        read(0x160, 0x10), // 0x160..=0x16F: just before
        read(0x160, 0x11), // reaches 0x170
        read(0x17F, 1),
        read(0x180, 5),                  // just after
        vec![5, 0x01, 0x75, 0xFF, 0x00], // a coil written inside: any area counts
        vec![
            0x17, 0x00, 0x00, 0x00, 0x01, 0x01, 0x78, 0x00, 0x01, 0x02, 0x00, 0x07,
        ], // FC23 writes inside
        vec![8, 0, 0, 0x12, 0x34],       // diagnostics: no address
        vec![3, 0x01, 0x70, 0x00, 0x00], // quantity 0: refused anyway, touches nothing
    ];
    assert_eq!(
        struck(&mut f, &pdus),
        [None, Some(0), Some(0), None, Some(0), Some(0), None, None]
    );
}

#[test]
fn functions_units_and_counts_narrow_a_fault() {
    let busy = FaultAction::Exception(ExceptionCode::ServerDeviceBusy);
    let mut f = faults(
        vec![Fault::new(busy).functions([3, 4]).count(3).units([1, 7])],
        1,
    );
    let hit =
        |f: &mut Faults, unit, pdu: &[u8]| f.hit(&request(Some(1), unit, pdu), &"t").is_some();
    assert!(hit(&mut f, 1, &read(0, 3)));
    assert!(hit(&mut f, 7, &[4, 0, 0, 0, 3]));
    assert!(!hit(&mut f, 2, &read(0, 3)), "another unit");
    assert!(!hit(&mut f, 1, &read(0, 2)), "another count");
    assert!(!hit(&mut f, 1, &[1, 0, 0, 0, 3]), "another function");
    assert!(!hit(&mut f, 1, &[]), "no function at all");
}

#[test]
fn the_first_fault_that_hits_applies_and_every_counts_its_own_matches() {
    let mut f = faults(
        vec![
            Fault::new(FaultAction::Close).every(3),
            Fault::new(FaultAction::Drop).every(2),
        ],
        1,
    );
    let pdus: Vec<Vec<u8>> = (0..8).map(|_| read(0, 1)).collect();
    // Fault 1 sees every request and hits the 3rd and 6th; fault 2 sees the others
    // (1, 2, 4, 5, 7, 8) and hits every second of those: 2, 5, 8.
    assert_eq!(
        struck(&mut f, &pdus),
        [
            None,
            Some(1),
            Some(0),
            None,
            Some(1),
            Some(0),
            None,
            Some(1)
        ]
    );
    assert_eq!(f.switch.applied(), [2, 3]);
}

#[test]
fn a_seed_makes_probabilities_repeat() {
    let pdus: Vec<Vec<u8>> = (0..200).map(|_| read(0, 1)).collect();
    let run = |seed| {
        let mut f = faults(vec![Fault::new(FaultAction::Drop).probability(0.25)], seed);
        struck(&mut f, &pdus)
    };
    let first = run(42);
    assert_eq!(first, run(42), "the same seed, the same requests hit");
    assert_ne!(first, run(43));
    let hits = first.iter().flatten().count();
    assert!((30..=70).contains(&hits), "about a quarter of 200: {hits}");
    let never = faults(vec![Fault::new(FaultAction::Drop).probability(0.0)], 1);
    let always = faults(vec![Fault::new(FaultAction::Drop).probability(1.0)], 1);
    for (mut f, expected) in [(never, 0), (always, 200)] {
        assert_eq!(struck(&mut f, &pdus).iter().flatten().count(), expected);
    }
}

#[test]
fn an_action_is_skipped_on_a_link_it_cannot_apply_on() {
    let mut f = faults(
        vec![
            Fault::new(FaultAction::BadCrc),
            Fault::new(FaultAction::WrongTransaction),
        ],
        1,
    );
    let pdu = read(0, 1);
    let on_tcp = f.hit(&request(Some(5), 1, &pdu), &"t").map(|s| s.action);
    let on_rtu = f.hit(&request(None, 1, &pdu), &"t").map(|s| s.action);
    assert_eq!(on_tcp, Some(FaultAction::WrongTransaction));
    assert_eq!(on_rtu, Some(FaultAction::BadCrc));
    assert_eq!(f.switch.applied(), [1, 1]);
}

#[test]
fn replaced_faults_reach_a_connection_at_its_next_request() {
    let switch = Arc::new(FaultSwitch::new(Vec::new(), 9));
    let mut conn = Faults::new(switch.clone());
    let pdu = read(0, 1);
    assert_eq!(conn.hit(&request(Some(1), 1, &pdu), &"t"), None);
    switch.replace(vec![Fault::new(FaultAction::Delay(Duration::from_millis(
        5,
    )))]);
    let on = conn.hit(&request(Some(1), 1, &pdu), &"t");
    assert_eq!(
        on.map(|s| s.action),
        Some(FaultAction::Delay(Duration::from_millis(5)))
    );
    assert_eq!(switch.applied(), [1]);
    switch.replace(Vec::new());
    assert_eq!(
        conn.hit(&request(Some(1), 1, &pdu), &"t"),
        None,
        "switched off"
    );
    assert!(switch.applied().is_empty());
}
