//! Polling a connection for its next request for a few microseconds before sleeping.
//!
//! Why: a master that sends its next request as soon as it has an answer (a test rig, a
//! gateway scanning a block, a PLC simulator's client) makes a slave that sleeps between
//! requests pay a wake-up per request. On a machine with few cores, a sleeping CPU is
//! woken by an interrupt from the other, which takes tens of microseconds, longer than
//! the request's work. A thread that keeps polling its socket for a short while after
//! answering is still running when the next request comes. On the 2-core machine of
//! `docs/benchmarks.md` one connection is then served about 3 times as fast.
//!
//! It is only done where it takes nothing from anyone else:
//! - on a machine with 2 CPUs or more: on one, the poll would keep the master off it;
//! - while the slave's threaded connections are at most half the CPUs: with more, the
//!   CPUs are busy serving anyway, and polling took time from the other connections
//!   (8 connections went at half the speed in the trial);
//! - while the connection's master is quick: its last request came within
//!   [`QUICK`] budgets of the answer before. A master polling every few milliseconds
//!   never makes the slave poll, so a slave that is not loaded costs nothing more;
//! - while the polls pay off ([`Pace`]): after one that caught nothing, the next 1, 2,
//!   4, … [`MAX_SKIP`] requests are waited for without polling.
//!
//! The budget is [`Slave::busy_poll`](super::Slave::busy_poll) (default
//! [`DEFAULT_BUSY_POLL`](super::DEFAULT_BUSY_POLL)); zero turns polling off.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A gap up to this many budgets after an answer still marks the master as quick: a
/// request that had to wake the slave arrives later than one the poll would have caught.
pub(super) const QUICK: u32 = 4;

/// Most requests a connection waits for without polling after polls caught nothing: a
/// master whose requests come just too late for the budget costs at most one poll in 65.
pub(super) const MAX_SKIP: u32 = 64;

/// When and how long a slave's connections poll; shared by all of them.
#[derive(Debug)]
pub(crate) struct BusyPoll {
    budget: Duration,
    /// Most threaded connections at which they still poll: half the CPUs.
    most_connections: usize,
    /// Connections served on a thread of their own now.
    connections: AtomicUsize,
    /// Polls that caught a request: whether polling pays off here, for a look with
    /// `{:?}` on a slave handle and for the tests.
    caught: AtomicU64,
}

impl BusyPoll {
    /// Polling for `budget` on a machine with `cpus` CPUs (none with fewer than 2).
    pub(crate) fn new(budget: Duration, cpus: usize) -> BusyPoll {
        let polls = cfg!(unix) && cpus >= 2 && !budget.is_zero();
        BusyPoll {
            budget: if polls { budget } else { Duration::ZERO },
            most_connections: cpus / 2,
            connections: AtomicUsize::new(0),
            caught: AtomicU64::new(0),
        }
    }

    /// Counts a connection served on a thread until the guard is dropped.
    pub(super) fn enter(self: &Arc<Self>) -> Entered {
        self.connections.fetch_add(1, Ordering::Relaxed);
        Entered(self.clone())
    }

    /// Whether polling is on and the connections are few enough for it now: only then
    /// is a master's quickness measured (a clock read per request saved otherwise).
    pub(super) fn applies(&self) -> bool {
        !self.budget.is_zero() && self.connections.load(Ordering::Relaxed) <= self.most_connections
    }

    /// Whether a request that came `gap` after the answer before it is from a quick master.
    pub(super) fn quick(&self, gap: Duration) -> bool {
        gap <= self.budget.saturating_mul(QUICK)
    }

    /// Reads what `stream` receives within the budget, without sleeping; `None` when
    /// nothing came (the caller then sleeps in a blocking read).
    pub(super) fn read(&self, stream: &TcpStream, buf: &mut [u8]) -> Option<io::Result<usize>> {
        let deadline = Instant::now().checked_add(self.budget)?;
        loop {
            match read_now(stream, buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                done => {
                    self.caught.fetch_add(1, Ordering::Relaxed);
                    return Some(done);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::hint::spin_loop();
        }
    }
}

impl BusyPoll {
    /// Polls that caught a request so far (shown in the slave handles' `Debug`).
    pub(crate) fn caught(&self) -> u64 {
        self.caught.load(Ordering::Relaxed)
    }
}

/// What a connection has learnt of its master's pace: whether polling for the next
/// request pays off.
#[derive(Debug, Default)]
pub(super) struct Pace {
    /// The master's last request came within [`QUICK`] budgets of the answer before it.
    quick: bool,
    /// Requests still to wait for without polling, after a poll that caught nothing.
    skip: u32,
    /// How many to skip after the next poll that catches nothing: doubles from 1 up to
    /// [`MAX_SKIP`], and starts again once a poll catches a request.
    backoff: u32,
}

impl Pace {
    /// Whether to poll before the next read.
    pub(super) fn poll_now(&mut self) -> bool {
        if !self.quick {
            return false;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        true
    }

    /// A poll caught the next request (`true`), or its budget ran out (`false`).
    pub(super) fn polled(&mut self, caught: bool) {
        if caught {
            self.backoff = 0;
        } else {
            self.backoff = (self.backoff * 2).clamp(1, MAX_SKIP);
            self.skip = self.backoff;
        }
    }

    /// Whether the master's last request came quickly ([`BusyPoll::quick`]); `false`
    /// also when it was not timed.
    pub(super) fn came(&mut self, quick: bool) {
        self.quick = quick;
    }
}

/// A connection counted by [`BusyPoll::enter`].
pub(super) struct Entered(Arc<BusyPoll>);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One read that does not wait, on a socket that otherwise blocks (`MSG_DONTWAIT`):
/// switching the socket to non-blocking and back would be two more system calls.
#[cfg(unix)]
fn read_now(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    rustix::net::recv(stream, buf, rustix::net::RecvFlags::DONTWAIT)
        .map(|(n, _)| n)
        .map_err(io::Error::from)
}

/// Never called: [`BusyPoll::new`] turns polling off where there is no `MSG_DONTWAIT`.
#[cfg(not(unix))]
fn read_now(_: &TcpStream, _: &mut [u8]) -> io::Result<usize> {
    Err(io::ErrorKind::WouldBlock.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (served, _) = listener.accept().expect("accept");
        (client, served)
    }

    #[test]
    fn off_on_one_cpu_or_with_no_budget() {
        assert!(!BusyPoll::new(Duration::from_micros(50), 1).applies());
        assert!(!BusyPoll::new(Duration::ZERO, 8).applies());
    }

    #[cfg(unix)]
    #[test]
    fn polls_while_connections_are_few_and_for_quick_masters() {
        let poll = Arc::new(BusyPoll::new(Duration::from_micros(50), 4));
        let first = poll.enter();
        let second = poll.enter();
        assert!(poll.applies(), "2 connections on 4 CPUs poll");
        let third = poll.enter();
        assert!(!poll.applies(), "3 connections on 4 CPUs do not");
        drop((first, second));
        assert!(
            poll.applies(),
            "a connection that ends is no longer counted"
        );
        drop(third);
        assert!(poll.quick(Duration::from_micros(200)), "4 budgets is quick");
        assert!(
            !poll.quick(Duration::from_micros(201)),
            "a slower master is not"
        );
    }

    /// Polls made for `requests` requests, each caught by the poll or not.
    fn polls(requests: usize, caught: impl Fn(usize) -> bool) -> usize {
        let mut pace = Pace::default();
        let mut polls = 0;
        for i in 0..requests {
            if pace.poll_now() {
                polls += 1;
                pace.polled(caught(i));
            }
            pace.came(true);
        }
        polls
    }

    #[test]
    fn a_master_just_too_slow_for_the_budget_is_rarely_polled_for() {
        assert_eq!(polls(1000, |_| true), 999, "every request after the first");
        // Polls at 1, then after skipping 1, 2, 4, ... 64, then every 65th.
        let never = polls(1000, |_| false);
        assert!(
            (15..=25).contains(&never),
            "{never} polls for 1000 requests"
        );
        // A master fast again after a slow spell is polled for again at once.
        let mut pace = Pace::default();
        pace.came(true);
        for _ in 0..200 {
            if pace.poll_now() {
                pace.polled(false);
            }
        }
        while !pace.poll_now() {}
        pace.polled(true);
        assert!(
            pace.poll_now() && pace.poll_now(),
            "caught once: polls every time again"
        );
    }

    #[test]
    fn a_slow_master_is_never_polled_for() {
        let mut pace = Pace::default();
        for _ in 0..100 {
            pace.came(false);
            assert!(!pace.poll_now());
        }
    }

    /// Sends `n` reads of one register, each once the answer before it is in, with
    /// `gap` between an answer and the next request; the slave's polls that caught one.
    fn polls_caught_serving(budget: Duration, gap: Duration, n: u16) -> u64 {
        use std::io::Read;
        let slave = crate::Slave::tcp("127.0.0.1:0")
            .busy_poll(budget)
            .serve(crate::Memory::new(1))
            .expect("serve");
        let mut master = TcpStream::connect(slave.local_addr()).expect("connect");
        master.set_nodelay(true).expect("nodelay");
        master
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut answer = [0; 11];
        for id in 0..n {
            let [hi, lo] = id.to_be_bytes();
            master
                .write_all(&[hi, lo, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1])
                .expect("request");
            master.read_exact(&mut answer).expect("answer");
            assert_eq!(&answer[..2], &[hi, lo], "the answer to request {id}");
            if !gap.is_zero() {
                std::thread::sleep(gap); // the master's pace, not a synchronisation
            }
        }
        slave.polls_caught()
    }

    fn cpus() -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    #[test]
    fn a_slave_polls_for_a_master_that_asks_again_at_once() {
        // The longest budget: on a loaded machine an answer still comes back within it.
        let caught = polls_caught_serving(crate::slave::MAX_BUSY_POLL, Duration::ZERO, 300);
        if cfg!(unix) && cpus() >= 2 {
            assert!(caught > 0, "no poll caught a request of 300");
        } else {
            assert_eq!(caught, 0, "one CPU: never polls");
        }
    }

    #[test]
    fn a_slave_does_not_poll_when_told_not_to_or_for_a_slow_master() {
        assert_eq!(polls_caught_serving(Duration::ZERO, Duration::ZERO, 100), 0);
        // 2 ms apart is 40 budgets of 50 µs: never quick.
        let slow = polls_caught_serving(Duration::from_micros(50), Duration::from_millis(2), 50);
        assert_eq!(slow, 0, "a master 2 ms apart was polled for");
    }

    #[cfg(unix)]
    #[test]
    fn reads_what_is_there_and_gives_up_after_the_budget() {
        let poll = BusyPoll::new(Duration::from_millis(2), 2);
        let (mut client, served) = pair();
        let mut buf = [0; 8];
        let started = Instant::now();
        assert!(poll.read(&served, &mut buf).is_none(), "nothing sent yet");
        assert!(
            started.elapsed() >= Duration::from_millis(2),
            "polled for the budget"
        );
        client.write_all(&[1, 2, 3]).expect("write");
        // Loopback delivers before write returns, but wait for it rather than assume.
        let deadline = Instant::now() + Duration::from_secs(10);
        let got = loop {
            if let Some(got) = poll.read(&served, &mut buf) {
                break got.expect("read");
            }
            assert!(Instant::now() < deadline, "the bytes never came");
        };
        assert_eq!(&buf[..got], &[1, 2, 3]);
        drop(client);
        let closed = loop {
            if let Some(got) = poll.read(&served, &mut buf) {
                break got.expect("read");
            }
            assert!(Instant::now() < deadline, "the close never came");
        };
        assert_eq!(
            closed, 0,
            "a closed peer reads as 0 bytes, not as nothing yet"
        );
    }
}
