//! How values, times, origins and a master's state are written in the API's JSON.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use msm::{DynValue, Origin, Status};
use serde_json::{Value, json};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    ms_since_epoch(SystemTime::now())
}

/// Milliseconds since the Unix epoch at `time` (0 before it).
pub(crate) fn ms_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A time as RFC 3339 in UTC, to the millisecond.
pub(crate) fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// A value as a number for a trend: numbers and booleans (0/1); strings have none.
pub(crate) fn numeric(value: &DynValue) -> Option<f64> {
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

/// Who made a change: `local` or the peer's address.
pub(crate) fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Local => "local".to_string(),
        Origin::Remote(peer) => peer.to_string(),
    }
}

/// The connection state, as `/api/status` and the page's header show it.
pub(crate) fn status_json(status: Option<&Status>, writable: bool) -> Value {
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
    use super::*;

    #[test]
    fn a_master_that_never_connected_is_connecting_then_reconnecting() {
        let mut s = Status::default();
        assert_eq!(status_json(Some(&s), false)["state"], "connecting");
        s.last_error = Some("connection refused".into());
        assert_eq!(status_json(Some(&s), false)["state"], "reconnecting");
        s.connected = true;
        assert_eq!(status_json(Some(&s), true)["state"], "connected");
        assert_eq!(status_json(None, true)["role"], "slave");
    }

    #[test]
    fn only_finite_numbers_make_trend_points() {
        assert_eq!(numeric(&DynValue::Bool(true)), Some(1.0));
        assert_eq!(numeric(&DynValue::F32(f32::NAN)), None);
        assert_eq!(numeric(&DynValue::String("x".into())), None);
        assert_eq!(rfc3339(1_000), "1970-01-01T00:00:01.000Z");
    }
}
