//! How good a variable's value is, as the web view shows it: the library's own quality
//! (`AnyVar::quality`), with the master's connection error as the reason for a value not
//! read yet.

use msm::{Quality, Status};

use super::WebVar;

/// The quality of `var`'s value and the reason when it is not good: `not_read`, `good`,
/// `stale` or `bad`.
pub(crate) fn quality_of(var: &WebVar, status: Option<&Status>) -> (&'static str, Option<String>) {
    let quality = var.var.quality();
    let why = match &quality {
        Quality::Good { .. } => None,
        Quality::NotRead => Some(
            status
                .and_then(|s| s.last_error.clone())
                .unwrap_or_else(|| "not read yet".to_string()),
        ),
        Quality::Stale { .. } => Some(
            status
                .and_then(|s| s.last_error.clone())
                .unwrap_or_else(|| "not connected to the slave".to_string()),
        ),
        Quality::Bad(e) => Some(e.describe()),
        other => Some(other.to_string()),
    };
    (quality.name(), why)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use msm::{Map, Master, Memory, Plan, Slave, Status};

    use super::*;

    #[test]
    fn a_slave_memory_is_good_and_a_master_says_why_not() {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 8\n[vars]\n\
             A = { area = \"holding\", address = 2, type = \"u32\" }\n\
             FAR = { area = \"holding\", address = 6, type = \"u16\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        let vars = WebVar::from_map(&mm, "", |_| true);
        assert_eq!(quality_of(&vars[0], None), ("good", None));
        // Kept by a master of a slave with only 4 registers: A read good, FAR refused.
        let slave = Slave::tcp("127.0.0.1:0")
            .serve(Memory::new(4))
            .expect("serve");
        let master = Master::tcp(slave.local_addr())
            .plan(Plan::DeclaredVars { max_gap: 0 })
            .response_timeout(Duration::from_secs(2))
            .start(mm.memory().clone())
            .expect("start");
        assert!(master.sync().is_err());
        let status: Status = master.status();
        assert_eq!(quality_of(&vars[0], Some(&status)), ("good", None));
        let (q, why) = quality_of(&vars[1], Some(&status));
        assert_eq!(q, "bad");
        assert!(why.expect("a reason").contains("exception 02"));
        master.stop();
        slave.stop();
    }
}
