//! A TCP proxy on loopback that counts the connections a client opens: how many
//! connections a slave behind it would accept.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::DEADLINE;

/// Forwards each connection to `target` once its client has said something (Modbus/TCP
/// and TLS clients speak first), so that the proxy's own probe never reaches the slave.
pub struct CountingProxy {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    forwarding: Arc<AtomicUsize>,
    /// The proxy's own probes, accepted and not counted.
    probes: AtomicUsize,
}

impl CountingProxy {
    pub fn start(target: &str) -> CountingProxy {
        let target: SocketAddr = target.parse().expect("a socket address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let forwarding = Arc::new(AtomicUsize::new(0));
        let (count, active) = (accepted.clone(), forwarding.clone());
        thread::spawn(move || {
            // Bounded: a test makes a handful of connections.
            for client in listener.incoming().take(64) {
                let Ok(client) = client else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let active = active.clone();
                thread::spawn(move || forward(client, target, &active));
            }
        });
        CountingProxy {
            addr,
            accepted,
            forwarding,
            probes: AtomicUsize::new(0),
        }
    }

    /// The connections clients opened before now: a probe of the proxy's own is
    /// accepted after all of them (the listen queue is first in, first out), and not
    /// counted.
    pub fn accepted_so_far(&self) -> usize {
        let before = self.accepted.load(Ordering::SeqCst);
        let _probe = TcpStream::connect(self.addr).expect("probe");
        let probes = self.probes.fetch_add(1, Ordering::SeqCst) + 1;
        let deadline = Instant::now() + DEADLINE;
        while self.accepted.load(Ordering::SeqCst) == before {
            assert!(Instant::now() < deadline, "the probe was not accepted");
            thread::sleep(Duration::from_millis(1));
        }
        self.accepted.load(Ordering::SeqCst) - probes
    }

    /// Waits until every forwarded connection has been closed on both sides.
    pub fn wait_idle(&self) {
        let deadline = Instant::now() + DEADLINE;
        while self.forwarding.load(Ordering::SeqCst) > 0 {
            assert!(Instant::now() < deadline, "connections still open");
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Waits for the client's first bytes, then copies both ways until both sides close.
fn forward(mut client: TcpStream, target: SocketAddr, active: &AtomicUsize) {
    let mut first = [0u8; 1024];
    let _ = client.set_read_timeout(Some(DEADLINE));
    let n = match client.read(&mut first) {
        Ok(n) if n > 0 => n,
        _ => return, // said nothing: not forwarded
    };
    let _ = client.set_read_timeout(None);
    let Ok(mut server) = TcpStream::connect(target) else {
        return;
    };
    active.fetch_add(1, Ordering::SeqCst);
    if server.write_all(&first[..n]).is_ok() {
        let (mut c, mut s) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        let back = thread::spawn(move || {
            let _ = std::io::copy(&mut s, &mut c);
            let _ = c.shutdown(Shutdown::Both);
        });
        let _ = std::io::copy(&mut client, &mut server);
        let _ = server.shutdown(Shutdown::Both);
        let _ = back.join();
    }
    active.fetch_sub(1, Ordering::SeqCst);
}
