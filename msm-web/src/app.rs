//! What the handlers share: the board and the open streams.

use std::sync::Arc;

use crate::board::Board;
use crate::streams::Streams;

/// The state of every route.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) board: Arc<Board>,
    pub(crate) streams: Arc<Streams>,
}
