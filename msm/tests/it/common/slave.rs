//! A raw Modbus/TCP client for the slave's tests: builds frames by hand, so the tests
//! depend on nothing but the bytes the spec describes.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use msm::Memory;

/// The memory most tests serve: areas that do not start at 0, so both ends of each are
/// distinct addresses.
/// coils 100..=119, discrete inputs 0..=15, input registers 10..=13, holding 0..=199.
pub fn test_memory() -> Memory {
    Memory::builder()
        .coils_at(100, 20)
        .discrete_inputs(16)
        .input_registers_at(10, 4)
        .holding_registers(200)
        .build()
        .expect("memory")
}

/// An MBAP frame around `pdu`.
pub fn frame(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(7 + pdu.len());
    f.extend_from_slice(&tid.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    f.push(unit);
    f.extend_from_slice(pdu);
    f
}

pub struct Raw {
    pub stream: TcpStream,
    tid: u16,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect to the slave");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        Raw { stream, tid: 0 }
    }

    /// Sends `pdu` to `unit`; returns the transaction id used.
    pub fn send(&mut self, unit: u8, pdu: &[u8]) -> u16 {
        self.tid = self.tid.wrapping_add(1);
        self.stream
            .write_all(&frame(self.tid, unit, pdu))
            .expect("send");
        self.tid
    }

    /// Reads one response frame: (transaction id, unit, PDU).
    pub fn recv(&mut self) -> (u16, u8, Vec<u8>) {
        let mut header = [0u8; 7];
        self.stream
            .read_exact(&mut header)
            .expect("response header");
        assert_eq!(header[2..4], [0, 0], "protocol id");
        let len = u16::from_be_bytes([header[4], header[5]]) as usize;
        let mut pdu = vec![0u8; len - 1];
        self.stream.read_exact(&mut pdu).expect("response PDU");
        (u16::from_be_bytes([header[0], header[1]]), header[6], pdu)
    }

    /// Sends `pdu` to unit 1 and returns the response PDU, checking the ids match.
    pub fn ask(&mut self, pdu: &[u8]) -> Vec<u8> {
        self.ask_unit(1, pdu)
    }

    pub fn ask_unit(&mut self, unit: u8, pdu: &[u8]) -> Vec<u8> {
        let tid = self.send(unit, pdu);
        let (rtid, runit, response) = self.recv();
        assert_eq!(
            (rtid, runit),
            (tid, unit),
            "ids of the response to {pdu:02x?}"
        );
        response
    }

    /// True if the slave closes the connection within `within` (reads give EOF or a
    /// reset); responses still in flight are skipped.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }

    /// True if nothing arrives within `within`.
    pub fn silent_for(&mut self, within: Duration) -> bool {
        self.stream.set_read_timeout(Some(within)).expect("timeout");
        let mut byte = [0u8; 1];
        let silent = matches!(
            self.stream.read(&mut byte),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
        );
        self.stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        silent
    }
}

/// A well-behaved client's check: write a register, read it back, over a new
/// connection. Proves the slave still serves correctly.
pub fn still_served(addr: SocketAddr, value: u16) {
    let mut c = Raw::connect(addr);
    let [hi, lo] = value.to_be_bytes();
    assert_eq!(c.ask(&[6, 0, 7, hi, lo]), [6, 0, 7, hi, lo]);
    assert_eq!(c.ask(&[3, 0, 7, 0, 1]), [3, 2, hi, lo]);
}
