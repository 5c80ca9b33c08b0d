//! Server-sent events, framed once and shared: every page's stream sends the same bytes
//! (a reference to them), so a page costs no copy of what it has not read yet.

use std::time::Duration;

use axum::body::Bytes;
use serde_json::Value;

/// How soon a page that lost its stream tries again (sent with each snapshot).
pub(crate) const RETRY: Duration = Duration::from_secs(1);

/// A comment line, sent when a stream is quiet, so that proxies and browsers keep it.
pub(crate) const KEEP_ALIVE: &[u8] = b":\n\n";

/// One event: `event: KIND`, `data: JSON` (and for a snapshot, `retry:`).
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// The event as the stream sends it.
    pub(crate) frame: Bytes,
}

impl Event {
    /// The event `kind` with `data`; `retry` tells the page how soon to reconnect.
    pub(crate) fn new(kind: &'static str, data: &Value, retry: Option<Duration>) -> Event {
        // Compact JSON is one line: strings carry their line breaks escaped.
        let json = data.to_string();
        let mut text = String::with_capacity(json.len() + 40);
        if let Some(retry) = retry {
            text.push_str(&format!("retry: {}\n", retry.as_millis()));
        }
        text.push_str("event: ");
        text.push_str(kind);
        text.push_str("\ndata: ");
        text.push_str(&json);
        text.push_str("\n\n");
        Event {
            frame: Bytes::from(text),
        }
    }

    /// Bytes it takes in a queue.
    pub(crate) fn len(&self) -> usize {
        self.frame.len()
    }

    /// The kind: `snapshot`, `rows` or `status`.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &str {
        let text = std::str::from_utf8(&self.frame).expect("UTF-8");
        text.lines()
            .find_map(|l| l.strip_prefix("event: "))
            .expect("an event line")
    }

    /// The JSON data.
    #[cfg(test)]
    pub(crate) fn data(&self) -> Value {
        let text = std::str::from_utf8(&self.frame).expect("UTF-8");
        let json = text
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("a data line");
        serde_json::from_str(json).expect("JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_data_line_whatever_its_text() {
        let e = Event::new("rows", &serde_json::json!([{"text": "a\nb"}]), None);
        assert_eq!(
            &e.frame[..],
            b"event: rows\ndata: [{\"text\":\"a\\nb\"}]\n\n"
        );
        assert_eq!((e.kind(), &e.data()[0]["text"]), ("rows", &"a\nb".into()));
        let s = Event::new("snapshot", &serde_json::json!({}), Some(RETRY));
        assert!(s.frame.starts_with(b"retry: 1000\nevent: snapshot\n"));
    }
}
