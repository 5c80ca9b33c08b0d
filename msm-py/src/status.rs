//! `msm.Status`: what a master reports about itself.

use msm::Status;
use pyo3::prelude::*;

/// What a master reports about itself (a snapshot, from `MasterHandle.status()`).
///
/// `stale` is True whenever the memory does not hold a fresh copy of the slave's data:
/// before the first full cycle (the variables then hold their initial values, and say
/// `"not_read"`) and from a lost connection until a cycle goes through again. A master
/// that never connected is stale.
///
/// >>> import msm
/// >>> slave = msm.Slave.tcp("127.0.0.1:0").serve(msm.Memory(4))
/// >>> with msm.Master.tcp(slave.local_addr).start(msm.Memory(4)) as master:
/// ...     master.sync()
/// ...     s = master.status()
/// >>> s.connected, s.stale, s.cycles >= 1, s.last_error
/// (True, False, True, None)
/// >>> slave.stop()
#[pyclass(module = "msm", name = "Status", frozen, get_all)]
pub(crate) struct PyStatus {
    /// True while connected to the slave.
    connected: bool,
    /// True while the memory does not hold a fresh copy of the slave's data: before the
    /// first full cycle, and after a lost connection until a cycle goes through.
    stale: bool,
    /// The latest error, as text, or `None`: the last failed request on this
    /// connection (an exception, a malformed answer, another unit's answer, no answer),
    /// else the last connection error.
    last_error: Option<String>,
    /// The last connection error (cannot connect, connection lost), or `None`.
    connection_error: Option<String>,
    /// Cycles completed.
    cycles: u64,
    /// The last cycle's duration in seconds, or `None`.
    last_cycle: Option<f64>,
    /// The average cycle duration in seconds, or `None`.
    average_cycle: Option<f64>,
    /// The blocks that fail now, as text (an entry goes when its block next succeeds).
    block_errors: Vec<String>,
    /// Connections re-made after a loss.
    reconnects: u64,
    /// Writes the slave confirmed.
    writes_confirmed: u64,
    /// Writes the slave refused with an exception that is final (not retried).
    writes_refused: u64,
    /// Writes sent again after a fault that usually passes (no answer, a malformed
    /// answer, exception 06 busy...), each after a growing pause.
    writes_retried: u64,
    /// Requests that got no answer in time.
    timeouts: u64,
    /// Requests sent again over UDP because their answer did not come in time.
    requests_resent: u64,
}

impl From<Status> for PyStatus {
    fn from(s: Status) -> PyStatus {
        let latest = s.last_fault.as_ref().map(ToString::to_string);
        PyStatus {
            connected: s.connected,
            stale: s.stale,
            cycles: s.cycles,
            last_cycle: s.last_cycle.map(|d| d.as_secs_f64()),
            average_cycle: s.average_cycle.map(|d| d.as_secs_f64()),
            block_errors: s.block_errors.iter().map(ToString::to_string).collect(),
            reconnects: s.reconnects,
            writes_confirmed: s.writes_confirmed,
            writes_refused: s.writes_refused,
            writes_retried: s.writes_retried,
            timeouts: s.timeouts,
            requests_resent: s.requests_resent,
            last_error: latest.or_else(|| s.last_error.clone()),
            connection_error: s.last_error,
        }
    }
}

/// `True`, `False`.
fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

#[pymethods]
impl PyStatus {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let last_error = self.last_error.clone().into_pyobject(py)?.repr()?;
        Ok(format!(
            "<msm.Status connected={} stale={} cycles={} writes_confirmed={} writes_refused={} \
             writes_retried={} last_error={last_error}>",
            py_bool(self.connected),
            py_bool(self.stale),
            self.cycles,
            self.writes_confirmed,
            self.writes_refused,
            self.writes_retried,
        ))
    }
}
