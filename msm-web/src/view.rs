//! [`View`]: what to show and how, and starting it on a thread of its own or on the
//! caller's tokio runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use msm::transport::TcpAddr;
use msm::{MapMemory, Memory};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api;
use crate::app::App;
use crate::board::Board;
use crate::gate::Gate;
use crate::handle::{AsyncWebHandle, WebHandle};
use crate::streams::Streams;
use crate::{Hints, StatusSource, WebError, WebVar, server, watch};

/// Live pages (event streams) a view serves at once unless told otherwise.
pub const DEFAULT_MAX_CLIENTS: usize = 64;

/// A live web view to serve: its variables and its settings. Build it, then
/// [`serve`](View::serve) it from a thread of its own or
/// [`serve_async`](View::serve_async) it on a tokio runtime.
///
/// ```
/// use std::io::{Read, Write};
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 2
///     [vars]
///     LEVEL = { area = "holding", address = 0, type = "u16", value = 42 }
/// "#)?
/// .build()?;
/// let view = msm_web::View::of_map(&mm).writable(true).max_clients(8).serve("127.0.0.1:0")?;
/// println!("open {}", view.url());
///
/// // The JSON API, as any HTTP client sees it.
/// let mut http = std::net::TcpStream::connect(view.local_addr())?;
/// write!(http, "GET /api/vars/LEVEL HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
/// let mut answer = String::new();
/// http.read_to_string(&mut answer)?;
/// assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
/// assert!(answer.contains(r#""value":42"#), "{answer}");
/// view.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct View {
    vars: Vec<WebVar>,
    status: Option<StatusSource>,
    writable: bool,
    token: Option<String>,
    max_clients: usize,
    hints: Hints,
}

impl View {
    /// A view of `vars`, from one memory or several, in this order; read-only, without a
    /// token, at most [`DEFAULT_MAX_CLIENTS`] live pages.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str("[memory]\ncoils = 1\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n")?.build()?;
    /// let view = msm_web::View::new(msm_web::WebVar::from_map(&mm, "pump/", |_| true));
    /// # drop(view);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(vars: impl IntoIterator<Item = WebVar>) -> View {
        View {
            vars: vars.into_iter().collect(),
            status: None,
            writable: false,
            token: None,
            max_clients: DEFAULT_MAX_CLIENTS,
            hints: Hints::default(),
        }
    }

    /// A view of every variable of a built map, in the map's order.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str("[memory]\nholding_registers = 1\n")?.build()?;
    /// let view = msm_web::View::of_map(&mm).serve("127.0.0.1:0")?;
    /// assert!(view.url().starts_with("http://127.0.0.1:"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_map(mm: &MapMemory) -> View {
        View::new(WebVar::from_map(mm, "", |_| true))
    }

    /// A view of every item of a memory without a map ([`WebVar::from_memory`]).
    ///
    /// ```
    /// let mem = msm::Memory::new(4);
    /// let view = msm_web::View::of_memory(&mem)?.serve("127.0.0.1:0")?;
    /// # drop(view);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_memory(memory: &Memory) -> Result<View, WebError> {
        Ok(View::new(WebVar::from_memory(memory)?))
    }

    /// True to let the page write the variables (each that [`WebVar::is_writable`]).
    /// Off by default.
    ///
    /// ```
    /// # let mem = msm::Memory::new(1);
    /// let view = msm_web::View::of_memory(&mem)?.writable(true);
    /// # drop(view);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn writable(mut self, writable: bool) -> View {
        self.writable = writable;
        self
    }

    /// Require `token` from every request, as `Authorization: Bearer TOKEN` or
    /// `?token=TOKEN`; the page passes on the token it was opened with. Printable
    /// ASCII without spaces. Without one, a view on an address other than loopback can
    /// be read (and written, if writable) by anyone who reaches it.
    ///
    /// ```
    /// # let mem = msm::Memory::new(1);
    /// let view = msm_web::View::of_memory(&mem)?.token("s3cret").serve("127.0.0.1:0")?;
    /// assert!(view.url().ends_with("/?token=s3cret"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> View {
        self.token = Some(token.into());
        self
    }

    /// Serve at most `n` live pages (event streams) at once; one more is refused with
    /// 503 and a JSON error. Default [`DEFAULT_MAX_CLIENTS`]; at least 1.
    ///
    /// ```
    /// # let mem = msm::Memory::new(1);
    /// let err = msm_web::View::of_memory(&mem)?.max_clients(0).serve("127.0.0.1:0").unwrap_err();
    /// assert!(err.to_string().contains("at least 1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_clients(mut self, n: usize) -> View {
        self.max_clients = n;
        self
    }

    /// Where the page and `/api/status` read a master's state.
    ///
    /// ```
    /// # let mem = msm::Memory::new(1);
    /// let view = msm_web::View::of_memory(&mem)?.status(msm_web::StatusSource::new(msm::Status::default));
    /// # drop(view);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(mut self, source: StatusSource) -> View {
        self.status = Some(source);
        self
    }

    /// Whose words refusals use for the settings that fix them (default [`Hints::Rust`]).
    ///
    /// ```
    /// # let mem = msm::Memory::new(1);
    /// let view = msm_web::View::of_memory(&mem)?.hints(msm_web::Hints::Python);
    /// # drop(view);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hints(mut self, hints: Hints) -> View {
        self.hints = hints;
        self
    }

    /// Listens on `addr` (`"127.0.0.1:8080"`, `("::1", 8080)`; port 0 lets the system
    /// choose) and serves the view from a thread of its own, until the handle is stopped
    /// or dropped. For programs without a tokio runtime (see [`serve_async`](Self::serve_async)).
    ///
    /// ```
    /// let mem = msm::Memory::new(2);
    /// let view = msm_web::View::of_memory(&mem)?.serve("127.0.0.1:0")?;
    /// assert!(view.local_addr().ip().is_loopback());
    /// view.stop();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve(self, addr: impl TcpAddr) -> Result<WebHandle, WebError> {
        self.check()?;
        let addr = resolve(addr.into_addr(), |text| {
            std::net::ToSocketAddrs::to_socket_addrs(text).map(Iterator::collect)
        })?;
        let std_listener =
            std::net::TcpListener::bind(addr).map_err(|source| WebError::Bind { addr, source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(WebError::Thread)?;
        let listener = {
            let _inside = runtime.enter();
            std_listener
                .set_nonblocking(true)
                .and_then(|()| TcpListener::from_std(std_listener))
                .map_err(|source| WebError::Bind { addr, source })?
        };
        let local_addr = listener
            .local_addr()
            .map_err(|source| WebError::Bind { addr, source })?;
        let url = self.url(local_addr);
        let stop = CancellationToken::new();
        let tasks_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("msm-web".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    for task in self.start(listener, local_addr, &tasks_stop) {
                        let _ = task.await;
                    }
                });
            })
            .map_err(WebError::Thread)?;
        Ok(WebHandle::new(local_addr, url, stop, thread))
    }

    /// Listens on `addr` and serves the view from tasks on the current tokio runtime,
    /// until the handle is stopped or dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mem = msm::Memory::new(2);
    /// let view = msm_web::View::of_memory(&mem)?.serve_async("127.0.0.1:0").await?;
    /// println!("open {}", view.url());
    /// view.stop().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn serve_async(self, addr: impl TcpAddr) -> Result<AsyncWebHandle, WebError> {
        self.check()?;
        let text = addr.into_addr();
        let found = tokio::net::lookup_host(text.as_str())
            .await
            .map(Iterator::collect::<Vec<_>>);
        let addr = resolve(text, |_| found)?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| WebError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| WebError::Bind { addr, source })?;
        let url = self.url(local_addr);
        let stop = CancellationToken::new();
        let tasks = self.start(listener, local_addr, &stop);
        Ok(AsyncWebHandle::new(local_addr, url, stop, tasks))
    }

    /// Refuses settings out of their range.
    fn check(&self) -> Result<(), WebError> {
        if self.max_clients == 0 {
            return Err(WebError::Setting(format!(
                "max_clients is 0: a view serves at least 1 live page; give {}",
                self.hints.max_clients()
            )));
        }
        if let Some(token) = &self.token
            && (token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(WebError::Setting(
                "the token must be printable ASCII without spaces, at least one character \
                 (it travels in an HTTP header): `openssl rand -hex 16` makes a good one"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// The address to open: with `?token=` when the view has a token.
    fn url(&self, local_addr: SocketAddr) -> String {
        match &self.token {
            Some(token) => format!(
                "http://{local_addr}/?token={}",
                form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
            ),
            None => format!("http://{local_addr}/"),
        }
    }

    /// Starts the view's tasks on the current runtime: following the memories, and
    /// serving `listener` until `stop`.
    fn start(
        self,
        listener: TcpListener,
        local_addr: SocketAddr,
        stop: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let board = Arc::new(Board::new(
            self.vars,
            self.status,
            self.writable,
            self.hints,
        ));
        let mut tasks = watch::spawn(&board, stop);
        let app = App {
            board,
            streams: Arc::new(Streams::new(self.max_clients)),
        };
        let gate = Gate {
            token: self.token.map(Arc::from),
            loopback: local_addr.ip().is_loopback(),
            hints: self.hints,
        };
        let router = api::router(app, gate);
        tasks.push(tokio::spawn(server::accept(listener, router, stop.clone())));
        tasks
    }
}

/// The first address `text` resolves to, by `lookup`.
fn resolve(
    text: String,
    lookup: impl FnOnce(&str) -> std::io::Result<Vec<SocketAddr>>,
) -> Result<SocketAddr, WebError> {
    match lookup(&text) {
        Ok(found) => found.into_iter().next().ok_or_else(|| WebError::Address {
            given: text,
            reason: "the name resolves to no address".to_string(),
        }),
        Err(e) => Err(WebError::Address {
            given: text,
            reason: e.to_string(),
        }),
    }
}
