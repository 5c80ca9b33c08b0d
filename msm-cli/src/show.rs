//! Showing variables: a table redrawn in place on a terminal, one line per change when
//! the output is a pipe or a file, or one JSON object per change.

use std::collections::VecDeque;
use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::time::SystemTime;

use msm::{AnyVar, Change, DynValue, Origin};

/// How a console shows things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// A table redrawn in place (terminals).
    Table,
    /// One line per change.
    Lines,
    /// One JSON object per change.
    Json,
}

impl Style {
    /// A table on a terminal, lines otherwise; JSON when asked.
    pub(crate) fn pick(json: bool) -> Style {
        if json {
            Style::Json
        } else if std::io::stdout().is_terminal() {
            Style::Table
        } else {
            Style::Lines
        }
    }
}

/// UTC time with milliseconds, RFC 3339.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// `{"name": .., "value": .., "time": ..}` on one line.
pub(crate) fn json_line(name: &str, value: &DynValue, time: &str) -> String {
    serde_json::json!({ "name": name, "value": value, "time": time }).to_string()
}

/// A value as the table and lines show it (strings quoted, so that spaces show).
pub(crate) fn shown(value: &DynValue) -> String {
    match value {
        DynValue::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// What the last change of a variable was.
struct Row {
    value: Option<DynValue>,
    changed: Option<String>,
}

/// Keeps what was shown and shows what changed.
pub(crate) struct Console {
    style: Style,
    out: BufWriter<Stdout>,
    rows: Vec<Row>,
    header: String,
    events: VecDeque<String>,
    redraw: bool,
}

/// Events kept under the table.
const EVENTS_SHOWN: usize = 12;

impl Console {
    pub(crate) fn new(style: Style, vars: &[AnyVar]) -> Console {
        Console {
            style,
            out: BufWriter::new(std::io::stdout()),
            rows: vars
                .iter()
                .map(|_| Row {
                    value: None,
                    changed: None,
                })
                .collect(),
            header: String::new(),
            events: VecDeque::new(),
            redraw: true,
        }
    }

    /// Shows every variable whose value differs from what was last shown.
    pub(crate) fn refresh_values(&mut self, vars: &[AnyVar]) {
        for (i, var) in vars.iter().enumerate() {
            self.check(i, var, None);
        }
    }

    /// Shows the variables `change` touched whose value changed, saying who changed them.
    pub(crate) fn on_change(&mut self, vars: &[AnyVar], change: &Change) {
        for (i, var) in vars.iter().enumerate() {
            if var.touched_by(change) {
                self.check(i, var, Some(change.origin));
            }
        }
    }

    fn check(&mut self, i: usize, var: &AnyVar, origin: Option<Origin>) {
        let value = var.get();
        let Some(row) = self.rows.get_mut(i) else {
            return;
        };
        if row.value.as_ref() == Some(&value) {
            return;
        }
        let time = now();
        match self.style {
            Style::Table => self.redraw = true,
            Style::Lines => {
                let by = match origin {
                    Some(Origin::Remote(peer)) => format!("  (from {peer})"),
                    _ => String::new(),
                };
                let _ = writeln!(self.out, "{time}  {} = {}{by}", var.name(), shown(&value));
            }
            Style::Json => {
                let _ = writeln!(self.out, "{}", json_line(var.name(), &value, &time));
            }
        }
        row.value = Some(value);
        row.changed = Some(time);
    }

    /// A line about something that happened (a remote write, a reconnection): printed,
    /// or kept under the table. JSON output keeps stdout for values: events go to stderr.
    pub(crate) fn event(&mut self, text: &str) {
        let line = format!("{}  {text}", now());
        match self.style {
            Style::Table => {
                if self.events.len() == EVENTS_SHOWN {
                    self.events.pop_front();
                }
                self.events.push_back(line);
                self.redraw = true;
            }
            Style::Lines => {
                let _ = writeln!(self.out, "{line}");
            }
            Style::Json => eprintln!("{line}"),
        }
    }

    /// The line above the table (connection state, cycle times).
    pub(crate) fn header(&mut self, text: String) {
        if self.header != text {
            self.header = text;
            self.redraw = true;
        }
    }

    /// Redraws the table if anything changed, and pushes buffered output out.
    pub(crate) fn render(&mut self, vars: &[AnyVar]) {
        if self.style == Style::Table && self.redraw {
            self.redraw = false;
            // Home, then each line cleared to its end, then the rest of the screen: no
            // flicker from clearing everything first.
            let mut s = String::from("\x1b[H");
            s.push_str(&self.header);
            s.push_str("\x1b[K\n\x1b[K\n");
            let width = vars
                .iter()
                .map(|v| v.name().len())
                .max()
                .unwrap_or(4)
                .max(4);
            s.push_str(&format!(
                "{:<width$}  {:<9} {:>5}  {:<7} {:<24} {}\x1b[K\n",
                "NAME", "AREA", "ADDR", "TYPE", "VALUE", "CHANGED"
            ));
            for (var, row) in vars.iter().zip(&self.rows) {
                let value = row.value.as_ref().map(shown).unwrap_or_else(|| "-".into());
                let changed = row
                    .changed
                    .as_deref()
                    .and_then(|t| t.get(11..23))
                    .unwrap_or("");
                s.push_str(&format!(
                    "{:<width$}  {:<9} {:>5}  {:<7} {:<24} {}\x1b[K\n",
                    var.name(),
                    var.area().key(),
                    var.address(),
                    var.def().ty.to_string(),
                    value,
                    changed
                ));
            }
            if !self.events.is_empty() {
                s.push_str("\x1b[K\n");
                for e in &self.events {
                    s.push_str(e);
                    s.push_str("\x1b[K\n");
                }
            }
            s.push_str("\x1b[J");
            let _ = self.out.write_all(s.as_bytes());
        }
        let _ = self.out.flush();
    }
}
