//! The tasks that feed the board: one per memory, turning its changes into rows, and one
//! that keeps the qualities and the connection state fresh.

use std::sync::Arc;
use std::time::Duration;

use msm::{Lagged, Memory, Stamped, Subscription};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::board::{Board, Seen};
use crate::json::{ms_since_epoch, now_ms};

/// Changes arriving this soon after the first go to the pages as one batch.
const COALESCE: Duration = Duration::from_millis(10);

/// How often qualities and the master's state are looked at.
const STATUS_EVERY: Duration = Duration::from_millis(250);

/// Unread changes a memory keeps for the view; past that they are dropped, never waited for.
const CHANGES_BUFFERED: usize = 16_384;

/// Starts the tasks on the current runtime; they run until `stop`. Each memory is
/// subscribed to before this returns, so no change made after it is missed.
pub(crate) fn spawn(board: &Arc<Board>, stop: &CancellationToken) -> Vec<JoinHandle<()>> {
    // Variables grouped by the memory they live on, in the order memories first appear.
    let mut memories: Vec<(Memory, Vec<usize>)> = Vec::new();
    for (i, v) in board.vars().iter().enumerate() {
        match memories.iter_mut().find(|(m, _)| m.ptr_eq(&v.memory)) {
            Some((_, list)) => list.push(i),
            None => memories.push((v.memory.clone(), vec![i])),
        }
    }
    let mut tasks: Vec<JoinHandle<()>> = memories
        .into_iter()
        .map(|(memory, indices)| {
            let changes = memory.subscribe_with_capacity(CHANGES_BUFFERED);
            let follow = follow(board.clone(), changes, indices);
            let stop = stop.clone();
            tokio::spawn(async move {
                stop.run_until_cancelled(follow).await;
            })
        })
        .collect();
    let board = board.clone();
    let stop = stop.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(STATUS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while stop.run_until_cancelled(tick.tick()).await.is_some() {
            board.refresh();
        }
    }));
    tasks
}

/// Follows one memory's changes, in batches.
async fn follow(board: Arc<Board>, mut changes: Subscription, indices: Vec<usize>) {
    let mut batch = Batch {
        seen: Vec::new(),
        slot: vec![usize::MAX; board.vars().len()],
    };
    loop {
        let first = changes.recv_stamped().await;
        let until = Instant::now() + COALESCE;
        batch.note(&board, &indices, first);
        while let Ok(next) = tokio::time::timeout_at(until, changes.recv_stamped()).await {
            batch.note(&board, &indices, next);
        }
        board.record(&batch.seen);
        for s in batch.seen.drain(..) {
            batch.slot[s.index] = usize::MAX;
        }
    }
}

/// The variables changed since the last batch went out, each once.
struct Batch {
    seen: Vec<Seen>,
    /// Where each variable is in `seen` (`usize::MAX`: not there).
    slot: Vec<usize>,
}

impl Batch {
    /// Adds the variables a change touched (all of them when changes were missed), each
    /// once, with the latest change's time (when the memory made it) and origin. A write
    /// of some bits of a register touches only the variables on those bits.
    fn note(&mut self, board: &Board, indices: &[usize], change: Result<Stamped, Lagged>) {
        let t_ms = match &change {
            Ok(c) => ms_since_epoch(c.time),
            Err(_) => now_ms(),
        };
        let vars = board.vars();
        for &index in indices {
            let origin = match &change {
                Ok(c) if vars[index].var.touched_by(c) => Some(c.origin),
                Ok(_) => continue,
                Err(_) => None,
            };
            match self.seen.get_mut(self.slot[index]) {
                Some(s) => {
                    s.t_ms = t_ms;
                    s.origin = origin;
                }
                None => {
                    self.slot[index] = self.seen.len();
                    self.seen.push(Seen {
                        index,
                        t_ms,
                        origin,
                    });
                }
            }
        }
    }
}
