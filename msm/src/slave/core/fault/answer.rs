//! The answer a fault gives instead of the normal one.
//!
//! `exception` and `close` do not execute the request (a device that refuses or goes
//! away has done nothing); every other action executes it and spoils its answer: lost
//! (`drop`), late (`delay`), cut short, framed wrong, paced, or replaced by noise. That
//! is what a master's retry meets on a real line: the first write did land.

use crate::protocol::rtu::crc16;
use crate::protocol::{encode_exception, tcp};
use crate::types::FaultAction;

use super::super::service::{Answer, Incoming, Misframe, NoAnswer};
use super::FaultTable;
use crate::time::later;

/// The answer to `request` when `action` hits it. `execute` runs the request normally,
/// writing its response at the front of `out`; `table` gives random bytes for garbage.
pub(crate) fn answer(
    action: FaultAction,
    request: &Incoming<'_>,
    out: &mut [u8],
    table: &FaultTable,
    execute: impl FnOnce(&mut [u8]) -> Answer,
) -> Answer {
    match action {
        FaultAction::Exception(code) => {
            let Some(&function) = request.pdu.first() else {
                return Answer::Nothing(NoAnswer::NoFunction);
            };
            encode_exception(out, function & 0x7F, code)
                .map_or(Answer::Nothing(NoAnswer::TooLong), Answer::Pdu)
        }
        FaultAction::Close => Answer::Close,
        _ => match execute(out) {
            Answer::Pdu(len) => spoil(action, request, out, len, table),
            // Already late, unanswered or closing: nothing more to spoil.
            other => other,
        },
    }
}

/// The normal response (`len` bytes at the front of `out`), spoiled as `action` says.
fn spoil(
    action: FaultAction,
    request: &Incoming<'_>,
    out: &mut [u8],
    len: usize,
    table: &FaultTable,
) -> Answer {
    let misframed = |how| Answer::Misframed { len, how };
    match action {
        FaultAction::Drop => Answer::Nothing(NoAnswer::Dropped),
        FaultAction::Delay(d) => Answer::Later {
            len,
            at: later(request.at, d),
        },
        FaultAction::WrongTransaction => match request.transaction_id {
            Some(tid) => misframed(Misframe::TransactionId(!tid)),
            None => Answer::Pdu(len),
        },
        FaultAction::WrongUnit => misframed(Misframe::Unit(request.unit.wrapping_add(1))),
        FaultAction::BadCrc => misframed(Misframe::BadCheck),
        FaultAction::Trickle(pace) => misframed(Misframe::Trickle(pace)),
        FaultAction::Short => Answer::Pdu(shorten(out, len)),
        FaultAction::Garbage => Answer::Misframed {
            len: garbage(request, out, len, table),
            how: Misframe::Raw,
        },
        FaultAction::Exception(_) | FaultAction::Close => Answer::Pdu(len),
    }
}

/// The response at the front of `out` one value shorter, its byte count saying so: a
/// register fewer for register reads, the last data byte left out for bit reads, the
/// last byte for anything else. An exception response is left whole (it has no values).
/// Returns the new length.
fn shorten(out: &mut [u8], len: usize) -> usize {
    let Some(&function) = out.first() else {
        return len;
    };
    if function & 0x80 != 0 || len < 2 {
        return len;
    }
    let cut = match function {
        0x01 | 0x02 => 1,
        0x03 | 0x04 | 0x17 => 2,
        // No byte count: one byte less is all a short answer can be.
        _ => return len - 1,
    };
    if usize::from(out[1]) < cut || len < 2 + cut {
        return len;
    }
    out[1] -= cut as u8;
    len - cut
}

/// Fills the front of `out` with noise as long as the framed answer (`len` bytes of PDU)
/// would be, made sure not to be a Modbus answer: over MBAP its protocol id is not 0,
/// over RTU its CRC does not match. Returns its length.
fn garbage(request: &Incoming<'_>, out: &mut [u8], len: usize, table: &FaultTable) -> usize {
    let mbap = request.transaction_id.is_some();
    let overhead = if mbap { tcp::HEADER_LEN } else { 3 };
    let n = (len + overhead).min(out.len());
    let noise = &mut out[..n];
    table.fill_random(noise);
    if mbap {
        if noise.len() > 3 && noise[2] == 0 && noise[3] == 0 {
            noise[2] = 0x5A;
        }
    } else if n >= 3 {
        let crc = crc16(&noise[..n - 2]).to_le_bytes();
        if noise[n - 2..] == crc {
            noise[n - 1] ^= 0xFF;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_answers_carry_a_byte_count_that_matches() {
        let mut regs = [0x03, 4, 0, 1, 0, 2];
        assert_eq!(shorten(&mut regs, 6), 4);
        assert_eq!(regs[..4], [0x03, 2, 0, 1]);
        let mut bits = [0x01, 2, 0xFF, 0x01];
        assert_eq!(shorten(&mut bits, 4), 3);
        assert_eq!(bits[..3], [0x01, 1, 0xFF]);
        let mut one = [0x04, 2, 0, 9];
        assert_eq!(shorten(&mut one, 4), 2, "no register left");
        assert_eq!(one[..2], [0x04, 0]);
        let mut echo = [0x06, 0, 1, 0, 5];
        assert_eq!(shorten(&mut echo, 5), 4);
        let mut exception = [0x83, 0x02];
        assert_eq!(shorten(&mut exception, 2), 2, "an exception stays whole");
        let mut rw = [0x17, 2, 0, 7];
        assert_eq!(shorten(&mut rw, 4), 2);
        let mut empty = [0x03, 0];
        assert_eq!(shorten(&mut empty, 2), 2, "nothing left to take");
    }
}
