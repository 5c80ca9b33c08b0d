//! FC08 Diagnostics: the sub-function codes, what each one's data must be, and typed
//! forms of a diagnostics request and response.
//!
//! On the wire FC08 is a sub-function and data ([`Request::Diagnostics`],
//! [`Response::Diagnostics`]); every sub-function decodes, so a code the spec does not
//! define stays representable. For the ones it does define, [`Request::decode`] and
//! [`Response::decode`] check the data as the spec lays it out (0x0000 for the counters,
//! 0x0000 or 0xFF00 for a restart, a character and 0x00 for the ASCII delimiter), and
//! [`DiagnosticsRequest`] / [`DiagnosticsResponse`] name what they mean.
//!
//! [`Request::Diagnostics`]: crate::Request::Diagnostics
//! [`Response::Diagnostics`]: crate::Response::Diagnostics
//! [`Request::decode`]: crate::Request::decode
//! [`Response::decode`]: crate::Response::decode

use core::fmt;

use super::wire::Writer;
use super::{
    DiagnosticsSubFunction, EncodeError, MAX_DIAGNOSTICS_DATA_LEN, RequestError, ResponseError,
};

/// One of the eight counters FC08 returns (sub-functions 0x0B..=0x12), as the serial
/// line spec defines them.
///
/// ```
/// use msm_proto::{DiagnosticCounter, DiagnosticsSubFunction};
///
/// let counter = DiagnosticCounter::from_sub_function(0x0E);
/// assert_eq!(counter, Some(DiagnosticCounter::ServerMessages));
/// assert_eq!(DiagnosticCounter::ServerMessages.sub_function(), DiagnosticsSubFunction::ServerMessageCount);
/// assert_eq!(DiagnosticCounter::ALL.len(), 8);
/// assert_eq!(DiagnosticCounter::BusMessages.to_string(), "bus messages");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticCounter {
    /// 0x0B: messages seen on the bus (every valid frame, for this server or not).
    BusMessages,
    /// 0x0C: communication errors: frames dropped for a bad CRC/LRC or framing.
    BusCommunicationErrors,
    /// 0x0D: exception responses sent.
    BusExceptionErrors,
    /// 0x0E: messages addressed to this server, or broadcast, that it processed.
    ServerMessages,
    /// 0x0F: messages addressed to this server it gave no response to (broadcasts,
    /// listen-only mode).
    ServerNoResponses,
    /// 0x10: NAK exceptions (07) sent.
    ServerNaks,
    /// 0x11: server busy exceptions (06) sent.
    ServerBusy,
    /// 0x12: messages lost to a character overrun (bytes came faster than they were
    /// taken).
    BusCharacterOverruns,
}

impl DiagnosticCounter {
    /// Every counter, in sub-function order.
    pub const ALL: [DiagnosticCounter; 8] = [
        Self::BusMessages,
        Self::BusCommunicationErrors,
        Self::BusExceptionErrors,
        Self::ServerMessages,
        Self::ServerNoResponses,
        Self::ServerNaks,
        Self::ServerBusy,
        Self::BusCharacterOverruns,
    ];

    /// The counter a sub-function code returns, `None` for a code that is not a counter.
    ///
    /// ```
    /// # use msm_proto::DiagnosticCounter;
    /// assert_eq!(DiagnosticCounter::from_sub_function(0x12), Some(DiagnosticCounter::BusCharacterOverruns));
    /// assert_eq!(DiagnosticCounter::from_sub_function(0x0A), None);
    /// ```
    pub const fn from_sub_function(code: u16) -> Option<Self> {
        Some(match code {
            0x0B => Self::BusMessages,
            0x0C => Self::BusCommunicationErrors,
            0x0D => Self::BusExceptionErrors,
            0x0E => Self::ServerMessages,
            0x0F => Self::ServerNoResponses,
            0x10 => Self::ServerNaks,
            0x11 => Self::ServerBusy,
            0x12 => Self::BusCharacterOverruns,
            _ => return None,
        })
    }

    /// The sub-function that returns this counter.
    ///
    /// ```
    /// # use msm_proto::{DiagnosticCounter, DiagnosticsSubFunction};
    /// assert_eq!(DiagnosticCounter::ServerBusy.sub_function().value(), 0x11);
    /// ```
    pub const fn sub_function(self) -> DiagnosticsSubFunction {
        DiagnosticsSubFunction::from_u16(self.code())
    }

    /// Where the counter sits in [`DiagnosticCounter::ALL`] (0..=7).
    ///
    /// ```
    /// # use msm_proto::DiagnosticCounter;
    /// assert_eq!(DiagnosticCounter::BusCharacterOverruns.index(), 7);
    /// ```
    pub const fn index(self) -> usize {
        (self.code() - 0x0B) as usize
    }

    const fn code(self) -> u16 {
        match self {
            Self::BusMessages => 0x0B,
            Self::BusCommunicationErrors => 0x0C,
            Self::BusExceptionErrors => 0x0D,
            Self::ServerMessages => 0x0E,
            Self::ServerNoResponses => 0x0F,
            Self::ServerNaks => 0x10,
            Self::ServerBusy => 0x11,
            Self::BusCharacterOverruns => 0x12,
        }
    }
}

impl fmt::Display for DiagnosticCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BusMessages => "bus messages",
            Self::BusCommunicationErrors => "bus communication errors",
            Self::BusExceptionErrors => "bus exception errors",
            Self::ServerMessages => "server messages",
            Self::ServerNoResponses => "server no responses",
            Self::ServerNaks => "server NAKs",
            Self::ServerBusy => "server busy",
            Self::BusCharacterOverruns => "bus character overruns",
        })
    }
}

/// What an FC08 request asks, typed. [`DiagnosticsRequest::parse`] reads it from the
/// sub-function and data of a [`Request::Diagnostics`](crate::Request::Diagnostics);
/// [`DiagnosticsRequest::encode`] writes the whole request PDU.
///
/// ```
/// use msm_proto::{DiagnosticCounter, DiagnosticsRequest, Request};
///
/// let mut buf = [0u8; 8];
/// let len = DiagnosticsRequest::ReturnCounter(DiagnosticCounter::BusMessages).encode(&mut buf)?;
/// assert_eq!(&buf[..len], [0x08, 0x00, 0x0B, 0x00, 0x00]);
///
/// let Request::Diagnostics { sub_function, data } = Request::decode(&[0x08, 0x00, 0x01, 0xFF, 0x00])? else {
///     panic!("FC08")
/// };
/// assert_eq!(
///     DiagnosticsRequest::parse(sub_function, data)?,
///     DiagnosticsRequest::RestartCommunications { clear_log: true }
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticsRequest<'a> {
    /// 0x00: echo this data.
    ReturnQueryData(&'a [u8]),
    /// 0x01: restart communications; `clear_log` (data 0xFF00) also clears the comm
    /// event log.
    RestartCommunications {
        /// Clear the comm event log too.
        clear_log: bool,
    },
    /// 0x02: return the diagnostic register.
    ReturnDiagnosticRegister,
    /// 0x03: end ASCII messages with this character from now on.
    ChangeAsciiInputDelimiter(u8),
    /// 0x04: enter listen-only mode (no response).
    ForceListenOnlyMode,
    /// 0x0A: clear the counters and the diagnostic register.
    ClearCounters,
    /// 0x0B..=0x12: return a counter.
    ReturnCounter(DiagnosticCounter),
    /// 0x14: clear the overrun counter and flag.
    ClearOverrunCounter,
    /// A sub-function the spec does not define, with its data.
    Other {
        /// The sub-function code.
        sub_function: u16,
        /// The data after it.
        data: &'a [u8],
    },
}

impl<'a> DiagnosticsRequest<'a> {
    /// The typed request for a sub-function and its data, checked as
    /// [`Request::decode`](crate::Request::decode) checks them: data 0x0000 for the
    /// counters and the clear and listen-only sub-functions, 0x0000 or 0xFF00 for a
    /// restart, a character and 0x00 for the ASCII delimiter. A failure is an error
    /// whose exception is 03 (Illegal Data Value).
    ///
    /// ```
    /// use msm_proto::{DiagnosticsRequest, ExceptionCode};
    ///
    /// assert_eq!(DiagnosticsRequest::parse(3, &[b'\r', 0])?, DiagnosticsRequest::ChangeAsciiInputDelimiter(b'\r'));
    /// let err = DiagnosticsRequest::parse(0x0B, &[0, 1]).unwrap_err();
    /// assert_eq!(err.exception(), Some(ExceptionCode::IllegalDataValue));
    /// # Ok::<(), msm_proto::RequestError>(())
    /// ```
    pub fn parse(sub_function: u16, data: &'a [u8]) -> Result<Self, RequestError> {
        let refused = |rule| RequestError::DiagnosticsData { sub_function, rule };
        Ok(match DiagnosticsSubFunction::from_u16(sub_function) {
            DiagnosticsSubFunction::ReturnQueryData => Self::ReturnQueryData(data),
            DiagnosticsSubFunction::RestartCommunications => Self::RestartCommunications {
                clear_log: restart_option(data).ok_or(refused(RESTART_RULE))?,
            },
            DiagnosticsSubFunction::ChangeAsciiInputDelimiter => {
                Self::ChangeAsciiInputDelimiter(delimiter(data).ok_or(refused(DELIMITER_RULE))?)
            }
            DiagnosticsSubFunction::Other(_) => Self::Other { sub_function, data },
            known => {
                if data != ZERO {
                    return Err(refused(ZERO_RULE));
                }
                match known {
                    DiagnosticsSubFunction::ReturnDiagnosticRegister => {
                        Self::ReturnDiagnosticRegister
                    }
                    DiagnosticsSubFunction::ForceListenOnlyMode => Self::ForceListenOnlyMode,
                    DiagnosticsSubFunction::ClearCounters => Self::ClearCounters,
                    DiagnosticsSubFunction::ClearOverrunCounter => Self::ClearOverrunCounter,
                    _ => match DiagnosticCounter::from_sub_function(sub_function) {
                        Some(counter) => Self::ReturnCounter(counter),
                        None => Self::Other { sub_function, data },
                    },
                }
            }
        })
    }

    /// The sub-function code.
    ///
    /// ```
    /// # use msm_proto::{DiagnosticsRequest, DiagnosticsSubFunction};
    /// assert_eq!(DiagnosticsRequest::ClearCounters.sub_function(), DiagnosticsSubFunction::ClearCounters);
    /// ```
    pub const fn sub_function(&self) -> DiagnosticsSubFunction {
        DiagnosticsSubFunction::from_u16(match *self {
            Self::ReturnQueryData(_) => 0x00,
            Self::RestartCommunications { .. } => 0x01,
            Self::ReturnDiagnosticRegister => 0x02,
            Self::ChangeAsciiInputDelimiter(_) => 0x03,
            Self::ForceListenOnlyMode => 0x04,
            Self::ClearCounters => 0x0A,
            Self::ReturnCounter(counter) => counter.code(),
            Self::ClearOverrunCounter => 0x14,
            Self::Other { sub_function, .. } => sub_function,
        })
    }

    /// Writes the whole request PDU (function code 0x08, sub-function, data) into the
    /// front of `buf` and returns its length. `Other` with a defined sub-function code
    /// is refused when its data breaks that sub-function's rule, as is echo data over
    /// 250 bytes.
    ///
    /// ```
    /// use msm_proto::DiagnosticsRequest;
    ///
    /// let mut buf = [0u8; 8];
    /// let len = DiagnosticsRequest::ChangeAsciiInputDelimiter(b'\r').encode(&mut buf)?;
    /// assert_eq!(&buf[..len], [0x08, 0x00, 0x03, 0x0D, 0x00]);
    /// # Ok::<(), msm_proto::EncodeError>(())
    /// ```
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let word;
        let data: &[u8] = match *self {
            Self::ReturnQueryData(data) | Self::Other { data, .. } => data,
            Self::RestartCommunications { clear_log } => {
                word = [if clear_log { 0xFF } else { 0x00 }, 0x00];
                &word
            }
            Self::ChangeAsciiInputDelimiter(ch) => {
                word = [ch, 0x00];
                &word
            }
            _ => &ZERO,
        };
        encode_pdu(buf, self.sub_function().value(), data, check_request_data)
    }
}

/// What an FC08 response says, typed ([`DiagnosticsResponse::parse`] from a
/// [`Response::Diagnostics`](crate::Response::Diagnostics)).
///
/// ```
/// use msm_proto::{DiagnosticCounter, DiagnosticsResponse, Response};
///
/// let Response::Diagnostics { sub_function, data } = Response::decode(&[0x08, 0x00, 0x0E, 0x01, 0x2C])? else {
///     panic!("FC08")
/// };
/// assert_eq!(
///     DiagnosticsResponse::parse(sub_function, data)?,
///     DiagnosticsResponse::Counter { counter: DiagnosticCounter::ServerMessages, value: 300 }
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticsResponse<'a> {
    /// 0x00: the data echoed.
    ReturnQueryData(&'a [u8]),
    /// 0x01: the restart request echoed (sent before the restart).
    RestartCommunications {
        /// The request asked to clear the comm event log too.
        clear_log: bool,
    },
    /// 0x02: the diagnostic register.
    DiagnosticRegister(u16),
    /// 0x03: the new ASCII input delimiter, echoed.
    ChangeAsciiInputDelimiter(u8),
    /// 0x0A: counters cleared (the request echoed).
    ClearCounters,
    /// 0x0B..=0x12: a counter's value.
    Counter {
        /// Which counter.
        counter: DiagnosticCounter,
        /// Its value (counters wrap at 0xFFFF).
        value: u16,
    },
    /// 0x14: overrun counter cleared (the request echoed).
    ClearOverrunCounter,
    /// Any other sub-function (0x04, which is never answered, included), with its data.
    Other {
        /// The sub-function code.
        sub_function: u16,
        /// The data after it.
        data: &'a [u8],
    },
}

impl<'a> DiagnosticsResponse<'a> {
    /// The typed response for a sub-function and its data, checked as
    /// [`Response::decode`](crate::Response::decode) checks them: a counter or the
    /// diagnostic register is one 16-bit word, the echoes as their requests.
    ///
    /// ```
    /// use msm_proto::{DiagnosticsResponse, ResponseError};
    ///
    /// assert_eq!(DiagnosticsResponse::parse(2, &[0x00, 0x01])?, DiagnosticsResponse::DiagnosticRegister(1));
    /// assert!(matches!(
    ///     DiagnosticsResponse::parse(0x0B, &[0x01]),
    ///     Err(ResponseError::DiagnosticsData { sub_function: 0x0B, .. })
    /// ));
    /// # Ok::<(), ResponseError>(())
    /// ```
    pub fn parse(sub_function: u16, data: &'a [u8]) -> Result<Self, ResponseError> {
        let refused = |rule| ResponseError::DiagnosticsData { sub_function, rule };
        let word = || match *data {
            [hi, lo] => Ok(u16::from_be_bytes([hi, lo])),
            _ => Err(refused(WORD_RULE)),
        };
        Ok(match DiagnosticsSubFunction::from_u16(sub_function) {
            DiagnosticsSubFunction::ReturnQueryData => Self::ReturnQueryData(data),
            DiagnosticsSubFunction::RestartCommunications => Self::RestartCommunications {
                clear_log: restart_option(data).ok_or(refused(RESTART_RULE))?,
            },
            DiagnosticsSubFunction::ReturnDiagnosticRegister => Self::DiagnosticRegister(word()?),
            DiagnosticsSubFunction::ChangeAsciiInputDelimiter => {
                Self::ChangeAsciiInputDelimiter(delimiter(data).ok_or(refused(DELIMITER_RULE))?)
            }
            DiagnosticsSubFunction::ClearCounters | DiagnosticsSubFunction::ClearOverrunCounter
                if data != ZERO =>
            {
                return Err(refused(ZERO_RULE));
            }
            DiagnosticsSubFunction::ClearCounters => Self::ClearCounters,
            DiagnosticsSubFunction::ClearOverrunCounter => Self::ClearOverrunCounter,
            _ => match DiagnosticCounter::from_sub_function(sub_function) {
                Some(counter) => Self::Counter {
                    counter,
                    value: word()?,
                },
                None => Self::Other { sub_function, data },
            },
        })
    }

    /// The sub-function code.
    ///
    /// ```
    /// # use msm_proto::{DiagnosticsResponse, DiagnosticsSubFunction};
    /// assert_eq!(DiagnosticsResponse::DiagnosticRegister(0).sub_function(), DiagnosticsSubFunction::ReturnDiagnosticRegister);
    /// ```
    pub const fn sub_function(&self) -> DiagnosticsSubFunction {
        DiagnosticsSubFunction::from_u16(match *self {
            Self::ReturnQueryData(_) => 0x00,
            Self::RestartCommunications { .. } => 0x01,
            Self::DiagnosticRegister(_) => 0x02,
            Self::ChangeAsciiInputDelimiter(_) => 0x03,
            Self::ClearCounters => 0x0A,
            Self::Counter { counter, .. } => counter.code(),
            Self::ClearOverrunCounter => 0x14,
            Self::Other { sub_function, .. } => sub_function,
        })
    }

    /// Writes the whole response PDU into the front of `buf` and returns its length.
    ///
    /// ```
    /// use msm_proto::{DiagnosticCounter, DiagnosticsResponse};
    ///
    /// let mut buf = [0u8; 8];
    /// let r = DiagnosticsResponse::Counter { counter: DiagnosticCounter::BusMessages, value: 0x0102 };
    /// let len = r.encode(&mut buf)?;
    /// assert_eq!(&buf[..len], [0x08, 0x00, 0x0B, 0x01, 0x02]);
    /// # Ok::<(), msm_proto::EncodeError>(())
    /// ```
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let word;
        let data: &[u8] = match *self {
            Self::ReturnQueryData(data) | Self::Other { data, .. } => data,
            Self::RestartCommunications { clear_log } => {
                word = [if clear_log { 0xFF } else { 0x00 }, 0x00];
                &word
            }
            Self::ChangeAsciiInputDelimiter(ch) => {
                word = [ch, 0x00];
                &word
            }
            Self::DiagnosticRegister(value) | Self::Counter { value, .. } => {
                word = value.to_be_bytes();
                &word
            }
            Self::ClearCounters | Self::ClearOverrunCounter => &ZERO,
        };
        encode_pdu(buf, self.sub_function().value(), data, check_response_data)
    }
}

/// The data word of the sub-functions that carry none.
const ZERO: [u8; 2] = [0x00, 0x00];

const ZERO_RULE: &str = "0x0000";
const RESTART_RULE: &str = "0x0000, or 0xFF00 to clear the comm event log";
const DELIMITER_RULE: &str = "a character then 0x00";
const WORD_RULE: &str = "one 16-bit word";

/// Restart's data: `Some(clear_log)` for 0x0000 / 0xFF00.
fn restart_option(data: &[u8]) -> Option<bool> {
    match data {
        [0x00, 0x00] => Some(false),
        [0xFF, 0x00] => Some(true),
        _ => None,
    }
}

/// The ASCII delimiter's data: the character, then 0x00.
fn delimiter(data: &[u8]) -> Option<u8> {
    match *data {
        [ch, 0x00] => Some(ch),
        _ => None,
    }
}

/// Checks a request's data against its sub-function's rule ([`Request::decode`] and
/// [`Request::encode`](crate::Request::encode) alike).
pub(crate) fn check_request_data(sub_function: u16, data: &[u8]) -> Result<(), RequestError> {
    DiagnosticsRequest::parse(sub_function, data).map(|_| ())
}

/// Checks a response's data against its sub-function's rule.
pub(crate) fn check_response_data(sub_function: u16, data: &[u8]) -> Result<(), ResponseError> {
    DiagnosticsResponse::parse(sub_function, data).map(|_| ())
}

/// Whether a response to this sub-function echoes the request's data exactly.
pub(crate) const fn echoes(sub_function: u16) -> bool {
    matches!(sub_function, 0x00 | 0x01 | 0x03 | 0x0A | 0x14)
}

/// `[0x08, sub-function, data]`, after `check` accepts the data.
fn encode_pdu<E>(
    buf: &mut [u8],
    sub_function: u16,
    data: &[u8],
    check: impl FnOnce(u16, &[u8]) -> Result<(), E>,
) -> Result<usize, EncodeError> {
    if data.len() > MAX_DIAGNOSTICS_DATA_LEN {
        return Err(EncodeError::PduTooLong {
            function: 0x08,
            len: data.len().saturating_add(3),
        });
    }
    check(sub_function, data).map_err(|_| EncodeError::DiagnosticsData { sub_function })?;
    let mut w = Writer::new(buf, data.len().saturating_add(3))?;
    w.u8(0x08)?;
    w.u16(sub_function)?;
    w.bytes(data)?;
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExceptionCode;

    #[test]
    fn every_defined_sub_function_has_a_name_and_round_trips() {
        let defined = [
            0u16, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x14,
        ];
        for code in 0..=0x30u16 {
            let sub = DiagnosticsSubFunction::from_u16(code);
            assert_eq!(sub.value(), code);
            assert_eq!(
                matches!(sub, DiagnosticsSubFunction::Other(_)),
                !defined.contains(&code),
                "{code:#x}"
            );
        }
        for counter in DiagnosticCounter::ALL {
            assert_eq!(
                DiagnosticCounter::from_sub_function(counter.sub_function().value()),
                Some(counter)
            );
            assert_eq!(DiagnosticCounter::ALL[counter.index()], counter);
        }
    }

    #[test]
    fn request_data_rules() {
        let ok: &[(u16, &[u8], DiagnosticsRequest<'_>)] = &[
            (
                0,
                &[1, 2, 3],
                DiagnosticsRequest::ReturnQueryData(&[1, 2, 3]),
            ),
            (
                1,
                &[0, 0],
                DiagnosticsRequest::RestartCommunications { clear_log: false },
            ),
            (
                1,
                &[0xFF, 0],
                DiagnosticsRequest::RestartCommunications { clear_log: true },
            ),
            (2, &[0, 0], DiagnosticsRequest::ReturnDiagnosticRegister),
            (
                3,
                &[b';', 0],
                DiagnosticsRequest::ChangeAsciiInputDelimiter(b';'),
            ),
            (4, &[0, 0], DiagnosticsRequest::ForceListenOnlyMode),
            (0x0A, &[0, 0], DiagnosticsRequest::ClearCounters),
            (
                0x0F,
                &[0, 0],
                DiagnosticsRequest::ReturnCounter(DiagnosticCounter::ServerNoResponses),
            ),
            (0x14, &[0, 0], DiagnosticsRequest::ClearOverrunCounter),
            (
                0x13,
                &[9],
                DiagnosticsRequest::Other {
                    sub_function: 0x13,
                    data: &[9],
                },
            ),
        ];
        for (sub, data, typed) in ok {
            assert_eq!(DiagnosticsRequest::parse(*sub, data), Ok(*typed));
            let mut buf = [0u8; 16];
            let len = typed.encode(&mut buf).unwrap();
            assert_eq!(&buf[3..len], *data);
        }
        for (sub, data) in [
            (1u16, &[0x00, 0x01][..]),
            (1, &[0xFF]),
            (2, &[]),
            (3, &[b';', 1]),
            (4, &[0, 0, 0]),
            (0x0B, &[0, 1]),
            (0x14, &[1, 0]),
        ] {
            let err = DiagnosticsRequest::parse(sub, data).unwrap_err();
            assert_eq!(
                err.exception(),
                Some(ExceptionCode::IllegalDataValue),
                "{sub:#x}"
            );
            assert_eq!(err.function(), Some(0x08));
        }
    }

    #[test]
    fn response_data_rules() {
        assert_eq!(
            DiagnosticsResponse::parse(0x11, &[0, 7]),
            Ok(DiagnosticsResponse::Counter {
                counter: DiagnosticCounter::ServerBusy,
                value: 7
            })
        );
        assert!(DiagnosticsResponse::parse(0x11, &[0, 7, 0]).is_err());
        assert!(DiagnosticsResponse::parse(0x0A, &[0, 1]).is_err());
        assert_eq!(
            DiagnosticsResponse::parse(4, &[]),
            Ok(DiagnosticsResponse::Other {
                sub_function: 4,
                data: &[]
            })
        );
        let mut buf = [0u8; 8];
        let bad = DiagnosticsResponse::Other {
            sub_function: 0x0B,
            data: &[1],
        };
        assert_eq!(
            bad.encode(&mut buf),
            Err(EncodeError::DiagnosticsData { sub_function: 0x0B })
        );
    }
}
