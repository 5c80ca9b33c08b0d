//! Helpers of the TLS tests: captured log lines, a throw-away CA for certificates the
//! library's Pki will not make (expired, two roles, a role of the wrong type), and a TCP
//! proxy that can be cut.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use msm::transport::tls::{CertificateDer, PrivateKeyDer, TlsSettings};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair,
};

/// Makes sure the library's log lines are captured (the harness does it before any
/// test runs; this is for helpers that read them).
pub fn capture_logs() {
    crate::harness::logs::install();
}

/// The library's log lines (warn and above, or `RUST_LOG`'s) since this test started.
pub fn logs() -> String {
    crate::harness::logs::since_test_start()
}

/// The role extension's OID arcs.
pub const ROLE: [u64; 9] = [1, 3, 6, 1, 4, 1, 50316, 802, 1];

/// A CA of the test's own, for certificates with defects.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub der: CertificateDer<'static>,
}

impl TestCa {
    pub fn new() -> TestCa {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        let n = N.fetch_add(1, Ordering::Relaxed);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("msm test CA {n}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA");
        TestCa {
            issuer: Issuer::new(params, key),
            der: cert.der().clone(),
        }
    }

    /// A client certificate with these role extension values (raw DER each), valid
    /// unless `expired`; its settings trust `server_ca` for the slave.
    pub fn client(
        &self,
        roles: &[&[u8]],
        expired: bool,
        server_ca: CertificateDer<'static>,
    ) -> TlsSettings {
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        for role in roles {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(&ROLE, role.to_vec()));
        }
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("cert");
        TlsSettings::new(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .trust(server_ca)
    }
}

/// A TCP proxy on loopback to `target` whose connections can be cut.
pub struct Proxy {
    pub addr: SocketAddr,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (conns.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let mut list = c.lock().expect("conns");
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    ),
                    (
                        server.try_clone().expect("clone"),
                        client.try_clone().expect("clone"),
                    ),
                ] {
                    thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
                list.push(client);
                list.push(server);
            }
        });
        Proxy { addr, conns, stop }
    }

    /// Cuts every connection made so far.
    pub fn cut(&self) {
        for conn in self.conns.lock().expect("conns").drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
        self.cut();
    }
}

/// `openssl`, the command line of OpenSSL (a TLS peer that is not rustls).
pub fn openssl() -> Option<std::path::PathBuf> {
    crate::common::program(
        "openssl",
        "install it with `apt-get install openssl` (bash .ci/run does)",
    )
}

/// Runs `program args` with `input` on stdin; kills it after `limit`. Returns its
/// exit success, stdout and stderr.
pub fn run_with_input(
    program: &std::path::Path,
    args: &[&str],
    input: &[u8],
    limit: std::time::Duration,
) -> (bool, Vec<u8>, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // The writer ends, stdin stays open: s_client -quiet reads on until the server closes.
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
        stdin
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    };
    drop(writer.join());
    let mut out = Vec::new();
    let mut err = String::new();
    use std::io::Read;
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.is_some_and(|s| s.success()), out, err)
}
