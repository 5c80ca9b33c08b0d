//! The framer's API, for any buffer and any instant: bytes and times in, frames out, and
//! the buffer kept compact.

use super::{
    AsciiDiscarded, BufferTooSmall, Delimiter, Discarded, Framed, Framer, MIN_CAPACITY, Mode,
    Skipped, StreamError, Timestamp,
};
use crate::tcp;

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> Framer<B, T> {
    /// A framer working in `buffer` (at least [`MIN_CAPACITY`] bytes; what it held
    /// before is ignored). Needs no allocator: the buffer can be an array, or a slice of
    /// one that lives elsewhere.
    ///
    /// ```
    /// use core::time::Duration;
    /// use msm_proto::stream::{Delimiter, Framed, Framer, MIN_CAPACITY};
    ///
    /// let mut framer = Framer::with_buffer(Delimiter::Mbap, [0u8; MIN_CAPACITY])?;
    /// let now = Duration::ZERO;
    /// framer.push(now, &[0, 1, 0, 0, 0, 2, 1, 0x41]);
    /// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(f))) if f.pdu == [0x41]));
    /// # Ok::<(), msm_proto::stream::BufferTooSmall>(())
    /// ```
    pub fn with_buffer(delimiter: Delimiter, buffer: B) -> Result<Self, BufferTooSmall> {
        let len = buffer.as_ref().len();
        if len < MIN_CAPACITY {
            return Err(BufferTooSmall {
                len,
                min: MIN_CAPACITY,
            });
        }
        Ok(Framer::over(delimiter, buffer))
    }

    /// A framer over `buffer`, whose length the caller checked.
    pub(super) fn over(delimiter: Delimiter, buffer: B) -> Self {
        Framer {
            delimiter,
            mode: Mode::of(delimiter),
            max_frame_len: tcp::MAX_FRAME_LEN,
            buf: buffer,
            start: 0,
            end: 0,
            last_byte: None,
            sealed: None,
            sealed_gap: None,
            open_gap: None,
            overrun: 0,
            scanned: 0,
            datagram: None,
        }
    }

    /// Refuses MBAP frames longer than `max` bytes (header included) with
    /// [`StreamError::TooLong`], as soon as their header is in (a datagram's with
    /// [`Skipped::Datagram`]). RTU and ASCII frames are not affected (they are at most
    /// 256 and 513 bytes).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap).with_max_frame_len(12);
    /// framer.push(Instant::now(), &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]); // 12 bytes: fine
    /// assert!(matches!(framer.poll(Instant::now()), Ok(Some(_))));
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// How frames are delimited.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// assert_eq!(StreamFramer::new(Delimiter::Mbap).delimiter(), Delimiter::Mbap);
    /// ```
    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// ASCII: the character after CR that ends the frames from now on (FC08 sub-function
    /// 03, "change ASCII input delimiter"; [`ascii::LF`](crate::ascii::LF) is the
    /// default); it applies to the bytes not yet framed. The other delimiters have no
    /// end character: for them this does nothing.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::ascii());
    /// framer.set_ascii_end(b'!');
    /// let now = Instant::now();
    /// framer.push(now, b":01060001000AEE\r!");
    /// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(f))) if f.unit == 1));
    /// assert!(matches!(framer.delimiter(), Delimiter::Ascii { end: b'!', .. }));
    /// ```
    pub fn set_ascii_end(&mut self, end: u8) {
        if let (Mode::Ascii(a), Delimiter::Ascii { end: e, .. }) =
            (&mut self.mode, &mut self.delimiter)
        {
            a.end = end;
            *e = end;
        }
    }

    /// The buffer's size.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// assert_eq!(StreamFramer::with_capacity(Delimiter::Mbap, 4096).capacity(), 4096);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// Bytes buffered that are not yet a frame (part of one, or waiting for a silence).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), &[0, 1, 0]);
    /// assert_eq!(framer.buffered(), 3);
    /// ```
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Where the next read goes; report what was read with [`filled`](Self::filled).
    /// Never empty (for a caller that polls until `None` after each read, it has room
    /// for at least a whole frame; for one that does not, the oldest bytes make room and
    /// the next poll reports them).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// let request = [0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    /// framer.read_space()[..12].copy_from_slice(&request); // as a socket read would
    /// framer.filled(Instant::now(), 12);
    /// assert!(matches!(framer.poll(Instant::now()), Ok(Some(Framed::Frame(f))) if f.unit == 1));
    /// ```
    pub fn read_space(&mut self) -> &mut [u8] {
        self.make_room(tcp::MAX_FRAME_LEN);
        if self.end == self.capacity() {
            // Only a caller that never polls gets here.
            self.drop_unpolled(0);
        }
        let end = self.end;
        self.buf.as_mut().get_mut(end..).unwrap_or_default()
    }

    /// Takes `n` bytes just read into [`read_space`](Self::read_space), received at `now`
    /// (a chunk read at once counts as arriving at once).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.read_space()[0] = 0;
    /// framer.filled(Instant::now(), 1);
    /// assert_eq!(framer.buffered(), 1);
    /// ```
    pub fn filled(&mut self, now: T, n: usize) {
        let n = n.min(self.capacity() - self.end);
        if n == 0 {
            return;
        }
        match self.mode {
            Mode::Mbap => {}
            Mode::Rtu(rtu) => self.note_silence(now, rtu.timing),
            Mode::Ascii(a) => self.note_pause(now, a.char_timeout),
        }
        self.end += n;
        self.last_byte = Some(now);
    }

    /// Copies bytes received at `now` into the buffer; returns how many it took (fewer
    /// than `bytes.len()` only when the buffer is full: poll, then push the rest).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// let frame = [0, 1, 0, 0, 0, 2, 1, 0x41];
    /// let now = Instant::now();
    /// for byte in frame {
    ///     assert_eq!(framer.poll(now), Ok(None));
    ///     assert_eq!(framer.push(now, &[byte]), 1); // a byte at a time
    /// }
    /// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(_)))));
    /// ```
    pub fn push(&mut self, now: T, bytes: &[u8]) -> usize {
        self.make_room(bytes.len());
        let end = self.end;
        let space = self.buf.as_mut().get_mut(end..).unwrap_or_default();
        let n = bytes.len().min(space.len());
        if let (Some(to), Some(from)) = (space.get_mut(..n), bytes.get(..n)) {
            to.copy_from_slice(from);
        }
        self.filled(now, n);
        n
    }

    /// The next frame (or skipped bytes) at `now`, if any. Call it until `Ok(None)` after
    /// each read and at each [`poll_timeout`](Self::poll_timeout). The frame is taken off
    /// the buffer at once; its view stays valid until the framer is next changed.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamError, StreamFramer};
    /// use msm_proto::tcp::FrameError;
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), b"GET / HTTP/1.1\r\n");
    /// assert!(matches!(
    ///     framer.poll(Instant::now()),
    ///     Err(StreamError::Frame(FrameError::Length { .. }))
    /// ));
    /// ```
    #[inline]
    pub fn poll(&mut self, now: T) -> Result<Option<Framed<'_>>, StreamError> {
        if self.overrun != 0 {
            return self.report_overrun();
        }
        if let Some(len) = self.datagram.take() {
            return Ok(self.poll_datagram(len));
        }
        match self.mode {
            Mode::Mbap => self.poll_mbap(),
            Mode::Rtu(rtu) => Ok(self.poll_rtu(now, rtu)),
            Mode::Ascii(a) => Ok(self.poll_ascii(now, a)),
        }
    }

    /// When the caller must [`poll`](Self::poll) again if no bytes come first: when the
    /// bytes buffered will have been followed by a frame's worth of silence (RTU), or by
    /// the inter-character timeout (ASCII). `None` for MBAP, or with nothing buffered.
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::stream::{Delimiter, STREAM_SILENCE, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    /// assert_eq!(framer.poll_timeout(), None);
    /// let t0 = Instant::now();
    /// framer.push(t0, &[0x11, 0x06]);
    /// assert_eq!(framer.poll_timeout(), Some(t0 + STREAM_SILENCE));
    /// ```
    pub fn poll_timeout(&self) -> Option<T> {
        let silence = match self.mode {
            Mode::Mbap => return None,
            Mode::Rtu(rtu) => rtu.timing.frame_gap,
            Mode::Ascii(a) => a.char_timeout,
        };
        if self.start == self.end {
            return None;
        }
        self.last_byte?.checked_add(silence)
    }

    /// Forgets everything buffered, and any report of dropped bytes not yet polled (after
    /// a reconnection, say).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), &[0, 1, 0]);
    /// framer.clear();
    /// assert_eq!(framer.buffered(), 0);
    /// ```
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.sealed = None;
        self.sealed_gap = None;
        self.open_gap = None;
        self.overrun = 0;
        self.scanned = 0;
        self.datagram = None;
    }

    /// Drops every byte buffered and `more` bytes the caller could not store, all
    /// reported by the next poll ([`Discarded::Overrun`], [`StreamError::Overrun`]).
    pub(crate) fn drop_unpolled(&mut self, more: usize) {
        let overrun = self
            .overrun
            .saturating_add(self.buffered())
            .saturating_add(more);
        self.clear();
        self.overrun = overrun;
    }

    /// The report of bytes dropped unpolled, once.
    #[cold]
    fn report_overrun(&mut self) -> Result<Option<Framed<'static>>, StreamError> {
        let len = core::mem::take(&mut self.overrun);
        match self.mode {
            Mode::Mbap => Err(StreamError::Overrun { len }),
            Mode::Rtu(_) => Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::Overrun {
                len,
            })))),
            Mode::Ascii(_) => Ok(Some(Framed::Skipped(Skipped::Ascii(
                AsciiDiscarded::Overrun { len },
            )))),
        }
    }

    /// Takes `n` bytes off the front, with whatever gap marks went with them.
    pub(super) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        self.scanned = 0;
        match self.sealed {
            Some(s) if s > self.start => {}
            Some(_) => {
                self.sealed = None;
                self.sealed_gap = None;
            }
            None => self.open_gap = None,
        }
    }

    /// Makes `want` bytes free behind the buffered ones if it can, by moving them to the
    /// front.
    fn make_room(&mut self, want: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.sealed = None;
            return;
        }
        if self.capacity() - self.end >= want {
            return;
        }
        let start = self.start;
        let end = self.end;
        self.buf.as_mut().copy_within(start..end, 0);
        self.end -= start;
        self.start = 0;
        self.sealed = self.sealed.map(|s| s.saturating_sub(start));
    }
}
