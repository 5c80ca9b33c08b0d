//! Modbus/TCP Security against peers that are not msm: `openssl s_client` (OpenSSL's TLS
//! stack) and pymodbus's TLS client, with client certificates made by `openssl req` /
//! `openssl x509` carrying the role extension. Missing peers: a loud SKIP, or a failure
//! under CI=true.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use msm::transport::tls::{Pki, TlsSettings};
use msm::{Map, Memory, Slave, SlaveHandle};

const MAP: &str = r#"
[memory]
holding_registers = 4
[vars]
SETPOINT = { area = "holding", address = 0, type = "u16" }
LIMIT    = { area = "holding", address = 1, type = "u16" }
[roles.operator]
read  = ["*"]
write = ["SETPOINT"]
[roles.viewer]
read  = ["*"]
"#;

/// FC3, transaction 7, unit 1: holding registers 0..=1.
const READ: [u8; 12] = [0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];

struct Setup {
    dir: common::TempDir,
    served: Memory,
    slave: SlaveHandle,
}

impl Setup {
    /// A throw-away CA and server certificate written as PEM files, and a slave on
    /// loopback loaded from them, with the map's roles.
    fn new() -> Setup {
        crate::tls_common::capture_logs();
        let dir = common::TempDir::new("tls");
        Pki::new(&[], &[])
            .expect("pki")
            .write_to(&dir.path)
            .expect("write");
        let tls = TlsSettings::from_pem_files(
            dir.path.join("server.pem"),
            dir.path.join("server.key"),
            dir.path.join("ca.pem"),
        )
        .expect("PEM files");
        let map = Map::from_toml_str(MAP).expect("map");
        let served = map.build().expect("memory").memory().clone();
        served
            .holding::<u16>(0)
            .expect("declare")
            .set(0x1111)
            .expect("set");
        served
            .holding::<u16>(1)
            .expect("declare")
            .set(0x2222)
            .expect("set");
        let slave = Slave::tls("127.0.0.1:0", tls)
            .roles(map.roles().cloned().expect("roles"))
            .idle_timeout(Duration::from_secs(1))
            .serve(served.clone())
            .expect("serve");
        Setup { dir, served, slave }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path.join(name).display().to_string()
    }

    fn port(&self) -> String {
        self.slave.local_addr().port().to_string()
    }

    /// A client certificate made by openssl, signed by the CA, with `role` as a
    /// UTF8String in the role extension (none: no extension).
    fn openssl_client(&self, openssl: &Path, name: &str, role: Option<&str>) -> (String, String) {
        let (key, csr, pem, ext) = (
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.csr")),
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.ext")),
        );
        let mut extensions =
            String::from("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
        if let Some(role) = role {
            extensions += &format!("1.3.6.1.4.1.50316.802.1=ASN1:UTF8String:{role}\n");
        }
        std::fs::write(&ext, extensions).expect("write ext");
        let run = |args: &[&str]| {
            let out = Command::new(openssl)
                .args(args)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &self.path("ca.pem"),
            "-CAkey",
            &self.path("ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-out",
            &pem,
            "-extfile",
            &ext,
        ]);
        (pem, key)
    }

    /// `openssl s_client` to the slave with `extra` options, sending `input`.
    fn s_client(&self, openssl: &Path, extra: &[&str], input: &[u8]) -> (bool, Vec<u8>, String) {
        let connect = format!("127.0.0.1:{}", self.port());
        let ca = self.path("ca.pem");
        let mut args = vec!["s_client", "-connect", &connect, "-CAfile", &ca, "-quiet"];
        args.extend_from_slice(extra);
        crate::tls_common::run_with_input(openssl, &args, input, Duration::from_secs(20))
    }
}

fn logged(what: &str) -> bool {
    common::wait_until(Duration::from_secs(10), || {
        crate::tls_common::logs().contains(what)
    })
}

fn openssl_s_client_needs_a_certificate_and_tls_1_2_and_then_is_answered() {
    let Some(openssl) = crate::tls_common::openssl() else {
        return;
    };
    let setup = Setup::new();
    let (cert, key) = setup.openssl_client(&openssl, "viewer", Some("viewer"));

    // With a certificate: the Modbus request through OpenSSL's TLS is answered.
    let (_, out, err) = setup.s_client(&openssl, &["-cert", &cert, "-key", &key], &READ);
    assert_eq!(
        out,
        [0, 7, 0, 0, 0, 7, 1, 3, 4, 0x11, 0x11, 0x22, 0x22],
        "s_client: {err}"
    );

    // Without one, under TLS 1.2 and 1.3: refused, nothing answered.
    for version in ["-tls1_2", "-tls1_3"] {
        let (_, out, err) = setup.s_client(&openssl, &[version], &READ);
        assert!(
            out.is_empty(),
            "{version}: answered without a certificate: {err}"
        );
        assert!(
            logged("the client sent no certificate"),
            "{}",
            crate::tls_common::logs()
        );
    }

    // TLS 1.1: refused by the slave (security level 0 lets OpenSSL offer it at all).
    let (ok, out, err) = setup.s_client(
        &openssl,
        &[
            "-tls1_1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
            "-cert",
            &cert,
            "-key",
            &key,
        ],
        &READ,
    );
    assert!(!ok && out.is_empty(), "TLS 1.1 was accepted: {err}");
    assert!(logged("1.2 or 1.3 only"), "{}", crate::tls_common::logs());

    // The slave still serves.
    let (_, out, _) = setup.s_client(&openssl, &["-cert", &cert, "-key", &key], &READ);
    assert_eq!(out.len(), 13);
}

fn pymodbus(setup: &Setup, py: &Path, cert: &str, key: &str) -> serde_json::Value {
    let out = Command::new(py)
        .arg(common::peer_script("tls_client.py"))
        .args(["127.0.0.1", &setup.port(), cert, key, &setup.path("ca.pem")])
        .output()
        .expect("run the pymodbus client");
    assert!(
        out.status.success(),
        "pymodbus client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn pymodbus_tls_client_reads_as_viewer_and_writes_only_as_operator() {
    let (Some(openssl), Some(py)) = (crate::tls_common::openssl(), common::pymodbus_python())
    else {
        return;
    };
    let setup = Setup::new();
    let (cert, key) = setup.openssl_client(&openssl, "viewer", Some("viewer"));
    let viewer = pymodbus(&setup, &py, &cert, &key);
    assert_eq!(viewer["connected"], true, "{viewer}");
    assert_eq!(
        viewer["read"],
        serde_json::json!([0x1111, 0x2222]),
        "{viewer}"
    );
    assert_eq!(
        viewer["write"],
        serde_json::json!({"exception": 1}),
        "{viewer}"
    );
    assert_eq!(
        setup.served.holding::<u16>(0).expect("declare").get(),
        0x1111
    );
    assert!(logged(
        "role=viewer request=unit 1 FC6 writes holding registers 0..=0"
    ));

    let (cert, key) = setup.openssl_client(&openssl, "operator", Some("operator"));
    let operator = pymodbus(&setup, &py, &cert, &key);
    assert_eq!(
        operator["read"],
        serde_json::json!([0x1111, 0x2222]),
        "{operator}"
    );
    assert_eq!(operator["write"], serde_json::json!([1234]), "{operator}");
    assert_eq!(setup.served.holding::<u16>(0).expect("declare").get(), 1234);

    // No role extension: the NULL role, which these [roles] give nothing.
    let (cert, key) = setup.openssl_client(&openssl, "nobody", None);
    let nobody = pymodbus(&setup, &py, &cert, &key);
    assert_eq!(
        nobody["read"],
        serde_json::json!({"exception": 1}),
        "{nobody}"
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "openssl_s_client_needs_a_certificate_and_tls_1_2_and_then_is_answered",
        run: openssl_s_client_needs_a_certificate_and_tls_1_2_and_then_is_answered,
        needs: &["openssl"],
    },
    crate::Test {
        name: "pymodbus_tls_client_reads_as_viewer_and_writes_only_as_operator",
        run: pymodbus_tls_client_reads_as_viewer_and_writes_only_as_operator,
        needs: &["openssl", "pymodbus"],
    },
];
