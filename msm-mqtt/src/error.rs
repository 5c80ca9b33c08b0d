//! The bridge's errors: each says what is wrong and how to fix it.

/// What can go wrong setting a bridge up.
///
/// ```
/// let err = msm_mqtt::Broker::parse("mqtt://").unwrap_err();
/// assert!(err.to_string().contains("mqtt://host:port"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The broker's url cannot be read.
    #[error(
        "broker url {url:?}: {why}: write it as mqtt://host:port (mqtts:// for TLS), for example mqtt://127.0.0.1:1883"
    )]
    Url {
        /// The url as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A setting is wrong (a prefix, a device or variable name, TLS files); the message
    /// names it and says how to fix it.
    #[error("{0}")]
    Config(String),
    /// The bridge's own thread or runtime could not be started.
    #[error("cannot start the bridge's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
