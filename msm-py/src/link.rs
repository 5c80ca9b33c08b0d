//! What Python passes to name a peer or a serial line.

use msm::Parity;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::{IntoPy, bad_declaration};

/// A TCP address from Python: `"host:port"` or `(host, port)`.
pub(crate) fn tcp_addr(addr: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = addr.extract::<String>() {
        return Ok(text);
    }
    if addr.is_instance_of::<PyTuple>()
        && let Ok((host, port)) = addr.extract::<(String, u16)>()
    {
        use msm::transport::TcpAddr;
        return Ok((host.as_str(), port).into_addr());
    }
    Err(bad_declaration(format!(
        "{addr} is not an address: give \"host:port\" text (\"127.0.0.1:5020\") or a (host, port) pair"
    )))
}

/// A parity from its name: `none`, `even` or `odd`.
pub(crate) fn parity(name: &str) -> PyResult<Parity> {
    name.parse::<Parity>().py()
}
