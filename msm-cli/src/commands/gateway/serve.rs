//! `[serve]`: every device that has a `unit_id`, served again as one Modbus/TCP slave
//! from its memory (a caching gateway). A device that is offline answers exception 0B
//! (gateway target device failed to respond), reads and writes alike, or, with
//! `offline = "cached"`, serves its last values read and still refuses writes: a write
//! is never taken for a device that cannot take it.

use std::sync::Arc;

use msm::protocol::ExceptionCode;
use msm::{AsyncMasterHandle, AsyncSlaveHandle, Memory, Slave};

use super::config::{Offline, ServeConfig};
use super::devices::Device;
use crate::failure::Failure;

/// Starts the slave of `serve` for `devices`.
pub(crate) async fn start(
    serve: &ServeConfig,
    devices: &[Device],
) -> Result<AsyncSlaveHandle, Failure> {
    let mut slave = Slave::tcp(serve.listen.clone()).unknown_unit_exception(true);
    let mut links: Vec<Option<Arc<AsyncMasterHandle>>> = vec![None; 256];
    for d in devices {
        if let Some(id) = d.unit_id {
            slave = slave.unit_memory(id, d.mm.memory().clone());
            links[usize::from(id)] = Some(d.master.clone());
        }
    }
    let cached = serve.offline == Offline::Cached;
    let slave = slave.unit_available(move |request| {
        let Some(master) = links
            .get(usize::from(request.unit))
            .and_then(Option::as_ref)
        else {
            return Ok(());
        };
        let reads_only = request.writes.is_none();
        if master.status().connected || (cached && reads_only) {
            Ok(())
        } else {
            Err(ExceptionCode::GatewayTargetDevice)
        }
    });
    slave
        .serve_async(Memory::new(0))
        .await
        .map_err(|e| super::failure("[serve]: cannot serve", e))
}
