//! The tokio runtime the bindings' workers run on, and blocking waits that release the
//! GIL and still let Ctrl-C through.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::{IntoPy, to_py};

/// How often a blocked call wakes to let Python handle signals (Ctrl-C).
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// One multi-thread runtime for every master of the process (slaves run their own).
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("msm-py")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start msm's runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| crate::errors::MsmError::new_err(e.clone()))
}

/// Seconds from Python (`None`: no limit) as a duration, refusing negative, NaN or huge
/// values with a message naming `what`.
pub(crate) fn seconds(what: &str, s: Option<f64>) -> PyResult<Option<Duration>> {
    s.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|_| {
            crate::errors::bad_value(format!(
                "{what} = {s} is not a duration: give seconds as a number >= 0 (0.5 for 500 ms)"
            ))
        })
    })
    .transpose()
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
