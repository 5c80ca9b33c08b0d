//! Whether the unit a request is for can answer it now: a gateway in front of devices
//! answers for an offline one with exception 0B (gateway target device failed to
//! respond) instead of serving stale values or taking a write it cannot deliver.

use std::sync::Arc;

use super::Slave;
use crate::authz::AccessRequest;
use crate::protocol::ExceptionCode;

impl Slave {
    /// Asks `check` before every request whether its unit can answer it now: an
    /// exception code refuses the request (the master gets that exception; nothing is
    /// read or written). A gateway serving devices with
    /// [`unit_memory`](Self::unit_memory) answers for a device that is offline with
    /// [`ExceptionCode::GatewayTargetDevice`] (0B), as the Modbus spec asks of gateways,
    /// and may still serve reads from its cache while refusing writes
    /// ([`AccessRequest::writes`]).
    ///
    /// It runs after authorization and before the address checks, on the slave's worker,
    /// without the memory's lock. Keep it short (an atomic flag to read): the connection
    /// waits.
    ///
    /// ```
    /// use msm::protocol::ExceptionCode;
    /// use msm::{Master, Memory, Slave};
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let online = Arc::new(AtomicBool::new(true));
    /// let flag = online.clone();
    /// let gateway = Slave::tcp("127.0.0.1:0")
    ///     .unit_memory(1, Memory::new(4))
    ///     .unit_available(move |request| match request.unit {
    ///         1 if !flag.load(Ordering::Relaxed) => Err(ExceptionCode::GatewayTargetDevice),
    ///         _ => Ok(()),
    ///     })
    ///     .serve(Memory::new(0))?;
    /// let mem = Memory::new(4);
    /// let master = Master::tcp(gateway.local_addr()).start(mem.clone())?;
    /// master.sync()?;                                // unit 1 answers
    /// online.store(false, Ordering::Relaxed);
    /// assert!(master.sync().is_err());               // now exception 0B
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn unit_available(
        mut self,
        check: impl Fn(&AccessRequest) -> Result<(), ExceptionCode> + Send + Sync + 'static,
    ) -> Self {
        self.config.unit_available = Some(Arc::new(check));
        self
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::Duration;

    use crate::protocol::{ExceptionCode, Request, Response, tcp};
    use crate::{Memory, Slave};

    /// Sends `request` to unit `unit` at `addr` and decodes the answer's PDU.
    fn ask(addr: std::net::SocketAddr, unit: u8, request: &Request<'_>) -> Vec<u8> {
        let mut conn = std::net::TcpStream::connect(addr).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut buf = [0u8; tcp::MAX_FRAME_LEN];
        let n = tcp::encode_request(&mut buf, 7, unit, request).expect("encode");
        conn.write_all(&buf[..n]).expect("send");
        conn.read_exact(&mut buf[..tcp::HEADER_LEN])
            .expect("header");
        let len = usize::from(u16::from_be_bytes([buf[4], buf[5]])) - 1;
        let mut pdu = vec![0; len];
        conn.read_exact(&mut pdu).expect("pdu");
        pdu
    }

    fn exception_of(pdu: &[u8]) -> Option<ExceptionCode> {
        match Response::decode(pdu) {
            Ok(Response::Exception { code, .. }) => Some(code),
            _ => None,
        }
    }

    #[test]
    fn a_refused_unit_gets_the_exception_and_nothing_is_written() {
        let (one, two) = (Memory::new(4), Memory::new(4));
        two.holding::<u16>(0).and_then(|v| v.set(9)).expect("set");
        let slave = Slave::tcp("127.0.0.1:0")
            .unit_memory(1, one.clone())
            .unit_memory(2, two.clone())
            // Unit 2 serves reads from its cache and refuses writes.
            .unit_available(|r| match (r.unit, r.writes) {
                (2, Some(_)) => Err(ExceptionCode::GatewayTargetDevice),
                _ => Ok(()),
            })
            .serve(Memory::new(0))
            .expect("serve");
        let addr = slave.local_addr();
        let read = Request::ReadHoldingRegisters {
            address: 0,
            quantity: 1,
        };
        let write = Request::WriteSingleRegister {
            address: 0,
            value: 5,
        };
        assert_eq!(exception_of(&ask(addr, 2, &read)), None);
        assert_eq!(
            exception_of(&ask(addr, 2, &write)),
            Some(ExceptionCode::GatewayTargetDevice)
        );
        assert_eq!(two.holding::<u16>(0).map(|v| v.get()).ok(), Some(9));
        // Unit 1 is not concerned.
        assert_eq!(exception_of(&ask(addr, 1, &write)), None);
        assert_eq!(one.holding::<u16>(0).map(|v| v.get()).ok(), Some(5));
        slave.stop();
    }
}
