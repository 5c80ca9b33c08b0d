//! Serial line settings and opening a port (tokio-serial).

use std::fmt;
use std::io;
use std::str::FromStr;

use tokio_serial::SerialPortBuilderExt;

use crate::types::Error;

/// Parity of a serial line. Modbus over Serial Line asks for even by default.
///
/// ```
/// use msm::Parity;
/// assert_eq!(Parity::default(), Parity::Even);
/// assert_eq!("odd".parse::<Parity>()?, Parity::Odd);
/// assert_eq!("N".parse::<Parity>()?, Parity::None);
/// assert_eq!(Parity::Even.to_string(), "E"); // as in 8E1
/// assert!("mark".parse::<Parity>().is_err());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Parity {
    /// Even parity (the Modbus default).
    #[default]
    Even,
    /// Odd parity.
    Odd,
    /// No parity bit (the spec then asks for 2 stop bits; many devices use 1).
    None,
}

impl FromStr for Parity {
    type Err = Error;

    /// `even`, `odd` or `none` (also `E`, `O`, `N`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "even" | "e" => Ok(Parity::Even),
            "odd" | "o" => Ok(Parity::Odd),
            "none" | "n" => Ok(Parity::None),
            _ => Err(Error::Config(format!(
                "unknown parity {s:?}: use even, odd or none"
            ))),
        }
    }
}

impl fmt::Display for Parity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Parity::Even => "E",
            Parity::Odd => "O",
            Parity::None => "N",
        })
    }
}

/// How to open a serial line: path, baud rate, character format.
///
/// ```
/// use msm::transport::{Parity, SerialConfig};
/// let line = SerialConfig::new("/dev/ttyUSB0", 19_200).parity(Parity::None).stop_bits(2);
/// assert_eq!(line.to_string(), "/dev/ttyUSB0 19200 8N2");
/// assert_eq!(line.bits_per_char(), 11);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SerialConfig {
    /// The device, for example `/dev/ttyUSB0`.
    pub path: String,
    /// Bits per second.
    pub baud: u32,
    /// 7 or 8 (RTU needs 8).
    pub data_bits: u8,
    /// Parity.
    pub parity: Parity,
    /// 1 or 2.
    pub stop_bits: u8,
}

impl SerialConfig {
    /// `path` at `baud`, 8 data bits, even parity, 1 stop bit (the spec's default).
    ///
    /// ```
    /// use msm::{Parity, SerialConfig};
    /// let line = SerialConfig::new("/dev/ttyUSB0", 9600);
    /// assert_eq!((line.data_bits, line.parity, line.stop_bits), (8, Parity::Even, 1));
    /// assert_eq!(line.to_string(), "/dev/ttyUSB0 9600 8E1");
    /// ```
    pub fn new(path: impl Into<String>, baud: u32) -> SerialConfig {
        SerialConfig {
            path: path.into(),
            baud,
            data_bits: 8,
            parity: Parity::Even,
            stop_bits: 1,
        }
    }

    /// Sets the parity.
    ///
    /// ```
    /// use msm::{Parity, SerialConfig};
    /// let line = SerialConfig::new("COM3", 38_400).parity(Parity::Odd);
    /// assert_eq!(line.to_string(), "COM3 38400 8O1");
    /// ```
    pub fn parity(mut self, parity: Parity) -> Self {
        self.parity = parity;
        self
    }

    /// Sets the stop bits (1 or 2).
    ///
    /// ```
    /// use msm::SerialConfig;
    /// let line = SerialConfig::new("/dev/ttyS0", 9600).stop_bits(2);
    /// assert_eq!(line.stop_bits, 2);
    /// assert!(line.check().is_ok());
    /// assert!(line.stop_bits(3).check().is_err());
    /// ```
    pub fn stop_bits(mut self, stop_bits: u8) -> Self {
        self.stop_bits = stop_bits;
        self
    }

    /// Sets the data bits (7 or 8; Modbus RTU needs 8, Modbus ASCII takes either).
    ///
    /// ```
    /// use msm::SerialConfig;
    /// let ascii_line = SerialConfig::new("/dev/ttyS0", 9600).data_bits(7);
    /// assert_eq!(ascii_line.to_string(), "/dev/ttyS0 9600 7E1");
    /// assert!(ascii_line.check().is_err()); // RTU needs 8
    /// assert!(ascii_line.check_ascii().is_ok());
    /// ```
    pub fn data_bits(mut self, data_bits: u8) -> Self {
        self.data_bits = data_bits;
        self
    }

    /// Bits on the line per character: start + data + parity + stop.
    ///
    /// ```
    /// use msm::{Parity, SerialConfig};
    /// let line = SerialConfig::new("/dev/ttyS0", 9600);
    /// assert_eq!(line.bits_per_char(), 11);                          // 1 + 8 + 1 + 1
    /// assert_eq!(line.parity(Parity::None).bits_per_char(), 10);     // 1 + 8 + 0 + 1
    /// ```
    pub fn bits_per_char(&self) -> u32 {
        1 + u32::from(self.data_bits)
            + u32::from(self.parity != Parity::None)
            + u32::from(self.stop_bits)
    }

    /// Checks the settings; the error says which and why.
    ///
    /// ```
    /// use msm::SerialConfig;
    /// assert!(SerialConfig::new("/dev/ttyS0", 9600).check().is_ok());
    /// let err = SerialConfig::new("/dev/ttyS0", 0).check().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid setting: /dev/ttyS0: baud rate 0");
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        if self.baud == 0 {
            return Err(Error::Config(format!("{}: baud rate 0", self.path)));
        }
        if self.data_bits != 8 {
            return Err(Error::Config(format!(
                "{}: {} data bits: Modbus RTU needs 8",
                self.path, self.data_bits
            )));
        }
        if !(1..=2).contains(&self.stop_bits) {
            return Err(Error::Config(format!(
                "{}: {} stop bits: use 1 or 2",
                self.path, self.stop_bits
            )));
        }
        Ok(())
    }

    /// Checks the settings for Modbus ASCII: as [`check`](Self::check), but 7 data bits
    /// are fine too (ASCII's characters are 7-bit; the spec's default is 7E1).
    ///
    /// ```
    /// use msm::SerialConfig;
    /// assert!(SerialConfig::new("/dev/ttyS0", 9600).data_bits(7).check_ascii().is_ok());
    /// let err = SerialConfig::new("/dev/ttyS0", 9600).data_bits(6).check_ascii().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid setting: /dev/ttyS0: 6 data bits: Modbus ASCII needs 7 or 8");
    /// ```
    pub fn check_ascii(&self) -> Result<(), Error> {
        if !(7..=8).contains(&self.data_bits) {
            return Err(Error::Config(format!(
                "{}: {} data bits: Modbus ASCII needs 7 or 8",
                self.path, self.data_bits
            )));
        }
        SerialConfig {
            data_bits: 8,
            ..self.clone()
        }
        .check()
    }

    /// Opens the line (must run inside a tokio runtime).
    pub(crate) fn open(&self) -> io::Result<tokio_serial::SerialStream> {
        let data_bits = match self.data_bits {
            7 => tokio_serial::DataBits::Seven,
            _ => tokio_serial::DataBits::Eight,
        };
        tokio_serial::new(self.path.as_str(), self.baud)
            .data_bits(data_bits)
            .parity(match self.parity {
                Parity::Even => tokio_serial::Parity::Even,
                Parity::Odd => tokio_serial::Parity::Odd,
                Parity::None => tokio_serial::Parity::None,
            })
            .stop_bits(if self.stop_bits == 2 {
                tokio_serial::StopBits::Two
            } else {
                tokio_serial::StopBits::One
            })
            .flow_control(tokio_serial::FlowControl::None)
            .open_native_async()
            .map_err(|e| io::Error::other(format!("cannot open {}: {e}", self.path)))
    }
}

impl fmt::Display for SerialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}{}{}",
            self.path, self.baud, self.data_bits, self.parity, self.stop_bits
        )
    }
}
