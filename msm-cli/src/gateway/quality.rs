//! The quality of a device's variable, in the text form of the `/quality` topics.

use msm::master::{Fault, Operation};
use msm::{AnyVar, Status};

/// The quality of `var` on unit `unit` of the master whose state is `status`: its text
/// form (`good`, `not_read`, `stale`, `bad`) and, for `bad`, why.
//
// quality: switch to AnyVar::quality() when it lands (msm::Quality's text forms are the
// same: good, not_read, stale, bad). Until then it is derived from the master's status:
// a master without a fresh copy is stale (not_read before its first cycle), a failed
// read of a block holding the variable is bad, anything else is good.
pub(crate) fn quality_of(
    status: &Status,
    unit: u8,
    var: &AnyVar,
) -> (&'static str, Option<String>) {
    let (first, end) = (
        u32::from(var.address()),
        u32::from(var.address()) + var.count() as u32,
    );
    if status.stale || !status.connected {
        // No fresh copy: the connection is down (or never was up); a block error from
        // the moment it dropped says no more than that.
        return if status.cycles == 0 {
            ("not_read", None)
        } else {
            ("stale", None)
        };
    }
    let failed = status.block_errors.iter().find(|e| {
        e.unit == unit
            && e.operation == Operation::Read
            && !matches!(e.fault, Fault::Disconnected(_))
            && e.area == var.area()
            && u32::from(e.address) < end
            && first < u32::from(e.address) + u32::from(e.count)
    });
    if let Some(e) = failed {
        return ("bad", Some(e.fault.to_string()));
    }
    if status.cycles == 0 {
        return ("not_read", None);
    }
    ("good", None)
}

/// The payload of a `/quality` topic: `good`, `stale`, `not_read` or `bad: <reason>`.
pub(crate) fn quality_text(quality: &(&'static str, Option<String>)) -> String {
    match quality {
        (name, Some(reason)) => format!("{name}: {reason}"),
        (name, None) => (*name).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msm::master::BlockError;
    use msm::{Area, Map};

    #[test]
    fn quality_follows_the_masters_state_and_its_failed_reads() {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 8\n[vars]\nA = { area = \"holding\", address = 0, type = \"u32\" }\nB = { area = \"holding\", address = 4, type = \"u16\" }\n",
        )
        .and_then(|m| m.build())
        .expect("map");
        let (a, b) = (&mm.vars()[0], &mm.vars()[1]);
        let mut s = Status {
            stale: true,
            ..Status::default()
        };
        assert_eq!(quality_of(&s, 1, a).0, "not_read");
        s = Status {
            connected: true,
            cycles: 3,
            ..Status::default()
        };
        assert_eq!(quality_of(&s, 1, a), ("good", None));
        s.block_errors.push(BlockError {
            unit: 1,
            operation: Operation::Read,
            area: Area::Holding,
            address: 1,
            count: 2,
            fault: Fault::Timeout(std::time::Duration::from_secs(1)),
        });
        let bad = quality_of(&s, 1, a);
        assert_eq!(quality_text(&bad), "bad: no response within 1s");
        assert_eq!(quality_of(&s, 1, b).0, "good");
        assert_eq!(quality_of(&s, 2, a).0, "good"); // another unit's block
        // Disconnected: stale, whatever the blocks say.
        s.stale = true;
        assert_eq!(quality_of(&s, 1, a).0, "stale");
        s.stale = false;
        s.block_errors[0].fault = Fault::Disconnected("reset".into());
        assert_eq!(quality_of(&s, 1, a).0, "good"); // the drop itself is no bad value
    }
}
