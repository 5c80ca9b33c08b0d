//! What a device says about itself: FC07 (the exception status outputs), FC08
//! (diagnostics), FC11 and FC12 (the comm event counter and log). FC17 and FC43 are
//! answered from the identity (`identity.rs`); FC08/04 by `exec::execute` itself, since
//! it is never answered.

use crate::memory::{Area, Memory};
use crate::protocol::{
    CommEventLog, DiagnosticsRequest, DiagnosticsResponse, ExceptionCode, MAX_COMM_EVENTS, Response,
};

use super::exec::{Context, FAILURE, echo};

/// How many coils make the exception status byte.
const STATUS_COILS: u16 = 8;

/// FC07: the eight coils from `exception_status_coils`, coil 0 in bit 0 (0 without
/// them). Coils missing from the memory serving the unit: 02.
pub(super) fn exception_status(
    mem: &Memory,
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    let status = match ctx.rules.exception_status_coils {
        Some(address) => {
            let index = ctx.index(Area::Coil, address, STATUS_COILS)?;
            let mut byte = [0u8; 1];
            mem.lock()
                .area(Area::Coil)
                .read_bits(index, usize::from(STATUS_COILS), &mut byte);
            byte[0]
        }
        None => 0,
    };
    Response::ReadExceptionStatus(status)
        .encode(out)
        .map_err(|_| FAILURE)
}

/// FC08: every sub-function the spec defines but 04 (`exec::execute`); an undefined one
/// is 01.
pub(super) fn diagnostics(
    sub_function: u16,
    data: &[u8],
    pdu: &[u8],
    ctx: &Context<'_>,
    out: &mut [u8],
) -> Result<usize, ExceptionCode> {
    let diag = &ctx.rules.diagnostics;
    // Decoding checked the data of every defined sub-function.
    let request = DiagnosticsRequest::parse(sub_function, data).map_err(|_| FAILURE)?;
    let answer = match request {
        DiagnosticsRequest::ReturnQueryData(_) => return echo(pdu, pdu.len(), out),
        DiagnosticsRequest::RestartCommunications { clear_log } => {
            tracing::info!(peer = %ctx.peer, unit = ctx.unit, clear_log, "restart communications (FC08/01)");
            diag.restart_after_answer(clear_log);
            return echo(pdu, pdu.len(), out);
        }
        DiagnosticsRequest::ChangeAsciiInputDelimiter(ch) => {
            diag.set_ascii_delimiter(ch);
            return echo(pdu, pdu.len(), out);
        }
        DiagnosticsRequest::ClearCounters => {
            diag.clear_counters();
            return echo(pdu, pdu.len(), out);
        }
        DiagnosticsRequest::ClearOverrunCounter => {
            diag.clear_overrun();
            return echo(pdu, pdu.len(), out);
        }
        DiagnosticsRequest::ReturnDiagnosticRegister => {
            DiagnosticsResponse::DiagnosticRegister(diag.register())
        }
        DiagnosticsRequest::ReturnCounter(counter) => DiagnosticsResponse::Counter {
            counter,
            value: diag.counter(counter),
        },
        DiagnosticsRequest::ForceListenOnlyMode | DiagnosticsRequest::Other { .. } => {
            return Err(ExceptionCode::IllegalFunction);
        }
    };
    answer.encode(out).map_err(|_| FAILURE)
}

/// FC11: never busy (a request is executed before the next is read), and the comm event
/// counter.
pub(super) fn event_counter(ctx: &Context<'_>, out: &mut [u8]) -> Result<usize, ExceptionCode> {
    Response::GetCommEventCounter {
        status: 0,
        event_count: ctx.rules.diagnostics.event_count(),
    }
    .encode(out)
    .map_err(|_| FAILURE)
}

/// FC12: the status word, the event counter, the bus message count and the log.
pub(super) fn event_log(ctx: &Context<'_>, out: &mut [u8]) -> Result<usize, ExceptionCode> {
    let mut events = [0u8; MAX_COMM_EVENTS];
    let (event_count, message_count, n) = ctx.rules.diagnostics.event_log(&mut events);
    let log = CommEventLog {
        status: 0,
        event_count,
        message_count,
        events: events.get(..n).unwrap_or_default(),
    };
    Response::GetCommEventLog(log)
        .encode(out)
        .map_err(|_| FAILURE)
}
