//! The live streams open now, and the cap on them: the places a stream takes and gives
//! back, and the counts `/api/status` tells.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The open streams, and the cap on them.
pub(crate) struct Streams {
    permits: Arc<Semaphore>,
    max: usize,
    dropped: AtomicU64,
    refused: AtomicU64,
}

impl Streams {
    pub(crate) fn new(max: usize) -> Streams {
        Streams {
            permits: Arc::new(Semaphore::new(max)),
            max,
            dropped: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Streams open now.
    pub(crate) fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    /// The cap.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Clients dropped so far because they did not read.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Streams refused so far because `max` were open.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// A place for one more stream, or `None` (counted as refused) when all are taken.
    pub(crate) fn take(&self) -> Option<OwnedSemaphorePermit> {
        let place = self.permits.clone().try_acquire_owned().ok();
        if place.is_none() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        place
    }

    /// Counts a client dropped for not reading (after its place was given back).
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}
