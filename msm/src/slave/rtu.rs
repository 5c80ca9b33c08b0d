//! The serial-line driver: bytes from the port go through the silence-based framer;
//! frames for this slave's addresses are executed and answered after the line has been
//! silent for 3.5 characters; broadcasts are executed and never answered; anything else
//! (other units, bad CRC, gaps inside a frame) is dropped without a word.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::Settings;
use super::exec::{self, Context};
use crate::memory::{Memory, Peer};
use crate::protocol::rtu::{self, Direction};
use crate::protocol::rtu_framer::Timing;
use crate::protocol::stream::{Delimiter, Framed, StreamFramer};
use crate::transport::Stream;

pub(crate) struct SerialServer {
    pub(crate) port: Box<dyn Stream>,
    pub(crate) name: String,
    pub(crate) timing: Timing,
    pub(crate) settings: Arc<Settings>,
    pub(crate) mem: Memory,
    pub(crate) stop: CancellationToken,
}

impl SerialServer {
    /// Serves until stopped or the port fails.
    pub(crate) async fn run(mut self) {
        tracing::info!(line = %self.name, "slave listening on a serial line");
        let delimiter = Delimiter::RtuBySilence {
            direction: Direction::Request,
            timing: self.timing,
        };
        let mut framer = StreamFramer::with_capacity(delimiter, 2 * rtu::MAX_FRAME_LEN);
        let mut reply = [0u8; rtu::MAX_FRAME_LEN + 4];
        let mut last_byte = Instant::now();
        loop {
            let wake = framer.poll_timeout().map(Instant::from_std);
            let silence = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.stop.cancelled() => break,
                read = self.port.read(framer.read_space()) => match read {
                    Ok(0) => {
                        tracing::warn!(line = %self.name, "the serial line closed");
                        break;
                    }
                    Ok(n) => {
                        last_byte = Instant::now();
                        framer.filled(last_byte.into_std(), n);
                    }
                    Err(e) => {
                        tracing::warn!(line = %self.name, error = %e, "reading the serial line failed");
                        break;
                    }
                },
                () = silence => {}
            }
            let now = Instant::now().into_std();
            // By silence, the framer reports no stream error: `Err` can't come.
            while let Ok(Some(framed)) = framer.poll(now) {
                let Some(len) = self.answer(framed, &mut reply) else {
                    continue;
                };
                // The master gets 3.5 characters of silence before the answer.
                tokio::time::sleep_until(last_byte + self.timing.frame_gap).await;
                if let Err(e) = self.port.write_all(&reply[..len]).await {
                    tracing::warn!(line = %self.name, error = %e, "writing the serial line failed");
                    return;
                }
            }
        }
        tracing::info!(line = %self.name, "slave stopped");
    }

    /// Executes a frame meant for this slave; the answer frame's length, if one is due.
    fn answer(&self, framed: Framed<'_>, reply: &mut [u8]) -> Option<usize> {
        let frame = match framed {
            Framed::Frame(frame) => frame,
            Framed::Skipped(why) => {
                tracing::debug!(line = %self.name, %why, "frame dropped");
                return None;
            }
        };
        let broadcast = frame.unit == 0;
        if !broadcast && !self.settings.units.contains(frame.unit) {
            tracing::trace!(line = %self.name, unit = frame.unit, "frame for another unit");
            return None;
        }
        let (mem, specs) = self.settings.route(frame.unit, &self.mem);
        let ctx = Context {
            settings: &self.settings,
            specs,
            peer: Peer::Serial { unit: frame.unit },
            unit: frame.unit,
            role: None,
        };
        let pdu_len = exec::execute(frame.pdu, mem, &ctx, reply.get_mut(1..)?)?;
        if broadcast {
            return None;
        }
        rtu::finish_frame(reply, frame.unit, pdu_len).ok()
    }
}
