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
//! It is off unless a program opts in ([`Slave::busy_poll`](super::Slave::busy_poll),
//! with [`DEFAULT_BUSY_POLL`](super::DEFAULT_BUSY_POLL) as the budget to give): a library
//! that spins a core by default would surprise a small board next to a PLC, or a
//! program sharing two cores. Opted in, it is only done where it takes nothing from
//! anyone else:
//! - on a machine with 2 CPUs or more: on one, the poll would keep the master off it;
//! - while the process's threaded connections, all slaves together ([`Gate`]), are at
//!   most half the CPUs: with more, the CPUs are busy serving anyway, and polling took
//!   time from the other connections (8 connections went at half the speed in the trial);
//! - while the connection's master is quick: its last request came within
//!   [`QUICK`] budgets of the answer before. A master polling every few milliseconds
//!   never makes the slave poll, so a slave that is not loaded costs nothing more;
//! - while the polls pay off ([`Pace`]): after one that caught nothing, the next 1, 2,
//!   4, … [`MAX_SKIP`] requests are waited for without polling.

use std::io;
use std::net::TcpStream;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A gap up to this many budgets after an answer still marks the master as quick: a
/// request that had to wake the slave arrives later than one the poll would have caught.
pub(super) const QUICK: u32 = 4;

/// Most requests a connection waits for without polling after polls caught nothing: a
/// master whose requests come just too late for the budget costs at most one poll in 65.
pub(super) const MAX_SKIP: u32 = 64;

/// The connections served on threads of their own in the whole process, every slave's,
/// counted against the CPUs: polling stops for all of them while they are more than
/// half the CPUs.
#[derive(Debug)]
pub(crate) struct Gate {
    /// CPUs of the machine (`available_parallelism`).
    cpus: usize,
    /// Connections served on a thread of their own now.
    connections: AtomicUsize,
}

impl Gate {
    /// A gate for a machine with `cpus` CPUs.
    pub(crate) const fn new(cpus: usize) -> Gate {
        Gate {
            cpus,
            connections: AtomicUsize::new(0),
        }
    }

    /// The process's gate, which every slave's connections count against.
    pub(crate) fn process() -> &'static Gate {
        static PROCESS: OnceLock<Gate> = OnceLock::new();
        PROCESS
            .get_or_init(|| Gate::new(std::thread::available_parallelism().map_or(1, usize::from)))
    }

    /// Whether the threaded connections are few enough for polling now.
    fn open(&self) -> bool {
        self.connections.load(Ordering::Relaxed) <= self.cpus / 2
    }

    /// Threaded connections counted now.
    #[cfg(test)]
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

/// When and how long a slave's connections poll; shared by all of them.
#[derive(Debug)]
pub(crate) struct BusyPoll {
    /// Zero: no polling (the default, or a machine where it cannot pay off).
    budget: Duration,
    gate: &'static Gate,
    /// Polls that caught a request: whether polling pays off here, for a look with
    /// `{:?}` on a slave handle and for the tests.
    caught: AtomicU64,
}

impl BusyPoll {
    /// Polling for `budget`, gated by `gate` (none on a machine with fewer than 2 CPUs).
    pub(crate) fn gated(budget: Duration, gate: &'static Gate) -> BusyPoll {
        let polls = cfg!(unix) && gate.cpus >= 2 && !budget.is_zero();
        BusyPoll {
            budget: if polls { budget } else { Duration::ZERO },
            gate,
            caught: AtomicU64::new(0),
        }
    }

    /// Counts a connection served on a thread, whether this slave polls or not, until
    /// the guard is dropped.
    pub(super) fn enter(&self) -> Entered {
        self.gate.connections.fetch_add(1, Ordering::Relaxed);
        Entered(self.gate)
    }

    /// Whether polling is on and the connections are few enough for it now: only then
    /// is a master's quickness measured (a clock read per request saved otherwise).
    pub(super) fn applies(&self) -> bool {
        !self.budget.is_zero() && self.gate.open()
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
pub(super) struct Entered(&'static Gate);

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

/// Never called: [`BusyPoll::gated`] turns polling off where there is no `MSG_DONTWAIT`.
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

    /// A gate of its own for a test: the process's counts every other test's slaves.
    fn gate(cpus: usize) -> &'static Gate {
        Box::leak(Box::new(Gate::new(cpus)))
    }

    #[test]
    fn off_unless_asked_on_one_cpu_or_with_no_budget() {
        assert_eq!(
            crate::slave::config::Config::default().busy_poll,
            Duration::ZERO,
            "a slave polls only when told to"
        );
        assert!(!BusyPoll::gated(Duration::ZERO, Gate::process()).applies());
        assert!(!BusyPoll::gated(Duration::from_micros(50), gate(1)).applies());
        assert!(!BusyPoll::gated(Duration::ZERO, gate(8)).applies());
    }

    #[test]
    fn every_slave_of_the_process_counts_against_one_gate() {
        use crate::slave::config::Config;
        let b = Config {
            busy_poll: crate::slave::MAX_BUSY_POLL,
            ..Config::default()
        };
        let a = Config::default();
        assert!(std::ptr::eq(a.busy_poll_gate, b.busy_poll_gate));
        assert!(std::ptr::eq(a.busy_poll_gate, Gate::process()));
    }

    #[cfg(unix)]
    #[test]
    fn polls_while_connections_of_all_slaves_are_few_and_for_quick_masters() {
        let gate = gate(4);
        let one = BusyPoll::gated(Duration::from_micros(50), gate);
        // Another slave of the same process, not polling: its connections still count.
        let other = BusyPoll::gated(Duration::ZERO, gate);
        let first = one.enter();
        let second = other.enter();
        assert!(one.applies(), "2 connections on 4 CPUs poll");
        let third = other.enter();
        assert!(
            !one.applies(),
            "3 connections on 4 CPUs do not, whichever slave serves them"
        );
        drop((first, second));
        assert!(one.applies(), "a connection that ends is no longer counted");
        drop(third);
        assert_eq!(gate.connections(), 0);
        assert!(one.quick(Duration::from_micros(200)), "4 budgets is quick");
        assert!(
            !one.quick(Duration::from_micros(201)),
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

    /// A quick or slow master: sends `n` reads of one register to `addr`, each once the
    /// answer before it is in, with `gap` between an answer and the next request.
    fn ask(addr: std::net::SocketAddr, gap: Duration, n: u16) {
        use std::io::Read;
        let mut master = TcpStream::connect(addr).expect("connect");
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
    }

    /// A slave polling for `budget` (none: the default), counting against `gate`.
    fn slave(budget: Option<Duration>, gate: &'static Gate) -> crate::SlaveHandle {
        let slave = crate::Slave::tcp("127.0.0.1:0").busy_poll_gate(gate);
        let slave = match budget {
            Some(budget) => slave.busy_poll(budget),
            None => slave,
        };
        slave.serve(crate::Memory::new(1)).expect("serve")
    }

    fn cpus() -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    /// Whether this machine can poll at all: on one CPU the slave never does.
    fn can_poll() -> bool {
        cfg!(unix) && cpus() >= 2
    }

    #[test]
    fn busy_polling_catches_a_quick_masters_requests_only_when_asked_to() {
        // The longest budget: on a loaded machine an answer still comes back within it.
        let opted_in = slave(Some(crate::slave::MAX_BUSY_POLL), gate(2));
        ask(opted_in.local_addr(), Duration::ZERO, 300);
        if can_poll() {
            assert!(
                opted_in.polls_caught() > 0,
                "no poll caught a request of 300"
            );
        } else {
            assert_eq!(opted_in.polls_caught(), 0, "one CPU: never polls");
        }
        let default = slave(None, gate(2));
        ask(default.local_addr(), Duration::ZERO, 300);
        assert_eq!(default.polls_caught(), 0, "polled without being told to");
        let off = slave(Some(Duration::ZERO), gate(2));
        ask(off.local_addr(), Duration::ZERO, 100);
        assert_eq!(off.polls_caught(), 0);
    }

    #[test]
    fn a_slave_does_not_poll_for_a_slow_master() {
        // 2 ms apart is 40 budgets of 50 µs: never quick.
        let polling = slave(Some(Duration::from_micros(50)), gate(2));
        ask(polling.local_addr(), Duration::from_millis(2), 50);
        assert_eq!(
            polling.polls_caught(),
            0,
            "a master 2 ms apart was polled for"
        );
    }

    #[test]
    fn two_slaves_of_a_process_share_the_gate() {
        // Two CPUs: polling while at most one connection is served on a thread.
        let gate = gate(2);
        let (a, b) = (
            slave(Some(crate::slave::MAX_BUSY_POLL), gate),
            slave(Some(crate::slave::MAX_BUSY_POLL), gate),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let held = TcpStream::connect(a.local_addr()).expect("connect");
        while gate.connections() != 1 {
            assert!(Instant::now() < deadline, "a's connection never started");
            std::thread::sleep(Duration::from_millis(1));
        }
        ask(b.local_addr(), Duration::ZERO, 300);
        assert_eq!(
            b.polls_caught(),
            0,
            "b polled while a's connection made two on two CPUs"
        );
        drop(held);
        while gate.connections() != 0 {
            assert!(Instant::now() < deadline, "a's connection never ended");
            std::thread::sleep(Duration::from_millis(1));
        }
        ask(b.local_addr(), Duration::ZERO, 300);
        if can_poll() {
            assert!(b.polls_caught() > 0, "b alone never polled");
        }
    }

    #[cfg(unix)]
    #[test]
    fn reads_what_is_there_and_gives_up_after_the_budget() {
        let poll = BusyPoll::gated(Duration::from_millis(2), gate(2));
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
