//! The links added for issue 24: Modbus ASCII on a serial line and Modbus/UDP, and the
//! data bits a serial line is set up with.

use super::Slave;
use crate::transport::{Link, SerialConfig, TcpAddr};

impl Slave {
    /// A Modbus ASCII slave on the serial line at `path`: frames are `:`, hex digits and
    /// an LRC, ended by CR LF (or the end character FC08 sub-function 03 sets). The
    /// character format is the spec's default for ASCII, 7 data bits, even parity and 1
    /// stop bit, unless [`data_bits`](Self::data_bits), [`parity`](Self::parity) or
    /// [`stop_bits`](Self::stop_bits) say otherwise (many devices use 8N1). Addresses as
    /// for [`rtu`](Self::rtu): its own (1, or those of [`unit`](Self::unit)), broadcasts
    /// executed and never answered. A frame with a bad LRC, a character that is not hex,
    /// or a pause of over a second inside is dropped; a `:` starts a frame over.
    ///
    /// ```no_run
    /// use msm::{Memory, Parity, Slave};
    /// let slave = Slave::ascii("/dev/ttyUSB0", 9600).unit(5).serve(Memory::new(16))?;
    /// // A device on 8N1 instead of 7E1:
    /// let other = Slave::ascii("/dev/ttyUSB1", 9600).data_bits(8).parity(Parity::None);
    /// # let _ = other;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn ascii(path: impl Into<String>, baud: u32) -> Slave {
        Slave::ascii_serial(SerialConfig::new(path, baud).data_bits(7))
    }

    /// A Modbus ASCII slave on a serial line set up in full (7 or 8 data bits).
    ///
    /// ```
    /// use msm::{Memory, Parity, SerialConfig, Slave};
    /// let line = SerialConfig::new("/dev/msm-no-such-port", 9600).data_bits(7).parity(Parity::Odd);
    /// let err = Slave::ascii_serial(line).serve(Memory::new(4)).unwrap_err();
    /// assert!(err.to_string().contains("cannot open the serial line /dev/msm-no-such-port"));
    /// let six = SerialConfig::new("/dev/ttyS0", 9600).data_bits(6);
    /// let err = Slave::ascii_serial(six).serve(Memory::new(4)).unwrap_err();
    /// assert!(err.to_string().contains("6 data bits: Modbus ASCII needs 7 or 8"));
    /// ```
    pub fn ascii_serial(line: SerialConfig) -> Slave {
        Slave::on(Link::Ascii(line))
    }

    /// A Modbus/UDP slave on `addr` (as for [`tcp`](Self::tcp); the standard port is
    /// 502): each datagram holds one request in an MBAP frame, and its answer goes back
    /// to the sender as one datagram. A datagram that is not exactly one frame is
    /// dropped (and counted as a communication error). Nothing is kept of a sender
    /// beyond its answer, so the connection settings (`max_connections`, the timeouts)
    /// do not apply; [`allow`](Self::allow) does, per datagram. Units, hooks, identity
    /// and exceptions work as over TCP. `connections()` stays 0.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// served.holding::<u16>(2)?.set(77)?;
    /// let slave = Slave::udp("127.0.0.1:0").serve(served)?;
    /// let mem = Memory::new(4);
    /// Master::udp(slave.local_addr()).start(mem.clone())?.sync()?;
    /// assert_eq!(mem.holding::<u16>(2)?.get(), 77);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn udp(addr: impl TcpAddr) -> Slave {
        Slave::on(Link::Udp(addr.into_addr()))
    }

    /// Serial lines: 7 or 8 data bits (RTU needs 8, its default; ASCII's default is 7).
    /// On a link over TCP or UDP the setting is a mistake, refused by `serve`.
    ///
    /// ```
    /// use msm::{Memory, Slave};
    /// let eight = Slave::ascii("/dev/ttyUSB0", 9600).data_bits(8);
    /// let err = Slave::rtu("/dev/ttyUSB0", 9600).data_bits(7).serve(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("7 data bits: Modbus RTU needs 8"));
    /// let err = Slave::udp("127.0.0.1:0").data_bits(8).serve(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("data bits applies to serial lines"));
    /// # let _ = eight;
    /// ```
    pub fn data_bits(mut self, data_bits: u8) -> Self {
        self.link.set_data_bits(data_bits);
        self
    }
}
