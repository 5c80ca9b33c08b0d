//! The topics: what the bridge publishes under `PREFIX/`, what it subscribes to, and what
//! an incoming topic asks for. Topic names are a public contract (docs/gateway.md).

/// The device name the bridge's own topics use (`PREFIX/gateway/available`); no device
/// may take it.
pub const GATEWAY: &str = "gateway";

/// Where Home Assistant says it (re)started.
pub(crate) const HA_STATUS: &str = "homeassistant/status";

/// The topics under one prefix.
#[derive(Clone, Debug)]
pub(crate) struct Topics {
    prefix: String,
}

/// What an incoming topic under the prefix asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming<'t> {
    /// `PREFIX/DEVICE/VAR/set`.
    Set { device: &'t str, var: &'t str },
    /// `PREFIX/DEVICE/set`: a level short (or, for a device with a variable named `set`,
    /// that variable's own value topic).
    NoVariable { device: &'t str },
    /// `PREFIX/DEVICE/.../VAR/set` with levels in between.
    ExtraLevels { device: &'t str, levels: usize },
    /// `PREFIX/gateway/available`: the bridge's own, seen again (the end of a backlog).
    GatewayAvailable,
    /// Not a topic the bridge acts on.
    Other,
}

impl Topics {
    /// The topics under `prefix` (no trailing `/`).
    pub(crate) fn new(prefix: &str) -> Topics {
        Topics {
            prefix: prefix.trim_end_matches('/').to_string(),
        }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `PREFIX/DEVICE/VAR`: the value.
    pub(crate) fn value(&self, device: &str, var: &str) -> String {
        format!("{}/{device}/{var}", self.prefix)
    }

    /// `PREFIX/DEVICE/VAR/quality`.
    pub(crate) fn quality(&self, device: &str, var: &str) -> String {
        format!("{}/{device}/{var}/quality", self.prefix)
    }

    /// `PREFIX/DEVICE/available` (`PREFIX/gateway/available` for the bridge itself).
    pub(crate) fn available(&self, device: &str) -> String {
        format!("{}/{device}/available", self.prefix)
    }

    /// `PREFIX/DEVICE/error` (`PREFIX/gateway/error` when no device fits).
    pub(crate) fn error(&self, device: &str) -> String {
        format!("{}/{device}/error", self.prefix)
    }

    /// `PREFIX/gateway/stats`.
    pub(crate) fn stats(&self) -> String {
        format!("{}/{GATEWAY}/stats", self.prefix)
    }

    /// The set filters: the contract's `PREFIX/+/+/set`, and the topics one level short or
    /// up to two levels too long, so that a mistyped set gets an error instead of nothing.
    pub(crate) fn set_filters(&self) -> [String; 4] {
        let p = &self.prefix;
        [
            format!("{p}/+/+/set"),
            format!("{p}/+/set"),
            format!("{p}/+/+/+/set"),
            format!("{p}/+/+/+/+/set"),
        ]
    }

    /// What `topic` asks for.
    pub(crate) fn parse<'t>(&self, topic: &'t str) -> Incoming<'t> {
        let Some(rest) = topic
            .strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
        else {
            return Incoming::Other;
        };
        if rest == format!("{GATEWAY}/available") {
            return Incoming::GatewayAvailable;
        }
        let Some(path) = rest.strip_suffix("/set") else {
            return Incoming::Other;
        };
        let levels: Vec<&'t str> = path.split('/').collect();
        match levels.as_slice() {
            [device] => Incoming::NoVariable { device },
            [device, var] => Incoming::Set { device, var },
            [device, middle @ .., _] => Incoming::ExtraLevels {
                device,
                levels: middle.len(),
            },
            [] => Incoming::Other,
        }
    }
}

/// Why `name` cannot be a topic level of the bridge's, if it cannot: empty, or holding
/// `/`, `+`, `#` or a control character.
pub(crate) fn bad_level(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains('/') {
        Some("it holds a /, which would make it two topic levels")
    } else if name.contains(['+', '#']) {
        Some("it holds + or #, MQTT's wildcards")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_topics_name_a_device_and_a_variable_or_say_what_is_wrong() {
        let t = Topics::new("msm");
        assert_eq!(
            t.parse("msm/boiler/T/set"),
            Incoming::Set {
                device: "boiler",
                var: "T"
            }
        );
        let deep = Topics::new("a/b/");
        assert_eq!(
            deep.parse("a/b/boiler/T/set"),
            Incoming::Set {
                device: "boiler",
                var: "T"
            }
        );
        assert_eq!(
            t.parse("msm/boiler/set"),
            Incoming::NoVariable { device: "boiler" }
        );
        assert_eq!(
            t.parse("msm/boiler/x/y/T/set"),
            Incoming::ExtraLevels {
                device: "boiler",
                levels: 2
            }
        );
        assert_eq!(t.parse("msm/gateway/available"), Incoming::GatewayAvailable);
        assert_eq!(t.parse("msm/boiler/T"), Incoming::Other);
        assert_eq!(t.parse("msmx/boiler/T/set"), Incoming::Other);
        assert_eq!(t.set_filters()[0], "msm/+/+/set");
    }

    #[test]
    fn levels_refuse_wildcards_slashes_and_control_characters() {
        assert!(bad_level("boiler-1").is_none());
        for bad in ["", "a/b", "a+", "#", "a\nb"] {
            assert!(bad_level(bad).is_some(), "{bad:?}");
        }
    }
}
