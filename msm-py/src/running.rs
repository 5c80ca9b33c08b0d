//! A running master as the bindings keep it: shared by its Python handle, the waits in
//! progress, and the registry that tells a variable's quality why it is not good.

use std::sync::{Arc, Mutex, Weak};

use msm::{AsyncMasterHandle, Memory, Status};
use pyo3::prelude::*;
use tokio::sync::watch;

use crate::fork;

/// A running master.
pub(crate) struct Running {
    pub(crate) handle: Mutex<Option<Arc<AsyncMasterHandle>>>,
    /// Set when `stop()` begins, so that waits in progress end at once. (An `Option`
    /// only to be forgotten in a forked child.)
    stopping: Option<watch::Sender<bool>>,
    pub(crate) memory: Memory,
    pub(crate) peer: String,
    /// The process that started it (see `fork`).
    pub(crate) pid: u32,
}

/// The masters of this process, for the quality of their memories' variables. Only
/// threads holding the GIL take this lock.
static RUNNING: Mutex<Vec<Weak<Running>>> = Mutex::new(Vec::new());

/// The status of the master syncing `mem`, if one runs.
pub(crate) fn status_of(mem: &Memory) -> Option<Status> {
    master_of(mem).map(|h| h.status())
}

/// The master syncing `mem`, if one runs (an MQTT bridge follows it).
pub(crate) fn master_of(mem: &Memory) -> Option<Arc<AsyncMasterHandle>> {
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running
        .iter()
        .filter_map(Weak::upgrade)
        .find(|r| r.memory.ptr_eq(mem))
        .and_then(|r| r.current())
}

impl Running {
    /// A master just started on `memory`, noted in the registries (with the GIL).
    pub(crate) fn started(
        py: Python<'_>,
        handle: AsyncMasterHandle,
        memory: Memory,
        peer: String,
    ) -> Arc<Running> {
        let running = Arc::new(Running {
            handle: Mutex::new(Some(Arc::new(handle))),
            stopping: Some(watch::channel(false).0),
            memory,
            peer,
            pid: fork::pid(),
        });
        let mut all = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&running));
        drop(all);
        let alive: Arc<dyn fork::Alive> = running.clone();
        fork::note(py, "master", &running.memory, &alive);
        running
    }

    /// The worker's handle, until `stop()`.
    pub(crate) fn current(&self) -> Option<Arc<AsyncMasterHandle>> {
        self.handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A receiver that sees `true` once `stop()` begins.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        match &self.stopping {
            Some(s) => s.subscribe(),
            None => watch::channel(true).1,
        }
    }

    /// Tells the waits in progress that `stop()` begins.
    pub(crate) fn mark_stopping(&self) {
        if let Some(s) = &self.stopping {
            s.send_replace(true);
        }
    }
}

impl fork::Alive for Running {
    fn running(&self) -> bool {
        self.current().is_some()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if fork::foreign(self.pid) {
            // Its runtime is not in this process: dropping the handle would wake it.
            let handle = self
                .handle
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            std::mem::forget(handle);
            std::mem::forget(self.stopping.take());
        }
    }
}
