//! IP networks in CIDR notation, for the slave's client allow-list.
//!
//! A few dozen lines instead of a dependency: parsing `a.b.c.d/n` and `x:y::z/n` and
//! testing membership is all the allow-list needs.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::types::Error;

/// An IPv4 or IPv6 network: an address and a prefix length, as in `192.168.0.0/16` or
/// `fd00::/8`. A bare address is a network of one host.
///
/// IPv4 peers reaching a dual-stack (IPv6) listener appear as `::ffff:a.b.c.d`; they
/// match IPv4 networks as the IPv4 address they are.
///
/// ```
/// use msm::slave::IpNet;
/// let lan: IpNet = "192.168.0.0/16".parse()?;
/// assert!(lan.contains("192.168.4.7".parse()?));
/// assert!(!lan.contains("10.0.0.1".parse()?));
/// assert!(lan.contains("::ffff:192.168.1.1".parse()?));
/// let host: IpNet = "::1".parse()?;
/// assert_eq!(host.to_string(), "::1/128");
/// assert!("10.0.0.0/33".parse::<IpNet>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// The network of `prefix` leading bits of `addr` (the other bits are ignored).
    /// Fails if `prefix` is longer than the address (32 for IPv4, 128 for IPv6).
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// let net = msm::slave::IpNet::new(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)), 8)?;
    /// assert_eq!(net.to_string(), "10.0.0.0/8");
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn new(addr: IpAddr, prefix: u8) -> Result<IpNet, Error> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(Error::BadNetwork {
                text: format!("{addr}/{prefix}"),
                reason: format!("the prefix length must be 0..={max} for this address"),
            });
        }
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask(prefix, 32) as u32).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask(prefix, 128)).into()),
        };
        Ok(IpNet { addr, prefix })
    }

    /// True if `ip` is inside this network.
    ///
    /// ```
    /// use msm::slave::IpNet;
    /// let net: IpNet = "fd00::/8".parse()?;
    /// assert!(net.contains("fd12::7".parse()?));
    /// assert!(!net.contains("fe80::1".parse()?));
    /// assert!(!net.contains("10.0.0.1".parse()?)); // another family
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask(self.prefix, 32) as u32 == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask(self.prefix, 128) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// The `prefix` leading bits set, of a `width`-bit number.
fn mask(prefix: u8, width: u32) -> u128 {
    if prefix == 0 {
        0
    } else {
        (u128::MAX << (128 - u32::from(prefix))) >> (128 - width)
    }
}

impl FromStr for IpNet {
    type Err = Error;

    fn from_str(s: &str) -> Result<IpNet, Error> {
        let bad = |reason: &str| Error::BadNetwork {
            text: s.to_string(),
            reason: reason.to_string(),
        };
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("the address is neither IPv4 (a.b.c.d) nor IPv6"))?;
        let prefix = match prefix {
            None => max_prefix(addr),
            Some(p) => p
                .parse::<u8>()
                .map_err(|_| bad("the prefix length after '/' is not a number"))?,
        };
        IpNet::new(addr, prefix).map_err(|_| {
            bad(if addr.is_ipv4() {
                "an IPv4 prefix length is 0..=32"
            } else {
                "an IPv6 prefix length is 0..=128"
            })
        })
    }
}

impl From<IpAddr> for IpNet {
    fn from(addr: IpAddr) -> IpNet {
        IpNet {
            addr,
            prefix: max_prefix(addr),
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn prefixes_at_the_edges() {
        let all: IpNet = "0.0.0.0/0".parse().expect("parse");
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("::1")));
        let one: IpNet = "10.0.0.7/32".parse().expect("parse");
        assert!(one.contains(ip("10.0.0.7")));
        assert!(!one.contains(ip("10.0.0.6")));
        let v6: IpNet = "fd00::/8".parse().expect("parse");
        assert!(v6.contains(ip("fdab::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let all6: IpNet = "::/0".parse().expect("parse");
        assert!(all6.contains(ip("2001:db8::1")));
        let odd: IpNet = "172.16.0.0/12".parse().expect("parse");
        assert!(odd.contains(ip("172.31.255.255")));
        assert!(!odd.contains(ip("172.32.0.0")));
    }

    #[test]
    fn host_bits_are_cleared_and_bad_text_is_explained() {
        assert_eq!(
            "192.168.7.9/24"
                .parse::<IpNet>()
                .expect("parse")
                .to_string(),
            "192.168.7.0/24"
        );
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0/8",
            "10.0.0.0/x",
            "::/129",
            "1.2.3.4/33",
        ] {
            let err = bad.parse::<IpNet>().expect_err(bad).to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
