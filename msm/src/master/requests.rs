//! One-off requests on the master handles: what a device says about itself (FC17,
//! FC43, FC07, FC08, FC11, FC12), its files (FC20, FC21) and FIFOs (FC24), sent on the
//! running link with the cycle's requests (before them) and answered typed.
//!
//! Each request is a [`Call`]: the request's PDU and how to read its answer. Both
//! handles send it the same way (`Parts::call_blocking`, `Parts::call`), so each typed
//! method is written once, below, for both.

use std::sync::Arc;

use super::device::{
    DeviceIdReader, DeviceInfo, EventCounter, EventLog, RecordWrite, ServerReport, encode,
    malformed,
};
use super::handle::Parts;
use super::{AsyncMasterHandle, MasterHandle};
use crate::protocol::{
    DiagnosticCounter, DiagnosticsRequest, DiagnosticsResponse, FileRead, FileReads, FileWrite,
    FileWrites, MAX_PDU_LEN, Registers, Request, Response,
};
use crate::types::{Error, Result};

/// Reads a one-off request's answer (the response PDU, checked against the request).
type Decode<T> = Arc<dyn Fn(&[u8]) -> std::result::Result<T, String> + Send + Sync>;

/// A one-off request: its PDU, whether the slave answers it, how to read the answer.
pub(crate) struct Call<T> {
    pdu: Vec<u8>,
    answered: bool,
    decode: Decode<T>,
}

impl<T> Call<T> {
    fn new(
        request: &Request<'_>,
        decode: impl Fn(&[u8]) -> std::result::Result<T, String> + Send + Sync + 'static,
    ) -> Result<Call<T>> {
        Ok(Call {
            pdu: encode(request)?,
            answered: true,
            decode: Arc::new(decode),
        })
    }

    /// Reads the answer `pdu` of a request sent to `unit`.
    fn read(&self, unit: u8, pdu: &[u8]) -> Result<T> {
        let function = self.pdu.first().copied().unwrap_or(0);
        (self.decode)(pdu).map_err(|why| malformed(unit, function, &why))
    }
}

impl Parts {
    /// Sends `call` to `unit` and waits for its answer (the engine always gives one: the
    /// answer, the slave's exception, a timeout, the connection lost or never made).
    pub(crate) fn call_blocking<T>(&self, unit: u8, call: &Call<T>) -> Result<T> {
        let pdu = self.request_blocking(unit, call.pdu.clone(), call.answered)?;
        call.read(unit, &pdu)
    }

    /// [`call_blocking`](Self::call_blocking), awaited.
    pub(crate) async fn call<T>(&self, unit: u8, call: &Call<T>) -> Result<T> {
        let pdu = self.request(unit, call.pdu.clone(), call.answered).await?;
        call.read(unit, &pdu)
    }
}

// ---- the calls ----

fn raw(request: &Request<'_>) -> Result<Call<Vec<u8>>> {
    Call::new(request, |pdu| Ok(pdu.to_vec()))
}

fn report_server_id() -> Result<Call<ServerReport>> {
    Call::new(&Request::ReportServerId, |pdu| {
        match Response::decode(pdu) {
            Ok(Response::ReportServerId(r)) => Ok(ServerReport::from_bytes(r.as_bytes().to_vec())),
            other => Err(format!("not a server id report: {other:?}")),
        }
    })
}

fn read_exception_status() -> Result<Call<u8>> {
    Call::new(
        &Request::ReadExceptionStatus,
        |pdu| match Response::decode(pdu) {
            Ok(Response::ReadExceptionStatus(outputs)) => Ok(outputs),
            other => Err(format!("not an exception status: {other:?}")),
        },
    )
}

/// FC08 `request`, its answer read by `read`.
fn diagnostic<T>(
    request: DiagnosticsRequest<'_>,
    read: impl Fn(DiagnosticsResponse<'_>) -> Option<T> + Send + Sync + 'static,
) -> Result<Call<T>> {
    let mut buf = [0u8; MAX_PDU_LEN];
    let len = request
        .encode(&mut buf)
        .map_err(|e| Error::Config(format!("cannot encode the diagnostics request: {e}")))?;
    let answered = !matches!(request, DiagnosticsRequest::ForceListenOnlyMode);
    let decode = move |pdu: &[u8]| match Response::decode(pdu) {
        Ok(Response::Diagnostics { sub_function, data }) => {
            DiagnosticsResponse::parse(sub_function, data)
                .ok()
                .and_then(&read)
                .ok_or_else(|| format!("unexpected diagnostics answer {pdu:02X?}"))
        }
        other => Err(format!("not a diagnostics answer: {other:?}")),
    };
    Ok(Call {
        pdu: buf[..len].to_vec(),
        answered,
        decode: Arc::new(decode),
    })
}

fn diagnostics(sub_function: u16, data: &[u8]) -> Result<Call<Vec<u8>>> {
    let request = Request::Diagnostics { sub_function, data };
    Call::new(&request, |pdu| match Response::decode(pdu) {
        Ok(Response::Diagnostics { data, .. }) => Ok(data.to_vec()),
        other => Err(format!("not a diagnostics answer: {other:?}")),
    })
}

fn counter(counter: DiagnosticCounter) -> Result<Call<u16>> {
    diagnostic(DiagnosticsRequest::ReturnCounter(counter), |r| match r {
        DiagnosticsResponse::Counter { value, .. } => Some(value),
        _ => None,
    })
}

/// An FC08 request answered by its echo (or, FC08/04, never answered).
fn echoed(request: DiagnosticsRequest<'static>) -> Result<Call<()>> {
    let mut call = diagnostic(request, |_| Some(()))?;
    if !call.answered {
        call.decode = Arc::new(|_| Ok(()));
    }
    Ok(call)
}

fn diagnostic_register() -> Result<Call<u16>> {
    diagnostic(DiagnosticsRequest::ReturnDiagnosticRegister, |r| match r {
        DiagnosticsResponse::DiagnosticRegister(value) => Some(value),
        _ => None,
    })
}

fn comm_event_counter() -> Result<Call<EventCounter>> {
    Call::new(
        &Request::GetCommEventCounter,
        |pdu| match Response::decode(pdu) {
            Ok(Response::GetCommEventCounter {
                status,
                event_count,
            }) => Ok(EventCounter {
                status,
                event_count,
            }),
            other => Err(format!("not a comm event counter: {other:?}")),
        },
    )
}

fn comm_event_log() -> Result<Call<EventLog>> {
    Call::new(&Request::GetCommEventLog, |pdu| {
        match Response::decode(pdu) {
            Ok(Response::GetCommEventLog(log)) => Ok(EventLog {
                status: log.status,
                event_count: log.event_count,
                message_count: log.message_count,
                events: log.events.to_vec(),
            }),
            other => Err(format!("not a comm event log: {other:?}")),
        }
    })
}

fn read_file_record(reads: &[FileRead]) -> Result<Call<Vec<Vec<u16>>>> {
    let mut buf = [0u8; MAX_PDU_LEN];
    let reads = FileReads::write(&mut buf, reads).map_err(invalid)?;
    Call::new(
        &Request::ReadFileRecord(reads),
        |pdu| match Response::decode(pdu) {
            Ok(Response::ReadFileRecord(records)) => {
                Ok(records.iter().map(|group| group.iter().collect()).collect())
            }
            other => Err(format!("not a file record answer: {other:?}")),
        },
    )
}

fn write_file_record(writes: &[RecordWrite]) -> Result<Call<()>> {
    let bytes: Vec<Vec<u8>> = writes
        .iter()
        .map(|w| w.values.iter().flat_map(|v| v.to_be_bytes()).collect())
        .collect();
    let views = writes
        .iter()
        .zip(&bytes)
        .map(|(w, b)| {
            let values = Registers::new(b).map_err(|e| Error::Config(e.to_string()))?;
            Ok(FileWrite {
                file: w.file,
                record: w.record,
                values,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut buf = [0u8; MAX_PDU_LEN];
    let writes = FileWrites::write(&mut buf, &views).map_err(invalid)?;
    // check_answers compared the echo with the request.
    Call::new(&Request::WriteFileRecord(writes), |_| Ok(()))
}

fn read_fifo_queue(address: u16) -> Result<Call<Vec<u16>>> {
    Call::new(
        &Request::ReadFifoQueue { address },
        |pdu| match Response::decode(pdu) {
            Ok(Response::ReadFifoQueue(values)) => Ok(values.iter().collect()),
            other => Err(format!("not a FIFO answer: {other:?}")),
        },
    )
}

/// A request the program built that a server would refuse as it decodes it.
fn invalid(e: crate::protocol::EncodeError) -> Error {
    Error::Config(format!(
        "{e}: a file is numbered 1..=65535 and holds records 0..=9999; a request holds \
         whole sub-requests within 253 bytes"
    ))
}

/// Writes each one-off request method for both handles: the blocking one with the docs
/// given, the async one pointing to it. `$unit` names the unit the request goes to.
macro_rules! one_off_requests {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $call:expr;
    )*) => {
        impl MasterHandle {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    self.parts.call_blocking(self.parts.unit, &$call?)
                }
            )*
        }

        impl AsyncMasterHandle {
            $(
                #[doc = concat!(
                    "[`MasterHandle::", stringify!($name), "`], for tokio programs."
                )]
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    self.parts.call(self.parts.unit, &$call?).await
                }
            )*
        }
    };
}

one_off_requests! {
    /// Report Server ID (FC17): the server id, the run indicator and additional data.
    /// An [`Error::Request`] carries the slave's exception (01: it does not support it).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).unit(5).start(Memory::new(0))?;
    /// let report = master.report_server_id()?;
    /// assert_eq!((&report.server_id[..], report.running), (&[5][..], Some(true))); // the unit id, by default
    /// assert!(report.additional_text().starts_with("msm "));
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn report_server_id() -> ServerReport = report_server_id();

    /// Read Exception Status (FC07): the eight exception status outputs, output 0 in bit 0.
    fn read_exception_status() -> u8 = read_exception_status();

    /// Diagnostics (FC08) with any sub-function and data: the answer's data. The named
    /// helpers below read each sub-function typed.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// assert_eq!(master.diagnostics(0, &[0xA5, 0x37])?, [0xA5, 0x37]); // return query data
    /// let err = master.diagnostics(0x15, &[0, 0]).unwrap_err();           // not served
    /// assert!(matches!(err, msm::Error::Request(ref f) if f.unsupported()));
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn diagnostics(sub_function: u16, data: &[u8]) -> Vec<u8> = diagnostics(sub_function, data);

    /// One of the eight FC08 counters.
    fn diagnostic_counter(which: DiagnosticCounter) -> u16 = counter(which);

    /// FC08/0B: messages the device saw on the bus.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// master.clear_counters()?;
    /// assert_eq!(master.bus_message_count()?, 1); // itself
    /// assert_eq!(master.server_message_count()?, 2);
    /// assert_eq!(master.bus_exception_error_count()?, 0);
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn bus_message_count() -> u16 = counter(DiagnosticCounter::BusMessages);

    /// FC08/0C: communication errors (CRC/LRC, framing).
    fn bus_communication_error_count() -> u16 = counter(DiagnosticCounter::BusCommunicationErrors);

    /// FC08/0D: exception responses the device sent.
    fn bus_exception_error_count() -> u16 = counter(DiagnosticCounter::BusExceptionErrors);

    /// FC08/0E: messages addressed to the device that it processed.
    fn server_message_count() -> u16 = counter(DiagnosticCounter::ServerMessages);

    /// FC08/0F: messages addressed to the device it did not answer.
    fn server_no_response_count() -> u16 = counter(DiagnosticCounter::ServerNoResponses);

    /// FC08/10: NAK exceptions (07) the device sent.
    fn server_nak_count() -> u16 = counter(DiagnosticCounter::ServerNaks);

    /// FC08/11: busy exceptions (06) the device sent.
    fn server_busy_count() -> u16 = counter(DiagnosticCounter::ServerBusy);

    /// FC08/12: messages lost to a character overrun.
    fn bus_character_overrun_count() -> u16 = counter(DiagnosticCounter::BusCharacterOverruns);

    /// FC08/02: the diagnostic register.
    fn diagnostic_register() -> u16 = diagnostic_register();

    /// FC08/01: restarts the device's communications (out of listen-only mode too, then
    /// unanswered: this call then times out); `clear_log` also clears its comm event log.
    fn restart_communications(clear_log: bool) -> () =
        echoed(DiagnosticsRequest::RestartCommunications { clear_log });

    /// FC08/04: puts the device in listen-only mode: it answers nothing (this request
    /// neither; the call returns once it is sent) until
    /// [`restart_communications`](Self::restart_communications).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// master.force_listen_only()?;
    /// # let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    /// while !slave.diagnostics().listen_only {
    /// #   assert!(std::time::Instant::now() < deadline, "not in listen-only mode");
    ///     std::thread::sleep(std::time::Duration::from_millis(5));
    /// }
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn force_listen_only() -> () = echoed(DiagnosticsRequest::ForceListenOnlyMode);

    /// FC08/0A: clears the counters and the diagnostic register.
    fn clear_counters() -> () = echoed(DiagnosticsRequest::ClearCounters);

    /// FC08/14: clears the overrun counter and flag.
    fn clear_overrun_counter() -> () = echoed(DiagnosticsRequest::ClearOverrunCounter);

    /// FC08/03: the character that ends the device's ASCII frames from now on.
    fn change_ascii_input_delimiter(delimiter: u8) -> () =
        echoed(DiagnosticsRequest::ChangeAsciiInputDelimiter(delimiter));

    /// Get Comm Event Counter (FC11): the status word and the event counter.
    fn comm_event_counter() -> EventCounter = comm_event_counter();

    /// Get Comm Event Log (FC12): the status word, the counters and the events, newest
    /// first.
    fn comm_event_log() -> EventLog = comm_event_log();

    /// Read File Record (FC20): the records each sub-request asks, in one request (at
    /// most 253 bytes of answer). Files are not part of the master's cycle: read them
    /// with this, when needed.
    ///
    /// ```
    /// use msm::protocol::FileRead;
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::builder().file(4, 10).build()?;
    /// served.file(4)?.write(1, &[0x0DFE, 0x0020])?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served)?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// let read = master.read_file_record(&[FileRead { file: 4, record: 1, length: 2 }])?;
    /// assert_eq!(read, [vec![0x0DFE, 0x0020]]);
    /// assert!(master.read_file_record(&[FileRead { file: 5, record: 0, length: 1 }]).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn read_file_record(reads: &[FileRead]) -> Vec<Vec<u16>> = read_file_record(reads);

    /// Write File Record (FC21): every sub-request in one request, written whole or not
    /// at all by an msm slave.
    ///
    /// ```
    /// use msm::master::RecordWrite;
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::builder().file(4, 10).build()?;
    /// let slave = Slave::tcp("127.0.0.1:0").serve(served.clone())?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// master.write_file_record(&[RecordWrite::new(4, 7, vec![0x06AF, 0x04BE, 0x100D])])?;
    /// assert_eq!(served.file(4)?.read(7, 3)?, [0x06AF, 0x04BE, 0x100D]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    fn write_file_record(writes: &[RecordWrite]) -> () = write_file_record(writes);

    /// Read FIFO Queue (FC24): the FIFO's registers, oldest first (at most 31).
    fn read_fifo_queue(address: u16) -> Vec<u16> = read_fifo_queue(address);
}

impl MasterHandle {
    /// Any request, to any unit, on the running link: the response PDU as it came
    /// (checked to answer the request); the slave's exception is an
    /// [`Error::Request`].
    ///
    /// ```
    /// use msm::protocol::Request;
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
    /// let pdu = master.request(1, &Request::ReadHoldingRegisters { address: 0, quantity: 2 })?;
    /// assert_eq!(pdu, [0x03, 4, 0, 0, 0, 0]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn request(&self, unit: u8, request: &Request<'_>) -> Result<Vec<u8>> {
        self.parts.call_blocking(unit, &raw(request)?)
    }

    /// Read Device Identification (FC43/14): every object the device reports, in as
    /// many requests as "more follows" asks (see [`DeviceInfo`]). The extended category
    /// is asked first; a device that refuses it (exception 02 or 03) is asked the
    /// regular one, then the basic one.
    pub fn read_device_identification(&self) -> Result<DeviceInfo> {
        let unit = self.parts.unit;
        let mut reader = DeviceIdReader::new();
        while let Some(pdu) = reader.next_request() {
            match self.parts.request_blocking(unit, pdu, true) {
                Ok(answer) => reader.take(unit, &answer)?,
                Err(e) => reader.refused(e)?,
            }
        }
        Ok(reader.finish())
    }
}

impl AsyncMasterHandle {
    /// [`MasterHandle::request`], for tokio programs.
    pub async fn request(&self, unit: u8, request: &Request<'_>) -> Result<Vec<u8>> {
        let call = raw(request)?;
        self.parts.call(unit, &call).await
    }

    /// [`MasterHandle::read_device_identification`], for tokio programs.
    pub async fn read_device_identification(&self) -> Result<DeviceInfo> {
        let unit = self.parts.unit;
        let mut reader = DeviceIdReader::new();
        while let Some(pdu) = reader.next_request() {
            match self.parts.request(unit, pdu, true).await {
                Ok(answer) => reader.take(unit, &answer)?,
                Err(e) => reader.refused(e)?,
            }
        }
        Ok(reader.finish())
    }
}
