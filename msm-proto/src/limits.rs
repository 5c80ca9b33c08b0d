//! The numeric limits of the Modbus Application Protocol Specification V1.1b3.
//!
//! They all follow from one fact: a PDU is at most 253 bytes (a 256-byte RTU frame less
//! the address and the CRC). Each quantity limit is the largest that still fits.

/// Largest PDU (function code + data), in bytes.
///
/// ```
/// assert_eq!(msm_proto::MAX_PDU_LEN, 253);
/// ```
pub const MAX_PDU_LEN: usize = 253;

/// Most coils or discrete inputs one FC1/FC2 request may read (0x07D0).
///
/// ```
/// assert_eq!(msm_proto::MAX_READ_BITS, 2000);
/// ```
pub const MAX_READ_BITS: u16 = 2000;

/// Most coils one FC15 request may write (0x07B0).
///
/// ```
/// assert_eq!(msm_proto::MAX_WRITE_BITS, 1968);
/// ```
pub const MAX_WRITE_BITS: u16 = 1968;

/// Most registers one FC3/FC4 request may read (0x007D).
///
/// ```
/// assert_eq!(msm_proto::MAX_READ_REGISTERS, 125);
/// ```
pub const MAX_READ_REGISTERS: u16 = 125;

/// Most registers one FC16 request may write (0x007B).
///
/// ```
/// assert_eq!(msm_proto::MAX_WRITE_REGISTERS, 123);
/// ```
pub const MAX_WRITE_REGISTERS: u16 = 123;

/// Most registers the read part of one FC23 request may read (0x007D).
///
/// ```
/// assert_eq!(msm_proto::MAX_RW_READ_REGISTERS, 125);
/// ```
pub const MAX_RW_READ_REGISTERS: u16 = 125;

/// Most registers the write part of one FC23 request may write (0x0079).
///
/// ```
/// assert_eq!(msm_proto::MAX_RW_WRITE_REGISTERS, 121);
/// ```
pub const MAX_RW_WRITE_REGISTERS: u16 = 121;

/// Most data bytes after the sub-function of an FC8 (Diagnostics) PDU.
///
/// ```
/// assert_eq!(msm_proto::MAX_DIAGNOSTICS_DATA_LEN, 250);
/// ```
pub const MAX_DIAGNOSTICS_DATA_LEN: usize = MAX_PDU_LEN - 3;

/// The MEI type of Read Device Identification inside FC43 (Encapsulated Interface
/// Transport).
///
/// ```
/// assert_eq!(msm_proto::MEI_READ_DEVICE_ID, 0x0E);
/// ```
pub const MEI_READ_DEVICE_ID: u8 = 0x0E;

/// Most registers one FC24 (Read FIFO Queue) response may carry.
///
/// ```
/// assert_eq!(msm_proto::MAX_FIFO_COUNT, 31);
/// ```
pub const MAX_FIFO_COUNT: u16 = 31;

/// The only reference type of a file record sub-request (FC20, FC21).
///
/// ```
/// assert_eq!(msm_proto::FILE_REFERENCE_TYPE, 6);
/// ```
pub const FILE_REFERENCE_TYPE: u8 = 6;

/// Highest record number in a file (FC20, FC21): records are numbered 0..=9999.
///
/// ```
/// assert_eq!(msm_proto::MAX_FILE_RECORD_NUMBER, 9999);
/// ```
pub const MAX_FILE_RECORD_NUMBER: u16 = 0x270F;

/// Most records a file holds: every record number 0..=[`MAX_FILE_RECORD_NUMBER`].
///
/// ```
/// assert_eq!(msm_proto::MAX_FILE_RECORDS, 10_000);
/// ```
pub const MAX_FILE_RECORDS: u32 = MAX_FILE_RECORD_NUMBER as u32 + 1;

/// Longest comm event log an FC12 (Get Comm Event Log) response carries, in bytes.
///
/// ```
/// assert_eq!(msm_proto::MAX_COMM_EVENTS, 64);
/// ```
pub const MAX_COMM_EVENTS: usize = 64;

/// Largest byte count of a read response (125 registers or 2000 bits).
pub(crate) const MAX_READ_BYTE_COUNT: usize = 250;

/// Checks the byte count of a read response (FC1-4, FC23): 1..=250 for bits, an even
/// 2..=250 for registers. The error is the rule it breaks, for the caller's error.
pub(crate) const fn check_read_byte_count(
    byte_count: u8,
    registers: bool,
) -> Result<(), &'static str> {
    let count = byte_count as usize;
    if count == 0 || count > MAX_READ_BYTE_COUNT || (registers && !count.is_multiple_of(2)) {
        Err(if registers {
            "an even 2..=250"
        } else {
            "1..=250"
        })
    } else {
        Ok(())
    }
}

/// Bytes needed to carry `quantity` packed bits.
pub(crate) const fn bit_bytes(quantity: u16) -> usize {
    (quantity as usize).div_ceil(8)
}
