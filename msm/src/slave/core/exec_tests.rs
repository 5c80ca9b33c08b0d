//! The sans-IO core, request by request: no socket, no runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use super::*;
use crate::Var;
use crate::slave::config::{Config, Settings};
use crate::slave::core::hooks::ReadOnly;

fn peer() -> Peer {
    Peer::Tcp(SocketAddr::from(([127, 0, 0, 1], 40000)))
}

fn memory() -> Memory {
    Memory::builder()
        .coils_at(100, 20)
        .discrete_inputs(16)
        .input_registers_at(10, 4)
        .holding_registers(8)
        .build()
        .expect("memory")
}

struct Slave {
    mem: Memory,
    settings: Settings,
}

impl Slave {
    fn new(config: Config) -> Slave {
        let mem = memory();
        let settings = config
            .settings(&mem, crate::transport::Framing::Mbap)
            .expect("settings");
        Slave { mem, settings }
    }

    /// Executes `pdu` for unit 1 of this slave, a client without a role, into `out`.
    fn execute(&self, pdu: &[u8], out: &mut [u8]) -> Option<usize> {
        let ctx = Context {
            rules: &self.settings.rules,
            specs: &self.settings.rules.specs,
            peer: peer(),
            unit: 1,
            role: None,
        };
        execute(pdu, &self.mem, &ctx, out).ok()
    }

    fn ask(&self, pdu: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 253];
        let n = self.execute(pdu, &mut out).expect("an answer");
        out[..n].to_vec()
    }

    fn holding(&self) -> Vec<u16> {
        let v: Var<Vec<u16>> = self.mem.holding_raw(0, 8).expect("declare");
        v.get()
    }
}

fn plain() -> Slave {
    Slave::new(Config::default())
}

#[test]
fn reads_copy_the_wire_image() {
    let s = plain();
    let v: Var<u32> = s.mem.holding(2).expect("declare");
    v.set(0x0102_0304).expect("set");
    assert_eq!(s.ask(&[3, 0, 2, 0, 2]), [3, 4, 1, 2, 3, 4]);
    let i: Var<u16> = s.mem.input(13).expect("declare");
    i.set(0xBEEF).expect("set");
    assert_eq!(s.ask(&[4, 0, 12, 0, 2]), [4, 4, 0, 0, 0xBE, 0xEF]);
    let c: Var<bool> = s.mem.coil(109).expect("declare");
    c.set(true).expect("set");
    assert_eq!(s.ask(&[1, 0, 100, 0, 10]), [1, 2, 0, 0b10]);
    let d: Var<bool> = s.mem.discrete_input(0).expect("declare");
    d.set(true).expect("set");
    assert_eq!(s.ask(&[2, 0, 0, 0, 3]), [2, 1, 1]);
}

#[test]
fn writes_are_applied_echoed_and_reported_as_remote() {
    let s = plain();
    let mut changes = s.mem.subscribe();
    assert_eq!(s.ask(&[6, 0, 1, 0x12, 0x34]), [6, 0, 1, 0x12, 0x34]);
    assert_eq!(
        s.ask(&[0x10, 0, 2, 0, 2, 4, 0, 7, 0, 8]),
        [0x10, 0, 2, 0, 2]
    );
    assert_eq!(s.holding()[..4], [0, 0x1234, 7, 8]);
    assert_eq!(s.ask(&[5, 0, 101, 0xFF, 0]), [5, 0, 101, 0xFF, 0]);
    assert_eq!(
        s.ask(&[0x0F, 0, 110, 0, 10, 2, 0xFF, 0x03]),
        [0x0F, 0, 110, 0, 10]
    );
    assert_eq!(
        s.ask(&[1, 0, 100, 0, 20]),
        [1, 3, 0b10, 0b1111_1100, 0b1111]
    );
    let mut seen = Vec::new();
    while let Ok(Some(c)) = changes.try_recv() {
        assert_eq!(c.origin, Origin::Remote(peer()));
        seen.push((c.area, c.address, c.count));
    }
    assert_eq!(
        seen,
        [
            (Area::Holding, 1, 1),
            (Area::Holding, 2, 2),
            (Area::Coil, 101, 1),
            (Area::Coil, 110, 10)
        ]
    );
}

#[test]
fn mask_write_follows_the_spec_formula() {
    let s = plain();
    // The spec's example: 0x12 AND 0xF2 OR 0x25 gives 0x17.
    s.ask(&[6, 0, 4, 0, 0x12]);
    assert_eq!(
        s.ask(&[0x16, 0, 4, 0, 0xF2, 0, 0x25]),
        [0x16, 0, 4, 0, 0xF2, 0, 0x25]
    );
    assert_eq!(s.holding()[4], 0x17);
}

#[test]
fn read_write_multiple_writes_first_then_reads() {
    let s = plain();
    // Write 2 registers at 3, read 3 from 2: the read sees the write.
    let pdu = [0x17, 0, 2, 0, 3, 0, 3, 0, 2, 4, 0xAA, 0xBB, 0xCC, 0xDD];
    assert_eq!(s.ask(&pdu), [0x17, 6, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD]);
    // Read part out of range: 02, and nothing is written.
    let pdu = [0x17, 0, 7, 0, 2, 0, 0, 0, 1, 2, 0xFF, 0xFF];
    assert_eq!(s.ask(&pdu), [0x97, 2]);
    assert_eq!(s.holding()[0], 0);
}

#[test]
fn diagnostics_echo_defined_sub_functions_and_refuse_others() {
    let s = plain();
    assert_eq!(s.ask(&[8, 0, 0, 0xA5, 0x37]), [8, 0, 0, 0xA5, 0x37]);
    assert_eq!(s.ask(&[8, 0, 0x0A, 0, 0]), [8, 0, 0x0A, 0, 0]);
    assert_eq!(s.ask(&[8, 0, 0x13, 0, 0]), [0x88, 1]); // not defined by the spec
    assert_eq!(s.ask(&[8, 0, 0x0A, 0, 1]), [0x88, 3]); // data must be 0x0000
}

#[test]
fn check_order_is_function_then_value_then_address() {
    let s = plain();
    assert_eq!(s.ask(&[0x09]), [0x89, 1]);
    assert_eq!(s.ask(&[0x2B, 0x0D, 0, 0]), [0xAB, 1]);
    assert_eq!(s.ask(&[0x83, 0, 0, 0, 1]), [0x83, 1]);
    // Quantity 0 and max + 1 at an address that is also out of range: 03 wins.
    assert_eq!(s.ask(&[3, 0xFF, 0, 0, 0]), [0x83, 3]);
    assert_eq!(s.ask(&[3, 0xFF, 0, 0, 126]), [0x83, 3]);
    assert_eq!(s.ask(&[1, 0xFF, 0, 0x07, 0xD1]), [0x81, 3]);
    assert_eq!(s.ask(&[0x0F, 0xFF, 0, 0, 9, 1, 0]), [0x8F, 3]);
    assert_eq!(s.ask(&[5, 0xFF, 0, 0x12, 0x34]), [0x85, 3]);
    // Then the address, at both ends of each area.
    for (pdu, ok) in [
        (vec![1u8, 0, 99, 0, 1], false),
        (vec![1, 0, 100, 0, 20], true),
        (vec![1, 0, 119, 0, 2], false),
        (vec![2, 0, 15, 0, 1], true),
        (vec![2, 0, 15, 0, 2], false),
        (vec![4, 0, 9, 0, 1], false),
        (vec![4, 0, 13, 0, 1], true),
        (vec![4, 0, 13, 0, 2], false),
        (vec![3, 0, 7, 0, 1], true),
        (vec![3, 0, 8, 0, 1], false),
        (vec![6, 0, 8, 0, 1], false),
        (vec![0x10, 0, 7, 0, 2, 4, 0, 1, 0, 2], false),
        (vec![0x16, 0, 8, 0, 0, 0, 0], false),
    ] {
        let answer = s.ask(&pdu);
        assert_eq!(answer[0] & 0x80 == 0, ok, "{pdu:?} -> {answer:?}");
        if !ok {
            assert_eq!(answer, [pdu[0] | 0x80, 2], "{pdu:?}");
        }
    }
}

#[test]
fn read_only_ranges_and_the_validator_refuse_before_memory_is_touched() {
    let config = Config {
        read_only: vec![ReadOnly::new(Area::Holding, 6..)],
        validator: Some(Arc::new(|w: &WriteRequest<'_>| match w.values {
            WriteValues::Registers(r) if r.iter().any(|v| v > 1000) => {
                Err(ExceptionCode::IllegalDataValue)
            }
            WriteValues::Mask { .. } if w.unit != 1 => Err(ExceptionCode::ServerDeviceBusy),
            _ => Ok(()),
        })),
        ..Config::default()
    };
    let s = Slave::new(config);
    let mut changes = s.mem.subscribe();
    assert_eq!(s.ask(&[6, 0, 6, 0, 1]), [0x86, 2]);
    assert_eq!(s.ask(&[0x10, 0, 5, 0, 2, 4, 0, 1, 0, 1]), [0x90, 2]);
    assert_eq!(s.ask(&[0x10, 0, 0, 0, 2, 4, 0, 1, 0x03, 0xE9]), [0x90, 3]);
    assert_eq!(
        s.ask(&[0x17, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0x27, 0x10]),
        [0x97, 3]
    );
    assert_eq!(
        s.ask(&[0x10, 0, 0, 0, 2, 4, 0, 1, 0x03, 0xE8]),
        [0x10, 0, 0, 0, 2]
    );
    assert_eq!(s.holding(), [1, 1000, 0, 0, 0, 0, 0, 0]);
    assert_eq!(changes.try_recv().ok().flatten().map(|c| c.count), Some(2));
    assert_eq!(
        changes.try_recv(),
        Ok(None),
        "refused writes are not reported"
    );
}

#[test]
fn device_identification_answers_from_the_configured_objects() {
    let s = plain();
    let answer = s.ask(&[0x2B, 0x0E, 1, 0]);
    assert_eq!(answer[..7], [0x2B, 0x0E, 1, 0x81, 0, 0, 3]);
    assert_eq!(answer[7..12], [0, 3, b'm', b's', b'm']);
    assert_eq!(s.ask(&[0x2B, 0x0E, 4, 0x05]), [0xAB, 2]);
    assert_eq!(s.ask(&[0x2B, 0x0E, 5, 0]), [0xAB, 3]);
}

#[test]
fn an_empty_pdu_gets_no_answer() {
    let mut out = [0u8; 253];
    assert_eq!(plain().execute(&[], &mut out), None);
}
