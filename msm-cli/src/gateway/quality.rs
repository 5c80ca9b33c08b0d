//! The quality of a device's variable, in the text form of the `/quality` topics: the
//! library's own (`AnyVar::quality`).

use msm::AnyVar;

/// The quality of `var`: its text form (`good`, `not_read`, `stale`, `bad`) and, for
/// `bad` only (the topic's contract: `bad: <reason>`), why.
pub(crate) fn quality_of(var: &AnyVar) -> (&'static str, Option<String>) {
    match crate::show::quality_of(var, None) {
        ("bad", why) => ("bad", why),
        (name, _) => (name, None),
    }
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
    use std::time::Duration;

    use msm::{Map, Master, Memory, Plan, Slave};

    use super::*;

    #[test]
    fn the_library_quality_in_topic_text() {
        let mm = Map::from_toml_str(
            "[memory]\nholding_registers = 8\n[vars]\n\
             A = { area = \"holding\", address = 0, type = \"u16\" }\n\
             FAR = { area = \"holding\", address = 6, type = \"u16\" }\n",
        )
        .expect("map")
        .build()
        .expect("build");
        assert_eq!(quality_of(&mm.vars()[0]), ("good", None));
        let slave = Slave::tcp("127.0.0.1:0")
            .serve(Memory::new(4))
            .expect("serve");
        let master = Master::tcp(slave.local_addr())
            .plan(Plan::DeclaredVars { max_gap: 0 })
            .response_timeout(Duration::from_secs(2))
            .start(mm.memory().clone())
            .expect("start");
        assert!(master.sync().is_err(), "FAR is past the slave's registers");
        assert_eq!(quality_of(&mm.vars()[0]), ("good", None));
        let far = quality_of(&mm.vars()[1]);
        assert_eq!(
            quality_text(&far),
            "bad: exception 02 (illegal data address) reading holding 6"
        );
        master.stop();
        slave.stop();
    }
}
