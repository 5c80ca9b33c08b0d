//! How a master connects: one connection per attempt, kept while commands arrive, and
//! (with `fail_fast`) a refused connection said at once to every waiter.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use msm::{Error, Master, Memory};

/// A listener that accepts connections, counts them and holds them open without a
/// word: a TLS client's handshake waits on it.
struct Silent {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    _held: std::thread::JoinHandle<()>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let held = std::thread::spawn(move || {
            let mut open = Vec::new();
            for conn in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(conn); // held until the test ends
                if open.len() > 16 {
                    break; // bounded: a looping client ends the loop
                }
            }
        });
        Silent {
            addr,
            accepted,
            _held: held,
        }
    }

    /// Connections accepted before now: one of the test's own is accepted after every
    /// connection made before it, then taken off the count.
    fn accepted_so_far(&self) -> usize {
        let before = self.accepted.load(Ordering::SeqCst);
        let _sentinel = TcpStream::connect(self.addr).expect("sentinel");
        assert!(
            crate::common::wait_until(Duration::from_secs(10), || {
                self.accepted.load(Ordering::SeqCst) > before
            }),
            "the sentinel was not accepted"
        );
        self.accepted.load(Ordering::SeqCst) - 1
    }
}

/// A sync asked while the master is still connecting (here: a TLS handshake the slave
/// never answers) waits for that attempt; it does not drop the half-open connection and
/// open another, which a slave logs as a client that broke off its handshake.
#[cfg(feature = "tls")]
fn a_sync_asked_while_connecting_waits_for_the_same_connection() {
    let pki = msm::transport::tls::Pki::new(&["viewer"], &[]).expect("pki");
    let silent = Silent::start();
    let master = Master::tls(silent.addr, pki.client("viewer").expect("cert"))
        .connect_timeout(Duration::from_millis(500))
        .reconnect_backoff(Duration::from_secs(60), Duration::from_secs(60))
        .start(Memory::new(4))
        .expect("start");
    assert!(
        crate::common::wait_until(Duration::from_secs(10), || {
            silent.accepted.load(Ordering::SeqCst) == 1
        }),
        "the master did not connect"
    );
    // Connecting: the handshake waits for a ServerHello that never comes.
    let result = master.sync_timeout(Duration::from_secs(10));
    assert!(
        matches!(result, Err(Error::NotConnected { .. })),
        "{result:?}"
    );
    assert_eq!(silent.accepted_so_far(), 1, "one connection per attempt");
    master.stop();
}

/// Two throw-away PKIs name their CAs apart: a client certificate of one, shown to a
/// slave of the other, is refused as from an unknown issuer (not as a bad signature from
/// a CA of the same name). The slave logs `UnknownIssuer`; the master gets its alert.
#[cfg(feature = "tls")]
fn a_certificate_of_another_pki_is_refused_as_from_an_unknown_issuer() {
    use msm::transport::tls::Pki;
    let (ours, theirs) = (
        Pki::new(&["viewer"], &[]).expect("pki"),
        Pki::new(&["viewer"], &[]).expect("pki"),
    );
    assert_ne!(ours.ca_name(), theirs.ca_name());
    let slave = msm::Slave::tls("127.0.0.1:0", ours.server())
        .serve(Memory::new(4))
        .expect("serve");
    let stranger = theirs.client("viewer").expect("cert").trust(ours.ca_der());
    let master = Master::tls(slave.local_addr(), stranger)
        .start(Memory::new(4))
        .expect("start");
    // The slave's refusal reaches the master as the TLS alert for its reason.
    let refused = master.sync_timeout(Duration::from_secs(10));
    let said = format!("{refused:?} {:?}", master.status().last_error);
    assert!(said.contains("UnknownCA"), "{said}");
    assert!(!said.contains("DecryptError"), "{said}");
    master.stop();
}

/// A closed loopback port.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// With `fail_fast`, a refused connection fails a waiting flush at once; without it, a
/// flush waits for the slave to come back.
fn fail_fast_fails_a_flush_when_the_connection_is_refused() {
    let addr = closed_port();
    let mem = Memory::new(4);
    let master = Master::tcp(addr)
        .fail_fast(true)
        .start(mem.clone())
        .expect("start");
    mem.holding::<u16>(0).expect("declare").set(1).expect("set");
    match master.flush_timeout(Duration::from_secs(20)) {
        Err(Error::NotConnected { peer, reason }) => {
            assert_eq!(peer, addr.to_string());
            assert!(reason.contains("refused"), "{reason}");
        }
        other => panic!("expected NotConnected, got {other:?}"),
    }
    // The write stays queued for a later connection.
    assert!(mem.holding::<u16>(0).expect("declare").pending());
    master.stop();

    let mem = Memory::new(4);
    let patient = Master::tcp(addr).start(mem.clone()).expect("start");
    mem.holding::<u16>(0).expect("declare").set(1).expect("set");
    let waited = patient.flush_timeout(Duration::from_millis(700));
    assert!(
        matches!(waited, Err(Error::Timeout { .. })),
        "without fail_fast a flush waits for the slave: {waited:?}"
    );
    patient.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    #[cfg(feature = "tls")]
    crate::Test {
        name: "a_sync_asked_while_connecting_waits_for_the_same_connection",
        run: a_sync_asked_while_connecting_waits_for_the_same_connection,
        needs: &[],
    },
    #[cfg(feature = "tls")]
    crate::Test {
        name: "a_certificate_of_another_pki_is_refused_as_from_an_unknown_issuer",
        run: a_certificate_of_another_pki_is_refused_as_from_an_unknown_issuer,
        needs: &[],
    },
    crate::Test {
        name: "fail_fast_fails_a_flush_when_the_connection_is_refused",
        run: fail_fast_fails_a_flush_when_the_connection_is_refused,
        needs: &[],
    },
];
