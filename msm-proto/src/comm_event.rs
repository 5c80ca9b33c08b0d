//! FC11 Get Comm Event Counter and FC12 Get Comm Event Log: the status word, the
//! event log and the spec's encoding of its event bytes.

use super::MAX_COMM_EVENTS;

/// The status word of FC11/FC12 while a previous command is still being processed.
///
/// ```
/// assert_eq!(msm_proto::COMM_STATUS_BUSY, 0xFFFF);
/// ```
pub const COMM_STATUS_BUSY: u16 = 0xFFFF;

/// An FC12 (Get Comm Event Log) response.
///
/// ```
/// use msm_proto::{CommEvent, CommEventLog, Response};
///
/// // The spec's example: not busy, 264 events, 289 messages, two events.
/// let pdu = [0x0C, 0x08, 0x00, 0x00, 0x01, 0x08, 0x01, 0x21, 0x20, 0x00];
/// let Response::GetCommEventLog(log) = Response::decode(&pdu)? else { panic!("FC12") };
/// assert_eq!((log.status, log.event_count, log.message_count), (0, 264, 289));
/// assert_eq!(log.events, [0x20, 0x00]);
/// assert_eq!(CommEvent::from_byte(log.events[1]), CommEvent::Restarted);
/// # Ok::<(), msm_proto::ResponseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommEventLog<'a> {
    /// 0xFFFF ([`COMM_STATUS_BUSY`]) while a previous command is being processed, else 0.
    pub status: u16,
    /// The comm event counter (as FC11 returns it).
    pub event_count: u16,
    /// The bus message count (as FC08 sub-function 0x0B returns it).
    pub message_count: u16,
    /// The event bytes, newest first, 0..=64 of them ([`CommEvent::from_byte`] reads
    /// each).
    pub events: &'a [u8],
}

impl CommEventLog<'_> {
    /// The byte count on the wire: the three words and the events.
    pub(crate) const fn byte_count(&self) -> usize {
        6 + self.events.len()
    }

    /// Whether the events fit the spec's 64 bytes.
    pub(crate) const fn fits(&self) -> bool {
        self.events.len() <= MAX_COMM_EVENTS
    }
}

/// One byte of the comm event log, as the spec encodes it.
///
/// ```
/// use msm_proto::{CommEvent, ReceiveEvent, SendEvent};
///
/// let received = CommEvent::Received(ReceiveEvent { broadcast: true, ..ReceiveEvent::default() });
/// assert_eq!(received.to_byte(), 0xC0);
/// let sent = CommEvent::Sent(SendEvent { read_exception: true, ..SendEvent::default() });
/// assert_eq!(sent.to_byte(), 0x41);
/// assert_eq!(CommEvent::EnteredListenOnly.to_byte(), 0x04);
/// assert_eq!(CommEvent::from_byte(0x00), CommEvent::Restarted);
/// assert_eq!(CommEvent::from_byte(0x41), sent);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommEvent {
    /// Bit 7 set: a message was received (stored before it is processed).
    Received(ReceiveEvent),
    /// Bits 7..6 = 01: the server finished processing a message (answered or not).
    Sent(SendEvent),
    /// 0x04: the server entered listen-only mode.
    EnteredListenOnly,
    /// 0x00: the server's communications were restarted (FC08 sub-function 0x01).
    Restarted,
    /// Any other byte (bits 7..6 = 00 but neither 0x00 nor 0x04).
    Other(u8),
}

/// A receive event's bits (bit 7 = 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiveEvent {
    /// Bit 1: a communication error (CRC/LRC, framing).
    pub communication_error: bool,
    /// Bit 4: a character overrun.
    pub character_overrun: bool,
    /// Bit 5: the server is in listen-only mode.
    pub listen_only: bool,
    /// Bit 6: the message was a broadcast.
    pub broadcast: bool,
}

/// A send event's bits (bits 7..6 = 01).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendEvent {
    /// Bit 0: an exception 01..=03 was sent.
    pub read_exception: bool,
    /// Bit 1: a server abort exception (04) was sent.
    pub server_abort: bool,
    /// Bit 2: a server busy exception (05, 06) was sent.
    pub server_busy: bool,
    /// Bit 3: a server program NAK exception (07) was sent.
    pub server_nak: bool,
    /// Bit 4: a write timeout error occurred.
    pub write_timeout: bool,
    /// Bit 5: the server is in listen-only mode.
    pub listen_only: bool,
}

impl SendEvent {
    /// The send event after a response with this exception code (`None`: a normal
    /// response, or none at all).
    ///
    /// ```
    /// use msm_proto::SendEvent;
    ///
    /// assert!(SendEvent::after(Some(2)).read_exception);
    /// assert!(SendEvent::after(Some(6)).server_busy);
    /// assert_eq!(SendEvent::after(None), SendEvent::default());
    /// ```
    pub const fn after(exception: Option<u8>) -> SendEvent {
        let code = match exception {
            Some(code) => code,
            None => 0,
        };
        SendEvent {
            read_exception: matches!(code, 1..=3),
            server_abort: code == 4,
            server_busy: matches!(code, 5 | 6),
            server_nak: code == 7,
            write_timeout: false,
            listen_only: false,
        }
    }
}

const fn is_set(byte: u8, n: u8) -> bool {
    byte & (1 << n) != 0
}

const fn bit(on: bool, n: u8) -> u8 {
    if on { 1 << n } else { 0 }
}

impl CommEvent {
    /// The event a log byte encodes. The bits the spec leaves unused are ignored.
    ///
    /// ```
    /// # use msm_proto::CommEvent;
    /// assert!(matches!(CommEvent::from_byte(0x82), CommEvent::Received(r) if r.communication_error));
    /// assert_eq!(CommEvent::from_byte(0x20), CommEvent::Other(0x20));
    /// ```
    pub const fn from_byte(byte: u8) -> CommEvent {
        match byte {
            0x80..=0xFF => CommEvent::Received(ReceiveEvent {
                communication_error: is_set(byte, 1),
                character_overrun: is_set(byte, 4),
                listen_only: is_set(byte, 5),
                broadcast: is_set(byte, 6),
            }),
            0x40..=0x7F => CommEvent::Sent(SendEvent {
                read_exception: is_set(byte, 0),
                server_abort: is_set(byte, 1),
                server_busy: is_set(byte, 2),
                server_nak: is_set(byte, 3),
                write_timeout: is_set(byte, 4),
                listen_only: is_set(byte, 5),
            }),
            0x04 => CommEvent::EnteredListenOnly,
            0x00 => CommEvent::Restarted,
            other => CommEvent::Other(other),
        }
    }

    /// The log byte of this event.
    ///
    /// ```
    /// # use msm_proto::{CommEvent, ReceiveEvent};
    /// let overrun = ReceiveEvent { character_overrun: true, ..ReceiveEvent::default() };
    /// assert_eq!(CommEvent::Received(overrun).to_byte(), 0x90);
    /// ```
    pub const fn to_byte(self) -> u8 {
        match self {
            CommEvent::Received(r) => {
                0x80 | bit(r.communication_error, 1)
                    | bit(r.character_overrun, 4)
                    | bit(r.listen_only, 5)
                    | bit(r.broadcast, 6)
            }
            CommEvent::Sent(s) => {
                0x40 | bit(s.read_exception, 0)
                    | bit(s.server_abort, 1)
                    | bit(s.server_busy, 2)
                    | bit(s.server_nak, 3)
                    | bit(s.write_timeout, 4)
                    | bit(s.listen_only, 5)
            }
            CommEvent::EnteredListenOnly => 0x04,
            CommEvent::Restarted => 0x00,
            CommEvent::Other(byte) => byte,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_reads_and_the_used_bits_come_back() {
        const UNUSED_RECEIVE_BITS: u8 = 0b0000_1101;
        for byte in 0..=u8::MAX {
            let event = CommEvent::from_byte(byte);
            let expected = if byte >= 0x80 {
                byte & !UNUSED_RECEIVE_BITS
            } else {
                byte
            };
            assert_eq!(event.to_byte(), expected, "{byte:#04x}");
        }
    }
}
