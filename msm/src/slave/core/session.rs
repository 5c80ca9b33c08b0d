//! One connection's byte handling, without I/O: bytes read go in, whole frames are cut
//! out and answered, responses pile up in an output buffer written once per batch.
//!
//! Both buffers are allocated once per connection and reused, so serving a request
//! allocates nothing.

use std::fmt;

use crate::protocol::rtu::{self, Direction, RtuError};
use crate::protocol::tcp::{self, FrameError, HEADER_LEN, MAX_FRAME_LEN};

/// Bytes read per `read` at most: room for dozens of pipelined requests.
const INPUT_LEN: usize = 8 * 1024;
/// Responses gathered before they are written: a batch stops when another full-size
/// response might not fit, so a flood of pipelined requests is answered in slices
/// instead of growing a buffer.
const OUTPUT_LEN: usize = 16 * 1024;

/// Why a connection's byte stream cannot go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamFault {
    /// The MBAP header is impossible (length outside 2..=254).
    Frame(FrameError),
    /// The header announces a frame longer than the configured limit.
    TooLong {
        /// Its transaction id.
        transaction_id: u16,
        /// Length of the frame announced.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for StreamFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamFault::Frame(e) => write!(f, "malformed frame: {e}"),
            StreamFault::TooLong {
                transaction_id,
                len,
                max,
            } => write!(
                f,
                "frame {transaction_id} announces {len} bytes, over the {max}-byte limit"
            ),
        }
    }
}

/// A frame's request, as the session hands it to be answered.
pub(crate) struct Incoming<'a> {
    pub(crate) unit: u8,
    pub(crate) pdu: &'a [u8],
}

/// What one call to [`Session::process`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Batch {
    /// Frames taken off the input.
    pub(crate) frames: usize,
    /// Frames whose protocol id was not Modbus, dropped unanswered.
    pub(crate) foreign: usize,
    /// RTU frames dropped unanswered: bad CRC, or an impossible length.
    pub(crate) dropped: usize,
    /// True if it stopped because the output is full: call again after writing it.
    pub(crate) more: bool,
}

pub(crate) struct Session {
    input: Box<[u8]>,
    /// Unprocessed input is `input[start..end]`.
    start: usize,
    end: usize,
    output: Box<[u8]>,
    out_len: usize,
    max_frame_len: usize,
    /// RTU frames (address + PDU + CRC, delimited by length) instead of MBAP.
    rtu: bool,
}

impl Session {
    pub(crate) fn new(max_frame_len: usize, rtu: bool) -> Session {
        Session {
            input: vec![0; INPUT_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            output: vec![0; OUTPUT_LEN].into_boxed_slice(),
            out_len: 0,
            max_frame_len,
            rtu,
        }
    }

    /// Where the next read goes (never empty: a partial frame is moved to the front
    /// when the space behind it runs short).
    pub(crate) fn read_space(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.input.len() - self.end < MAX_FRAME_LEN {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.input[self.end..]
    }

    /// Takes `n` bytes just read into [`read_space`](Self::read_space).
    pub(crate) fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.input.len());
    }

    /// True if bytes of an unfinished frame are waiting.
    pub(crate) fn has_partial(&self) -> bool {
        self.start < self.end
    }

    /// Answers every whole frame buffered, in order, appending each response (framed
    /// with the request's transaction and unit ids) to the output. `answer` writes a
    /// response PDU into the buffer it is given and returns its length, or `None` to
    /// answer nothing.
    pub(crate) fn process(
        &mut self,
        mut answer: impl FnMut(Incoming<'_>, &mut [u8]) -> Option<usize>,
    ) -> Result<Batch, StreamFault> {
        if self.rtu {
            return Ok(self.process_rtu(answer));
        }
        let mut batch = Batch::default();
        while self.start < self.end {
            if self.out_len + MAX_FRAME_LEN > self.output.len() {
                batch.more = true;
                break;
            }
            let pending = &self.input[self.start..self.end];
            if let Some(len) = announced_len(pending)
                && len > self.max_frame_len
                && len <= MAX_FRAME_LEN
            {
                let transaction_id = u16::from_be_bytes([pending[0], pending[1]]);
                return Err(StreamFault::TooLong {
                    transaction_id,
                    len,
                    max: self.max_frame_len,
                });
            }
            let (header, pdu, used) = match tcp::split_frame(pending) {
                Ok(Some((frame, used))) => (frame.header, frame.pdu, used),
                Ok(None) => break,
                Err(FrameError::ProtocolId { frame_len, .. }) => {
                    // Well delimited but not Modbus: dropped, as the MBAP rules say.
                    self.start += frame_len;
                    batch.frames += 1;
                    batch.foreign += 1;
                    continue;
                }
                Err(e) => return Err(StreamFault::Frame(e)),
            };
            let out = &mut self.output[self.out_len..self.out_len + MAX_FRAME_LEN];
            let incoming = Incoming {
                unit: header.unit_id,
                pdu,
            };
            if let Some(n) = answer(incoming, &mut out[HEADER_LEN..])
                && tcp::encode_header(out, header.transaction_id, header.unit_id, n).is_ok()
            {
                self.out_len += HEADER_LEN + n;
            }
            self.start += used;
            batch.frames += 1;
        }
        Ok(batch)
    }

    /// [`process`](Self::process) for RTU frames on a byte stream (RTU over TCP): frames
    /// are cut by the length their function code implies; one with a bad CRC is dropped
    /// and the stream goes on after it; a broadcast (address 0) is executed, not
    /// answered. A function whose length can't be told takes what is buffered.
    fn process_rtu(
        &mut self,
        mut answer: impl FnMut(Incoming<'_>, &mut [u8]) -> Option<usize>,
    ) -> Batch {
        let mut batch = Batch::default();
        while self.start < self.end {
            if self.out_len + rtu::MAX_FRAME_LEN > self.output.len() {
                batch.more = true;
                break;
            }
            let pending = &self.input[self.start..self.end];
            let (address, pdu, used) = match rtu::split_frame(pending, Direction::Request) {
                Ok(Some((frame, used))) => (frame.address, frame.pdu, used),
                Ok(None) => break,
                Err(RtuError::UnknownLength { .. }) => match rtu::decode_frame(pending) {
                    Ok(frame) => (frame.address, frame.pdu, pending.len()),
                    Err(_) => {
                        batch.dropped += 1;
                        self.start = self.end;
                        continue;
                    }
                },
                Err(RtuError::Crc { .. }) => {
                    // The length rule delimited it: skip just this frame.
                    let len = rtu::request_len(pending)
                        .ok()
                        .flatten()
                        .unwrap_or(pending.len());
                    self.start += len.min(pending.len());
                    batch.dropped += 1;
                    continue;
                }
                Err(_) => {
                    // An impossible frame: nothing after it can be trusted.
                    self.start = self.end;
                    batch.dropped += 1;
                    continue;
                }
            };
            let out = &mut self.output[self.out_len..self.out_len + rtu::MAX_FRAME_LEN];
            let incoming = Incoming { unit: address, pdu };
            if let Some(n) = answer(incoming, &mut out[1..])
                && address != 0
                && let Ok(len) = rtu::finish_frame(out, address, n)
            {
                self.out_len += len;
            }
            self.start += used;
            batch.frames += 1;
        }
        batch
    }

    /// Responses waiting to be written.
    pub(crate) fn output(&self) -> &[u8] {
        &self.output[..self.out_len]
    }

    /// The first `n` bytes of the output were written.
    pub(crate) fn written(&mut self, n: usize) {
        let n = n.min(self.out_len);
        self.output.copy_within(n..self.out_len, 0);
        self.out_len -= n;
    }
}

/// The frame length a buffered MBAP header announces, once its length field is in.
fn announced_len(buf: &[u8]) -> Option<usize> {
    let length = buf.get(4..6)?;
    Some(6 + usize::from(u16::from_be_bytes([length[0], length[1]])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers each PDU with itself, and no answer to function 0x41.
    fn echo(incoming: Incoming<'_>, out: &mut [u8]) -> Option<usize> {
        (incoming.pdu != [0x41]).then(|| {
            out[..incoming.pdu.len()].copy_from_slice(incoming.pdu);
            incoming.pdu.len()
        })
    }

    fn feed(s: &mut Session, bytes: &[u8]) {
        let space = s.read_space();
        space[..bytes.len()].copy_from_slice(bytes);
        s.filled(bytes.len());
    }

    #[test]
    fn pipelined_frames_are_answered_in_order_in_one_batch() {
        let mut s = Session::new(MAX_FRAME_LEN, false);
        feed(
            &mut s,
            &[
                0, 1, 0, 0, 0, 3, 7, 3, 9, 0, 2, 0, 0, 0, 2, 8, 0x41, 0, 3, 0, 0, 0, 2, 9, 5, 0, 4,
            ],
        );
        let batch = s.process(echo).expect("valid");
        assert_eq!(
            batch,
            Batch {
                frames: 3,
                foreign: 0,
                dropped: 0,
                more: false
            }
        );
        assert_eq!(
            s.output(),
            [0, 1, 0, 0, 0, 3, 7, 3, 9, 0, 3, 0, 0, 0, 2, 9, 5]
        );
        assert!(s.has_partial(), "the 4th frame has only begun");
        s.written(s.output().len());
        assert!(s.output().is_empty());
    }

    #[test]
    fn a_frame_split_anywhere_is_answered_once_whole() {
        let frame = [0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
        for cut in 1..frame.len() {
            let mut s = Session::new(MAX_FRAME_LEN, false);
            feed(&mut s, &frame[..cut]);
            assert_eq!(s.process(echo).expect("valid").frames, 0);
            feed(&mut s, &frame[cut..]);
            assert_eq!(s.process(echo).expect("valid").frames, 1);
            assert_eq!(s.output(), frame);
            assert!(!s.has_partial());
        }
    }

    #[test]
    fn impossible_and_over_limit_lengths_end_the_stream_foreign_frames_are_skipped() {
        let mut s = Session::new(MAX_FRAME_LEN, false);
        feed(&mut s, &[0, 1, 0, 0, 0xFF, 0xFF]);
        assert!(matches!(
            s.process(echo),
            Err(StreamFault::Frame(FrameError::Length {
                length: 0xFFFF,
                ..
            }))
        ));
        let mut s = Session::new(12, false);
        feed(&mut s, &[0, 1, 0, 0, 0, 7]);
        assert_eq!(
            s.process(echo),
            Err(StreamFault::TooLong {
                transaction_id: 1,
                len: 13,
                max: 12
            })
        );
        let mut s = Session::new(MAX_FRAME_LEN, false);
        feed(&mut s, &[0, 1, 0, 1, 0, 2, 1, 3, 0, 2, 0, 0, 0, 2, 1, 4]);
        let batch = s.process(echo).expect("valid");
        assert_eq!((batch.frames, batch.foreign), (2, 1));
        assert_eq!(s.output(), [0, 2, 0, 0, 0, 2, 1, 4]);
    }

    #[test]
    fn a_flood_is_answered_in_slices_of_bounded_output() {
        let mut s = Session::new(MAX_FRAME_LEN, false);
        // 1024 requests of 8 bytes, each answered with a full-size PDU.
        let frame = [0, 1, 0, 0, 0, 2, 1, 0x42];
        let space = s.read_space();
        for chunk in space.chunks_exact_mut(8) {
            chunk.copy_from_slice(&frame);
        }
        s.filled(INPUT_LEN);
        let full = |_: Incoming<'_>, out: &mut [u8]| Some(out.len().min(253));
        let (mut total, mut slices) = (0, 0);
        loop {
            let batch = s.process(full).expect("valid");
            total += batch.frames;
            slices += 1;
            assert!(s.output().len() <= OUTPUT_LEN);
            s.written(s.output().len());
            if !batch.more {
                break;
            }
        }
        assert_eq!(total, INPUT_LEN / 8);
        assert!(slices > 10, "{slices}");
    }

    fn rtu_frame(body: &[u8]) -> Vec<u8> {
        let mut v = body.to_vec();
        v.extend_from_slice(&rtu::crc16(body).to_le_bytes());
        v
    }

    #[test]
    fn rtu_frames_are_cut_by_length_and_bad_ones_skipped() {
        let mut s = Session::new(MAX_FRAME_LEN, true);
        let good = rtu_frame(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x01]);
        let mut bad = rtu_frame(&[0x01, 0x03, 0x00, 0x05, 0x00, 0x01]);
        bad[7] ^= 0x55;
        let broadcast = rtu_frame(&[0x00, 0x06, 0x00, 0x01, 0x00, 0x07]);
        let other = rtu_frame(&[0x02, 0x03, 0x00, 0x00, 0x00, 0x02]);
        feed(
            &mut s,
            &[good.clone(), bad, broadcast, other.clone()].concat(),
        );
        let mut seen = Vec::new();
        let batch = s
            .process(|incoming, out| {
                seen.push((incoming.unit, incoming.pdu.to_vec()));
                echo(incoming, out)
            })
            .expect("no fault");
        assert_eq!((batch.frames, batch.dropped), (3, 1));
        assert_eq!(seen.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [1, 0, 2]);
        // Echoes of unit 1 and unit 2, re-framed with their CRC; the broadcast unanswered.
        assert_eq!(s.output(), [good, other].concat());
    }

    #[test]
    fn an_rtu_frame_split_across_reads_waits_for_its_end() {
        let mut s = Session::new(MAX_FRAME_LEN, true);
        let frame = rtu_frame(&[0x01, 0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 0x12, 0x34]);
        for (i, b) in frame.iter().enumerate() {
            feed(&mut s, &[*b]);
            let batch = s.process(echo).expect("no fault");
            assert_eq!(batch.frames, usize::from(i + 1 == frame.len()));
        }
        assert_eq!(s.output(), frame);
    }
}
