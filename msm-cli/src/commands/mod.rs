//! One module per subcommand.

pub(crate) mod certs;
pub(crate) mod demo;
pub(crate) mod gateway;
pub(crate) mod info;
pub(crate) mod poll;
pub(crate) mod read;
pub(crate) mod serve;
pub(crate) mod write;

use std::time::Duration;

/// The built-in demo map: a plant moved by its `sim` behaviours (also shipped as
/// `msm/examples/maps/demo.toml`).
pub(crate) const DEMO_MAP: &str = include_str!("../../../msm/examples/maps/demo.toml");

/// Resolves on Ctrl-C, SIGTERM, or after `seconds` if given.
pub(crate) async fn stop_signal(seconds: Option<f64>) {
    let limit = async {
        match seconds {
            // Negative, NaN or beyond any sleep: run until a signal.
            Some(s) => match Duration::try_from_secs_f64(s) {
                Ok(d) => tokio::time::sleep(d).await,
                Err(_) => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
        () = limit => {}
    }
}

/// A generous bound for one-shot operations: connecting plus a few answers.
pub(crate) fn one_shot_limit(timeout: Duration) -> Duration {
    timeout
        .saturating_mul(5)
        .saturating_add(Duration::from_secs(1))
}
