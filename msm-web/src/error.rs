//! Why a view cannot start.

use std::net::SocketAddr;

/// Why a web view cannot start. Each says what failed and how to fix it.
///
/// ```
/// let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = taken.local_addr()?;
/// let err = msm_web::View::new(Vec::new()).serve(addr).unwrap_err();
/// assert!(matches!(err, msm_web::WebError::Bind { .. }));
/// assert!(err.to_string().contains("pick another address or port"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// The address to listen on does not resolve.
    #[error(
        "{given} is not an address to listen on ({reason}): give HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080"
    )]
    Address {
        /// The address as given.
        given: String,
        /// Why it does not resolve.
        reason: String,
    },
    /// The address cannot be listened on (taken, not this host's, not allowed).
    #[error("cannot listen on {addr}: {source}; pick another address or port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The thread or runtime of a blocking view could not be started.
    #[error("cannot start the web view's thread: {0}")]
    Thread(#[source] std::io::Error),
    /// A setting is out of its range.
    #[error("{0}")]
    Setting(String),
    /// The memory's items cannot be named (from [`WebVar::from_memory`](crate::WebVar::from_memory)).
    #[error("cannot show the memory: {0}")]
    Memory(#[source] Box<msm::MapError>),
}
