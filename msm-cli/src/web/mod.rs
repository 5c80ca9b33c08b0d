//! A live web view of variables: a page with a table, trends and writes, a JSON API and
//! a server-sent event stream, served by axum on the runtime msm already runs on.
//!
//! [`spawn`] serves any list of [`WebVar`]s, from one memory or several (a gateway names
//! them with a device prefix), with an optional [`StatusSource`] (a master's state).
//! Changes come from each memory's subscription; nothing here ever makes a slave or a
//! master wait: the memory drops what the view does not read in time, and a page that
//! reads slowly gets a fresh snapshot instead of a backlog.

mod api;
mod args;
mod board;
mod trend;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;

use msm::{AnyVar, Area, MapMemory, Memory, Status};
use tokio::task::JoinHandle;

pub(crate) use args::WebArgs;
use board::Board;

use crate::failure::Failure;

/// One variable the view shows, under the name it shows.
#[derive(Clone, Debug)]
pub(crate) struct WebVar {
    /// The name in the table and the API (a gateway may prefix a device's name).
    pub(crate) name: String,
    /// The variable.
    pub(crate) var: AnyVar,
    /// The memory it lives on (changes and staleness come from there).
    pub(crate) memory: Memory,
    /// False when this program cannot write it (an input a master only reads).
    pub(crate) writable: bool,
}

impl WebVar {
    /// Every variable of a built map, in the map's order, named `prefix` + name;
    /// `writable` says which ones this program may write.
    pub(crate) fn from_map(
        mm: &MapMemory,
        prefix: &str,
        writable: impl Fn(&AnyVar) -> bool,
    ) -> Vec<WebVar> {
        mm.vars()
            .iter()
            .map(|v| WebVar {
                name: format!("{prefix}{}", v.name()),
                var: v.clone(),
                memory: mm.memory().clone(),
                writable: writable(v),
            })
            .collect()
    }
}

/// Where the view reads a master's state (connected, reconnecting, last error).
#[derive(Clone)]
pub(crate) struct StatusSource {
    get: Arc<dyn Fn() -> Status + Send + Sync>,
}

impl StatusSource {
    /// A source that calls `get` (a few times a second).
    pub(crate) fn new(get: impl Fn() -> Status + Send + Sync + 'static) -> StatusSource {
        StatusSource { get: Arc::new(get) }
    }

    /// A source fed by its sender: for a loop that already reads the master's state.
    pub(crate) fn channel() -> (tokio::sync::watch::Sender<Status>, StatusSource) {
        let (tx, rx) = tokio::sync::watch::channel(Status::default());
        (tx, StatusSource::new(move || rx.borrow().clone()))
    }

    /// The state now.
    pub(crate) fn get(&self) -> Status {
        (self.get)()
    }
}

/// How the view is served.
#[derive(Clone, Debug)]
pub(crate) struct WebConfig {
    /// Where to listen.
    pub(crate) addr: SocketAddr,
    /// True to let pages write variables.
    pub(crate) writable: bool,
    /// The token every request must carry, if any.
    pub(crate) token: Option<String>,
}

/// A running web view; it stops when dropped.
pub(crate) struct WebServer {
    local_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl WebServer {
    /// Where it listens.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Serves `vars` (and `status`, if given) on the current tokio runtime.
pub(crate) async fn spawn(
    config: WebConfig,
    vars: Vec<WebVar>,
    status: Option<StatusSource>,
) -> std::io::Result<WebServer> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let local_addr = listener.local_addr()?;
    let board = Arc::new(Board::new(vars, status, config.writable));
    let mut tasks = watch::spawn(&board);
    let gate = api::Gate {
        token: config.token.map(Arc::from),
        loopback: local_addr.ip().is_loopback(),
    };
    let app = api::router(board, gate);
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("web view: {e}");
        }
    }));
    Ok(WebServer { local_addr, tasks })
}

/// `--web` on a command: serves the map's variables and prints where; `None` without
/// `--web`. With a `status` (a master's: `msm poll`) inputs are not writable.
pub(crate) async fn start(
    a: &WebArgs,
    mm: &MapMemory,
    status: Option<StatusSource>,
) -> Result<Option<WebServer>, Failure> {
    if a.web.is_none() {
        return Ok(None);
    }
    // A master writes coils and holding registers; a slave's program writes any area.
    let master = status.is_some();
    let vars = WebVar::from_map(mm, "", |v| {
        !master || matches!(v.area(), Area::Coil | Area::Holding)
    });
    start_vars(a, vars, status).await
}

/// `--web` with the variables given (a gateway's, named `DEVICE/VAR`): serves them and
/// prints where; `None` without `--web`.
pub(crate) async fn start_vars(
    a: &WebArgs,
    vars: Vec<WebVar>,
    status: Option<StatusSource>,
) -> Result<Option<WebServer>, Failure> {
    let Some(text) = &a.web else {
        return Ok(None);
    };
    let addr = args::parse_addr(text).map_err(|e| Failure::usage(e.to_string()))?;
    let config = WebConfig {
        addr,
        writable: a.web_writable,
        token: a.web_token.clone(),
    };
    let server = spawn(config, vars, status).await.map_err(|e| {
        Failure::usage(format!(
            "--web {text}: cannot listen on {addr}: {e}; pick another address or port"
        ))
    })?;
    if let Some(w) = args::exposure_warning(addr, a.web_token.is_some(), a.web_writable) {
        eprintln!("msm: {w}");
    }
    let mode = if a.web_writable {
        "writable"
    } else {
        "read-only"
    };
    eprintln!(
        "msm web: http://{}/ ({mode}); Ctrl-C to stop",
        server.local_addr()
    );
    Ok(Some(server))
}
