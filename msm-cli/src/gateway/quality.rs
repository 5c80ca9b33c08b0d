//! The quality of a device's variable, in the text form of the `/quality` topics: the
//! library's own (`AnyVar::quality`, worded by `show::quality_of`, tested there).

use msm::AnyVar;

/// The quality of `var`: its text form (`good`, `not_read`, `stale`, `bad`) and, for
/// `bad` only (the topic's contract: `bad: <reason>`), why.
pub(crate) fn quality_of(var: &AnyVar) -> (&'static str, Option<String>) {
    for_topic(crate::show::quality_of(var, None))
}

/// Keeps the reason of `bad` only: the other qualities are a plain word on the topic.
fn for_topic(quality: (&'static str, Option<String>)) -> (&'static str, Option<String>) {
    match quality {
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
    use super::*;

    #[test]
    fn only_bad_carries_its_reason_on_the_topic() {
        let bad = for_topic((
            "bad",
            Some("exception 02 (illegal data address) reading holding 6".into()),
        ));
        assert_eq!(
            quality_text(&bad),
            "bad: exception 02 (illegal data address) reading holding 6"
        );
        let stale = for_topic(("stale", Some("connection lost: the last value read".into())));
        assert_eq!(quality_text(&stale), "stale");
        assert_eq!(quality_text(&for_topic(("good", None))), "good");
        assert_eq!(
            quality_text(&for_topic(("not_read", Some("not connected".into())))),
            "not_read"
        );
    }
}
