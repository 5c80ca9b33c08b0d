//! The links added for issue 24: Modbus ASCII on a serial line and Modbus/UDP, the data
//! bits a serial line is set up with, and the retries UDP needs.

use super::Master;
use crate::transport::{Link, SerialConfig, TcpAddr};

/// How many times a master on UDP sends a request again by default when its answer
/// does not come ([`Master::retries`]).
///
/// ```
/// assert_eq!(msm::master::DEFAULT_UDP_RETRIES, 2);
/// ```
pub const DEFAULT_UDP_RETRIES: u32 = 2;

impl Master {
    /// A master for Modbus ASCII slaves on the serial line at `path`: frames are `:`,
    /// hex digits and an LRC, ended by CR LF. The character format is the spec's default
    /// for ASCII, 7 data bits, even parity and 1 stop bit, unless
    /// [`data_bits`](Self::data_bits), [`parity`](Self::parity) or
    /// [`stop_bits`](Self::stop_bits) say otherwise (many devices use 8N1). As on RTU:
    /// one request at a time, units 1..=247, unit 0 broadcast (written, never read); an
    /// answer with a bad LRC, or a pause of over a second inside, is a failed request.
    ///
    /// ```no_run
    /// use msm::{Master, Memory, Parity};
    /// let master = Master::ascii("/dev/ttyUSB0", 9600).unit(5).start(Memory::new(16))?;
    /// let eight_n_one = Master::ascii("/dev/ttyUSB1", 9600).data_bits(8).parity(Parity::None);
    /// # let _ = eight_n_one;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn ascii(path: impl Into<String>, baud: u32) -> Master {
        Master::ascii_serial(SerialConfig::new(path, baud).data_bits(7))
    }

    /// A Modbus ASCII master on a serial line set up in full (7 or 8 data bits).
    ///
    /// ```
    /// use msm::{Master, Memory, SerialConfig};
    /// let six = SerialConfig::new("/dev/ttyS0", 9600).data_bits(6);
    /// let err = Master::ascii_serial(six).start(Memory::new(4)).unwrap_err();
    /// assert!(err.to_string().contains("6 data bits: Modbus ASCII needs 7 or 8"));
    /// ```
    pub fn ascii_serial(line: SerialConfig) -> Master {
        let mut m = Master::new(Link::Ascii(line));
        m.depth = 1;
        m
    }

    /// A master for the Modbus/UDP slave at `addr` (as for [`tcp`](Self::tcp)): each
    /// request goes in a datagram of its own, MBAP-framed, from a socket connected to
    /// the slave (datagrams from any other address are not taken). UDP loses datagrams:
    /// a request without an answer within the response timeout is sent again, up to
    /// [`retries`](Self::retries) times, before it counts as a timeout. One request is
    /// in flight at a time unless [`pipelining`](Self::pipelining) says more: datagrams
    /// sent together may arrive in any order, and some servers mishandle them (pymodbus
    /// 3.16 answers the second of two requests twice and the first never). Status and
    /// the rest are as over TCP; after
    /// [`timeouts_before_reconnect`](Self::timeouts_before_reconnect) timeouts in a row
    /// the socket is made again (the memory shows stale meanwhile).
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let served = Memory::new(4);
    /// let slave = Slave::udp("127.0.0.1:0").serve(served.clone())?;
    /// let mem = Memory::new(4);
    /// let master = Master::udp(slave.local_addr()).start(mem.clone())?;
    /// mem.holding::<u16>(1)?.set(12)?;
    /// master.flush()?;
    /// assert_eq!(served.holding::<u16>(1)?.get(), 12);
    /// assert!(master.peer().ends_with("(UDP)"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn udp(addr: impl TcpAddr) -> Master {
        let mut m = Master::new(Link::Udp(addr.into_addr()));
        m.depth = 1;
        m
    }

    /// Serial lines: 7 or 8 data bits (RTU needs 8, its default; ASCII's default is 7).
    /// On a link over TCP or UDP the setting is a mistake, reported at start.
    ///
    /// ```
    /// use msm::{Master, Memory};
    /// let eight = Master::ascii("/dev/ttyUSB0", 9600).data_bits(8);
    /// let err = Master::rtu("/dev/ttyUSB0", 9600).data_bits(7).start(Memory::new(1)).unwrap_err();
    /// assert!(err.to_string().contains("Modbus RTU needs 8"));
    /// # let _ = eight;
    /// ```
    pub fn data_bits(mut self, data_bits: u8) -> Self {
        self.link.set_data_bits(data_bits);
        self
    }

    /// UDP: times a request is sent again (with the same transaction id: an answer to
    /// either copy completes it) when its answer does not come within the response
    /// timeout, before it counts as a timeout (default [`DEFAULT_UDP_RETRIES`]; 0 sends
    /// each once). Reads and the writes msm sends (FC5, 6, 15, 16, 22, 23: absolute
    /// values and masks, which land the same twice) go again; FC8 diagnostics and
    /// unknown function codes do not (see `docs/master.md`). `status().requests_resent`
    /// counts them. TCP and serial links send nothing again this way (TCP delivers or
    /// breaks the connection; a serial line reads again at the next cycle): the setting
    /// is refused at start there.
    ///
    /// ```
    /// use msm::{Master, Memory, Slave};
    /// let slave = Slave::udp("127.0.0.1:0").serve(Memory::new(4))?;
    /// let master = Master::udp(slave.local_addr()).retries(5).start(Memory::new(4))?;
    /// master.sync()?;
    /// let err = Master::tcp(slave.local_addr()).retries(1).start(Memory::new(4)).unwrap_err();
    /// assert!(err.to_string().contains("retries apply to Modbus/UDP"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = Some(n);
        self
    }
}
