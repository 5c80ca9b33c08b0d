//! File records (FC20, FC21) and FIFO queues (FC24), against the memory.
//!
//! The codec checked every limit of the spec (reference type, file numbers, record
//! numbers, byte counts); here each sub-request is checked against the files the memory
//! declares (a file not declared, or records past its end: 02), all of them before the
//! first record is read or written, and a request is executed under one lock: a write
//! of several sub-requests lands whole.

use crate::memory::{Area, Memory, Origin};
use crate::protocol::{
    EncodeError, ExceptionCode, FileRead, FileReads, FileWrites, FunctionCode, MAX_FIFO_COUNT,
    encode_file_records,
};

use super::exec::{Context, FAILURE, echo};
use super::hooks::{WriteRequest, WriteValues};

/// An exception, or a response that could not be written (our bug: 04).
struct Refused(ExceptionCode);

impl From<EncodeError> for Refused {
    fn from(_: EncodeError) -> Refused {
        Refused(FAILURE)
    }
}

/// FC20: each sub-request's records copied straight into the response.
pub(super) fn read(
    reads: FileReads<'_>,
    mem: &Memory,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    let st = mem.lock();
    encode_file_records(out, reads, |read: FileRead, dest: &mut [u8]| {
        let bytes = st
            .files
            .get(read.file)
            .and_then(|f| f.bytes(read.record, usize::from(read.length)))
            .ok_or(Refused(ExceptionCode::IllegalDataAddress))?;
        dest.copy_from_slice(bytes);
        Ok(())
    })
    .map_err(|Refused(code)| code)
}

/// FC21: every sub-request checked (its file and records, then the write validator),
/// then all written under one lock and each published; the request is echoed.
pub(super) fn write(
    writes: FileWrites<'_>,
    pdu: &[u8],
    mem: &Memory,
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    {
        let st = mem.lock();
        for w in writes.iter() {
            st.files
                .get(w.file)
                .and_then(|f| f.bytes(w.record, w.values.len()))
                .ok_or(ExceptionCode::IllegalDataAddress)?;
        }
    }
    if let Some(validate) = &ctx.rules.validator {
        for w in writes.iter() {
            validate(&WriteRequest {
                peer: ctx.peer,
                unit: ctx.unit,
                function: FunctionCode::WriteFileRecord,
                area: Area::Holding,
                address: w.record,
                count: w.values.len() as u16,
                values: WriteValues::Registers(w.values),
                file: Some(w.file),
            })?;
        }
    }
    let mut st = mem.lock();
    for w in writes.iter() {
        let bytes = st
            .files
            .get_mut(w.file)
            .and_then(|f| f.bytes_mut(w.record, w.values.len()))
            .ok_or(ExceptionCode::IllegalDataAddress)?;
        bytes.copy_from_slice(w.values.as_bytes());
        st.record_file_write(w.file, w.record, w.values.len(), Origin::Remote(ctx.peer));
    }
    drop(st);
    echo(pdu, pdu.len(), out)
}

/// FC24: the FIFO at `address` (declared, else 02): the count in holding register
/// `address` (over 31: 03), then that many registers from `address + 1` (02 if the area
/// ends first).
pub(super) fn fifo(
    address: u16,
    mem: &Memory,
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    if ctx.rules.fifos.binary_search(&address).is_err() {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    let count_index = ctx.index(Area::Holding, address, 1)?;
    let st = mem.lock();
    let holding = st.area(Area::Holding);
    let count = match holding.registers(count_index, 1) {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(FAILURE),
    };
    if count > MAX_FIFO_COUNT {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let first = address.checked_add(1);
    let index = match (count, first) {
        (0, _) => 0,
        (_, Some(first)) => ctx.index(Area::Holding, first, count)?,
        (_, None) => return Err(ExceptionCode::IllegalDataAddress),
    };
    let values = holding.registers(index, usize::from(count));
    let [c0, c1] = count.to_be_bytes();
    let [b0, b1] = (2 + 2 * count).to_be_bytes();
    let len = 5 + values.len();
    let pdu = out.get_mut(..len).ok_or(FAILURE)?;
    let (head, body) = pdu.split_at_mut(5);
    head.copy_from_slice(&[0x18, b0, b1, c0, c1]);
    body.copy_from_slice(values);
    Ok(len)
}
