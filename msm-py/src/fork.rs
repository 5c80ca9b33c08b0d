//! `os.fork()`: the workers' threads (a master's runtime, a slave's threads) exist only
//! in the process that started them. In a child, the parent's workers and the memories
//! they serve or sync are refused at once with `msm.MsmError` (a call would otherwise
//! wait for a thread that is not there, or for a lock such a thread held when the
//! process forked); the child starts workers of its own.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use msm::Memory;
use pyo3::prelude::*;

use crate::errors::MsmError;

/// This process's id, as of the import or the last fork.
static PID: AtomicU32 = AtomicU32::new(0);
/// True in a process made by `fork()` from one that had imported msm.
static FORKED: AtomicBool = AtomicBool::new(false);

/// This process's id (without a system call).
pub(crate) fn pid() -> u32 {
    PID.load(Ordering::Relaxed)
}

/// Called by Python in the child after `os.fork()` (`os.register_at_fork`).
#[pyfunction]
pub(crate) fn _after_fork_in_child() {
    PID.store(std::process::id(), Ordering::Relaxed);
    FORKED.store(true, Ordering::Relaxed);
}

/// Notes this process's id and asks Python to tell us of forks.
pub(crate) fn watch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    PID.store(std::process::id(), Ordering::Relaxed);
    let hook = m.getattr("_after_fork_in_child")?;
    let kwargs = pyo3::types::PyDict::new(m.py());
    kwargs.set_item("after_in_child", hook)?;
    m.py()
        .import("os")?
        .getattr("register_at_fork")?
        .call((), Some(&kwargs))?;
    Ok(())
}

/// A worker (`"master"` or `"slave"`) started in process `started_in` is refused in
/// any other process, with how to go on.
pub(crate) fn check(what: &str, started_in: u32) -> PyResult<()> {
    if started_in == pid() {
        return Ok(());
    }
    Err(MsmError::new_err(format!(
        "this {what} was started in process {started_in}, and this is process {} made by \
         fork(): worker threads don't survive fork(), so it does not run here; start new \
         workers in the child (msm.{}.tcp(...)...) on a new msm.Memory",
        pid(),
        if what == "slave" { "Slave" } else { "Master" }
    )))
}

/// A master or slave started from Python: is it still running?
pub(crate) trait Alive: Send + Sync {
    /// True until it is stopped.
    fn running(&self) -> bool;
}

/// A worker noted at its start: `"master"` or `"slave"`, its process, its memory.
struct Started {
    kind: &'static str,
    pid: u32,
    memory: Memory,
    worker: Weak<dyn Alive>,
}

/// The workers started in this process (and, in a forked child, in the parent).
static WORKERS: Mutex<Vec<Started>> = Mutex::new(Vec::new());

/// Notes a worker (`"master"` or `"slave"`) just started in this process on `memory`.
/// Only threads holding the GIL take this lock (`_py`), so no thread that vanishes at
/// a fork can hold it then.
pub(crate) fn note(_py: Python<'_>, kind: &'static str, memory: &Memory, worker: &Arc<dyn Alive>) {
    let mut all = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    all.retain(|w| w.worker.strong_count() > 0);
    all.push(Started {
        kind,
        pid: pid(),
        memory: memory.clone(),
        worker: Arc::downgrade(worker),
    });
}

/// Refuses, in a forked child, a memory that a worker of the parent was serving or
/// syncing when the process forked: its values here are a copy frozen at the fork,
/// and its lock may have been held by a thread that is not here.
pub(crate) fn check_memory(mem: &Memory) -> PyResult<()> {
    if !FORKED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let owner = WORKERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|w| w.memory.ptr_eq(mem) && w.worker.upgrade().is_some_and(|w| w.running()))
        .map(|w| (w.kind, w.pid));
    match owner {
        Some((what, started_in)) if started_in != pid() => Err(MsmError::new_err(format!(
            "this memory is {} by a {what} started in process {started_in}, and this is \
             process {} made by fork(): worker threads don't survive fork(), so its values \
             here are a copy frozen at the fork; make a new msm.Memory in the child and \
             start new workers on it",
            if what == "slave" { "served" } else { "synced" },
            pid()
        ))),
        _ => Ok(()),
    }
}

/// True when `started_in` is another process: the worker's handle must then be
/// forgotten, never dropped (its drop would wait for threads that are not here).
pub(crate) fn foreign(started_in: u32) -> bool {
    started_in != pid()
}
