//! Turning connection flags into a master or a slave.

use msm::Master;

use crate::args::ConnectArgs;
use crate::failure::Failure;

/// A master for the slave the flags name.
pub(crate) fn master(c: &ConnectArgs) -> Result<Master, Failure> {
    Ok(Master::tcp(c.connect.clone())
        .unit(c.unit)
        .response_timeout(c.timeout)
        .connect_timeout(c.timeout))
}

/// The slave's name for messages.
pub(crate) fn peer_name(c: &ConnectArgs) -> String {
    c.connect.clone()
}

/// `msm serve` on a serial line or RTU over TCP.
pub(crate) async fn serve_rtu(_a: &crate::args::ServeArgs) -> crate::CmdResult {
    Err(Failure::usage(
        "serial lines: not yet wired (issue 7 in progress)",
    ))
}
