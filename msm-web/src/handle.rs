//! Running views: [`WebHandle`] (its own thread) and [`AsyncWebHandle`] (tasks on the
//! caller's runtime).

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio_util::sync::CancellationToken;

/// A view served from a thread of its own ([`View::serve`](crate::View::serve)). It
/// stops when [`stop`](Self::stop)ped or dropped.
///
/// ```
/// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve("127.0.0.1:0")?;
/// let addr = view.local_addr();
/// view.stop();
/// // The port is free again.
/// let again = msm_web::View::of_memory(&msm::Memory::new(1))?.serve(addr)?;
/// assert_eq!(again.local_addr(), addr);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct WebHandle {
    local_addr: SocketAddr,
    url: String,
    stop: CancellationToken,
    thread: Option<JoinHandle<()>>,
}

impl WebHandle {
    pub(crate) fn new(
        local_addr: SocketAddr,
        url: String,
        stop: CancellationToken,
        thread: JoinHandle<()>,
    ) -> WebHandle {
        WebHandle {
            local_addr,
            url,
            stop,
            thread: Some(thread),
        }
    }

    /// The address it listens on (with the port the system chose for port 0).
    ///
    /// ```
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve("127.0.0.1:0")?;
    /// assert_ne!(view.local_addr().port(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The page's address, `http://HOST:PORT/`, with `?token=TOKEN` when the view has a
    /// token: then it is a secret.
    ///
    /// ```
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve("127.0.0.1:0")?;
    /// assert_eq!(view.url(), format!("http://{}/", view.local_addr()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving (closing every connection) and waits until the thread has ended,
    /// so the port is free again when this returns.
    ///
    /// ```
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve("127.0.0.1:0")?;
    /// let addr = view.local_addr();
    /// view.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the web view's thread panicked");
        }
    }
}

impl Drop for WebHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A view served from tasks on a tokio runtime ([`View::serve_async`](crate::View::serve_async)).
/// Dropping it stops the view without waiting; [`stop`](Self::stop) waits.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve_async("127.0.0.1:0").await?;
/// assert!(view.url().starts_with("http://127.0.0.1:"));
/// view.stop().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncWebHandle {
    local_addr: SocketAddr,
    url: String,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl AsyncWebHandle {
    pub(crate) fn new(
        local_addr: SocketAddr,
        url: String,
        stop: CancellationToken,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    ) -> AsyncWebHandle {
        AsyncWebHandle {
            local_addr,
            url,
            stop,
            tasks,
        }
    }

    /// The address it listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve_async("127.0.0.1:0").await?;
    /// assert!(view.local_addr().ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The page's address, with `?token=TOKEN` when the view has a token (a secret).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?
    ///     .token("a/b")
    ///     .serve_async("127.0.0.1:0")
    ///     .await?;
    /// assert_eq!(view.url(), format!("http://{}/?token=a%2Fb", view.local_addr()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving, closing every connection, and waits until every task has ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let view = msm_web::View::of_memory(&msm::Memory::new(1))?.serve_async("127.0.0.1:0").await?;
    /// let addr = view.local_addr();
    /// view.stop().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stop(mut self) {
        self.stop.cancel();
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for AsyncWebHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
