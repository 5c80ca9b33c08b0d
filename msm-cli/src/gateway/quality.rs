//! The quality of a device's variable, in the text form of the `/quality` topics: the
//! library's own (`AnyVar::quality`).

use msm::{AnyVar, Quality, Status};

/// The quality of `var` (kept by the master whose state is `status`): its text form
/// (`good`, `not_read`, `stale`, `bad`) and, for `bad`, why.
pub(crate) fn quality_of(
    _status: &Status,
    _unit: u8,
    var: &AnyVar,
) -> (&'static str, Option<String>) {
    let quality = var.quality();
    let why = match &quality {
        Quality::Bad(e) => Some(e.describe()),
        _ => None,
    };
    (quality.name(), why)
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
        let status = Status::default();
        assert_eq!(quality_of(&status, 1, &mm.vars()[0]), ("good", None));
        let slave = Slave::tcp("127.0.0.1:0")
            .serve(Memory::new(4))
            .expect("serve");
        let master = Master::tcp(slave.local_addr())
            .plan(Plan::DeclaredVars { max_gap: 0 })
            .response_timeout(Duration::from_secs(2))
            .start(mm.memory().clone())
            .expect("start");
        assert!(master.sync().is_err(), "FAR is past the slave's registers");
        let status = master.status();
        assert_eq!(quality_of(&status, 1, &mm.vars()[0]), ("good", None));
        let far = quality_of(&status, 1, &mm.vars()[1]);
        assert_eq!(
            quality_text(&far),
            "bad: exception 02 (illegal data address) reading holding 6"
        );
        master.stop();
        slave.stop();
    }
}
