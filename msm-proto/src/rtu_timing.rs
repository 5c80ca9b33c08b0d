//! The silences that delimit RTU frames on a serial line (Modbus over Serial Line V1.02,
//! 2.5.1.1): 3.5 character times end a frame, more than 1.5 inside one spoil it.

use core::time::Duration;

/// The silences that delimit RTU frames on a line.
///
/// ```
/// use msm_proto::rtu_framer::Timing;
/// use std::time::Duration;
/// let spec = Timing::for_baud(19_200, 11);
/// assert_eq!(spec.char_gap, Some(Duration::from_nanos(859_374))); // 1.5 characters
/// // For a USB adapter that delivers frames in bursts: no check of gaps inside a frame.
/// let usb = Timing { char_gap: None, ..spec };
/// assert_eq!(usb.frame_gap, spec.frame_gap);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A gap longer than this inside a frame invalidates it (1.5 character times;
    /// 750 µs above 19200 baud). `None` disables the check: USB adapters that deliver a
    /// frame in bursts need that.
    pub char_gap: Option<Duration>,
    /// A silence this long ends a frame (3.5 character times; 1.75 ms above 19200 baud).
    pub frame_gap: Duration,
}

impl Timing {
    /// The spec's timing for `baud` with `bits_per_char` bits per character (start +
    /// 8 data + parity or second stop + stop = 11).
    ///
    /// ```
    /// use msm_proto::rtu_framer::Timing;
    /// use std::time::Duration;
    /// let t = Timing::for_baud(9600, 11);
    /// assert_eq!(t.frame_gap, Duration::from_nanos(4_010_415)); // 3.5 × 1.146 ms
    /// assert_eq!(Timing::for_baud(115_200, 11).frame_gap, Duration::from_micros(1750));
    /// ```
    pub fn for_baud(baud: u32, bits_per_char: u32) -> Timing {
        if baud > 19_200 {
            return Timing {
                char_gap: Some(Duration::from_micros(750)),
                frame_gap: Duration::from_micros(1750),
            };
        }
        // Saturating: absurd arguments give absurdly long silences, never a panic.
        let char_ns = 1_000_000_000 * u64::from(bits_per_char) / u64::from(baud.max(1));
        Timing {
            char_gap: Some(Duration::from_nanos(char_ns.saturating_mul(3) / 2)),
            frame_gap: Duration::from_nanos(char_ns.saturating_mul(7) / 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_arguments_give_long_silences_not_a_panic() {
        let t = Timing::for_baud(1, u32::MAX);
        assert_eq!(t.frame_gap, Duration::from_nanos(u64::MAX / 2));
        assert!(Timing::for_baud(0, 11).frame_gap > Duration::from_secs(1));
    }
}
