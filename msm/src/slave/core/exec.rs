//! The sans-IO core of the slave: one request PDU in, one response PDU out, executed
//! against the memory.
//!
//! Checks follow the spec's order: function (01), then quantity and byte count (03, by
//! the codec), then address range (02), then the hooks (read-only ranges: 02; the write
//! validator: its own code), then execution. A read is one copy from the area's wire
//! image into the response; a write is one copy the other way, stamped and reported
//! with [`State::record_write`](crate::memory::State) under the same lock, so a master
//! never sees half of one and every write is whole or absent.

use crate::memory::{Area, AreaData, AreaSpec, Memory, Origin, Peer, WHOLE};
use crate::protocol::{
    Bits, ExceptionCode, FunctionCode, Registers, Request, encode_exception, read_response_body,
};

use super::hooks::{WriteRequest, WriteValues};
use super::rules::{Rules, index_in};
use super::service::NoAnswer;
use super::{exec_device, exec_files};
use crate::authz::AccessRequest;

/// Who asked, and what the slave is allowed to do.
pub(crate) struct Context<'a> {
    pub(crate) rules: &'a Rules,
    /// The areas of the memory the request runs against.
    pub(crate) specs: &'a [AreaSpec; 4],
    pub(crate) peer: Peer,
    pub(crate) unit: u8,
    /// The client's role (from its TLS certificate; `None` is the NULL role).
    pub(crate) role: Option<&'a str>,
}

/// Executes the request `pdu` and writes the response PDU to the front of `out` (which
/// holds at least 253 bytes). Returns the response's length, or why there is nothing to
/// answer: an empty PDU (no function code to answer with), or FC08/04 (force listen-only
/// mode, which is never answered).
pub(crate) fn execute(
    pdu: &[u8],
    mem: &Memory,
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, NoAnswer> {
    let request = match Request::decode(pdu) {
        Ok(request) => request,
        Err(error) => {
            let (Some(code), Some(function)) = (error.exception(), error.function()) else {
                return Err(NoAnswer::NoFunction);
            };
            tracing::debug!(peer = %ctx.peer, unit = ctx.unit, %error, %code, "request refused");
            return exception(out, function, code);
        }
    };
    let function = request.function().value();
    if let Some(authorize) = &ctx.rules.authorizer {
        let access = AccessRequest::of(ctx.unit, &request);
        if !authorize(ctx.role, &access) {
            // a request the role may not make is answered with exception 01.
            tracing::warn!(
                peer = %ctx.peer, role = %crate::types::Escaped(ctx.role.unwrap_or("(none)")), request = %access,
                "request refused: the role has no right to it"
            );
            return exception(out, function, ExceptionCode::IllegalFunction);
        }
    }
    if let Some(check) = &ctx.rules.unit_available
        && let Err(code) = check(&AccessRequest::of(ctx.unit, &request))
    {
        tracing::debug!(peer = %ctx.peer, unit = ctx.unit, %code, "unit not available: request refused");
        return exception(out, function, code);
    }
    if let Request::Diagnostics {
        sub_function: 0x04, ..
    } = request
    {
        // Force listen-only mode: taken, never answered.
        ctx.rules.diagnostics.force_listen_only();
        tracing::info!(peer = %ctx.peer, unit = ctx.unit, "listen-only mode (FC08/04): no answers until FC08/01");
        return Err(NoAnswer::ListenOnly);
    }
    match run(request, pdu, mem, ctx, out) {
        Ok(len) => Ok(len),
        Err(code) => {
            tracing::debug!(
                peer = %ctx.peer, unit = ctx.unit, function = %request.function(), %code,
                "request refused"
            );
            exception(out, function, code)
        }
    }
}

fn exception(out: &mut [u8], function: u8, code: ExceptionCode) -> Result<usize, NoAnswer> {
    encode_exception(out, function, code).map_err(|_| NoAnswer::TooLong)
}

/// What every failure of a response encoding means here: our bug, not the peer's.
pub(super) const FAILURE: ExceptionCode = ExceptionCode::ServerDeviceFailure;

fn run(
    request: Request<'_>,
    pdu: &[u8],
    mem: &Memory,
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    match request {
        Request::ReadCoils { address, quantity } => {
            read_bits(mem, ctx, Area::Coil, 0x01, address, quantity, out)
        }
        Request::ReadDiscreteInputs { address, quantity } => {
            read_bits(mem, ctx, Area::Discrete, 0x02, address, quantity, out)
        }
        Request::ReadHoldingRegisters { address, quantity } => {
            let index = ctx.index(Area::Holding, address, quantity)?;
            let st = mem.lock();
            copy_registers(st.area(Area::Holding), index, quantity, 0x03, out)
        }
        Request::ReadInputRegisters { address, quantity } => {
            let index = ctx.index(Area::Input, address, quantity)?;
            let st = mem.lock();
            copy_registers(st.area(Area::Input), index, quantity, 0x04, out)
        }
        Request::WriteSingleCoil { address, value } => {
            let byte = [u8::from(value)];
            let bits = Bits::new(&byte, 1).map_err(|_| FAILURE)?;
            let values = WriteValues::Bits(bits);
            write_values(mem, ctx, request.function(), address, values)?;
            echo(pdu, pdu.len(), out)
        }
        Request::WriteSingleRegister { address, value } => {
            let bytes = value.to_be_bytes();
            let regs = Registers::new(&bytes).map_err(|_| FAILURE)?;
            let values = WriteValues::Registers(regs);
            write_values(mem, ctx, request.function(), address, values)?;
            echo(pdu, pdu.len(), out)
        }
        Request::WriteMultipleCoils { address, values } => {
            let values = WriteValues::Bits(values);
            write_values(mem, ctx, request.function(), address, values)?;
            echo(pdu, 5, out)
        }
        Request::WriteMultipleRegisters { address, values } => {
            let values = WriteValues::Registers(values);
            write_values(mem, ctx, request.function(), address, values)?;
            echo(pdu, 5, out)
        }
        Request::MaskWriteRegister {
            address,
            and_mask,
            or_mask,
        } => {
            let values = WriteValues::Mask { and_mask, or_mask };
            write_values(mem, ctx, request.function(), address, values)?;
            echo(pdu, pdu.len(), out)
        }
        Request::ReadWriteMultipleRegisters {
            read_address,
            read_quantity,
            write_address,
            values,
        } => {
            let read_index = ctx.index(Area::Holding, read_address, read_quantity)?;
            let count = values.len() as u16;
            let w = ctx.write(
                request.function(),
                Area::Holding,
                write_address,
                count,
                WriteValues::Registers(values),
            )?;
            // The write, then the read, in one lock: the master reads what it wrote.
            let mut st = mem.lock();
            st.area_mut(Area::Holding)
                .registers_mut(w.index, values.len())
                .copy_from_slice(values.as_bytes());
            st.record_write(
                Area::Holding,
                w.index,
                values.len(),
                Origin::Remote(ctx.peer),
            );
            copy_registers(st.area(Area::Holding), read_index, read_quantity, 0x17, out)
        }
        Request::Diagnostics { sub_function, data } => {
            exec_device::diagnostics(sub_function, data, pdu, ctx, out)
        }
        Request::ReadExceptionStatus => exec_device::exception_status(mem, ctx, out),
        Request::GetCommEventCounter => exec_device::event_counter(ctx, out),
        Request::GetCommEventLog => exec_device::event_log(ctx, out),
        Request::ReportServerId => ctx.rules.server_id.respond(ctx.unit, out),
        Request::ReadFileRecord(reads) => exec_files::read(reads, mem, out),
        Request::WriteFileRecord(writes) => exec_files::write(writes, pdu, mem, ctx, out),
        Request::ReadFifoQueue { address } => exec_files::fifo(address, mem, ctx, out),
        Request::ReadDeviceIdentification {
            read_code,
            object_id,
        } => ctx.rules.objects.respond(read_code, object_id, out),
        Request::Custom { .. } => Err(ExceptionCode::IllegalFunction),
    }
}

/// A write that passed every check, ready to apply.
struct Checked {
    area: Area,
    index: usize,
    count: usize,
}

impl Context<'_> {
    pub(super) fn index(
        &self,
        area: Area,
        address: u16,
        count: u16,
    ) -> Result<usize, ExceptionCode> {
        index_in(self.specs, area, address, count).ok_or(ExceptionCode::IllegalDataAddress)
    }

    /// Address range, read-only ranges, then the validator: everything that may refuse
    /// a write, before the memory is touched. The validator runs without the memory's
    /// lock, so it may read the memory's variables.
    fn write(
        &self,
        function: FunctionCode,
        area: Area,
        address: u16,
        count: u16,
        values: WriteValues<'_>,
    ) -> Result<Checked, ExceptionCode> {
        let index = self.index(area, address, count)?;
        if self
            .rules
            .read_only
            .iter()
            .any(|r| r.overlaps(area, address, count))
        {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        if let Some(validate) = &self.rules.validator {
            validate(&WriteRequest {
                peer: self.peer,
                unit: self.unit,
                function,
                area,
                address,
                count,
                values,
                file: None,
            })?;
        }
        Ok(Checked {
            area,
            index,
            count: usize::from(count),
        })
    }
}

/// FC5, FC6, FC15, FC16 and FC22: `values` written from `address` once every check
/// passed, and recorded, under one lock.
fn write_values(
    mem: &Memory,
    ctx: &Context<'_>,
    function: FunctionCode,
    address: u16,
    values: WriteValues<'_>,
) -> Result<(), ExceptionCode> {
    let (area, count) = match values {
        WriteValues::Bits(bits) => (Area::Coil, bits.len()),
        WriteValues::Registers(regs) => (Area::Holding, regs.len()),
        WriteValues::Mask { .. } => (Area::Holding, 1),
    };
    let w = ctx.write(function, area, address, count as u16, values)?;
    let mut st = mem.lock();
    let data = st.area_mut(w.area);
    // The bits written: a mask write leaves those its AND mask keeps.
    let mask = match values {
        WriteValues::Bits(bits) => {
            data.write_bits(w.index, w.count, bits.as_bytes());
            WHOLE
        }
        WriteValues::Registers(regs) => {
            data.registers_mut(w.index, w.count)
                .copy_from_slice(regs.as_bytes());
            WHOLE
        }
        WriteValues::Mask { and_mask, or_mask } => {
            let reg = data.registers_mut(w.index, 1);
            let current = u16::from_be_bytes([reg[0], reg[1]]);
            let new = (current & and_mask) | (or_mask & !and_mask);
            reg.copy_from_slice(&new.to_be_bytes());
            !and_mask
        }
    };
    st.record_write_masked(w.area, w.index, w.count, mask, Origin::Remote(ctx.peer));
    Ok(())
}

fn read_bits(
    mem: &Memory,
    ctx: &Context<'_>,
    area: Area,
    function: u8,
    address: u16,
    quantity: u16,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    let index = ctx.index(area, address, quantity)?;
    let bytes = usize::from(quantity).div_ceil(8);
    let body = read_response_body(out, function, bytes as u8).map_err(|_| FAILURE)?;
    mem.lock()
        .area(area)
        .read_bits(index, usize::from(quantity), body);
    Ok(2 + bytes)
}

fn copy_registers(
    data: &AreaData,
    index: usize,
    quantity: u16,
    function: u8,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    let bytes = usize::from(quantity) * 2;
    let body = read_response_body(out, function, bytes as u8).map_err(|_| FAILURE)?;
    body.copy_from_slice(data.registers(index, usize::from(quantity)));
    Ok(2 + bytes)
}

/// The first `len` bytes of the request, as the response (writes and FC8 echoes).
pub(super) fn echo(pdu: &[u8], len: usize, out: &mut [u8]) -> Result<usize, ExceptionCode> {
    let src = pdu.get(..len).ok_or(FAILURE)?;
    out.get_mut(..len).ok_or(FAILURE)?.copy_from_slice(src);
    Ok(len)
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
