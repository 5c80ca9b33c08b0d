//! How good a variable's value is, as the web view shows it.

use msm::Status;
use msm::master::Operation;

use super::WebVar;

/// The quality of `var`'s value and the reason when it is not good: `not_read`, `good`,
/// `stale` or `bad`, derived from the memory's staleness and the master's `status`
/// (none for a memory served by a slave: its values are the truth).
// quality: switch to AnyVar::quality() when it lands
pub(crate) fn quality_of(var: &WebVar, status: Option<&Status>) -> (&'static str, Option<String>) {
    let Some(status) = status else {
        return ("good", None);
    };
    let count = u16::try_from(var.var.count()).unwrap_or(u16::MAX);
    let failed = status.block_errors.iter().find(|e| {
        e.operation == Operation::Read
            && e.area == var.var.area()
            && u32::from(e.address) < u32::from(var.var.address()) + u32::from(count)
            && u32::from(var.var.address()) < u32::from(e.address) + u32::from(e.count)
    });
    if let Some(e) = failed {
        return ("bad", Some(e.fault.to_string()));
    }
    if status.cycles == 0 {
        return ("not_read", status.last_error.clone());
    }
    if var.memory.is_stale() || status.stale {
        let why = status
            .last_error
            .clone()
            .unwrap_or_else(|| "not connected to the slave".to_string());
        return ("stale", Some(why));
    }
    ("good", None)
}

#[cfg(test)]
mod tests {
    use msm::master::{BlockError, Fault, Operation};
    use msm::{Area, Map, Status};

    use super::*;

    fn var() -> WebVar {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 8\n[vars]\nA = { area = \"holding\", address = 2, type = \"u32\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        WebVar::from_map(&mm, "", |_| true).remove(0)
    }

    #[test]
    fn a_slave_memory_is_good_and_a_master_says_why_not() {
        let v = var();
        assert_eq!(quality_of(&v, None), ("good", None));
        let mut s = Status::default();
        assert_eq!(quality_of(&v, Some(&s)).0, "not_read");
        s.cycles = 3;
        assert_eq!(quality_of(&v, Some(&s)), ("good", None));
        s.stale = true;
        s.last_error = Some("connection refused".into());
        assert_eq!(
            quality_of(&v, Some(&s)),
            ("stale", Some("connection refused".into()))
        );
        s.block_errors.push(BlockError {
            unit: 1,
            operation: Operation::Read,
            area: Area::Holding,
            address: 3,
            count: 4,
            fault: Fault::Timeout(std::time::Duration::from_secs(1)),
        });
        let (q, why) = quality_of(&v, Some(&s));
        assert_eq!(q, "bad");
        assert!(why.expect("a reason").contains("no response"));
    }
}
