//! The raw end of a virtual serial line (one side of a `SerialPair`): a test writes
//! frames byte for byte and reads back what the msm slave or master on the other end
//! sent.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// How long an answer may take to start and go on: the machine may be busy.
const DEADLINE: Duration = Duration::from_secs(15);
/// Long enough for any answer to have started: slaves answer as soon as a frame ends.
const NO_ANSWER: Duration = Duration::from_millis(300);

/// A pty opened for reading and writing, its bytes read by a thread as they come.
pub struct RawLine {
    port: std::fs::File,
    incoming: Receiver<u8>,
}

impl RawLine {
    pub fn open(path: &str) -> RawLine {
        let port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open pty");
        let mut reader = port.try_clone().expect("clone");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || buf[..n].iter().any(|b| tx.send(*b).is_err()) {
                    break;
                }
            }
        });
        RawLine { port, incoming }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.port.write_all(bytes).expect("write pty");
    }

    /// An answer of exactly `len` bytes (RTU) within the deadline.
    pub fn answer_of(&self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| {
                self.incoming
                    .recv_timeout(DEADLINE)
                    .unwrap_or_else(|_| panic!("answer ended after {i} of {len} bytes"))
            })
            .collect()
    }

    /// The characters up to and including the next LF (ASCII), within the deadline.
    pub fn line(&self) -> Vec<u8> {
        let mut line = Vec::new();
        while line.last() != Some(&b'\n') {
            let c = self
                .incoming
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("the answer stopped after {line:?}"));
            line.push(c);
        }
        line
    }

    /// True if nothing at all arrives within `NO_ANSWER`.
    pub fn silent(&self) -> bool {
        self.incoming.recv_timeout(NO_ANSWER).is_err()
    }
}
