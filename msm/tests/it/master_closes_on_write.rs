//! msm's master against a write-hostile slave on loopback: a raw Modbus/TCP server that
//! answers reads and closes the connection whenever it is sent a write (issue 23,
//! "starved reads"). Reads must keep their period and the write must keep being tried,
//! after growing pauses, never in a tight loop.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use msm::{Master, Memory, Var};

/// When the slave got each read and each write.
#[derive(Default)]
struct Seen {
    reads: Vec<Instant>,
    writes: Vec<Instant>,
}

/// The slave: one connection at a time, holding registers read as 42, every write ends
/// the connection unanswered.
struct ClosesOnWrite {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ClosesOnWrite {
    fn start() -> ClosesOnWrite {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        return;
                    }
                    if let Ok(s) = conn {
                        serve(s, &seen, &stop);
                    }
                }
            })
        };
        ClosesOnWrite {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.seen.lock().expect("lock"))
    }
}

impl Drop for ClosesOnWrite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop, which then sees `stop`.
        drop(TcpStream::connect(self.addr));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one connection until a write comes (or the master closes, or `stop`).
fn serve(mut s: TcpStream, seen: &Mutex<Seen>, stop: &AtomicBool) {
    s.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        match s.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        while buf.len() >= 8 {
            let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
            if buf.len() < 6 + len {
                break;
            }
            let frame: Vec<u8> = buf.drain(..6 + len).collect();
            let pdu = &frame[7..];
            if !matches!(pdu[0], 3 | 4) {
                seen.lock().expect("lock").writes.push(Instant::now());
                return; // closed, unanswered
            }
            seen.lock().expect("lock").reads.push(Instant::now());
            let qty = usize::from(u16::from_be_bytes([pdu[3], pdu[4]]));
            let mut out = frame[..7].to_vec();
            out[4..6].copy_from_slice(&((3 + 2 * qty) as u16).to_be_bytes());
            out.extend_from_slice(&[pdu[0], (2 * qty) as u8]);
            for _ in 0..qty {
                out.extend_from_slice(&42u16.to_be_bytes());
            }
            if s.write_all(&out).is_err() {
                return;
            }
        }
    }
}

fn reads_keep_their_period_and_the_write_is_retried_with_growing_pauses() {
    let slave = ClosesOnWrite::start();
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(0).expect("declare");
    let other: Var<u16> = mem.holding(2).expect("declare");
    let period = Duration::from_millis(50);
    let master = Master::tcp(slave.addr)
        .period(period)
        .start(mem.clone())
        .expect("start");
    master.sync().expect("first sync");
    v.set(7).expect("set");
    let set_at = Instant::now();
    // 100 ms doubling: the 7th try comes about 4 s after the set.
    assert!(
        common::wait_until(Duration::from_secs(20), || slave
            .seen(|s| s.writes.len() >= 7)),
        "the write is tried again and again"
    );
    let (reads, writes) = slave.seen(|s| {
        let reads: Vec<Instant> = s.reads.iter().copied().filter(|&t| t >= set_at).collect();
        (reads, s.writes.clone())
    });
    let elapsed = set_at.elapsed();
    let longest = reads
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain([reads.first().map_or(elapsed, |&t| t - set_at)])
        .max()
        .unwrap_or(elapsed);
    eprintln!(
        "in {elapsed:?}: {} reads (longest gap {longest:?}), {} writes, pauses {:?}",
        reads.len(),
        writes.len(),
        writes.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
    // Before the fix: no read at all after the set. Now: the period, but for the
    // reconnections (100 to 200 ms each), with a generous margin for a busy machine.
    assert!(
        longest <= Duration::from_secs(1),
        "longest gap between reads {longest:?}"
    );
    assert!(
        reads.len() as u32 >= elapsed.as_millis() as u32 / 250,
        "{} reads in {elapsed:?}",
        reads.len()
    );
    // The pauses between tries grow (never a tight loop).
    let pauses: Vec<Duration> = writes.windows(2).map(|w| w[1] - w[0]).collect();
    let last = *pauses.last().expect("pauses");
    assert!(last >= Duration::from_millis(800), "{pauses:?}");
    assert!(last >= 3 * pauses[1], "{pauses:?}");
    assert!(
        pauses
            .windows(2)
            .all(|p| p[1] + Duration::from_millis(50) >= p[0]),
        "{pauses:?}"
    );
    let status = master.status();
    assert!(status.writes_retried >= 4, "{status:?}");
    assert!(status.reconnects >= 6, "{status:?}");
    assert_eq!(status.writes_confirmed, 0);
    assert!(v.pending(), "never confirmed");
    assert_eq!(other.get(), 42, "the reads were applied");
    master.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "reads_keep_their_period_and_the_write_is_retried_with_growing_pauses",
    run: reads_keep_their_period_and_the_write_is_retried_with_growing_pauses,
    needs: &[],
}];
