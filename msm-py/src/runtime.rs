//! The tokio runtime the bindings' workers run on, and blocking waits that release the
//! GIL and still let Ctrl-C through.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::{IntoPy, to_py};

/// How often a blocked call wakes to let Python handle signals (Ctrl-C).
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// One multi-thread runtime for every master of the process (slaves run their own),
/// made on first use. A process made by `fork()` makes its own: the parent's threads
/// are not in it. (Only threads holding the GIL take this lock, so no thread that
/// vanishes at a fork can hold it then.)
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);
    let pid = crate::fork::pid();
    let mut current = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((made_in, rt)) = *current
        && made_in == pid
    {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // The asyncio bridge completes each call from this pool: a few threads do.
        .max_blocking_threads(8)
        .thread_keep_alive(Duration::from_secs(2))
        .thread_name("msm-py")
        .enable_all()
        .build()
        .map_err(|e| {
            crate::errors::MsmError::new_err(format!("cannot start msm's runtime: {e}"))
        })?;
    // Lives as long as the process; the one of a parent process is left alone (its
    // threads are not here to be stopped).
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    *current = Some((pid, rt));
    Ok(rt)
}

/// Seconds from Python (`None`: no limit), refusing negative, NaN or huge values, and
/// anything not a number, with a message naming `what`.
pub(crate) fn seconds(what: &str, s: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    crate::args::opt_seconds(s, what)
}

/// Runs `fut` to completion without the GIL, waking every [`SIGNAL_SLICE`] to let
/// Python run its signal handlers (a `KeyboardInterrupt` ends the wait), and giving up
/// with `msm.Timeout` after `timeout`.
pub(crate) fn wait<F, T>(
    py: Python<'_>,
    timeout: Option<Duration>,
    what: &'static str,
    fut: F,
) -> PyResult<T>
where
    F: Future<Output = msm::Result<T>> + Send,
    T: Send,
{
    let rt = runtime()?;
    py.detach(|| {
        rt.block_on(async move {
            let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
            let mut fut = std::pin::pin!(fut);
            loop {
                let slice = deadline.map_or(SIGNAL_SLICE, |d| {
                    SIGNAL_SLICE.min(d.saturating_duration_since(Instant::now()))
                });
                tokio::select! {
                    out = &mut fut => return out.py(),
                    () = tokio::time::sleep(slice) => {
                        Python::attach(|py| py.check_signals())?;
                        if let (Some(deadline), Some(after)) = (deadline, timeout)
                            && Instant::now() >= deadline
                        {
                            return Err(to_py(msm::Error::Timeout { what, after }));
                        }
                    }
                }
            }
        })
    })
}
