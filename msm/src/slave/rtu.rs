//! The serial-line driver: moves bytes and time between the port and a connection core
//! framing RTU by silence, or ASCII by its characters. Frames for this slave's
//! addresses are executed and answered (RTU: after the line has been silent for 3.5
//! characters); broadcasts are executed and never answered; anything else (other units,
//! bad CRC or LRC, gaps or pauses inside a frame) is dropped without a word. Every rule
//! is in the core (`core/connection.rs`, `core/respond.rs`).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::Settings;
use super::core::connection::{Connection, Limits};
use super::core::respond::{Client, Responder};
use crate::memory::Memory;
use crate::protocol::stream::Delimiter;
use crate::transport::Stream;

pub(crate) struct SerialServer {
    pub(crate) port: Box<dyn Stream>,
    pub(crate) name: String,
    /// RTU by the line's silences, or ASCII.
    pub(crate) delimiter: Delimiter,
    pub(crate) settings: Arc<Settings>,
    pub(crate) mem: Memory,
    pub(crate) stop: CancellationToken,
}

impl SerialServer {
    /// Serves until stopped or the port fails.
    pub(crate) async fn run(mut self) {
        tracing::info!(line = %self.name, "slave listening on a serial line");
        let delimiter = self.delimiter;
        let client = Client::Serial {
            line: self.name.clone(),
        };
        let responder = Responder::new(self.settings.rules.clone(), self.mem.clone(), client);
        let mut now = Instant::now();
        // A bus has no client to time out: no limits.
        let mut core = Connection::new(delimiter, Limits::NONE, responder, now.into_std());
        loop {
            while let Some(out) = core.poll_transmit(now.into_std()) {
                let len = out.len();
                if let Err(e) = self.port.write_all(out).await {
                    tracing::warn!(line = %self.name, error = %e, "writing the serial line failed");
                    return;
                }
                core.transmitted(len);
            }
            // The answer's turnaround, or the silence that ends a frame.
            let wake = core.poll_timeout().map(Instant::from_std);
            let timer = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.stop.cancelled() => break,
                read = self.port.read(core.read_space()), if core.wants_input() => match read {
                    Ok(0) => {
                        tracing::warn!(line = %self.name, "the serial line closed");
                        break;
                    }
                    Ok(n) => {
                        now = Instant::now();
                        core.filled(now.into_std(), n);
                    }
                    Err(e) => {
                        tracing::warn!(line = %self.name, error = %e, "reading the serial line failed");
                        break;
                    }
                },
                () = timer => {
                    now = Instant::now();
                    core.handle_timeout(now.into_std());
                }
            }
        }
        tracing::info!(line = %self.name, "slave stopped");
    }
}
