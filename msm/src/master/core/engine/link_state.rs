//! The connection: up or down, first contact or a reconnection, what it answered, the
//! timeouts in a row that condemn it, and a reconnection asked of the driver.

/// What a new connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Connection {
    /// Not the first connection of the engine.
    pub(super) again: bool,
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
            ..LinkState::default()
        };
        Connection { again }
    }

    /// The connection is gone; false if it was gone already.
    pub(super) fn disconnected(&mut self) -> bool {
        if !self.connected {
            return false;
        }
        self.connected = false;
        true
    }

    /// True if requests may be sent: connected, and not being dropped.
    pub(super) fn may_send(&self) -> bool {
        self.connected && self.reconnect.is_none()
    }

    /// An answer came.
    pub(super) fn answered(&mut self) {
        self.answers += 1;
        self.consecutive_timeouts = 0;
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

    #[test]
    fn the_first_connection_is_no_reconnection() {
        let mut l = LinkState::default();
        assert!(!l.is_connected() && !l.may_send());
        assert!(!l.connected().again);
        assert!(l.may_send() && !l.answered_on_connection());
        l.answered();
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
        l.answered();
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
}
