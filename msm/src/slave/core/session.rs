//! One connection's byte handling, without I/O: bytes read go in, the stream framer
//! (`protocol::stream`) cuts whole frames out, they are answered, and the responses pile
//! up in an output buffer written once per batch.
//!
//! Both buffers are allocated once per connection and reused, so serving a request
//! allocates nothing.

use std::time::Instant;

use crate::protocol::rtu::{self, Direction};
use crate::protocol::stream::{Delimiter, Framed, Skipped, StreamFramer};
use crate::protocol::tcp::{self, HEADER_LEN, MAX_FRAME_LEN};

pub(crate) use crate::protocol::stream::StreamError;

/// Bytes read per `read` at most: room for 7 requests of the largest size, or 170 reads
/// of registers, pipelined. Each connection holds its buffers for its whole life, so
/// they are kept small: a slave with 64 busy connections holds 384 KiB in them.
const INPUT_LEN: usize = 2 * 1024;
/// Responses gathered before they are written: a batch stops when another full-size
/// response might not fit (15 fit), so a flood of pipelined requests is answered in
/// slices instead of growing a buffer.
const OUTPUT_LEN: usize = 4 * 1024;

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
    /// RTU frames dropped unanswered: bad CRC, an impossible length, cut short.
    pub(crate) dropped: usize,
    /// True if it stopped because the output is full: call again after writing it.
    pub(crate) more: bool,
}

pub(crate) struct Session {
    input: StreamFramer,
    output: Box<[u8]>,
    out_len: usize,
    /// RTU frames (address + PDU + CRC) instead of MBAP.
    rtu: bool,
}

impl Session {
    /// A session for MBAP frames, or RTU frames over TCP (by length, silence as the
    /// fallback: `protocol::stream`).
    pub(crate) fn new(max_frame_len: usize, rtu: bool) -> Session {
        let delimiter = if rtu {
            Delimiter::rtu_over_tcp(Direction::Request)
        } else {
            Delimiter::Mbap
        };
        Session {
            input: StreamFramer::with_capacity(delimiter, INPUT_LEN)
                .with_max_frame_len(max_frame_len),
            output: vec![0; OUTPUT_LEN].into_boxed_slice(),
            out_len: 0,
            rtu,
        }
    }

    /// Where the next read goes (never empty: a partial frame is moved to the front
    /// when the space behind it runs short).
    pub(crate) fn read_space(&mut self) -> &mut [u8] {
        self.input.read_space()
    }

    /// Takes `n` bytes just read into [`read_space`](Self::read_space) at `now`.
    pub(crate) fn filled(&mut self, now: Instant, n: usize) {
        self.input.filled(now, n);
    }

    /// True if bytes of an unfinished frame are waiting.
    pub(crate) fn has_partial(&self) -> bool {
        self.input.buffered() > 0
    }

    /// When [`process`](Self::process) must run again if no bytes come first: an RTU
    /// frame of unknown length, or cut short, ends with a silence.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.input.poll_timeout()
    }

    /// Answers every whole frame buffered at `now`, in order, appending each response
    /// (framed with the request's transaction and unit ids, or address and CRC) to the
    /// output. `answer` writes a response PDU into the buffer it is given and returns its
    /// length, or `None` to answer nothing. An RTU broadcast (address 0) is executed, not
    /// answered.
    #[inline]
    pub(crate) fn process(
        &mut self,
        now: Instant,
        mut answer: impl FnMut(Incoming<'_>, &mut [u8]) -> Option<usize>,
    ) -> Result<Batch, StreamError> {
        let mut batch = Batch::default();
        // Room kept for one more response: the longest frame either way.
        let room = if self.rtu {
            rtu::MAX_FRAME_LEN
        } else {
            MAX_FRAME_LEN
        };
        loop {
            if self.out_len + room > self.output.len() {
                batch.more = self.input.buffered() > 0;
                break;
            }
            let frame = match self.input.poll(now)? {
                Some(Framed::Frame(frame)) => frame,
                Some(Framed::Skipped(Skipped::Foreign { .. })) => {
                    batch.frames += 1;
                    batch.foreign += 1;
                    continue;
                }
                Some(Framed::Skipped(Skipped::Rtu(why))) => {
                    tracing::trace!(%why, "RTU frame dropped");
                    batch.dropped += 1;
                    continue;
                }
                None => break,
            };
            let out = &mut self.output[self.out_len..self.out_len + room];
            let incoming = Incoming {
                unit: frame.unit,
                pdu: frame.pdu,
            };
            match frame.transaction_id {
                Some(tid) => {
                    if let Some(n) = answer(incoming, &mut out[HEADER_LEN..])
                        && tcp::encode_header(out, tid, frame.unit, n).is_ok()
                    {
                        self.out_len += HEADER_LEN + n;
                    }
                }
                None => {
                    if let Some(n) = answer(incoming, &mut out[1..])
                        && frame.unit != 0
                        && let Ok(len) = rtu::finish_frame(out, frame.unit, n)
                    {
                        self.out_len += len;
                    }
                }
            }
            batch.frames += 1;
        }
        Ok(batch)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::tcp::FrameError;

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
        s.filled(Instant::now(), bytes.len());
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
        let batch = s.process(Instant::now(), echo).expect("valid");
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
            assert_eq!(s.process(Instant::now(), echo).expect("valid").frames, 0);
            feed(&mut s, &frame[cut..]);
            assert_eq!(s.process(Instant::now(), echo).expect("valid").frames, 1);
            assert_eq!(s.output(), frame);
            assert!(!s.has_partial());
        }
    }

    #[test]
    fn impossible_and_over_limit_lengths_end_the_stream_foreign_frames_are_skipped() {
        let mut s = Session::new(MAX_FRAME_LEN, false);
        feed(&mut s, &[0, 1, 0, 0, 0xFF, 0xFF]);
        assert!(matches!(
            s.process(Instant::now(), echo),
            Err(StreamError::Frame(FrameError::Length {
                length: 0xFFFF,
                ..
            }))
        ));
        let mut s = Session::new(12, false);
        feed(&mut s, &[0, 1, 0, 0, 0, 7]);
        assert_eq!(
            s.process(Instant::now(), echo),
            Err(StreamError::TooLong {
                transaction_id: 1,
                len: 13,
                max: 12
            })
        );
        let mut s = Session::new(MAX_FRAME_LEN, false);
        feed(&mut s, &[0, 1, 0, 1, 0, 2, 1, 3, 0, 2, 0, 0, 0, 2, 1, 4]);
        let batch = s.process(Instant::now(), echo).expect("valid");
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
        s.filled(Instant::now(), INPUT_LEN);
        let full = |_: Incoming<'_>, out: &mut [u8]| Some(out.len().min(253));
        let (mut total, mut slices) = (0, 0);
        loop {
            let batch = s.process(Instant::now(), full).expect("valid");
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
            .process(Instant::now(), |incoming, out| {
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
            let batch = s.process(Instant::now(), echo).expect("no fault");
            assert_eq!(batch.frames, usize::from(i + 1 == frame.len()));
        }
        assert_eq!(s.output(), frame);
    }

    #[test]
    fn an_rtu_frame_of_unknown_length_is_answered_when_whole_and_garbage_dropped_at_the_silence() {
        let mut s = Session::new(MAX_FRAME_LEN, true);
        let echo_req = rtu_frame(&[0x01, 0x08, 0x00, 0x00, 0xA5, 0x37]);
        let t0 = Instant::now();
        for (i, b) in echo_req.iter().enumerate() {
            let space = s.read_space();
            space[0] = *b;
            s.filled(t0, 1);
            let batch = s.process(t0, echo).expect("no fault");
            assert_eq!(batch.frames, usize::from(i + 1 == echo_req.len()));
        }
        assert_eq!(s.output(), echo_req);
        s.written(s.output().len());
        feed(&mut s, &[0x01, 0x08, 0x00, 0x00, 0x00, 0x00]); // its CRC never checks
        let wake = s.poll_timeout().expect("a silence to wait for");
        assert_eq!(s.process(t0, echo).expect("no fault").frames, 0);
        let batch = s.process(wake, echo).expect("no fault");
        assert_eq!((batch.frames, batch.dropped), (0, 1));
        assert!(!s.has_partial() && s.output().is_empty());
    }
}
