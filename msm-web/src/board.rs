//! What the web view knows: each variable's last change, origin, quality and trend, and
//! the events that tell the pages about them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use msm::{AnyVar, Origin, Quality, Status, VarType};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

use crate::hints::Hints;
use crate::json::{now_ms, numeric, origin_text, rfc3339, status_json};
use crate::sse::{self, Event};
use crate::trend::Trend;
use crate::write::{Refused, value_to_write};
use crate::{StatusSource, WebVar};

/// Event batches the board keeps for the pages' queues to take; a queue that falls
/// further behind is sent a fresh snapshot instead.
const EVENTS_BUFFERED: usize = 64;

/// Points per variable in `/api/trends` (the small plots); a variable's own trend is whole.
pub(crate) const SPARK_POINTS: usize = 120;

/// How long a write from the page waits for the memory to report its change, so that
/// its answer carries the change's time and origin as the event stream tells them.
const ECHO_WAIT: Duration = Duration::from_secs(1);

/// What a variable's last change was, and how good its value is.
#[derive(Debug, Default)]
struct Row {
    changed_ms: Option<u64>,
    origin: Option<String>,
    quality: (&'static str, Option<String>),
    trend: Trend,
    /// Changes recorded so far: a write waits for this to move.
    changes: u64,
}

/// A change seen for one variable: when and by whom (`None`: changes were missed).
pub(crate) struct Seen {
    pub(crate) index: usize,
    pub(crate) t_ms: u64,
    pub(crate) origin: Option<Origin>,
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
    hints: Hints,
    /// Woken after every batch of changes is recorded.
    recorded: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A variable's quality by name (`good`, `not_read`, `stale`, `bad`) and why it is not
/// good, quoting the master's last error when there is one.
fn quality_of(var: &AnyVar, status: Option<&Status>) -> (&'static str, Option<String>) {
    named(&var.quality(), status)
}

fn named(quality: &Quality, status: Option<&Status>) -> (&'static str, Option<String>) {
    let link_error = status.and_then(|s| s.last_error.as_deref());
    (quality.name(), quality.reason(link_error))
}

impl Board {
    pub(crate) fn new(
        vars: Vec<WebVar>,
        status: Option<StatusSource>,
        writable: bool,
        hints: Hints,
    ) -> Board {
        let first = status.as_ref().map(StatusSource::get);
        let now = now_ms();
        let rows = vars
            .iter()
            .map(|v| {
                let mut row = Row {
                    quality: quality_of(&v.var, first.as_ref()),
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
            hints,
            recorded: Notify::new(),
            vars,
        }
    }

    pub(crate) fn vars(&self) -> &[WebVar] {
        &self.vars
    }

    pub(crate) fn hints(&self) -> Hints {
        self.hints
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn publish(&self, kind: &'static str, data: &Value) {
        // No page listening is not an error.
        let _ = self.events.send(Event::new(kind, data, None));
    }

    /// The fields of a row that change. The value and its quality are read together
    /// from the memory (the row's cached quality may be a refresh behind: a value a
    /// master just read must not be shown as `not_read`, nor an old one as `good`).
    fn live_json(&self, i: usize, row: &Row) -> Value {
        let (value, quality) = self.vars[i].var.get_with_quality();
        let (quality, reason) = named(&quality, lock(&self.last_status).as_ref());
        json!({
            "i": i,
            "value": value,
            "text": value.to_string(),
            "quality": quality,
            "reason": reason,
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
        Event::new("snapshot", &data, Some(sse::RETRY))
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
            row.changes += 1;
            if let Some(x) = numeric(&value) {
                row.trend.push(s.t_ms, x);
            }
            out.push(self.live_json(s.index, row));
        }
        drop(rows);
        self.recorded.notify_waiters();
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
            let q = quality_of(&self.vars[i].var, status.as_ref());
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
    /// checks it, then set. Answers the row with the change made, as the event stream
    /// tells it: its time (when the memory reported it) and origin.
    pub(crate) async fn write(&self, i: usize, body: &[u8]) -> Result<Value, Refused> {
        let v = &self.vars[i];
        let value = value_to_write(v, self.writable, self.hints, body)?;
        let before = lock(&self.rows)[i].changes;
        v.var.set(value).map_err(|e| Refused {
            status: 400,
            message: e.to_string().replace("<string>: ", ""),
        })?;
        let waited = tokio::time::timeout(ECHO_WAIT, async {
            loop {
                let recorded = self.recorded.notified();
                tokio::pin!(recorded);
                recorded.as_mut().enable();
                if lock(&self.rows)[i].changes > before {
                    return;
                }
                recorded.await;
            }
        })
        .await;
        if waited.is_err() {
            // The view is not following the memory (its task has not started, or the
            // runtime is starved): the write is still this moment's, made here.
            self.record(&[Seen {
                index: i,
                t_ms: now_ms(),
                origin: Some(Origin::Local),
            }]);
        }
        Ok(self.var_json(i))
    }
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
        Board::new(vars, None, writable, Hints::Cli)
    }

    #[tokio::test(start_paused = true)]
    async fn writes_take_json_numbers_booleans_and_text_as_msm_write_does() {
        let b = board(true);
        let sp = b.find("SP").expect("SP");
        assert_eq!(
            b.write(sp, br#"{"value": -7}"#).await.expect("a number")["value"],
            -7
        );
        assert_eq!(
            b.write(sp, br#"{"value": "0x10"}"#).await.expect("text")["value"],
            16
        );
        let run = b.find("RUN").expect("RUN");
        assert_eq!(
            b.write(run, br#"{"value": true}"#).await.expect("a bool")["value"],
            true
        );
        for (body, says) in [
            (&br#"{"value": 1.5}"#[..], "i16"),
            (b"{}", "no \"value\""),
            (b"[", "not JSON"),
            (br#"{"value": null}"#, "no \"value\""),
        ] {
            let e = b.write(sp, body).await.expect_err("refused");
            assert_eq!(e.status, 400);
            assert!(e.message.contains(says), "{}", e.message);
        }
        let e = b
            .write(b.find("IN").expect("IN"), br#"{"value": 1}"#)
            .await
            .expect_err("read-only");
        assert_eq!(e.status, 403);
        assert!(e.message.contains("IN is read-only"), "{}", e.message);
        let e = board(false)
            .write(sp, br#"{"value": 1}"#)
            .await
            .expect_err("not writable");
        assert_eq!(e.status, 403);
        assert!(e.message.contains("--web-writable"), "{}", e.message);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_follows_is_still_answered_with_its_time_and_origin() {
        // No task follows this board's memory: the write stamps the change itself.
        let b = board(true);
        let before = now_ms();
        let row = b.write(0, br#"{"value": 5}"#).await.expect("written");
        assert_eq!(row["origin"], "local");
        assert!(
            row["changed_ms"].as_u64().is_some_and(|t| t >= before),
            "{row}"
        );
        assert!(row["changed"].is_string(), "{row}");
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
        assert_eq!(e.kind(), "rows");
        let rows = e.data();
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
