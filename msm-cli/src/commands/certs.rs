//! `msm certs DIR`: a throw-away CA, a server certificate and one client certificate
//! per role, to try Modbus/TCP Security in three commands.

use std::path::PathBuf;
use std::time::Duration;

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
    /// How many days the certificates are valid, from now.
    #[arg(long, value_name = "N", default_value_t = 365,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub(crate) days: u32,
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
    let pki = Pki::builder()
        .roles(&roles)
        .hosts(&hosts)
        .valid_for(Duration::from_secs(u64::from(a.days) * 24 * 3600))
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let written = pki
        .write_to(&a.dir)
        .map_err(|e| Failure::modbus(e.to_string()))?;
    for path in &written {
        println!("{}", path.display());
    }
    let until = humantime::format_rfc3339_seconds(pki.valid_until()).to_string();
    eprintln!(
        "msm certs: a throw-away CA ({}) and certificates for roles {} in {}, valid for {} \
         (until {}); for trials only: the keys are not protected",
        pki.ca_name(),
        roles.join(", "),
        a.dir.display(),
        crate::show::count(a.days, "day"),
        until.get(..10).unwrap_or(&until)
    );
    Ok(())
}
