//! What a first-time user of `--tls` meets: one connection per command and no false
//! warning on the slave, a refusal that names the role, hints for a plaintext client or
//! a misplaced flag, and certificates that tell one run's CA from another's.

use crate::common;

use common::proxy::CountingProxy;
use common::{Running, TempDir, map, run, stderr, stdout};

/// A set of certificates from `msm certs DIR ARGS...`, in a temp dir of its own.
struct Certs {
    dir: TempDir,
}

impl Certs {
    fn new(args: &[&str]) -> Certs {
        let dir = TempDir::new();
        let path = dir.join("certs").display().to_string();
        let mut all = vec!["certs", path.as_str()];
        all.extend(args);
        let out = run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        Certs { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join("certs").join(name).display().to_string()
    }

    /// `--tls --cert --key --ca` for `who` (`server`, or `client-ROLE`), trusting the
    /// CA of `ca`.
    fn flags(&self, who: &str, ca: &Certs) -> Vec<String> {
        vec![
            "--tls".into(),
            "--cert".into(),
            self.file(&format!("{who}.pem")),
            "--key".into(),
            self.file(&format!("{who}.key")),
            "--ca".into(),
            ca.file("ca.pem"),
        ]
    }
}

/// `msm serve secure.toml --tls` with these certificates; the server and its address.
fn serve_tls(certs: &Certs) -> (Running, String) {
    let secure = map("secure.toml");
    let mut args = vec![secure.as_str()];
    let flags = certs.flags("server", certs);
    args.extend(flags.iter().map(String::as_str));
    common::serve(&args)
}

/// `msm COMMAND secure.toml WORDS... FLAGS... --connect ADDR`.
fn client(command: &str, words: &[&str], flags: &[String], addr: &str) -> std::process::Output {
    let secure = map("secure.toml");
    let mut args = vec![command, secure.as_str()];
    args.extend(words);
    args.extend(flags.iter().map(String::as_str));
    args.extend(["--connect", addr]);
    run(&args)
}

fn a_tls_read_or_write_is_one_connection_and_the_slave_warns_of_nothing() {
    let certs = Certs::new(&[]);
    let (server, addr) = serve_tls(&certs);
    let proxy = CountingProxy::start(&addr);
    let via = proxy.addr.to_string();
    let viewer = certs.flags("client-viewer", &certs);
    let read = client("read", &[], &viewer, &via);
    assert!(read.status.success(), "{}", stderr(&read));
    assert!(
        stdout(&read).contains("SETPOINT = 500"),
        "{}",
        stdout(&read)
    );
    assert_eq!(proxy.accepted_so_far(), 1, "one connection for one read");
    let operator = certs.flags("client-operator", &certs);
    let write = client("write", &["SETPOINT=600"], &operator, &via);
    assert!(write.status.success(), "{}", stderr(&write));
    assert_eq!(proxy.accepted_so_far(), 2, "one connection for one write");
    proxy.wait_idle();
    // A refused write, straight to the slave: its warning comes after any the two
    // clients above caused, which must be none.
    let refused = client("write", &["SETPOINT=1"], &viewer, &addr);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let deadline = std::time::Instant::now() + common::DEADLINE;
    let mut before = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = server
            .err
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the refusal was not logged; saw {before:?}"));
        if line.contains("request refused") {
            break;
        }
        before.push(line);
    }
    assert!(
        !before.iter().any(|l| l.contains("TLS client refused")),
        "false warnings: {before:?}"
    );
}

fn a_role_refusal_names_the_role_and_where_roles_are_set() {
    let certs = Certs::new(&[]);
    let (_server, addr) = serve_tls(&certs);
    let viewer = certs.flags("client-viewer", &certs);
    let out = client("write", &["SETPOINT=600"], &viewer, &addr);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("illegal function (01)"), "{said}");
    assert!(
        said.contains(&format!(
            "the role \"viewer\" of the certificate {} may not do this",
            certs.file("client-viewer.pem")
        )),
        "{said}"
    );
    assert!(said.contains("map's [roles]"), "{said}");
}

fn a_plaintext_client_on_a_tls_port_is_told_of_tls() {
    let certs = Certs::new(&[]);
    let (_server, addr) = serve_tls(&certs);
    let out = client("read", &[], &[], &addr);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("add --tls with --cert, --key and --ca"),
        "{}",
        stderr(&out)
    );
}

fn serve_refuses_server_name_in_command_line_terms() {
    let certs = Certs::new(&[]);
    let mut args = vec!["serve".to_string(), map("secure.toml")];
    args.extend(certs.flags("server", &certs));
    args.extend(["--server-name".into(), "foo".into()]);
    let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("--server-name is for poll, read and write"),
        "{said}"
    );
    assert!(!said.contains("pin_peer"), "a library name: {said}");
}

/// Not before and not after of the first certificate in a PEM file, in Unix seconds.
fn validity(pem_file: &str) -> (i64, i64) {
    let text = std::fs::read(pem_file).expect("PEM file");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&text).expect("PEM");
    let cert = pem.parse_x509().expect("X.509");
    let v = cert.validity();
    (v.not_before.timestamp(), v.not_after.timestamp())
}

fn certificates_of_another_run_are_refused_as_from_an_unknown_issuer() {
    let ours = Certs::new(&[]);
    let theirs = Certs::new(&["--days", "30"]);
    let (server, addr) = serve_tls(&ours);
    // Their viewer, trusting our CA for the slave.
    let stranger = theirs.flags("client-viewer", &ours);
    let out = client("read", &[], &stranger, &addr);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the slave does not trust the CA that issued --cert"),
        "{}",
        stderr(&out)
    );
    let line = server.expect_err("the refusal", |l| l.contains("TLS client refused"));
    assert!(line.contains("UnknownIssuer"), "{line}");

    // A year by default, 30 days when asked; starting now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let day = 24 * 3600;
    for (file, days) in [
        (ours.file("ca.pem"), 365),
        (ours.file("server.pem"), 365),
        (ours.file("client-viewer.pem"), 365),
        (theirs.file("client-viewer.pem"), 30),
    ] {
        let (from, until) = validity(&file);
        assert!((now - 3600..=now).contains(&from), "{file} from {from}");
        let expected = now + days * day;
        assert!(
            (expected - 3600..=expected + 3600).contains(&until),
            "{file}: until {until}, expected about {expected}"
        );
    }
    let out = run(&["certs", "unused", "--days", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_tls_read_or_write_is_one_connection_and_the_slave_warns_of_nothing",
        run: a_tls_read_or_write_is_one_connection_and_the_slave_warns_of_nothing,
        needs: &[],
    },
    crate::Test {
        name: "a_role_refusal_names_the_role_and_where_roles_are_set",
        run: a_role_refusal_names_the_role_and_where_roles_are_set,
        needs: &[],
    },
    crate::Test {
        name: "a_plaintext_client_on_a_tls_port_is_told_of_tls",
        run: a_plaintext_client_on_a_tls_port_is_told_of_tls,
        needs: &[],
    },
    crate::Test {
        name: "serve_refuses_server_name_in_command_line_terms",
        run: serve_refuses_server_name_in_command_line_terms,
        needs: &[],
    },
    crate::Test {
        name: "certificates_of_another_run_are_refused_as_from_an_unknown_issuer",
        run: certificates_of_another_run_are_refused_as_from_an_unknown_issuer,
        needs: &[],
    },
];
