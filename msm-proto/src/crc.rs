//! CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, table-driven.

/// The CRC of every byte value, built at compile time so lookup costs one table read
/// per byte instead of eight shift-and-xor steps.
const TABLE: [u16; 256] = build_table();

// `byte` runs over 0..256, the table's own indices.
#[allow(clippy::indexing_slicing)]
const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// The Modbus RTU CRC of `bytes` (address + PDU). On the wire it goes low byte first:
/// `crc.to_le_bytes()`.
///
/// ```
/// use msm_proto::rtu::crc16;
///
/// // The example of "Modbus over Serial Line V1.02": 02 07 has CRC 0x1241, sent 41 12.
/// assert_eq!(crc16(&[0x02, 0x07]), 0x1241);
/// assert_eq!(crc16(&[0x02, 0x07]).to_le_bytes(), [0x41, 0x12]);
/// ```
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc, &byte| {
        let index = usize::from((crc as u8) ^ byte);
        // A u8 index into a 256-entry table cannot be out of bounds.
        #[allow(clippy::indexing_slicing)]
        let entry = TABLE[index];
        (crc >> 8) ^ entry
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-by-bit definition the table must agree with.
    fn crc16_bitwise(bytes: &[u8]) -> u16 {
        let mut crc = 0xFFFFu16;
        for &byte in bytes {
            crc ^= u16::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xA001
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn table_agrees_with_the_bitwise_definition() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..data.len() {
            assert_eq!(crc16(&data[..len]), crc16_bitwise(&data[..len]));
        }
    }

    #[test]
    fn known_frames() {
        assert_eq!(crc16(&[]), 0xFFFF);
        // CRC-16/MODBUS check value over ASCII "123456789".
        assert_eq!(crc16(b"123456789"), 0x4B37);
        // A read of 3 holding registers from 0x6B at slave 0x11: CRC bytes 76 87.
        assert_eq!(
            crc16(&[0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]).to_le_bytes(),
            [0x76, 0x87]
        );
    }
}
