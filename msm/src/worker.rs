//! A worker on a thread of its own, with a tokio runtime of its own: one way for the
//! master's and the slave's blocking forms, with the same start-up errors, shutdown (the
//! future ends, the thread ends) and panic behaviour (the thread's panic is its own; the
//! handle's `stop` joins it).

use std::io;

use crate::types::{Error, Result};

/// Runs a server on a new thread with a runtime of its own. `setup` runs on that thread
/// inside the runtime (so it can register sockets and ports) and returns the server's
/// future; its error, or the runtime's, is returned here before anything is served.
pub(crate) fn on_own_thread<F, Fut>(
    name: String,
    workers: usize,
    what: &'static str,
    setup: F,
) -> Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() -> Result<Fut> + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let runtime = match runtime(workers) {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = started_tx.send(Err(Error::Io {
                        context: format!("cannot start the {what}'s runtime"),
                        source: e,
                    }));
                    return;
                }
            };
            let server = {
                let _entered = runtime.enter();
                setup()
            };
            match server {
                Ok(server) => {
                    let _ = started_tx.send(Ok(()));
                    runtime.block_on(server);
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            }
        })
        .map_err(|e| Error::Io {
            context: format!("cannot start the {what}'s thread"),
            source: e,
        })?;
    match started_rx.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Stopped),
    }
}

fn runtime(workers: usize) -> io::Result<tokio::runtime::Runtime> {
    if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("msm-worker")
            .enable_all()
            .build()
    }
}
