//! Sans-IO tests of the engine: frames are taken from `poll_transmit`, answered by a
//! scripted slave, and time only moves when a test says so.

use std::time::{Duration, Instant};

use super::*;
use crate::master::core::status::{DepthReason, Operation};
use crate::protocol::{ExceptionCode, Registers, Request, Response, rtu, tcp};
use crate::{Memory, Quality, Var};

mod ascii_line;
mod faults;
mod flush_and_sync;
mod one_off;
mod pipelining;
mod rtu_line;
mod sync_rule;
mod udp;

const TIMEOUT: Duration = Duration::from_millis(500);
const PERIOD: Duration = Duration::from_millis(100);

/// A slave's memory, answering requests the simplest possible way.
struct FakeSlave {
    holding: Vec<u16>,
    coils: Vec<bool>,
    inputs: Vec<u16>,
    /// Exception to answer for requests touching this holding address.
    refuse_holding: Option<(u16, ExceptionCode)>,
    /// Answers FC22 with exception 01, as many older devices do.
    no_mask_write: bool,
}

impl FakeSlave {
    fn new(n: usize) -> Self {
        FakeSlave {
            holding: vec![0; n],
            coils: vec![false; n],
            inputs: (0..n as u16).collect(),
            refuse_holding: None,
            no_mask_write: false,
        }
    }

    /// The response frame to a Modbus/TCP request frame.
    fn answer(&mut self, frame: &[u8]) -> Vec<u8> {
        let (f, _) = tcp::split_frame(frame).expect("valid").expect("whole");
        let pdu = self.respond(f.pdu);
        let mut out = vec![0u8; tcp::HEADER_LEN + pdu.len()];
        out[tcp::HEADER_LEN..].copy_from_slice(&pdu);
        tcp::encode_header(
            &mut out,
            f.header.transaction_id,
            f.header.unit_id,
            pdu.len(),
        )
        .expect("header");
        out
    }

    /// The response frame to an RTU request frame.
    fn answer_rtu(&mut self, frame: &[u8]) -> Vec<u8> {
        let (f, _) = rtu::split_frame(frame, rtu::Direction::Request)
            .expect("valid")
            .expect("whole");
        let pdu = self.respond(f.pdu);
        let mut out = vec![0u8; pdu.len() + 3];
        out[1..1 + pdu.len()].copy_from_slice(&pdu);
        let len = rtu::finish_frame(&mut out, f.address, pdu.len()).expect("frame");
        out.truncate(len);
        out
    }

    /// The response PDU to a request PDU.
    fn respond(&mut self, pdu: &[u8]) -> Vec<u8> {
        let req = Request::decode(pdu).expect("valid request");
        let mut regs = [0u8; 256];
        let mut bits = [0u8; 256];
        let refused = |a: u16, n: u16| {
            self.refuse_holding
                .filter(|(r, _)| (a..a + n).contains(r))
                .map(|(_, code)| code)
        };
        let resp = match req {
            Request::ReadHoldingRegisters { address, quantity } => match refused(address, quantity)
            {
                Some(code) => Response::Exception { function: 3, code },
                None => {
                    let n = usize::from(quantity);
                    for (i, v) in self.holding[usize::from(address)..][..n].iter().enumerate() {
                        regs[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
                    }
                    Response::ReadHoldingRegisters(Registers::new(&regs[..n * 2]).expect("view"))
                }
            },
            Request::ReadInputRegisters { address, quantity } => {
                let n = usize::from(quantity);
                for (i, v) in self.inputs[usize::from(address)..][..n].iter().enumerate() {
                    regs[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
                }
                Response::ReadInputRegisters(Registers::new(&regs[..n * 2]).expect("view"))
            }
            Request::ReadCoils { address, quantity } => {
                let n = usize::from(quantity);
                for (i, &v) in self.coils[usize::from(address)..][..n].iter().enumerate() {
                    bits[i / 8] |= u8::from(v) << (i % 8);
                }
                Response::ReadCoils(
                    crate::protocol::Bits::new(&bits[..n.div_ceil(8)], quantity).expect("view"),
                )
            }
            Request::WriteSingleRegister { address, value } => match refused(address, 1) {
                Some(code) => Response::Exception { function: 6, code },
                None => {
                    self.holding[usize::from(address)] = value;
                    Response::WriteSingleRegister { address, value }
                }
            },
            Request::WriteMultipleRegisters { address, values } => {
                match refused(address, values.len() as u16) {
                    Some(code) => Response::Exception { function: 16, code },
                    None => {
                        for (i, v) in values.iter().enumerate() {
                            self.holding[usize::from(address) + i] = v;
                        }
                        Response::WriteMultipleRegisters {
                            address,
                            quantity: values.len() as u16,
                        }
                    }
                }
            }
            Request::WriteSingleCoil { address, value } => {
                self.coils[usize::from(address)] = value;
                Response::WriteSingleCoil { address, value }
            }
            Request::WriteMultipleCoils { address, values } => {
                for (i, v) in values.iter().enumerate() {
                    self.coils[usize::from(address) + i] = v;
                }
                Response::WriteMultipleCoils {
                    address,
                    quantity: values.len() as u16,
                }
            }
            Request::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            } => {
                if self.no_mask_write {
                    Response::Exception {
                        function: 22,
                        code: ExceptionCode::IllegalFunction,
                    }
                } else {
                    let r = &mut self.holding[usize::from(address)];
                    *r = (*r & and_mask) | (or_mask & !and_mask);
                    Response::MaskWriteRegister {
                        address,
                        and_mask,
                        or_mask,
                    }
                }
            }
            other => panic!("the fake slave does not serve {other:?}"),
        };
        let mut out = [0u8; 300];
        let len = resp.encode(&mut out).expect("encode");
        out[..len].to_vec()
    }
}

struct Harness {
    engine: Engine,
    now: Instant,
}

impl Harness {
    fn new(mem: &Memory, depth: usize) -> Self {
        Self::with(mem, depth, false)
    }

    fn with(mem: &Memory, depth: usize, force_multiple: bool) -> Self {
        assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
        let cfg = Config {
            period: PERIOD,
            response_timeout: TIMEOUT,
            depth,
            retries: 0,
            force_multiple_writes: force_multiple,
            framing: Framing::Tcp,
            timeouts_before_reconnect: 2,
            peer: "test-slave".into(),
        };
        let unit = Unit::new(1, mem.clone(), Plan::WholeMemory, Peer::Serial { unit: 1 });
        Harness {
            engine: Engine::new(cfg, vec![unit]),
            now: Instant::now(),
        }
    }

    /// Every frame the engine sends now.
    fn sent(&mut self) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut buf = [0u8; crate::protocol::ascii::MAX_FRAME_LEN];
        while let Some(n) = self.engine.poll_transmit(self.now, &mut buf) {
            frames.push(buf[..n].to_vec());
            assert!(frames.len() < 1000, "runaway transmit");
        }
        frames
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.engine.handle_input(self.now, bytes);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.engine.handle_timeout(self.now);
    }

    /// Runs frames through the slave until the engine has nothing more to send.
    fn converse(&mut self, slave: &mut FakeSlave) -> Vec<Request<'static>> {
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let frames = self.sent();
            if frames.is_empty() {
                return seen;
            }
            for f in frames {
                seen.push(request_of(&f));
                let answer = slave.answer(&f);
                self.feed(&answer);
            }
        }
        panic!("the engine never went idle");
    }

    /// Connects and runs the first cycle with `slave`.
    fn connect_and_converse(&mut self, slave: &mut FakeSlave) {
        self.engine.handle_connected(self.now);
        self.converse(slave);
    }

    /// Like `converse` for up to 20 rounds, checking that each sends one frame only.
    fn converse_one_at_a_time(&mut self, slave: &mut FakeSlave, what: &str) {
        for _ in 0..20 {
            let frames = self.sent();
            if frames.is_empty() {
                break;
            }
            assert_eq!(frames.len(), 1, "{what}");
            let answer = slave.answer(&frames[0]);
            self.feed(&answer);
        }
    }

    /// Asserts that the only event now is flush `id` done, confirmed.
    fn assert_flushed(&mut self, id: u64) {
        let events = self.events();
        assert!(
            matches!(events[..], [Event::FlushDone { id: i, result: Ok(()) }] if i == id),
            "{events:?}"
        );
    }

    /// Asserts that the only event now is sync `id` done, successfully.
    fn assert_synced(&mut self, id: u64) {
        let events = self.events();
        assert!(
            matches!(events[..], [Event::SyncDone { id: i, result: Ok(()) }] if i == id),
            "{events:?}"
        );
    }

    /// True when nothing is in flight and no cycle is running.
    fn sent_nothing_pending(&self) -> bool {
        self.engine.in_flight.is_empty() && self.engine.cycle.is_none()
    }

    /// Connects, starting at the configured depth (as if the slave had kept up).
    fn connect_at_full_depth(&mut self) {
        self.engine.handle_connected(self.now);
        self.engine.assume_full_depth();
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.engine.poll_event()).collect()
    }
}

/// The request in a frame, with its data leaked so tests can keep it around.
fn request_of(frame: &[u8]) -> Request<'static> {
    let frame: &'static [u8] = Box::leak(frame.to_vec().into_boxed_slice());
    let (f, _) = tcp::split_frame(frame).expect("valid").expect("whole");
    Request::decode(f.pdu).expect("valid request")
}

/// FC6, as the engine sends one register.
fn write_register(address: u16, value: u16) -> Request<'static> {
    Request::WriteSingleRegister { address, value }
}

fn tid_of(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[0], frame[1]])
}

/// `Memory::new(n)`, a harness over it at `depth` and a slave of `n` items.
fn setup(n: u32, depth: usize) -> (Memory, Harness, FakeSlave) {
    let m = Memory::new(n);
    let h = Harness::new(&m, depth);
    (m, h, FakeSlave::new(n as usize))
}

fn mem(n: u32) -> Memory {
    Memory::builder()
        .coils(n)
        .input_registers(n)
        .holding_registers(n)
        .build()
        .expect("build")
}

/// A TCP answer frame with `pdu`, for the request in `frame`, from `unit`.
fn frame_with(frame: &[u8], unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; tcp::HEADER_LEN + pdu.len()];
    out[tcp::HEADER_LEN..].copy_from_slice(pdu);
    tcp::encode_header(&mut out, tid_of(frame), unit, pdu.len()).expect("header");
    out
}
