//! The connection: up or down, first contact or a reconnection, what it answered, the
//! timeouts in a row that condemn it, a reconnection asked of the driver, and whether
//! the slave seems to drop it on writes.
//!
//! Writes that kill the connection: a slave (or a gateway) that closes the connection
//! whenever it is sent a write would starve the reads, since after each reconnection
//! the writes kept go first. So the connection counts the connections in a row lost
//! after a write with no later read answered; from the second on, a new connection
//! reads first (`Connection::reads_first`) and the writes go after, paced
//! (`WritePacing`). The first loss is taken for a plain cut: the write goes again at
//! once. A read sent after a write and answered shows the link survives writes.

/// Connections lost in a row after a write before a new one reads first.
const WRITE_LOSSES_BEFORE_READS_FIRST: u32 = 2;

/// What a new connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Connection {
    /// Not the first connection of the engine.
    pub(super) again: bool,
    /// The last connections were lost after writes: read a cycle before any write.
    pub(super) reads_first: bool,
    /// ...and this is the first such connection in the run (worth saying).
    pub(super) reads_first_now: bool,
}

/// A reconnection the engine asked for.
#[derive(Debug)]
enum Reconnect {
    /// To be told to the driver, with the reason.
    Asked(String),
    /// Told; nothing more is sent on this connection.
    Told,
}

#[derive(Debug, Default)]
pub(super) struct LinkState {
    connected: bool,
    ever_connected: bool,
    reconnect: Option<Reconnect>,
    /// Answers received on this connection.
    answers: u64,
    consecutive_timeouts: u32,
    /// Requests sent on this connection.
    sent: u64,
    /// The number of the last write sent on this connection, until a read sent after it
    /// is answered.
    write_unanswered_by_read: Option<u64>,
    /// Connections in a row lost after a write (see the module's doc).
    lost_after_write: u32,
}

impl LinkState {
    pub(super) fn is_connected(&self) -> bool {
        self.connected
    }

    /// A connection is up.
    pub(super) fn connected(&mut self) -> Connection {
        let again = self.ever_connected;
        *self = LinkState {
            connected: true,
            ever_connected: true,
            lost_after_write: self.lost_after_write,
            ..LinkState::default()
        };
        Connection {
            again,
            reads_first: self.lost_after_write >= WRITE_LOSSES_BEFORE_READS_FIRST,
            reads_first_now: self.lost_after_write == WRITE_LOSSES_BEFORE_READS_FIRST,
        }
    }

    /// The connection is gone; false if it was gone already.
    pub(super) fn disconnected(&mut self) -> bool {
        if !self.connected {
            return false;
        }
        self.connected = false;
        self.lost_after_write = match self.write_unanswered_by_read {
            Some(_) => self.lost_after_write.saturating_add(1),
            None => 0,
        };
        true
    }

    /// True if requests may be sent: connected, and not being dropped.
    pub(super) fn may_send(&self) -> bool {
        self.connected && self.reconnect.is_none()
    }

    /// A request (a `write` or a read) is sent: its number on this connection.
    pub(super) fn sending(&mut self, write: bool) -> u64 {
        self.sent += 1;
        if write {
            self.write_unanswered_by_read = Some(self.sent);
        }
        self.sent
    }

    /// Request number `seq` (a `read` or a write) was answered.
    pub(super) fn answered(&mut self, seq: u64, read: bool) {
        self.answers += 1;
        self.consecutive_timeouts = 0;
        if read && self.write_unanswered_by_read.is_some_and(|w| w < seq) {
            // The link survived a write: its losses were something else.
            self.write_unanswered_by_read = None;
            self.lost_after_write = 0;
        }
    }

    /// Answers received on this connection.
    pub(super) fn answers(&self) -> u64 {
        self.answers
    }

    /// True once the slave answered anything on the current connection.
    pub(super) fn answered_on_connection(&self) -> bool {
        self.connected && self.answers > 0
    }

    /// A request got no answer in time: the timeouts in a row.
    pub(super) fn timed_out(&mut self) -> u32 {
        self.consecutive_timeouts += 1;
        self.consecutive_timeouts
    }

    pub(super) fn consecutive_timeouts(&self) -> u32 {
        self.consecutive_timeouts
    }

    /// The connection is unusable: asks the driver for a new one (once per connection).
    pub(super) fn ask_reconnect(&mut self, reason: String) {
        if self.reconnect.is_none() {
            self.reconnect = Some(Reconnect::Asked(reason));
        }
    }

    /// True once a reconnection was asked on this connection.
    pub(super) fn reconnect_asked(&self) -> bool {
        self.reconnect.is_some()
    }

    /// The reason of a reconnection asked and not told yet.
    pub(super) fn take_reconnect(&mut self) -> Option<String> {
        match self.reconnect.take() {
            Some(Reconnect::Asked(reason)) => {
                self.reconnect = Some(Reconnect::Told);
                Some(reason)
            }
            other => {
                self.reconnect = other;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection on which a write is sent and the slave closes.
    fn lost_on_a_write(l: &mut LinkState) -> Connection {
        let c = l.connected();
        let read = l.sending(false);
        l.answered(read, true);
        l.sending(true);
        assert!(l.disconnected());
        c
    }

    #[test]
    fn the_first_connection_is_no_reconnection() {
        let mut l = LinkState::default();
        assert!(!l.is_connected() && !l.may_send());
        assert!(!l.connected().again);
        assert!(l.may_send() && !l.answered_on_connection());
        let seq = l.sending(false);
        l.answered(seq, true);
        assert!(l.answered_on_connection() && l.answers() == 1);
        assert!(l.disconnected());
        assert!(!l.disconnected(), "once");
        assert!(!l.answered_on_connection());
        assert!(l.connected().again);
        assert_eq!(l.answers(), 0, "counted per connection");
    }

    #[test]
    fn a_reconnection_is_asked_once_told_once_and_ends_with_the_connection() {
        let mut l = LinkState::default();
        l.connected();
        l.ask_reconnect("garbage".into());
        l.ask_reconnect("again".into());
        assert!(!l.may_send() && l.reconnect_asked());
        assert_eq!(l.take_reconnect().as_deref(), Some("garbage"));
        assert_eq!(l.take_reconnect(), None);
        assert!(l.reconnect_asked(), "still being dropped");
        l.disconnected();
        l.connected();
        assert!(l.may_send() && !l.reconnect_asked());
    }

    #[test]
    fn timeouts_in_a_row_are_counted_until_an_answer() {
        let mut l = LinkState::default();
        l.connected();
        assert_eq!((l.timed_out(), l.timed_out()), (1, 2));
        let seq = l.sending(false);
        l.answered(seq, true);
        assert_eq!(l.consecutive_timeouts(), 0);
        l.timed_out();
        l.disconnected();
        l.connected();
        assert_eq!(
            l.consecutive_timeouts(),
            0,
            "a new connection starts afresh"
        );
    }

    #[test]
    fn connections_lost_twice_in_a_row_after_a_write_make_the_next_read_first() {
        let mut l = LinkState::default();
        assert!(!lost_on_a_write(&mut l).reads_first, "first contact");
        assert!(
            !lost_on_a_write(&mut l).reads_first,
            "once may be a cut: the write goes at once"
        );
        let third = lost_on_a_write(&mut l);
        assert!(third.reads_first && third.reads_first_now);
        let fourth = l.connected();
        assert!(fourth.reads_first, "and so on while it goes on");
        assert!(!fourth.reads_first_now, "said once");
    }

    #[test]
    fn a_read_answered_after_a_write_shows_the_link_survives_writes() {
        let mut l = LinkState::default();
        lost_on_a_write(&mut l);
        lost_on_a_write(&mut l);
        l.connected();
        let before = l.sending(false);
        l.sending(true);
        l.answered(before, true);
        l.disconnected();
        assert!(
            l.connected().reads_first,
            "a read sent before the write says nothing"
        );
        l.sending(true);
        let after = l.sending(false);
        l.answered(after, true);
        l.disconnected();
        assert!(!l.connected().reads_first);
    }

    #[test]
    fn a_connection_lost_without_a_write_ends_the_run() {
        let mut l = LinkState::default();
        lost_on_a_write(&mut l);
        lost_on_a_write(&mut l);
        l.connected();
        l.sending(false);
        l.disconnected();
        assert!(!l.connected().reads_first);
    }
}
