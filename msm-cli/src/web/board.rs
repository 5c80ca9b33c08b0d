//! What the web view knows: each variable's last change, origin, quality and trend, and
//! the events that tell the pages about them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use msm::{DynValue, Origin, Status, VarType};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::trend::Trend;
use super::{StatusSource, WebVar};
use crate::show::quality_of;

/// Event batches a page may fall behind by before it is sent a fresh snapshot instead.
const EVENTS_BUFFERED: usize = 64;

/// Points per variable in `/api/trends` (the small plots); a variable's own trend is whole.
pub(crate) const SPARK_POINTS: usize = 120;

/// One server-sent event, serialized once for every page.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// `snapshot`, `rows` or `status`.
    pub(crate) kind: &'static str,
    /// The JSON data.
    pub(crate) data: Arc<str>,
}

/// What a variable's last change was, and how good its value is.
#[derive(Debug, Default)]
struct Row {
    changed_ms: Option<u64>,
    origin: Option<String>,
    quality: (&'static str, Option<String>),
    trend: Trend,
}

/// A change seen for one variable: when and by whom (`None`: changes were missed).
pub(crate) struct Seen {
    pub(crate) index: usize,
    pub(crate) t_ms: u64,
    pub(crate) origin: Option<Origin>,
}

/// Why a write from the web was refused: the HTTP status and the message.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) status: u16,
    pub(crate) message: String,
}

/// The shared state of one web view.
pub(crate) struct Board {
    vars: Vec<WebVar>,
    by_name: HashMap<String, usize>,
    rows: Mutex<Vec<Row>>,
    status: Option<StatusSource>,
    last_status: Mutex<Option<Status>>,
    events: broadcast::Sender<Event>,
    writable: bool,
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// A value as a number for a trend: numbers and booleans (0/1); strings have none.
fn numeric(value: &DynValue) -> Option<f64> {
    Some(match *value {
        DynValue::Bool(b) => f64::from(u8::from(b)),
        DynValue::U8(v) => v.into(),
        DynValue::I8(v) => v.into(),
        DynValue::U16(v) => v.into(),
        DynValue::I16(v) => v.into(),
        DynValue::U32(v) => v.into(),
        DynValue::I32(v) => v.into(),
        DynValue::U64(v) => v as f64,
        DynValue::I64(v) => v as f64,
        DynValue::F32(v) => v.into(),
        DynValue::F64(v) => v,
        DynValue::String(_) => return None,
    })
    .filter(|v| v.is_finite())
}

fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Local => "local".to_string(),
        Origin::Remote(peer) => peer.to_string(),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Board {
    pub(crate) fn new(vars: Vec<WebVar>, status: Option<StatusSource>, writable: bool) -> Board {
        let first = status.as_ref().map(StatusSource::get);
        let now = now_ms();
        let rows = vars
            .iter()
            .map(|v| {
                let mut row = Row {
                    quality: quality_of(&v.var, first.as_ref().and_then(|s| s.last_error.clone())),
                    ..Row::default()
                };
                if let Some(x) = numeric(&v.var.get()) {
                    row.trend.push(now, x);
                }
                row
            })
            .collect();
        // The first name wins: a later duplicate is still listed, just not found by name.
        let mut by_name = HashMap::with_capacity(vars.len());
        for (i, v) in vars.iter().enumerate() {
            by_name.entry(v.name.clone()).or_insert(i);
        }
        Board {
            by_name,
            rows: Mutex::new(rows),
            status,
            last_status: Mutex::new(first),
            events: broadcast::channel(EVENTS_BUFFERED).0,
            writable,
            vars,
        }
    }

    pub(crate) fn vars(&self) -> &[WebVar] {
        &self.vars
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn publish(&self, kind: &'static str, data: &Value) {
        // No page listening is not an error.
        let _ = self.events.send(Event {
            kind,
            data: Arc::from(data.to_string()),
        });
    }

    /// The fields of a row that change.
    fn live_json(&self, i: usize, row: &Row) -> Value {
        let value = self.vars[i].var.get();
        json!({
            "i": i,
            "value": value,
            "text": value.to_string(),
            "quality": row.quality.0,
            "reason": row.quality.1,
            "changed": row.changed_ms.map(rfc3339),
            "changed_ms": row.changed_ms,
            "origin": row.origin,
        })
    }

    /// A whole row, as `/api/vars` lists it.
    fn row_json(&self, i: usize, row: &Row) -> Value {
        let v = &self.vars[i];
        let mut out = json!({
            "name": v.name,
            "area": v.var.area().key(),
            "address": v.var.address(),
            "type": v.var.def().ty.name(),
            "writable": self.writable && v.writable,
            "numeric": v.var.def().ty != VarType::String,
        });
        if let (Value::Object(out), Value::Object(live)) = (&mut out, self.live_json(i, row)) {
            out.extend(live);
        }
        out
    }

    /// `GET /api/vars`.
    pub(crate) fn vars_json(&self) -> Value {
        let rows = lock(&self.rows);
        Value::Array(
            rows.iter()
                .enumerate()
                .map(|(i, r)| self.row_json(i, r))
                .collect(),
        )
    }

    /// The index of the variable named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// `GET /api/vars/NAME`.
    pub(crate) fn var_json(&self, i: usize) -> Value {
        self.row_json(i, &lock(&self.rows)[i])
    }

    /// `GET /api/vars/NAME/trend`: every point kept.
    pub(crate) fn trend_json(&self, i: usize) -> Value {
        json!(lock(&self.rows)[i].trend.sample(usize::MAX))
    }

    /// `GET /api/trends`: a few points of every variable, by index.
    pub(crate) fn trends_json(&self) -> Value {
        let rows = lock(&self.rows);
        Value::Array(
            rows.iter()
                .map(|r| json!(r.trend.sample(SPARK_POINTS)))
                .collect(),
        )
    }

    /// `GET /api/status`.
    pub(crate) fn status_json(&self) -> Value {
        status_json(lock(&self.last_status).as_ref(), self.writable)
    }

    /// The first event of a page, and the one after it fell behind.
    pub(crate) fn snapshot(&self) -> Event {
        let data = json!({ "status": self.status_json(), "vars": self.vars_json() });
        Event {
            kind: "snapshot",
            data: Arc::from(data.to_string()),
        }
    }

    /// Records changes seen on a memory and tells the pages.
    pub(crate) fn record(&self, seen: &[Seen]) {
        if seen.is_empty() {
            return;
        }
        let mut rows = lock(&self.rows);
        let mut out = Vec::with_capacity(seen.len());
        for s in seen {
            let row = &mut rows[s.index];
            let value = self.vars[s.index].var.get();
            row.changed_ms = Some(s.t_ms);
            row.origin = Some(s.origin.as_ref().map_or("unknown".to_string(), origin_text));
            if let Some(x) = numeric(&value) {
                row.trend.push(s.t_ms, x);
            }
            out.push(self.live_json(s.index, row));
        }
        drop(rows);
        self.publish("rows", &Value::Array(out));
    }

    /// Reads the status source, recomputes every quality and tells the pages what moved.
    pub(crate) fn refresh(&self) {
        let status = self.status.as_ref().map(StatusSource::get);
        let mut last = lock(&self.last_status);
        let status_moved = *last != status;
        *last = status;
        let status = last.clone();
        drop(last);
        let mut rows = lock(&self.rows);
        let mut out = Vec::new();
        for (i, row) in rows.iter_mut().enumerate() {
            let q = quality_of(
                &self.vars[i].var,
                status.as_ref().and_then(|s| s.last_error.clone()),
            );
            if row.quality != q {
                row.quality = q;
                out.push(self.live_json(i, row));
            }
        }
        drop(rows);
        if status_moved {
            self.publish("status", &status_json(status.as_ref(), self.writable));
        }
        if !out.is_empty() {
            self.publish("rows", &Value::Array(out));
        }
    }

    /// `PUT /api/vars/NAME` with `{"value": ..}`: checked as `msm write NAME=VALUE`
    /// checks it, then set; the row after it.
    pub(crate) fn write(&self, i: usize, body: &[u8]) -> Result<Value, Refused> {
        let v = &self.vars[i];
        let refuse = |status, message: String| Refused { status, message };
        if !self.writable {
            return Err(refuse(
                403,
                "writing is off: start msm with --web-writable to write from the web view"
                    .to_string(),
            ));
        }
        if !v.writable {
            return Err(refuse(
                403,
                format!(
                    "{} is read-only here: a master cannot write {}",
                    v.name,
                    v.var.area()
                ),
            ));
        }
        let body: Value = serde_json::from_slice(body).map_err(|e| {
            refuse(
                400,
                format!("the body is not JSON ({e}): send {{\"value\": VALUE}}"),
            )
        })?;
        let text = match body.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(n @ (Value::Number(_) | Value::Bool(_))) => n.to_string(),
            _ => {
                return Err(refuse(
                    400,
                    "the body has no \"value\" (a number, a boolean or a string): send {\"value\": VALUE}".to_string(),
                ));
            }
        };
        // As `msm write` says it: a built-in map has no file to name.
        let bad = |e: String| refuse(400, e.replace("<string>: ", ""));
        let value = v.var.parse_value(&text).map_err(|e| bad(e.to_string()))?;
        v.var.set(value).map_err(|e| bad(e.to_string()))?;
        Ok(self.var_json(i))
    }
}

/// The connection state, as `/api/status` and the page's header show it.
fn status_json(status: Option<&Status>, writable: bool) -> Value {
    let Some(s) = status else {
        return json!({ "role": "slave", "state": "serving", "writable": writable });
    };
    let state = if s.connected {
        "connected"
    } else if s.cycles > 0 || s.reconnects > 0 || s.last_error.is_some() {
        "reconnecting"
    } else {
        "connecting"
    };
    json!({
        "role": "master",
        "state": state,
        "writable": writable,
        "connected": s.connected,
        "stale": s.stale,
        "last_error": s.last_error,
        "cycles": s.cycles,
        "reconnects": s.reconnects,
        "last_cycle_ms": s.last_cycle.map(|d| d.as_secs_f64() * 1e3),
        "block_errors": s.block_errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use msm::{Map, Origin, Peer};

    use super::*;

    fn board(writable: bool) -> Board {
        let mm = Map::from_toml_str(
            "[memory]\ncoils = 1\ninput_registers = 1\nholding_registers = 2\n[vars]\n\
             SP = { area = \"holding\", address = 0, type = \"i16\" }\n\
             RUN = { area = \"coil\", address = 0, type = \"bool\" }\n\
             IN = { area = \"input\", address = 0, type = \"u16\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        let vars = WebVar::from_map(&mm, "", |v| v.name() != "IN");
        Board::new(vars, None, writable)
    }

    #[test]
    fn writes_take_json_numbers_booleans_and_text_as_msm_write_does() {
        let b = board(true);
        let sp = b.find("SP").expect("SP");
        assert_eq!(
            b.write(sp, br#"{"value": -7}"#).expect("a number")["value"],
            -7
        );
        assert_eq!(
            b.write(sp, br#"{"value": "0x10"}"#).expect("text")["value"],
            16
        );
        let run = b.find("RUN").expect("RUN");
        assert_eq!(
            b.write(run, br#"{"value": true}"#).expect("a bool")["value"],
            true
        );
        for (body, says) in [
            (&br#"{"value": 1.5}"#[..], "i16"),
            (b"{}", "no \"value\""),
            (b"[", "not JSON"),
            (br#"{"value": null}"#, "no \"value\""),
        ] {
            let e = b.write(sp, body).expect_err("refused");
            assert_eq!(e.status, 400);
            assert!(e.message.contains(says), "{}", e.message);
        }
        let e = b
            .write(b.find("IN").expect("IN"), br#"{"value": 1}"#)
            .expect_err("read-only");
        assert_eq!(e.status, 403);
        assert!(e.message.contains("IN is read-only"), "{}", e.message);
        let e = board(false)
            .write(sp, br#"{"value": 1}"#)
            .expect_err("not writable");
        assert_eq!(e.status, 403);
        assert!(e.message.contains("--web-writable"), "{}", e.message);
    }

    #[test]
    fn a_recorded_change_tells_the_pages_when_and_who() {
        let b = board(true);
        let mut events = b.subscribe();
        let peer = Origin::Remote(Peer::Tcp("127.0.0.1:5000".parse().expect("addr")));
        b.vars()[0].var.set_str("42").expect("set");
        b.record(&[Seen {
            index: 0,
            t_ms: 1_000,
            origin: Some(peer),
        }]);
        let e = events.try_recv().expect("an event");
        assert_eq!(e.kind, "rows");
        let rows: Value = serde_json::from_str(&e.data).expect("JSON");
        assert_eq!(rows[0]["value"], 42);
        assert_eq!(rows[0]["origin"], "127.0.0.1:5000");
        assert_eq!(rows[0]["changed"], "1970-01-01T00:00:01.000Z");
        let row = b.var_json(0);
        assert_eq!(
            (&row["name"], &row["quality"]),
            (&json!("SP"), &json!("good"))
        );
        assert_eq!(
            b.trend_json(0).as_array().map(Vec::len),
            Some(2),
            "start and change"
        );
    }
}
