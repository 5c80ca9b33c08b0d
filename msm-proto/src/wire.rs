//! Bounds-checked writing into a caller's buffer.
//!
//! Encoders compute their length first and check the buffer once (to report how much was
//! needed); the writer still checks every write, so a length bug can only ever become an
//! error, never a panic.

use super::EncodeError;

/// Writes big-endian fields one after another into a buffer.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer over `buf`, which must hold at least `needed` bytes.
    pub(crate) fn new(buf: &'a mut [u8], needed: usize) -> Result<Self, EncodeError> {
        if buf.len() < needed {
            return Err(EncodeError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        }
        Ok(Self { buf, pos: 0 })
    }

    pub(crate) fn u8(&mut self, value: u8) -> Result<(), EncodeError> {
        self.bytes(&[value])
    }

    pub(crate) fn u16(&mut self, value: u16) -> Result<(), EncodeError> {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let dest = self.take(bytes.len())?;
        dest.copy_from_slice(bytes);
        Ok(())
    }

    /// The next `len` bytes, for a caller that fills them itself.
    pub(crate) fn take(&mut self, len: usize) -> Result<&mut [u8], EncodeError> {
        let end = self.pos.saturating_add(len);
        let available = self.buf.len();
        let dest = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EncodeError::BufferTooSmall {
                needed: end,
                available,
            })?;
        self.pos = end;
        Ok(dest)
    }

    /// Bytes written so far.
    pub(crate) fn finish(self) -> usize {
        self.pos
    }
}

/// The big-endian u16 at `offset`, if the bytes are there.
pub(crate) fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    let pair = bytes.get(offset..)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes(*pair))
}

/// FC5's value on the wire: 0xFF00 for ON, 0x0000 for OFF.
pub(crate) const fn coil_word(on: bool) -> u16 {
    if on { 0xFF00 } else { 0x0000 }
}

/// The 1..=max check shared by every quantity field of the spec.
pub(crate) const fn quantity_ok(value: usize, max: u16) -> bool {
    value >= 1 && value <= max as usize
}

/// Runs a PDU encoder on the bytes after a serial frame's address byte (RTU, ASCII),
/// reporting a buffer shortage for the whole frame as `frame_len` sizes it from the PDU's
/// length, and checking that the whole frame fits once the PDU is known.
pub(crate) fn pdu_after_address(
    buf: &mut [u8],
    frame_len: fn(usize) -> usize,
    encode: impl FnOnce(&mut [u8]) -> Result<usize, crate::EncodeError>,
) -> Result<usize, crate::EncodeError> {
    use crate::EncodeError;
    let available = buf.len();
    let pdu_area = buf.get_mut(1..).unwrap_or_default();
    let pdu_len = encode(pdu_area).map_err(|err| match err {
        EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
            needed: frame_len(needed),
            available,
        },
        other => other,
    })?;
    let needed = frame_len(pdu_len);
    if needed > available {
        return Err(EncodeError::BufferTooSmall { needed, available });
    }
    Ok(pdu_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_reports_shortage_up_front_and_per_write() {
        let mut small = [0u8; 2];
        assert_eq!(
            Writer::new(&mut small, 3).err(),
            Some(EncodeError::BufferTooSmall {
                needed: 3,
                available: 2
            })
        );
        let mut w = Writer::new(&mut small, 0).expect("fits");
        w.u16(0xABCD).expect("fits");
        assert!(w.u8(1).is_err());
        assert_eq!(w.finish(), 2);
        assert_eq!(small, [0xAB, 0xCD]);
    }

    #[test]
    fn u16_at_is_none_past_the_end() {
        assert_eq!(u16_at(&[1, 2, 3], 1), Some(0x0203));
        assert_eq!(u16_at(&[1, 2, 3], 2), None);
        assert_eq!(u16_at(&[1, 2, 3], usize::MAX), None);
    }
}
