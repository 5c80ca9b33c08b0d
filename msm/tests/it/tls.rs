//! Modbus/TCP Security between msm's own master and slave: roles from the map file,
//! refused clients (each logged with the reason, the others served on), server names,
//! pinning, and reconnection through a proxy that is cut.

use crate::common;

use std::time::Duration;

use crate::tls_common::{Proxy, TestCa};
use msm::master::Fault;
use msm::protocol::ExceptionCode;
use msm::transport::tls::{Pki, TlsSettings};
use msm::{Error, Map, Master, MasterHandle, Memory, Slave, SlaveHandle, Var};

const DEADLINE: Duration = Duration::from_secs(20);

const MAP: &str = r#"
[memory]
coils = 16
holding_registers = 200

[vars]
SETPOINT = { area = "holding", address = 0, type = "u16" }
RUN      = { area = "coil", address = 0, type = "bool" }
LIMIT    = { area = "holding", address = 1, type = "u16" }

[roles.operator]
read  = ["*"]
write = ["SETPOINT", "RUN", "holding 100..=199"]
[roles.viewer]
read  = ["*"]
"#;

fn map() -> Map {
    Map::from_toml_str(MAP).expect("map")
}

fn slave(pki: &Pki, served: &Memory) -> SlaveHandle {
    let roles = map().roles().cloned().expect("[roles]");
    Slave::tls("127.0.0.1:0", pki.server())
        .roles(roles)
        .frame_timeout(Duration::from_secs(2))
        .serve(served.clone())
        .expect("serve")
}

fn master(addr: impl msm::transport::TcpAddr, tls: TlsSettings, mem: &Memory) -> MasterHandle {
    Master::tls(addr, tls)
        .response_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .start(mem.clone())
        .expect("start")
}

fn refused_with_illegal_function(result: msm::Result<()>) {
    match result {
        Err(Error::Block(e)) => assert_eq!(
            e.fault,
            Fault::Exception {
                code: ExceptionCode::IllegalFunction
            }
        ),
        other => panic!("expected exception 01, got {other:?}"),
    }
}

fn roles_from_the_map_allow_and_refuse_with_exception_01() {
    crate::tls_common::capture_logs();
    let pki = Pki::new(&["operator", "viewer"], &[]).expect("pki");
    let served = map().build().expect("memory").memory().clone();
    served
        .holding::<u16>(1)
        .expect("LIMIT")
        .set(77)
        .expect("set");
    let slave = slave(&pki, &served);

    let viewer_mem = map().build().expect("memory").memory().clone();
    let viewer = master(
        slave.local_addr(),
        pki.client("viewer").expect("cert"),
        &viewer_mem,
    );
    viewer.sync_timeout(DEADLINE).expect("a viewer reads");
    assert_eq!(viewer_mem.holding::<u16>(1).expect("LIMIT").get(), 77);
    viewer_mem
        .holding::<u16>(0)
        .expect("SETPOINT")
        .set(5)
        .expect("set");
    refused_with_illegal_function(viewer.flush_timeout(DEADLINE));
    assert_eq!(served.holding::<u16>(0).expect("SETPOINT").get(), 0);

    let op_mem = map().build().expect("memory").memory().clone();
    let operator = master(
        slave.local_addr(),
        pki.client("operator").expect("cert"),
        &op_mem,
    );
    operator.sync_timeout(DEADLINE).expect("an operator reads");
    let setpoint: Var<u16> = op_mem.holding(0).expect("SETPOINT");
    setpoint.set(1500).expect("set");
    op_mem.coil::<bool>(0).expect("RUN").set(true).expect("set");
    op_mem
        .holding::<u32>(150)
        .expect("raw range")
        .set(9)
        .expect("set");
    operator
        .flush_timeout(DEADLINE)
        .expect("the operator writes");
    assert_eq!(served.holding::<u16>(0).expect("SETPOINT").get(), 1500);
    assert!(served.coil::<bool>(0).expect("RUN").get());
    // LIMIT is readable, not writable, for the operator too.
    op_mem
        .holding::<u16>(1)
        .expect("LIMIT")
        .set(1)
        .expect("set");
    refused_with_illegal_function(operator.flush_timeout(DEADLINE));

    // A certificate without a role: the NULL role, which [roles] gives nothing.
    let nobody = pki.client_settings(&pki.issue_client(None).expect("cert"));
    let nobody = master(slave.local_addr(), nobody, &Memory::new(4));
    refused_with_illegal_function(nobody.sync_timeout(DEADLINE));

    let logs = crate::tls_common::logs();
    assert!(
        logs.contains("request refused: the role has no right to it")
            && logs.contains("role=viewer")
            && logs.contains("writes holding registers 0..=0"),
        "{logs}"
    );
}

fn a_role_with_control_characters_reaches_the_log_escaped() {
    crate::tls_common::capture_logs();
    // A certificate a trusted CA issued with a role made to forge a log line and
    // colour the terminal: the refusal's log line shows it escaped, on one line.
    let forged = "viewer\n2026-12-06T00:00:00Z  WARN msm: forged line\x1b[31m";
    let pki = Pki::new(&[forged], &[]).expect("pki");
    let served = map().build().expect("memory").memory().clone();
    let slave = slave(&pki, &served);
    let mem = map().build().expect("memory").memory().clone();
    let m = master(slave.local_addr(), pki.client(forged).expect("cert"), &mem);
    refused_with_illegal_function(m.sync_timeout(DEADLINE));
    let logs = crate::tls_common::logs();
    let line = logs
        .lines()
        .find(|l| l.contains("request refused: the role has no right to it"))
        .unwrap_or_else(|| panic!("no refusal logged: {logs}"));
    assert!(
        line.contains("viewer\\n2026-12-06T00:00:00Z  WARN msm: forged line\\x1b[31m"),
        "{line}"
    );
    assert!(!logs.contains('\x1b'), "no raw escape in the log: {logs:?}");
    assert!(
        !logs.lines().any(|l| l.starts_with("2026-12-06T00:00:00Z")),
        "no forged line: {logs}"
    );
}

fn without_roles_every_authenticated_client_does_everything() {
    let pki = Pki::new(&["anyone"], &[]).expect("pki");
    let served = Memory::new(4);
    let slave = Slave::tls("127.0.0.1:0", pki.server())
        .serve(served.clone())
        .expect("serve");
    let mem = Memory::new(4);
    let m = master(
        slave.local_addr(),
        pki.client("anyone").expect("cert"),
        &mem,
    );
    mem.holding::<u16>(3).expect("declare").set(3).expect("set");
    m.flush_timeout(DEADLINE).expect("write");
    assert_eq!(served.holding::<u16>(3).expect("declare").get(), 3);
}

/// Waits until the captured logs hold `what`.
fn logged(what: &str) -> bool {
    common::wait_until(DEADLINE, || crate::tls_common::logs().contains(what))
}

fn bad_clients_are_refused_with_the_reason_and_others_are_served_on() {
    crate::tls_common::capture_logs();
    let pki = Pki::new(&["viewer"], &[]).expect("pki");
    let other = TestCa::new();
    let served = map().build().expect("memory").memory().clone();
    let roles = map().roles().cloned().expect("[roles]");
    // The slave trusts the test's CA too, so that certificates with defects reach the
    // role check.
    let slave = Slave::tls("127.0.0.1:0", pki.server().trust(other.der.clone()))
        .roles(roles)
        .frame_timeout(Duration::from_secs(2))
        .serve(served.clone())
        .expect("serve");
    let good_mem = Memory::new(4);
    let good = master(
        slave.local_addr(),
        pki.client("viewer").expect("cert"),
        &good_mem,
    );
    good.sync_timeout(DEADLINE)
        .expect("a good client is served");

    let cases: [(&str, TlsSettings); 4] = [
        (
            "role extensions",
            other.client(&[b"\x0c\x06viewer", b"\x0c\x02op"], false, pki.ca_der()),
        ),
        (
            "not an ASN.1 UTF8String",
            other.client(&[b"\x13\x06viewer"], false, pki.ca_der()),
        ),
        (
            "certificate expired",
            other.client(&[b"\x0c\x06viewer"], true, pki.ca_der()),
        ),
        (
            "UnknownIssuer",
            TestCa::new().client(&[b"\x0c\x06viewer"], false, pki.ca_der()),
        ),
    ];
    for (reason, tls) in cases {
        let m = master(slave.local_addr(), tls, &Memory::new(4));
        assert!(m.sync_timeout(Duration::from_secs(3)).is_err(), "{reason}");
        assert!(
            logged(reason),
            "no log line with {reason:?}: {}",
            crate::tls_common::logs()
        );
        assert!(logged("TLS client refused"));
        m.stop();
        good.sync_timeout(DEADLINE)
            .expect("the good client is still served");
    }

    // A plaintext Modbus/TCP client on the TLS port.
    let plain = Master::tcp(slave.local_addr())
        .response_timeout(Duration::from_millis(500))
        .start(Memory::new(4))
        .expect("start");
    assert!(plain.sync_timeout(Duration::from_secs(3)).is_err());
    assert!(
        logged("the client does not speak TLS"),
        "{}",
        crate::tls_common::logs()
    );
    good.sync_timeout(DEADLINE).expect("still served");
}

fn the_server_name_is_checked_and_pinning_replaces_the_ca() {
    let pki = Pki::new(&["viewer"], &["plc.local"]).expect("pki");
    let slave = Slave::tls("127.0.0.1:0", pki.server())
        .serve(Memory::new(4))
        .expect("serve");
    // The certificate names plc.local, not 127.0.0.1.
    let by_ip = master(
        slave.local_addr(),
        pki.client("viewer").expect("cert"),
        &Memory::new(4),
    );
    let err = by_ip
        .sync_timeout(Duration::from_secs(3))
        .expect_err("wrong name");
    assert!(matches!(err, Error::NotConnected { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    by_ip.stop();
    let named = pki.client("viewer").expect("cert").server_name("plc.local");
    master(slave.local_addr(), named, &Memory::new(4))
        .sync_timeout(DEADLINE)
        .expect("with the certificate's name");

    // Pinned: the slave's own certificate, no CA needed.
    let pinned = pki
        .client("viewer")
        .expect("cert")
        .pin_peer(pki.server_der());
    master(slave.local_addr(), pinned, &Memory::new(4))
        .sync_timeout(DEADLINE)
        .expect("pinned");
    let wrong_pin = pki.client("viewer").expect("cert").pin_peer(pki.ca_der());
    let m = master(slave.local_addr(), wrong_pin, &Memory::new(4));
    assert!(m.sync_timeout(Duration::from_secs(3)).is_err());
}

fn a_cut_connection_is_made_again_and_no_write_is_lost() {
    let pki = Pki::new(&["operator"], &[]).expect("pki");
    let served = map().build().expect("memory").memory().clone();
    let slave = slave(&pki, &served);
    let proxy = Proxy::start(slave.local_addr());
    let mem = map().build().expect("memory").memory().clone();
    let m = master(proxy.addr, pki.client("operator").expect("cert"), &mem);
    m.sync_timeout(DEADLINE).expect("first cycle");
    let regs: Vec<Var<u16>> = (100..200)
        .map(|a| mem.holding(a).expect("declare"))
        .collect();
    for round in 1..=5u16 {
        for (i, r) in regs.iter().enumerate() {
            r.set(round * 1000 + i as u16).expect("set");
            if i == 50 {
                proxy.cut();
            }
        }
        let reconnects = m.status().reconnects;
        assert!(
            common::wait_until(DEADLINE, || m.flush_timeout(Duration::from_secs(2)).is_ok()),
            "round {round}: flushed after the cut"
        );
        for (i, _) in regs.iter().enumerate() {
            let on_slave = served
                .holding::<u16>(100 + i as u16)
                .expect("declare")
                .get();
            assert_eq!(
                on_slave,
                round * 1000 + i as u16,
                "round {round}, register {i}"
            );
        }
        assert!(m.status().reconnects >= reconnects);
    }
    assert!(m.status().reconnects >= 1, "{:?}", m.status());
}

fn roles_entries_that_are_no_variable_or_range_are_named_with_their_place() {
    let with = |entry: &str| {
        let text = format!("[memory]\nholding_registers = 4\n[roles.op]\nwrite = [{entry:?}]\n");
        Map::from_toml_str(&text).map(|m| m.roles().cloned())
    };
    assert!(with("holding 0..=3").expect("a range").is_some());
    assert!(with("coil 7").is_ok());
    for (entry, says) in [
        ("SETPONT", "is no variable of this map"),
        ("holdin 1..=2", "is no area"),
        ("holding 5..=2", "is not a range of addresses"),
        ("holding 5..5", "is an empty range"),
        ("holding 0..=70000", "is not a range of addresses"),
        ("holding x", "where an address"),
    ] {
        let err = with(entry).expect_err(entry).to_string();
        assert!(err.starts_with("<string>:4:10: role op:"), "{err}");
        assert!(err.contains(says), "{entry}: {err}");
    }
    let err = Map::from_toml_str("[memory]\n[roles.op]\nwrit = []\n").expect_err("typo");
    assert!(
        err.to_string()
            .contains("unknown key `writ` in a role (did you mean write?)"),
        "{err}"
    );
    assert!(
        Map::from_toml_str("[memory]\n")
            .expect("map")
            .roles()
            .is_none()
    );
}

/// Sends `request` over a new TLS connection made with `config`; the response frame and
/// whether the handshake resumed a session.
async fn exchange(
    addr: std::net::SocketAddr,
    config: &std::sync::Arc<msm::transport::tls::ClientConfig>,
    request: &[u8],
) -> (Vec<u8>, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(request).await.expect("write");
    tls.flush().await.expect("flush");
    let mut head = [0u8; 7];
    tls.read_exact(&mut head).await.expect("MBAP header");
    let mut rest = vec![0u8; usize::from(u16::from_be_bytes([head[4], head[5]])) - 1];
    tls.read_exact(&mut rest).await.expect("PDU");
    let resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    ([&head[..], &rest].concat(), resumed)
}

#[tokio::main(flavor = "current_thread")]
async fn a_resumed_session_keeps_the_role() {
    let pki = Pki::new(&["operator"], &[]).expect("pki");
    let served = map().build().expect("memory").memory().clone();
    let slave = slave(&pki, &served);
    let config = pki
        .client("operator")
        .expect("cert")
        .client_config()
        .expect("config");
    // FC6: SETPOINT = 0x0102, which the operator may write and the NULL role may not.
    let write = [0, 1, 0, 0, 0, 6, 1, 6, 0, 0, 1, 2];
    let (first, resumed) = exchange(slave.local_addr(), &config, &write).await;
    assert!(!resumed);
    assert_eq!(first, write, "the write is echoed");
    let mut seen_resumed = false;
    for _ in 0..3 {
        let (again, resumed) = exchange(slave.local_addr(), &config, &write).await;
        assert_eq!(
            again, write,
            "resumed: {resumed}: the role still allows the write"
        );
        seen_resumed |= resumed;
    }
    assert!(seen_resumed, "the client resumed its session");
}

fn serial_settings_on_a_tls_link_are_refused_on_both_sides() {
    let pki = Pki::new(&["viewer"], &[]).expect("pki");
    let err = Slave::tls("127.0.0.1:0", pki.server())
        .parity(msm::Parity::Odd)
        .serve(Memory::new(1))
        .expect_err("parity on TLS");
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert!(
        err.to_string().contains("parity applies to serial lines"),
        "{err}"
    );
    let err = Master::tls("127.0.0.1:802", pki.client("viewer").expect("cert"))
        .stop_bits(2)
        .start(Memory::new(1))
        .expect_err("stop bits on TLS");
    assert!(
        err.to_string()
            .contains("stop bits applies to serial lines"),
        "{err}"
    );
}

#[tokio::main(flavor = "current_thread")]
async fn a_flood_of_pipelined_requests_is_answered_whole_over_tls() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = Pki::new(&["viewer"], &[]).expect("pki");
    let served = Memory::new(125);
    for a in 0..125u16 {
        served
            .holding::<u16>(a)
            .expect("declare")
            .set(a)
            .expect("set");
    }
    let slave = Slave::tls("127.0.0.1:0", pki.server())
        .serve(served)
        .expect("serve");
    let config = pki
        .client("viewer")
        .expect("cert")
        .client_config()
        .expect("config");
    let tcp = tokio::net::TcpStream::connect(slave.local_addr())
        .await
        .expect("connect");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .expect("handshake");
    // 2,000 reads of 125 registers: half a megabyte of answers, far more than the
    // socket holds, so the slave's writes must wait for this reader.
    const N: u16 = 2000;
    let mut requests = Vec::new();
    for id in 0..N {
        let [hi, lo] = id.to_be_bytes();
        requests.extend_from_slice(&[hi, lo, 0, 0, 0, 6, 1, 3, 0, 0, 0, 125]);
    }
    tls.write_all(&requests).await.expect("write");
    tls.flush().await.expect("flush");
    let mut response = vec![0u8; 9 + 250];
    let read_all = async {
        for id in 0..N {
            tls.read_exact(&mut response).await.expect("a response");
            assert_eq!(u16::from_be_bytes([response[0], response[1]]), id);
            assert_eq!(&response[7..9], [3, 250]);
            assert_eq!(&response[9 + 248..], [0, 124]);
        }
    };
    tokio::time::timeout(DEADLINE, read_all)
        .await
        .expect("every response within the deadline");
}

fn master_only_settings_on_a_slave_are_refused() {
    let pki = Pki::new(&[], &[]).expect("pki");
    for tls in [
        pki.server().pin_peer(pki.ca_der()),
        pki.server().server_name("plc.local"),
    ] {
        let err = Slave::tls("127.0.0.1:0", tls)
            .serve(Memory::new(1))
            .expect_err("a master's setting");
        assert!(err.to_string().contains("apply to masters"), "{err}");
    }
}

fn a_master_with_a_self_signed_certificate_is_served_when_the_slave_trusts_it() {
    let pki = Pki::new(&[], &[]).expect("pki");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hmi-1 (self-signed)");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).expect("cert");
    let client = TlsSettings::new(
        vec![cert.der().clone()],
        msm::transport::tls::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .trust(pki.ca_der());
    let slave = Slave::tls("127.0.0.1:0", pki.server().trust(cert.der().clone()))
        .serve(Memory::new(1))
        .expect("serve");
    master(slave.local_addr(), client, &Memory::new(1))
        .sync_timeout(DEADLINE)
        .expect("served");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "roles_from_the_map_allow_and_refuse_with_exception_01",
        run: roles_from_the_map_allow_and_refuse_with_exception_01,
        needs: &[],
    },
    crate::Test {
        name: "a_role_with_control_characters_reaches_the_log_escaped",
        run: a_role_with_control_characters_reaches_the_log_escaped,
        needs: &[],
    },
    crate::Test {
        name: "without_roles_every_authenticated_client_does_everything",
        run: without_roles_every_authenticated_client_does_everything,
        needs: &[],
    },
    crate::Test {
        name: "bad_clients_are_refused_with_the_reason_and_others_are_served_on",
        run: bad_clients_are_refused_with_the_reason_and_others_are_served_on,
        needs: &[],
    },
    crate::Test {
        name: "the_server_name_is_checked_and_pinning_replaces_the_ca",
        run: the_server_name_is_checked_and_pinning_replaces_the_ca,
        needs: &[],
    },
    crate::Test {
        name: "a_cut_connection_is_made_again_and_no_write_is_lost",
        run: a_cut_connection_is_made_again_and_no_write_is_lost,
        needs: &[],
    },
    crate::Test {
        name: "roles_entries_that_are_no_variable_or_range_are_named_with_their_place",
        run: roles_entries_that_are_no_variable_or_range_are_named_with_their_place,
        needs: &[],
    },
    crate::Test {
        name: "a_resumed_session_keeps_the_role",
        run: a_resumed_session_keeps_the_role,
        needs: &[],
    },
    crate::Test {
        name: "serial_settings_on_a_tls_link_are_refused_on_both_sides",
        run: serial_settings_on_a_tls_link_are_refused_on_both_sides,
        needs: &[],
    },
    crate::Test {
        name: "a_flood_of_pipelined_requests_is_answered_whole_over_tls",
        run: a_flood_of_pipelined_requests_is_answered_whole_over_tls,
        needs: &[],
    },
    crate::Test {
        name: "master_only_settings_on_a_slave_are_refused",
        run: master_only_settings_on_a_slave_are_refused,
        needs: &[],
    },
    crate::Test {
        name: "a_master_with_a_self_signed_certificate_is_served_when_the_slave_trusts_it",
        run: a_master_with_a_self_signed_certificate_is_served_when_the_slave_trusts_it,
        needs: &[],
    },
];
