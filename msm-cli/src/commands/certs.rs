//! `msm certs DIR`: a throw-away CA, a server certificate and one client certificate
//! per role, to try Modbus/TCP Security in three commands.

use std::path::PathBuf;

use clap::Args;
use msm::transport::tls::Pki;

use crate::CmdResult;
use crate::failure::Failure;

#[derive(Args, Debug)]
pub(crate) struct CertsArgs {
    /// Where to write ca.pem, ca.key, server.pem, server.key, client-ROLE.pem and
    /// client-ROLE.key (made if missing).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// A role to make a client certificate for (repeat for more) [default: operator,
    /// viewer].
    #[arg(long = "role", value_name = "ROLE")]
    pub(crate) roles: Vec<String>,
    /// A DNS name or IP address the server certificate is for (repeat for more)
    /// [default: localhost, 127.0.0.1, ::1].
    #[arg(long = "host", value_name = "NAME")]
    pub(crate) hosts: Vec<String>,
}

pub(crate) fn run(a: CertsArgs) -> CmdResult {
    let mut roles: Vec<&str> = a.roles.iter().map(String::as_str).collect();
    if roles.is_empty() {
        roles = vec!["operator", "viewer"];
    }
    if let Some(bad) = roles.iter().find(|r| {
        r.is_empty()
            || !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    }) {
        return Err(Failure::usage(format!(
            "--role {bad:?}: use letters, digits, '-', '_' or '.' (it names a file)"
        )));
    }
    let hosts: Vec<&str> = a.hosts.iter().map(String::as_str).collect();
    let pki = Pki::new(&roles, &hosts).map_err(|e| Failure::usage(e.to_string()))?;
    let written = pki
        .write_to(&a.dir)
        .map_err(|e| Failure::modbus(e.to_string()))?;
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!(
        "msm certs: a throw-away CA and certificates for roles {} in {} (for trials only: \
         the keys are not protected)",
        roles.join(", "),
        a.dir.display()
    );
    Ok(())
}
