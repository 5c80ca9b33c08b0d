//! Faults a slave makes on purpose, to test masters against a device that misbehaves
//! (docs/simulator.md): which requests a fault hits, and what happens instead of the
//! normal answer. Plain data, shared by map files and the slave; the slave's core applies
//! them (`slave/core/fault/`).

use std::fmt;
use std::ops::{Bound, RangeBounds, RangeInclusive};
use std::time::Duration;

use crate::protocol::ExceptionCode;

/// What a slave does instead of answering normally when a [`Fault`] hits a request.
///
/// ```
/// use msm::slave::FaultAction;
/// use std::time::Duration;
/// assert_eq!(FaultAction::Trickle(Duration::from_millis(5)).name(), "trickle");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this exception code instead of executing the request.
    Exception(ExceptionCode),
    /// Execute the request and answer this much later; the requests behind it on the
    /// same connection wait behind it.
    Delay(Duration),
    /// Execute the request and never answer it (the answer is lost).
    Drop,
    /// Close the connection instead of answering (the request is not executed).
    Close,
    /// Answer with another transaction id (Modbus/TCP, TLS): the request's with every
    /// bit flipped.
    WrongTransaction,
    /// Answer as another unit (RTU address): the request's plus one.
    WrongUnit,
    /// Answer one value fewer than asked, with a byte count that matches what is sent
    /// (register reads: a register fewer; bit reads: their last data byte left out;
    /// other functions: the response's last byte left out).
    Short,
    /// Send the answer one byte at a time, with this pause between bytes.
    Trickle(Duration),
    /// Answer with a wrong CRC (RTU; ASCII: a wrong LRC).
    BadCrc,
    /// Send bytes that are not a Modbus answer, as long as the answer would have been.
    Garbage,
}

impl FaultAction {
    /// Every action's name in map files, in the order of the documentation.
    pub const NAMES: [&'static str; 10] = [
        "exception",
        "delay",
        "drop",
        "close",
        "wrong-transaction",
        "wrong-unit",
        "short",
        "trickle",
        "bad-crc",
        "garbage",
    ];

    /// The action's name in map files (`"wrong-transaction"`).
    ///
    /// ```
    /// assert_eq!(msm::slave::FaultAction::BadCrc.name(), "bad-crc");
    /// ```
    pub fn name(&self) -> &'static str {
        let i = match self {
            FaultAction::Exception(_) => 0,
            FaultAction::Delay(_) => 1,
            FaultAction::Drop => 2,
            FaultAction::Close => 3,
            FaultAction::WrongTransaction => 4,
            FaultAction::WrongUnit => 5,
            FaultAction::Short => 6,
            FaultAction::Trickle(_) => 7,
            FaultAction::BadCrc => 8,
            FaultAction::Garbage => 9,
        };
        Self::NAMES[i]
    }

    /// The action named `name` in map files when it takes no parameter (`"drop"`,
    /// `"wrong-unit"`, ...); `None` for `"exception"`, `"delay"`, `"trickle"` (they need
    /// a code or a duration) and for a name that is no action.
    ///
    /// ```
    /// use msm::slave::FaultAction;
    /// assert_eq!(FaultAction::plain("bad-crc"), Some(FaultAction::BadCrc));
    /// assert_eq!(FaultAction::plain("delay"), None);
    /// ```
    pub fn plain(name: &str) -> Option<FaultAction> {
        Some(match name {
            "drop" => FaultAction::Drop,
            "close" => FaultAction::Close,
            "wrong-transaction" => FaultAction::WrongTransaction,
            "wrong-unit" => FaultAction::WrongUnit,
            "short" => FaultAction::Short,
            "bad-crc" => FaultAction::BadCrc,
            "garbage" => FaultAction::Garbage,
            _ => return None,
        })
    }

    /// The links the action can apply on: a transaction id exists only in an MBAP
    /// header, a CRC only on RTU (and an LRC on ASCII).
    ///
    /// ```
    /// use msm::slave::FaultAction;
    /// assert!(!FaultAction::BadCrc.applies(true));          // not on Modbus/TCP
    /// assert!(!FaultAction::WrongTransaction.applies(false)); // not on RTU
    /// assert!(FaultAction::Drop.applies(true) && FaultAction::Drop.applies(false));
    /// ```
    pub fn applies(&self, mbap: bool) -> bool {
        match self {
            FaultAction::WrongTransaction => mbap,
            FaultAction::BadCrc => !mbap,
            _ => true,
        }
    }
}

/// How often a fault hits the requests it matches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hit {
    /// Every Nth matching request (1: all of them).
    Every(u32),
    /// Each matching request with this probability (0.0..=1.0), drawn from the slave's
    /// seeded random numbers.
    Probability(f64),
}

/// A fault a slave makes on purpose: which requests it matches (function codes, an
/// address range the request's items overlap, a quantity, unit ids: each optional),
/// how often it hits them, and what happens instead of the normal answer.
///
/// A slave tries its faults in order for each request it would answer: a fault whose
/// filters match counts the request and decides whether it hits; the first that hits
/// applies, and the faults after it do not see the request. A request no fault hits is
/// answered normally. See docs/simulator.md.
///
/// ```
/// use msm::protocol::ExceptionCode;
/// use msm::slave::{Fault, FaultAction};
/// use std::time::Duration;
///
/// // Busy (exception 06) for reads of 3 holding registers from 0x170.
/// let busy = Fault::new(FaultAction::Exception(ExceptionCode::ServerDeviceBusy))
///     .function(3)
///     .address(0x170..=0x17F)
///     .count(3);
/// // Every third write of any kind is answered half a second late.
/// let slow = Fault::new(FaultAction::Delay(Duration::from_millis(500)))
///     .functions([5, 6, 15, 16])
///     .every(3);
/// assert_eq!(busy.to_string(), "function 3, address 0x170..=0x17F, count 3: exception server device busy (06)");
/// assert_eq!(slow.to_string(), "functions 5, 6, 15, 16, every 3rd: delay 500ms");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    functions: Vec<u8>,
    address: Option<(u16, u16)>,
    count: Option<u16>,
    units: Vec<u8>,
    action: FaultAction,
    hit: Hit,
}

impl Fault {
    /// A fault doing `action` to every request, until filters narrow it down.
    ///
    /// ```
    /// use msm::slave::{Fault, FaultAction, Hit};
    /// let drop_all = Fault::new(FaultAction::Drop);
    /// assert_eq!(drop_all.hit(), Hit::Every(1));
    /// assert!(drop_all.function_codes().is_empty() && drop_all.address_range().is_none());
    /// ```
    pub fn new(action: FaultAction) -> Fault {
        Fault {
            functions: Vec::new(),
            address: None,
            count: None,
            units: Vec::new(),
            action,
            hit: Hit::Every(1),
        }
    }

    /// Matches requests with function code `code` (in addition to those given before;
    /// without any, every function).
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// assert_eq!(Fault::new(FaultAction::Drop).function(3).function(4).function_codes(), [3, 4]);
    /// ```
    pub fn function(mut self, code: u8) -> Fault {
        if !self.functions.contains(&code) {
            self.functions.push(code);
        }
        self
    }

    /// Matches requests with any of these function codes.
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// assert_eq!(Fault::new(FaultAction::Drop).functions([15, 16]).function_codes(), [15, 16]);
    /// ```
    pub fn functions(mut self, codes: impl IntoIterator<Item = u8>) -> Fault {
        for code in codes {
            self = self.function(code);
        }
        self
    }

    /// Matches requests whose items (the addresses they read or write, in any area)
    /// overlap `range`; a request that touches no address (diagnostics, device
    /// identification) does not match.
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// let f = Fault::new(FaultAction::Drop).address(0x170..0x180);
    /// assert_eq!(f.address_range(), Some(0x170..=0x17F));
    /// assert_eq!(Fault::new(FaultAction::Drop).address(7..=7).address_range(), Some(7..=7));
    /// ```
    pub fn address(mut self, range: impl RangeBounds<u16>) -> Fault {
        let first = match range.start_bound() {
            Bound::Included(&a) => u32::from(a),
            Bound::Excluded(&a) => u32::from(a) + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&b) => u32::from(b) + 1,
            Bound::Excluded(&b) => u32::from(b),
            Bound::Unbounded => 65536,
        };
        // An empty range is kept as such (first > last), for the check to name.
        self.address = Some((
            u16::try_from(first).unwrap_or(u16::MAX),
            u16::try_from(end.saturating_sub(1)).unwrap_or(u16::MAX),
        ));
        if end <= first {
            self.address = Some((u16::MAX, 0));
        }
        self
    }

    /// Matches requests for `count` items (bits or registers; for FC23, either of its
    /// quantities).
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// assert_eq!(Fault::new(FaultAction::Short).count(2).quantity(), Some(2));
    /// ```
    pub fn count(mut self, count: u16) -> Fault {
        self.count = Some(count);
        self
    }

    /// Matches requests for unit id `id` (in addition to those given before; without
    /// any, every unit the slave answers).
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// assert_eq!(Fault::new(FaultAction::Drop).unit(2).unit_ids(), [2]);
    /// ```
    pub fn unit(mut self, id: u8) -> Fault {
        if !self.units.contains(&id) {
            self.units.push(id);
        }
        self
    }

    /// Matches requests for any of these unit ids.
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction};
    /// assert_eq!(Fault::new(FaultAction::Drop).units(1..=3).unit_ids(), [1, 2, 3]);
    /// ```
    pub fn units(mut self, ids: impl IntoIterator<Item = u8>) -> Fault {
        for id in ids {
            self = self.unit(id);
        }
        self
    }

    /// Hits every `n`th matching request (the `n`th, `2n`th, ...; default 1: all).
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction, Hit};
    /// assert_eq!(Fault::new(FaultAction::Drop).every(4).hit(), Hit::Every(4));
    /// ```
    pub fn every(mut self, n: u32) -> Fault {
        self.hit = Hit::Every(n);
        self
    }

    /// Hits each matching request with probability `p` (0.0..=1.0), drawn from the
    /// slave's random numbers ([`Slave::seed`](crate::Slave::seed) makes them repeat).
    ///
    /// ```
    /// # use msm::slave::{Fault, FaultAction, Hit};
    /// assert_eq!(Fault::new(FaultAction::Drop).probability(0.25).hit(), Hit::Probability(0.25));
    /// ```
    pub fn probability(mut self, p: f64) -> Fault {
        self.hit = Hit::Probability(p);
        self
    }

    /// What it does.
    pub fn action(&self) -> FaultAction {
        self.action
    }

    /// The function codes it matches (empty: any).
    pub fn function_codes(&self) -> &[u8] {
        &self.functions
    }

    /// The address range it matches, if it is narrowed to one.
    pub fn address_range(&self) -> Option<RangeInclusive<u16>> {
        self.address.map(|(a, b)| a..=b)
    }

    /// The quantity it matches, if it is narrowed to one.
    pub fn quantity(&self) -> Option<u16> {
        self.count
    }

    /// The unit ids it matches (empty: any).
    pub fn unit_ids(&self) -> &[u8] {
        &self.units
    }

    /// How often it hits.
    pub fn hit(&self) -> Hit {
        self.hit
    }

    /// What is wrong with it, if anything, in the words of its settings.
    pub(crate) fn problem(&self) -> Option<String> {
        if let Some((a, b)) = self.address
            && a > b
        {
            return Some("its address range is empty: give FIRST..=LAST with FIRST <= LAST".into());
        }
        match self.hit {
            Hit::Every(0) => return Some("every is 0: give 1 (every request) or more".into()),
            Hit::Probability(p) if !(0.0..=1.0).contains(&p) => {
                return Some(format!("probability {p} is out of range: give 0.0..=1.0"));
            }
            _ => {}
        }
        match self.action {
            FaultAction::Exception(code) if code.value() == 0 => {
                Some("exception code 0 does not exist: give a code in 1..=255".into())
            }
            _ => None,
        }
    }
}

/// `every 2nd`, `every 3rd`, `every 11th`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn list(f: &mut fmt::Formatter<'_>, one: &str, many: &str, items: &[u8]) -> fmt::Result {
    let name = if items.len() == 1 { one } else { many };
    let items: Vec<String> = items.iter().map(u8::to_string).collect();
    write!(f, "{name} {}", items.join(", "))
}

/// The fault as `msm serve` lists it: its filters, how often, then the action.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = 0;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            parts += 1;
            if parts > 1 { f.write_str(", ") } else { Ok(()) }
        };
        if !self.functions.is_empty() {
            sep(f)?;
            list(f, "function", "functions", &self.functions)?;
        }
        if let Some((a, b)) = self.address {
            sep(f)?;
            if a == b {
                write!(f, "address 0x{a:X}")?;
            } else {
                write!(f, "address 0x{a:X}..=0x{b:X}")?;
            }
        }
        if let Some(n) = self.count {
            sep(f)?;
            write!(f, "count {n}")?;
        }
        if !self.units.is_empty() {
            sep(f)?;
            list(f, "unit", "units", &self.units)?;
        }
        match self.hit {
            Hit::Every(1) => {}
            Hit::Every(n) => {
                sep(f)?;
                write!(f, "every {}", ordinal(n))?;
            }
            Hit::Probability(p) => {
                sep(f)?;
                write!(f, "probability {p}")?;
            }
        }
        if parts == 0 {
            f.write_str("any request")?;
        }
        f.write_str(": ")?;
        match self.action {
            FaultAction::Exception(code) => write!(f, "exception {code}"),
            FaultAction::Delay(d) | FaultAction::Trickle(d) => {
                write!(f, "{} {}", self.action.name(), DurationText(d))
            }
            other => f.write_str(other.name()),
        }
    }
}

/// A duration as map files write it: `500ms`, `2s`, `1m 30s`.
pub(crate) struct DurationText(pub(crate) Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.is_zero() {
            return f.write_str("0s");
        }
        // Whole units where they fit: a map file reads them back the same.
        let nanos = d.as_nanos();
        for (unit, per) in [
            ("h", 3_600_000_000_000u128),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
        ] {
            if nanos.is_multiple_of(per) {
                return write!(f, "{}{unit}", nanos / per);
            }
        }
        write!(f, "{nanos}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_list_what_they_match_and_do() {
        let f = Fault::new(FaultAction::WrongUnit)
            .units([1, 2])
            .address(5..=5)
            .probability(0.5);
        assert_eq!(
            f.to_string(),
            "address 0x5, units 1, 2, probability 0.5: wrong-unit"
        );
        assert_eq!(
            Fault::new(FaultAction::Close).to_string(),
            "any request: close"
        );
        let t = Fault::new(FaultAction::Trickle(Duration::from_millis(5))).every(2);
        assert_eq!(t.to_string(), "every 2nd: trickle 5ms");
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(21), "21st");
        assert_eq!(ordinal(112), "112th");
    }

    #[test]
    fn problems_are_named() {
        let bad = [
            Fault::new(FaultAction::Drop).every(0),
            Fault::new(FaultAction::Drop).probability(1.5),
            Fault::new(FaultAction::Drop).probability(f64::NAN),
            Fault::new(FaultAction::Drop).address(5..5),
            Fault::new(FaultAction::Exception(ExceptionCode::from_u8(0))),
        ];
        for (fault, word) in
            bad.iter()
                .zip(["every", "probability", "probability", "empty", "code 0"])
        {
            let problem = fault.problem().unwrap_or_default();
            assert!(problem.contains(word), "{problem}");
        }
        assert_eq!(
            Fault::new(FaultAction::Drop).address(..).address_range(),
            Some(0..=65535)
        );
        assert!(
            Fault::new(FaultAction::Drop)
                .address(..)
                .problem()
                .is_none()
        );
    }

    #[test]
    fn durations_are_written_in_whole_units() {
        let text = |ms: u64| DurationText(Duration::from_millis(ms)).to_string();
        assert_eq!(text(500), "500ms");
        assert_eq!(text(2000), "2s");
        assert_eq!(text(90_000), "90s");
        assert_eq!(text(120_000), "2m");
        assert_eq!(
            DurationText(Duration::from_micros(1500)).to_string(),
            "1500us"
        );
        assert_eq!(DurationText(Duration::from_nanos(7)).to_string(), "7ns");
        assert_eq!(DurationText(Duration::ZERO).to_string(), "0s");
    }
}
