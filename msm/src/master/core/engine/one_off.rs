//! One-off requests: a program's request outside the cycle (report server id,
//! diagnostics, file records, a FIFO...), sent on the running link with the cycle's
//! requests and answered with the response PDU.
//!
//! Invariants: at most [`MAX_QUEUED`] wait to be sent (one more is refused at once, not
//! queued); they are sent in the order asked, before the cycle's next request (a
//! program asking is waiting); each gets exactly one answer: the response PDU, the
//! slave's exception or why none came (timeout, connection lost or never made, the
//! worker stopped). A request that expects no answer (FC08/04, a broadcast) is answered
//! as soon as it is sent.

use std::collections::VecDeque;

use super::Event;
use crate::master::core::status::{Fault, RequestFailure};
use crate::protocol::FunctionCode;
use crate::types::Error;

/// Most one-off requests waiting to be sent.
pub(crate) const MAX_QUEUED: usize = 64;

/// A one-off request not sent yet.
pub(super) struct Queued {
    pub(super) id: u64,
    pub(super) unit: u8,
    pub(super) pdu: Vec<u8>,
    /// False for a request never answered (FC08/04, a broadcast on a serial line).
    pub(super) answered: bool,
}

/// The one-off requests waiting to be sent, and the answers ready for `poll_event`.
#[derive(Default)]
pub(super) struct OneOffs {
    queue: VecDeque<Queued>,
    done: VecDeque<Event>,
}

impl OneOffs {
    /// Queues request `id`; refused at once when [`MAX_QUEUED`] wait already.
    pub(super) fn push(&mut self, request: Queued) {
        if self.queue.len() >= MAX_QUEUED {
            let result = Err(Error::QueueFull {
                what: "one-off requests",
                capacity: MAX_QUEUED,
            });
            self.done.push_back(Event::RequestDone {
                id: request.id,
                result,
            });
            return;
        }
        self.queue.push_back(request);
    }

    /// The next request to send.
    pub(super) fn pop(&mut self) -> Option<Queued> {
        self.queue.pop_front()
    }

    /// A request lost beside another: it goes again first.
    pub(super) fn again(&mut self, request: Queued) {
        self.queue.push_front(request);
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Request `id` answered with `pdu` (empty for a request that expects no answer).
    pub(super) fn answered(&mut self, id: u64, pdu: &[u8]) {
        self.done.push_back(Event::RequestDone {
            id,
            result: Ok(pdu.to_vec()),
        });
    }

    /// Request `id` to `unit` failed with `fault`.
    pub(super) fn failed(&mut self, id: u64, unit: u8, function: u8, fault: Fault) {
        let failure = RequestFailure {
            unit,
            function: FunctionCode::from_u8(function),
            fault,
        };
        let result = Err(Error::Request(failure));
        self.done.push_back(Event::RequestDone { id, result });
    }

    /// Request `id`, sent, will not be answered: the worker stops.
    pub(super) fn stopped(&mut self, id: u64) {
        self.done.push_back(Event::RequestDone {
            id,
            result: Err(Error::Stopped),
        });
    }

    /// Every request still queued gets `error` (the connection could not be made or was
    /// lost, the worker stops).
    pub(super) fn fail_queued(&mut self, error: impl Fn() -> Error) {
        for q in std::mem::take(&mut self.queue) {
            let result = Err(error());
            self.done.push_back(Event::RequestDone { id: q.id, result });
        }
    }

    pub(super) fn poll_done(&mut self) -> Option<Event> {
        self.done.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(id: u64) -> Queued {
        Queued {
            id,
            unit: 1,
            pdu: vec![0x11],
            answered: true,
        }
    }

    fn ids(o: &mut OneOffs) -> Vec<(u64, bool)> {
        std::iter::from_fn(|| o.poll_done())
            .map(|e| match e {
                Event::RequestDone { id, result } => (id, result.is_ok()),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_full_queue_refuses_at_once_and_the_rest_keep_their_order() {
        let mut o = OneOffs::default();
        for id in 0..=MAX_QUEUED as u64 {
            o.push(queued(id));
        }
        assert_eq!(ids(&mut o), [(MAX_QUEUED as u64, false)]);
        assert_eq!(o.pop().map(|q| q.id), Some(0));
        o.again(queued(0));
        assert_eq!(
            o.pop().map(|q| q.id),
            Some(0),
            "a request lost goes again first"
        );
        o.fail_queued(|| Error::Stopped);
        assert_eq!(ids(&mut o).len(), MAX_QUEUED - 1);
        assert!(o.is_empty());
    }
}
