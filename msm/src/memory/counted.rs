//! Changes counted instead of queued, while a subscription is paused.

use super::Origin;

/// Distinct origins counted one by one; changes from more are counted together.
const ORIGINS: usize = 64;

/// How many changes a paused [`Subscription`](crate::Subscription) counted, per origin.
///
/// ```
/// use msm::{Memory, Origin};
/// let mem = Memory::new(4);
/// let mut changes = mem.subscribe();
/// changes.pause();
/// let v = mem.holding::<u16>(0)?;
/// v.set(1)?;
/// v.set(2)?;
/// let counted = changes.resume();
/// assert_eq!(counted.total(), 2);
/// assert_eq!(counted.by_origin(), &[(Origin::Local, 2)]);
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    by_origin: Vec<(Origin, u64)>,
    /// Changes from origins past the first [`ORIGINS`].
    others: u64,
}

impl Counted {
    /// Every change counted.
    ///
    /// ```
    /// assert_eq!(msm::Counted::default().total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.others + self.by_origin.iter().map(|(_, n)| n).sum::<u64>()
    }

    /// The changes counted per origin, in the order the origins first appeared; at most
    /// 64 origins (see [`others`](Self::others)).
    ///
    /// ```
    /// assert!(msm::Counted::default().by_origin().is_empty());
    /// ```
    pub fn by_origin(&self) -> &[(Origin, u64)] {
        &self.by_origin
    }

    /// Changes from origins beyond the first 64, counted together.
    ///
    /// ```
    /// assert_eq!(msm::Counted::default().others(), 0);
    /// ```
    pub fn others(&self) -> u64 {
        self.others
    }

    pub(crate) fn add(&mut self, origin: Origin) {
        if let Some(n) = self.by_origin.iter_mut().find(|(o, _)| *o == origin) {
            n.1 += 1;
        } else if self.by_origin.len() < ORIGINS {
            self.by_origin.push((origin, 1));
        } else {
            self.others += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Peer;

    #[test]
    fn origins_past_the_limit_are_counted_together() {
        let mut c = Counted::default();
        for port in 0..(ORIGINS as u16 + 3) {
            let origin = Origin::Remote(Peer::Tcp(([127, 0, 0, 1], port).into()));
            c.add(origin);
            c.add(origin);
        }
        c.add(Origin::Local);
        assert_eq!(c.by_origin().len(), ORIGINS);
        assert!(c.by_origin().iter().all(|(_, n)| *n == 2));
        assert_eq!(c.others(), 7);
        assert_eq!(c.total(), 2 * ORIGINS as u64 + 7);
    }
}
