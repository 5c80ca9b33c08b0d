//! `msm info`: what a device says about itself. Its identification objects (FC43/14),
//! its server id report (FC17), its exception status (FC07), its comm event counter
//! (FC11), its diagnostic register and counters (FC08); each line says "not supported"
//! when the device answers exception 01 to its function, or why else it has no value.

use std::future::Future;
use std::time::Duration;

use clap::Args;
use msm::master::{DeviceInfo, EventCounter, RequestFailure, ServerReport};
use msm::protocol::DiagnosticCounter;
use msm::{AsyncMasterHandle, Error, Memory};
use serde_json::{Map, Value, json};

use crate::CmdResult;
use crate::failure::Failure;
use crate::link::ConnectArgs;

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// One JSON object: each function's answer, or {"error": ..., "exception": N}.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The FC43 objects shown by name: (id, text label, JSON key).
const OBJECTS: [(u8, &str, &str); 7] = [
    (0x00, "vendor", "vendor"),
    (0x01, "product code", "product_code"),
    (0x02, "revision", "revision"),
    (0x03, "vendor url", "vendor_url"),
    (0x04, "product name", "product_name"),
    (0x05, "model name", "model_name"),
    (0x06, "application name", "application_name"),
];

/// What one function answered: its value, or why there is none.
type Answer<T> = Result<T, Error>;

/// Everything asked, in the order asked.
struct Report {
    identity: Answer<DeviceInfo>,
    server: Answer<ServerReport>,
    exception_status: Answer<u8>,
    event_counter: Answer<EventCounter>,
    diagnostic_register: Answer<u16>,
    counters: Vec<(DiagnosticCounter, Answer<u16>)>,
}

pub(crate) async fn run(a: InfoArgs) -> CmdResult {
    let c = &a.connect;
    let master = c
        .master()?
        // No variables: the master sends only what is asked here.
        .period(Duration::from_secs(3600))
        .start_async(Memory::new(0))
        .await?;
    let report = ask(&master, c).await;
    let status = master.status();
    master.stop().await;
    let report = report.map_err(|e| match e {
        Error::Request(f) => Failure::modbus(format!(
            "{f}: no answer to FC43 nor FC17: check --unit and that the device is up"
        )),
        e => c.failure(e, &status),
    })?;
    if a.json {
        println!("{}", json_report(&report, c));
    } else {
        print!("{}", text_report(&report, c));
    }
    Ok(())
}

/// Asks every function. Fails only when the device cannot be reached at all, or
/// answers none of the first two (then it is not there, or not at this unit).
async fn ask(m: &AsyncMasterHandle, c: &ConnectArgs) -> Result<Report, Error> {
    let limit = super::one_shot_limit(c.timeout);
    let identity = bounded(limit, m.read_device_identification()).await;
    unreachable_device(&identity)?;
    let server = bounded(limit, m.report_server_id()).await;
    unreachable_device(&server)?;
    if let (Err(e), Err(_)) = (&identity, &server)
        && !answered(e)
    {
        return Err(identity.err().unwrap_or(Error::Stopped));
    }
    let exception_status = bounded(limit, m.read_exception_status()).await;
    let event_counter = bounded(limit, m.comm_event_counter()).await;
    let diagnostic_register = bounded(limit, m.diagnostic_register()).await;
    let mut counters = Vec::new();
    for counter in DiagnosticCounter::ALL {
        counters.push((counter, bounded(limit, m.diagnostic_counter(counter)).await));
    }
    Ok(Report {
        identity,
        server,
        exception_status,
        event_counter,
        diagnostic_register,
        counters,
    })
}

/// `call`, given up after `limit` (the master's own timeout answers first, normally).
async fn bounded<T>(limit: Duration, call: impl Future<Output = Answer<T>>) -> Answer<T> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(Error::Timeout {
            what: "the request",
            after: limit,
        }))
}

/// The device cannot be reached: no connection, or the master stopped.
fn unreachable_device<T>(answer: &Answer<T>) -> Result<(), Error> {
    match answer {
        Err(Error::NotConnected { peer, reason }) => Err(Error::NotConnected {
            peer: peer.clone(),
            reason: reason.clone(),
        }),
        Err(Error::Stopped) => Err(Error::Stopped),
        _ => Ok(()),
    }
}

/// True when the device answered, if only with an exception.
fn answered(e: &Error) -> bool {
    matches!(e, Error::Request(f) if f.exception().is_some())
}

/// Why a function has no value, in a line's words.
fn why(e: &Error) -> String {
    match e {
        Error::Request(f) if f.unsupported() => "not supported".to_string(),
        Error::Request(RequestFailure { fault, .. }) => fault.to_string(),
        other => other.to_string(),
    }
}

fn text_report(r: &Report, c: &ConnectArgs) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| {
        out.push_str(&format!("{label:<26}{value}\n"));
    };
    line("device", format!("{} unit {}", c.peer_name(), c.unit));
    match &r.identity {
        Ok(info) => {
            for (id, label, _) in OBJECTS {
                line(label, info.object(id).unwrap_or_else(|| "-".into()));
            }
            for (id, value) in info.objects.iter().filter(|(id, _)| *id > 0x06) {
                line(
                    &format!("object 0x{id:02X}"),
                    String::from_utf8_lossy(value).into_owned(),
                );
            }
            line("conformity level", conformity(info.conformity_level));
        }
        Err(e) => {
            for (_, label, _) in OBJECTS {
                line(label, why(e));
            }
        }
    }
    match &r.server {
        Ok(s) => {
            line("server id", server_id(&s.server_id));
            let run = match s.running {
                Some(true) => "on".to_string(),
                Some(false) => "off".to_string(),
                None => "-".to_string(),
            };
            line("run indicator", run);
            line("additional data", s.additional_text());
        }
        Err(e) => {
            for label in ["server id", "run indicator", "additional data"] {
                line(label, why(e));
            }
        }
    }
    line(
        "exception status",
        shown(&r.exception_status, |b| format!("{b:#010b}")),
    );
    let (status, events) = match &r.event_counter {
        Ok(c) => (
            if c.busy() { "busy" } else { "ready" }.to_string(),
            c.event_count.to_string(),
        ),
        Err(e) => (why(e), why(e)),
    };
    line("comm status", status);
    line("comm event count", events);
    line(
        "diagnostic register",
        shown(&r.diagnostic_register, |v| format!("{v:#06x}")),
    );
    for (counter, value) in &r.counters {
        line(&counter.to_string(), shown(value, u16::to_string));
    }
    out
}

fn shown<T>(answer: &Answer<T>, show: impl Fn(&T) -> String) -> String {
    match answer {
        Ok(v) => show(v),
        Err(e) => why(e),
    }
}

/// A server id in hex, with its text when it is several printable characters (the
/// text id some devices send).
fn server_id(bytes: &[u8]) -> String {
    let printable = bytes.len() > 1 && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    if printable {
        format!("{} ({:?})", hex(bytes), String::from_utf8_lossy(bytes))
    } else {
        hex(bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The conformity level byte, with what it means.
fn conformity(level: u8) -> String {
    let category = match level & 0x7F {
        0x01 => "basic",
        0x02 => "regular",
        0x03 => "extended",
        _ => "unknown",
    };
    let access = if level & 0x80 != 0 {
        ", individual access"
    } else {
        ""
    };
    format!("0x{level:02X} ({category}{access})")
}

fn json_report(r: &Report, c: &ConnectArgs) -> Value {
    let identity = json_answer(&r.identity, |info| {
        let mut o = Map::new();
        for (id, _, key) in OBJECTS {
            if let Some(v) = info.object(id) {
                o.insert(key.into(), v.into());
            }
        }
        let extra: Map<String, Value> = info
            .objects
            .iter()
            .filter(|(id, _)| *id > 0x06)
            .map(|(id, v)| {
                let text = String::from_utf8_lossy(v).into_owned();
                (format!("0x{id:02X}"), text.into())
            })
            .collect();
        o.insert("objects".into(), extra.into());
        o.insert("conformity_level".into(), info.conformity_level.into());
        o.into()
    });
    let server = json_answer(&r.server, |s| {
        json!({
            "server_id": hex(&s.server_id),
            "run": s.running,
            "additional_data": s.additional_text(),
            "bytes": hex(&s.bytes),
        })
    });
    let events = json_answer(
        &r.event_counter,
        |c| json!({"status": c.status, "busy": c.busy(), "event_count": c.event_count}),
    );
    let mut counters = Map::new();
    for (counter, value) in &r.counters {
        let key = counter.to_string().to_lowercase().replace(' ', "_");
        counters.insert(key, json_answer(value, |v| (*v).into()));
    }
    json!({
        "device": c.peer_name(),
        "unit": c.unit,
        "identity": identity,
        "server_id": server,
        "exception_status": json_answer(&r.exception_status, |b| (*b).into()),
        "comm_event_counter": events,
        "diagnostic_register": json_answer(&r.diagnostic_register, |v| (*v).into()),
        "counters": counters,
    })
}

/// The value, or `{"error": why, "exception": code}` (the code when the device
/// answered one).
fn json_answer<T>(answer: &Answer<T>, value: impl Fn(&T) -> Value) -> Value {
    match answer {
        Ok(v) => value(v),
        Err(e) => {
            let exception = match e {
                Error::Request(f) => f.exception().map(|c| c.value()),
                _ => None,
            };
            json!({"error": why(e), "exception": exception})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msm::master::Fault;
    use msm::protocol::{ExceptionCode, FunctionCode};

    fn exception(code: ExceptionCode) -> Error {
        Error::Request(RequestFailure::new(
            1,
            FunctionCode::ReportServerId,
            Fault::Exception { code },
        ))
    }

    #[test]
    fn exception_01_is_not_supported_and_others_say_what_came() {
        assert_eq!(
            why(&exception(ExceptionCode::IllegalFunction)),
            "not supported"
        );
        let busy = why(&exception(ExceptionCode::ServerDeviceBusy));
        assert!(busy.contains("06"), "{busy}");
        let json = json_answer::<u8>(&Err(exception(ExceptionCode::IllegalFunction)), |_| {
            Value::Null
        });
        assert_eq!(json, json!({"error": "not supported", "exception": 1}));
    }

    #[test]
    fn the_conformity_level_says_what_it_means() {
        assert_eq!(conformity(0x83), "0x83 (extended, individual access)");
        assert_eq!(conformity(0x01), "0x01 (basic)");
    }
}
