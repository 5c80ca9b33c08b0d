//! The library's log lines during the tests, captured: nothing reaches the terminal
//! unless a test fails (its failure message carries the lines logged while it ran) or
//! the user asks for them live, with `MSM_TEST_LOG=1` or `RUST_LOG` (which also sets the
//! filter; `warn` without it).
//!
//! One subscriber for the whole binary, installed before any test runs: the library
//! logs from its own threads (tokio workers, slave threads), which a per-thread capture
//! would miss. Lines are kept from the start of the oldest running test, so memory stays
//! bounded by what the tests running at the same time log (and by `KEEP_BYTES`).

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, MutexGuard, Once};

/// At most this much text is kept; older lines are dropped first, and counted.
const KEEP_BYTES: usize = 8 << 20;

/// The lines kept, each with its number in the order they were logged.
struct Store {
    lines: VecDeque<(u64, String)>,
    bytes: usize,
    /// The number the next line gets.
    next: u64,
    /// Lines dropped for `KEEP_BYTES` (not for having been read).
    dropped_before: u64,
    /// The first line number of each running test.
    running: Vec<u64>,
    /// How many tests have started so far.
    started: u64,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    lines: VecDeque::new(),
    bytes: 0,
    next: 0,
    dropped_before: 0,
    running: Vec::new(),
    started: 0,
});

thread_local! {
    /// The first line number of the test running on this thread, if one is.
    static TEST_START: Cell<Option<u64>> = const { Cell::new(None) };
}

fn store() -> MutexGuard<'static, Store> {
    // A test that panicked while logging leaves the store usable.
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

/// True when the user asked to see the log lines as they come.
fn live() -> bool {
    let asked = |var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0");
    asked("MSM_TEST_LOG") || asked("RUST_LOG")
}

/// Installs the capture as the binary's subscriber (once; later calls do nothing).
pub(crate) fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        use tracing_subscriber::filter::{LevelFilter, Targets};
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let filter = std::env::var("RUST_LOG")
            .ok()
            .and_then(|v| v.parse::<Targets>().ok())
            .unwrap_or_else(|| Targets::new().with_default(LevelFilter::WARN));
        let echo = live();
        let _ = tracing_subscriber::fmt()
            // Every level reaches the filter, which decides.
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .with_thread_names(true)
            .with_writer(move || Line {
                text: Vec::new(),
                echo,
            })
            .finish()
            .with(filter)
            .try_init();
    });
}

/// One event's text, stored when the formatter is done with it.
struct Line {
    text: Vec<u8>,
    echo: bool,
}

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.text.is_empty() {
            return;
        }
        if self.echo {
            let _ = std::io::stderr().write_all(&self.text);
        }
        let text = String::from_utf8_lossy(&self.text).into_owned();
        let mut s = store();
        if s.running.is_empty() {
            // Between tests: no test will read it (the live echo above showed it).
            return;
        }
        let n = s.next;
        s.next += 1;
        s.bytes += text.len();
        s.lines.push_back((n, text));
        while s.bytes > KEEP_BYTES {
            let Some((n, old)) = s.lines.pop_front() else {
                break;
            };
            s.bytes -= old.len();
            s.dropped_before = n + 1;
        }
    }
}

/// A test's stretch of the log: from its start to [`Window::end`].
pub(crate) struct Window {
    start: u64,
    /// Whether another test ran at some moment of this one's run.
    others_at_start: bool,
    started_before: u64,
}

/// Marks the start of a test on this thread.
pub(crate) fn begin() -> Window {
    let mut s = store();
    let start = s.next;
    let others_at_start = !s.running.is_empty();
    s.running.push(start);
    s.started += 1;
    let started_before = s.started;
    drop(s);
    TEST_START.with(|t| t.set(Some(start)));
    Window {
        start,
        others_at_start,
        started_before,
    }
}

impl Window {
    /// Ends the test's stretch: the lines logged during it, with a note when other tests
    /// ran at the same time (their lines are among them), or None if there were none.
    pub(crate) fn end(self) -> Option<String> {
        TEST_START.with(|t| t.set(None));
        let mut s = store();
        let text = lines_since(&s, self.start);
        let overlapped = self.others_at_start || s.started > self.started_before;
        if let Some(i) = s.running.iter().position(|&n| n == self.start) {
            s.running.swap_remove(i);
        }
        // Nobody reads lines older than the oldest running test's start.
        let keep_from = s.running.iter().copied().min().unwrap_or(s.next);
        while s.lines.front().is_some_and(|(n, _)| *n < keep_from) {
            if let Some((_, old)) = s.lines.pop_front() {
                s.bytes -= old.len();
            }
        }
        drop(s);
        let text = text?;
        let note = if overlapped {
            " (other tests ran at the same time, so some lines may be theirs: \
             `-- --test-threads=1 NAME` shows this test's alone)"
        } else {
            ""
        };
        Some(format!(
            "---- the library's log while this test ran{note} ----\n{text}"
        ))
    }
}

/// The lines logged from `start` on, with a note if some were dropped; None if none.
fn lines_since(s: &Store, start: u64) -> Option<String> {
    let mut text = String::new();
    if s.dropped_before > start {
        let n = s.dropped_before - start;
        text.push_str(&format!(
            "({n} earlier lines dropped: {KEEP_BYTES} bytes are kept)\n"
        ));
    }
    for (_, line) in s.lines.iter().filter(|(n, _)| *n >= start) {
        text.push_str(line);
    }
    (!text.is_empty()).then_some(text)
}

/// The lines logged since the test running on this thread started (from any thread);
/// everything kept when called outside a test.
#[allow(dead_code)] // msm-cli's tests read the logs of `msm` processes, not their own
pub(crate) fn since_test_start() -> String {
    let start = TEST_START.with(Cell::get).unwrap_or(0);
    lines_since(&store(), start).unwrap_or_default()
}
