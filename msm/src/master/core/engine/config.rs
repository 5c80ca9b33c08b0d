//! The engine's settings: how frames are delimited on the link, the serial line's
//! timing, periods and timeouts.

use std::time::Duration;

use crate::protocol::rtu::Direction;
use crate::protocol::rtu_framer::Timing;
use crate::protocol::stream::{Delimiter, STREAM_SILENCE};

/// How frames are delimited on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// MBAP header with transaction ids: several requests may be in flight.
    Tcp,
    /// MBAP frames in UDP datagrams, one per datagram: several requests may be in
    /// flight, and one whose answer does not come is sent again (`Config::retries`).
    Udp,
    /// Address + PDU + CRC on a serial line (or a TCP stream to a converter): one request
    /// at a time, with silent intervals between frames.
    Rtu(RtuTiming),
    /// Modbus ASCII on a serial line (`:`, hex digits, LRC, CR LF): one request at a
    /// time; frames are delimited by characters, so the line keeps no silence between
    /// them (the timing's `gap` is zero) but for a broadcast's delay.
    Ascii(RtuTiming),
}

impl Framing {
    /// How the slave's answers are delimited.
    pub(super) fn delimiter(&self) -> Delimiter {
        match self {
            Framing::Tcp | Framing::Udp => Delimiter::Mbap,
            Framing::Rtu(t) => t.delimiter(),
            Framing::Ascii(_) => Delimiter::ascii(),
        }
    }

    /// The silence kept on the line after any traffic: serial lines only.
    pub(super) fn silence(&self) -> Option<Duration> {
        self.line().map(RtuTiming::silence)
    }

    /// A serial line's timing (or RTU over TCP's): one request at a time on it.
    pub(super) fn line(&self) -> Option<&RtuTiming> {
        match self {
            Framing::Tcp | Framing::Udp => None,
            Framing::Rtu(t) | Framing::Ascii(t) => Some(t),
        }
    }

    /// Requests carry transaction ids (MBAP).
    pub(super) fn is_mbap(&self) -> bool {
        matches!(self, Framing::Tcp | Framing::Udp)
    }
}

/// Serial line timing (Modbus over Serial Line V1.02, 2.5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RtuTiming {
    /// Time to send one character (start, data, parity and stop bits).
    pub(crate) char_time: Duration,
    /// The silences that delimit received frames.
    pub(crate) line: Timing,
    /// The silence the master keeps on the line before each frame it sends.
    pub(crate) gap: Duration,
    /// How long a broadcast is given to be processed before the next frame.
    pub(crate) broadcast_delay: Duration,
    /// RTU over TCP: frames are delimited by length, silence only as the fallback.
    pub(crate) over_tcp: bool,
}

/// The characters of a Modbus ASCII frame holding `rtu_len` bytes of RTU frame (address,
/// PDU, CRC): two hex digits per byte of address, PDU and LRC, the `:` and CR LF.
pub(super) fn ascii_chars(rtu_len: usize) -> usize {
    2 * rtu_len.saturating_sub(2) + 5
}

impl RtuTiming {
    /// A serial line at `baud` with `bits_per_char` bits per character (11 for 8E1).
    pub(crate) fn serial(baud: u32, bits_per_char: u32, broadcast_delay: Duration) -> Self {
        let line = Timing::for_baud(baud, bits_per_char);
        RtuTiming {
            char_time: Duration::from_nanos(
                1_000_000_000 * u64::from(bits_per_char) / u64::from(baud.max(1)),
            ),
            line,
            gap: line.frame_gap,
            broadcast_delay,
            over_tcp: false,
        }
    }

    /// A Modbus ASCII line at `baud` with `bits_per_char` bits per character (10 for
    /// 7E1): characters delimit frames, so no silence is kept between them.
    pub(crate) fn ascii(baud: u32, bits_per_char: u32, broadcast_delay: Duration) -> Self {
        RtuTiming {
            gap: Duration::ZERO,
            ..RtuTiming::serial(baud, bits_per_char, broadcast_delay)
        }
    }

    /// RTU frames over TCP: the converter keeps the line's timing, frames are delimited
    /// by length as the slave side does (`protocol::stream`), and a frame left incomplete
    /// for a while is dropped.
    pub(crate) fn over_tcp(broadcast_delay: Duration) -> Self {
        RtuTiming {
            char_time: Duration::ZERO,
            line: Timing {
                char_gap: None,
                frame_gap: STREAM_SILENCE,
            },
            gap: Duration::ZERO,
            broadcast_delay,
            over_tcp: true,
        }
    }

    /// How responses are delimited.
    fn delimiter(&self) -> Delimiter {
        if self.over_tcp {
            Delimiter::rtu_over_tcp(Direction::Response)
        } else {
            Delimiter::RtuBySilence {
                direction: Direction::Response,
                timing: self.line,
            }
        }
    }

    /// How long `bytes` take on the line.
    pub(super) fn transmit_time(&self, bytes: usize) -> Duration {
        self.char_time * bytes as u32
    }

    /// The silence the master keeps between frames.
    pub(super) fn silence(&self) -> Duration {
        self.gap
    }
}

/// Settings of the engine.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) period: Duration,
    pub(crate) response_timeout: Duration,
    /// Requests in flight at most (TCP and UDP only; a serial line is always 1).
    pub(crate) depth: usize,
    /// UDP: times a request is sent again when its answer does not come within the
    /// response timeout, before it counts as a timeout (see `in_flight::may_resend`).
    pub(crate) retries: u32,
    /// Use FC15/FC16 even for a single coil or register.
    pub(crate) force_multiple_writes: bool,
    pub(crate) framing: Framing,
    /// Consecutive timeouts after which a TCP connection (or UDP socket) is dropped and
    /// made again.
    pub(crate) timeouts_before_reconnect: u32,
    /// The slave, for messages.
    pub(crate) peer: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_9600_baud_8e1_line_takes_about_1_15_ms_a_character_and_keeps_3_5_of_silence() {
        let t = RtuTiming::serial(9600, 11, Duration::ZERO);
        assert_eq!(t.char_time, Duration::from_nanos(1_145_833));
        assert_eq!(t.transmit_time(8), t.char_time * 8);
        assert_eq!(t.silence(), t.line.frame_gap);
        assert!(t.silence() >= t.char_time * 3, "{:?}", t.silence());
        assert_eq!(Framing::Rtu(t).silence(), Some(t.silence()));
    }

    #[test]
    fn rtu_over_tcp_keeps_no_gap_and_cuts_answers_by_length() {
        let t = RtuTiming::over_tcp(Duration::from_millis(100));
        assert_eq!(
            (t.silence(), t.transmit_time(100)),
            (Duration::ZERO, Duration::ZERO)
        );
        assert_eq!(
            Framing::Rtu(t).delimiter(),
            Delimiter::rtu_over_tcp(Direction::Response)
        );
        assert_eq!(Framing::Tcp.delimiter(), Delimiter::Mbap);
        assert_eq!(Framing::Tcp.silence(), None);
        assert_eq!(Framing::Udp.delimiter(), Delimiter::Mbap);
        assert_eq!(Framing::Udp.line(), None);
    }

    #[test]
    fn an_ascii_line_keeps_no_silence_and_counts_two_characters_a_byte() {
        let t = RtuTiming::ascii(9600, 10, Duration::from_millis(100));
        assert_eq!(Framing::Ascii(t).silence(), Some(Duration::ZERO));
        assert_eq!(Framing::Ascii(t).delimiter(), Delimiter::ascii());
        assert_eq!(t.char_time, Duration::from_nanos(1_041_666));
        // FC6 to unit 1: 8 RTU bytes, 17 ASCII characters (":01060001000AEE\r\n").
        assert_eq!(ascii_chars(8), 17);
    }

    #[test]
    fn a_baud_rate_of_zero_does_not_divide_by_zero() {
        let t = RtuTiming::serial(0, 11, Duration::ZERO);
        assert_eq!(t.char_time, Duration::from_secs(11));
    }
}
