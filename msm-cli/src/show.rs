//! Showing variables: a table redrawn in place on a terminal, one line per change when
//! the output is a pipe or a file, or one JSON object per change.

use std::collections::VecDeque;
use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::time::SystemTime;

use msm::{AnyVar, DynValue, Origin, Stamped};

/// `1 cycle`, `2 cycles`: a count with its noun in the right number.
pub(crate) fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

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

/// True once the reader of stdout went away (`msm poll | head -3` after three lines):
/// a pipe whose other end is closed polls as an error. A terminal or a file never does.
pub(crate) fn reader_gone() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use std::os::fd::AsFd;
    let out = std::io::stdout();
    let fd = out.as_fd();
    let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&zero)) {
        Ok(n) if n > 0 => fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP),
        _ => false,
    }
}

/// UTC time with milliseconds, RFC 3339.
pub(crate) fn now() -> String {
    at(SystemTime::now())
}

/// `time` in UTC with milliseconds, RFC 3339: how every time is shown.
pub(crate) fn at(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// One variable's state as a JSON line: the value only once it has been read, the error
/// where the quality is not good. Serialized directly (not through `serde_json::Value`,
/// which would widen an f32 to f64 and print 3.141590118408203 for 3.14159).
pub(crate) fn json_state(
    name: &str,
    value: Option<&DynValue>,
    quality: &str,
    error: Option<&str>,
    time: &str,
) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<&'a DynValue>,
        quality: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
        time: &'a str,
    }
    serde_json::to_string(&Line {
        name,
        value,
        quality,
        error,
        time,
    })
    .unwrap_or_default()
}

/// A variable's quality by name (`good`, `not_read`, `stale`, `bad`) and why it is not
/// good, in the library's words ([`msm::Quality::reason`]): the read's error for `bad`,
/// the link's error (when known) for `not_read` and `stale`. The console and the gateway
/// say it this way; so does the web view.
pub(crate) fn quality_of(
    var: &AnyVar,
    link_error: Option<String>,
) -> (&'static str, Option<String>) {
    let quality = var.quality();
    (quality.name(), quality.reason(link_error.as_deref()))
}

/// What a variable shows: its value once read (good or stale), its quality's name, and
/// why it is not good. `not_read_reason` says why nothing was read yet (`not connected`).
/// A variable's value (once read), quality word and error text.
pub(crate) type VarState = (Option<DynValue>, &'static str, Option<String>);

pub(crate) fn state_of(var: &AnyVar, not_read_reason: Option<&str>) -> VarState {
    let (name, why) = quality_of(var, None);
    match name {
        "good" | "stale" => (Some(var.get()), name, why),
        "not_read" => (
            None,
            name,
            Some(not_read_reason.unwrap_or("not read yet").to_string()),
        ),
        _ => (None, name, why),
    }
}

/// A value as the table and lines show it (strings quoted, so that spaces show).
pub(crate) fn shown(value: &DynValue) -> String {
    match value {
        DynValue::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// What was last shown of a variable.
struct Row {
    value: Option<DynValue>,
    quality: &'static str,
    error: Option<String>,
    /// When the value last changed (not its quality), as shown.
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
    /// Why variables not read yet are not (the link's state).
    not_read_reason: Option<String>,
    /// Output went wrong (the reader closed the pipe): the caller stops.
    failed: Option<std::io::Error>,
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
                    quality: "not_read",
                    error: None,
                    changed: None,
                })
                .collect(),
            header: String::new(),
            events: VecDeque::new(),
            redraw: true,
            not_read_reason: None,
            failed: None,
        }
    }

    /// Why variables not read yet are not (`not connected`), or None while connected.
    pub(crate) fn not_read_reason(&mut self, vars: &[AnyVar], reason: Option<String>) {
        if self.not_read_reason != reason {
            self.not_read_reason = reason;
            self.refresh_values(vars);
        }
    }

    /// The first output error (a closed pipe), if any: stop then.
    pub(crate) fn failed(&self) -> Option<&std::io::Error> {
        self.failed.as_ref()
    }

    fn write_line(&mut self, line: &str) {
        if self.failed.is_none()
            && let Err(e) = writeln!(self.out, "{line}")
        {
            self.failed = Some(e);
        }
    }

    /// Shows every variable whose value differs from what was last shown, as changed
    /// now.
    pub(crate) fn refresh_values(&mut self, vars: &[AnyVar]) {
        self.refresh_values_at(vars, &[]);
    }

    /// Shows every variable whose value differs from what was last shown, as changed
    /// at `times[i]` when known (the time of the last change seen to touch it), else now.
    pub(crate) fn refresh_values_at(&mut self, vars: &[AnyVar], times: &[Option<SystemTime>]) {
        for (i, var) in vars.iter().enumerate() {
            let time = times.get(i).copied().flatten();
            let state = self.state(var);
            self.show_state(i, var, state, None, time);
        }
    }

    /// Shows the variables `change` touched whose value changed, saying who changed them
    /// and when the change was made.
    pub(crate) fn on_change(&mut self, vars: &[AnyVar], change: &Stamped) {
        for (i, var) in vars.iter().enumerate() {
            if var.touched_by(change) {
                let state = self.state(var);
                self.show_state(i, var, state, Some(change.origin), Some(change.time));
            }
        }
    }

    /// What variable `var` holds now, as [`show_state`](Self::show_state) takes it.
    pub(crate) fn state(&self, var: &AnyVar) -> VarState {
        state_of(var, self.not_read_reason.as_deref())
    }

    /// Shows variable `i` with `state` (read earlier with [`state`](Self::state)) if it
    /// changed, said to come from `origin` at `time` (now when not known).
    pub(crate) fn show_state(
        &mut self,
        i: usize,
        var: &AnyVar,
        state: VarState,
        origin: Option<Origin>,
        time: Option<SystemTime>,
    ) {
        let (value, quality, error) = state;
        let Some(row) = self.rows.get(i) else {
            return;
        };
        // A line when the value or the quality changes (or why a value is bad); a new
        // reason for not having read anything yet only redraws the table.
        let same = row.value == value && row.quality == quality;
        if same && (row.error == error || quality != "bad") {
            if row.error != error {
                self.redraw = self.style == Style::Table;
                if let Some(row) = self.rows.get_mut(i) {
                    row.error = error;
                }
            }
            return;
        }
        let value_changed = row.value != value;
        let time = at(time.unwrap_or_else(SystemTime::now));
        match self.style {
            Style::Table => self.redraw = true,
            Style::Lines => {
                let line = match (&value, &error) {
                    (Some(v), _) => {
                        let by = match origin {
                            Some(Origin::Remote(peer)) if quality == "good" => {
                                format!("  (from {peer})")
                            }
                            _ => String::new(),
                        };
                        let note = if quality == "stale" { "  [stale]" } else { "" };
                        format!("{time}  {} = {}{by}{note}", var.name(), shown(v))
                    }
                    (None, e) => format!(
                        "{time}  {} = -  ({})",
                        var.name(),
                        e.as_deref().unwrap_or(quality)
                    ),
                };
                self.write_line(&line);
            }
            Style::Json => {
                let line = json_state(var.name(), value.as_ref(), quality, error.as_deref(), &time);
                self.write_line(&line);
            }
        }
        if let Some(row) = self.rows.get_mut(i) {
            // CHANGED is when the value changed: a new quality alone leaves it.
            if value_changed {
                row.changed = Some(time);
            }
            row.value = value;
            row.quality = quality;
            row.error = error;
        }
    }

    /// A line about something that happened now (a reconnection): printed, or kept
    /// under the table. JSON output keeps stdout for values: events go to stderr.
    pub(crate) fn event(&mut self, text: &str) {
        self.event_at(SystemTime::now(), text);
    }

    /// A line about something that happened at `time` (a remote write, stamped when
    /// the memory took it).
    pub(crate) fn event_at(&mut self, time: SystemTime, text: &str) {
        let line = format!("{}  {text}", at(time));
        match self.style {
            Style::Table => {
                if self.events.len() == EVENTS_SHOWN {
                    self.events.pop_front();
                }
                self.events.push_back(line);
                self.redraw = true;
            }
            Style::Lines => self.write_line(&line),
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
                "{:<width$}  {:<9} {:>5}  {:<7} {:<24} {:<12} QUALITY\x1b[K\n",
                "NAME", "AREA", "ADDR", "TYPE", "VALUE", "CHANGED"
            ));
            for (var, row) in vars.iter().zip(&self.rows) {
                let value = row.value.as_ref().map(shown).unwrap_or_else(|| "-".into());
                let changed = row
                    .changed
                    .as_deref()
                    .and_then(|t| t.get(11..23))
                    .unwrap_or("");
                let quality = match (&row.error, row.quality) {
                    (_, "good") => "good".to_string(),
                    (Some(e), q) => format!("{}: {e}", q.replace('_', " ")),
                    (None, q) => q.replace('_', " "),
                };
                s.push_str(&format!(
                    "{:<width$}  {:<9} {:>5}  {:<7} {:<24} {:<12} {}\x1b[K\n",
                    var.name(),
                    var.area().key(),
                    var.address(),
                    var.def().ty.to_string(),
                    value,
                    changed,
                    quality
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
            if self.failed.is_none()
                && let Err(e) = self.out.write_all(s.as_bytes())
            {
                self.failed = Some(e);
            }
        }
        if self.failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.failed = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use msm::{Map, Master, Memory, Plan, Slave};

    use super::*;

    #[test]
    fn changed_is_when_the_value_changed_not_its_quality() {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 2\n[vars]\nA = { area = \"holding\", address = 0, type = \"u16\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        let var = &mm.vars()[0];
        let mut console = Console::new(Style::Table, mm.vars());
        let t = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + ms);
        let changed = |c: &Console| c.rows[0].changed.clone();
        let good = |v: u16| (Some(DynValue::U16(v)), "good", None);
        console.show_state(0, var, good(5), None, Some(t(1)));
        assert_eq!(changed(&console), Some(at(t(1))));
        // The connection is lost: the same value, now stale. CHANGED stays.
        let stale = (
            Some(DynValue::U16(5)),
            "stale",
            Some("connection lost".to_string()),
        );
        console.show_state(0, var, stale, None, Some(t(2)));
        assert_eq!(console.rows[0].quality, "stale");
        assert_eq!(changed(&console), Some(at(t(1))));
        // Back, with the same value: still when it last changed.
        console.show_state(0, var, good(5), None, Some(t(3)));
        assert_eq!(changed(&console), Some(at(t(1))));
        // A new value, at the time of its change.
        console.show_state(0, var, good(6), None, Some(t(4)));
        assert_eq!(changed(&console), Some(at(t(4))));
    }

    #[test]
    fn quality_names_and_reasons_follow_the_library() {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 8\n[vars]\n\
             A = { area = \"holding\", address = 2, type = \"u32\" }\n\
             FAR = { area = \"holding\", address = 6, type = \"u16\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        let (a, far) = (&mm.vars()[0], &mm.vars()[1]);
        // Nobody else's data: good, value shown.
        assert_eq!(quality_of(a, None), ("good", None));
        assert_eq!(state_of(a, None).0, Some(DynValue::U32(0)));
        // Kept by a master of a slave with only 4 registers: A read, FAR refused.
        let slave = Slave::tcp("127.0.0.1:0")
            .serve(Memory::new(4))
            .expect("serve");
        let master = Master::tcp(slave.local_addr())
            .plan(Plan::DeclaredVars { max_gap: 0 })
            .response_timeout(Duration::from_secs(2))
            .start(mm.memory().clone())
            .expect("start");
        assert!(master.sync().is_err(), "FAR is past the slave's registers");
        assert_eq!(quality_of(a, None), ("good", None));
        let (name, why) = quality_of(far, Some("ignored for bad".into()));
        assert_eq!(name, "bad");
        assert_eq!(
            why.as_deref(),
            Some("exception 02 (illegal data address) reading holding 6")
        );
        let (value, _, _) = state_of(far, None);
        assert_eq!(value, None, "a value not read is never shown");
        // The slave goes away: A is stale, its last value still shown, with why.
        slave.stop();
        assert!(
            (0..500).any(|_| {
                let _ = master.sync_timeout(Duration::from_millis(20));
                quality_of(a, None).0 == "stale"
            }),
            "{:?}",
            quality_of(a, None)
        );
        let (value, name, why) = state_of(a, Some("not connected"));
        assert_eq!((value.is_some(), name), (true, "stale"));
        assert_eq!(why.as_deref(), Some("connection lost: the last value read"));
        assert_eq!(
            quality_of(a, Some("refused".into())).1.as_deref(),
            Some("connection lost (refused): the last value read")
        );
        master.stop();
    }
}
