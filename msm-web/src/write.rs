//! A write from the page: `PUT /api/vars/NAME` with `{"value": ...}`, checked as
//! `msm write NAME=VALUE` checks it.

use msm::DynValue;
use serde_json::Value;

use crate::WebVar;
use crate::hints::Hints;

/// Why a write from the web was refused: the HTTP status and the message.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) status: u16,
    pub(crate) message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

/// The value `body` asks to write to `v`, checked; refused with 403 when the page may not
/// write `v` (`view_writable` false: the whole view is read-only), 400 for a bad body or
/// value.
pub(crate) fn value_to_write(
    v: &WebVar,
    view_writable: bool,
    hints: Hints,
    body: &[u8],
) -> Result<DynValue, Refused> {
    if !view_writable {
        return Err(refuse(
            403,
            format!(
                "writing is off: this web view is read-only; {} to write from it",
                hints.writable()
            ),
        ));
    }
    if !v.writable {
        return Err(refuse(
            403,
            format!(
                "{} is read-only here: a master cannot write {}",
                v.name,
                v.var.area()
            ),
        ));
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        refuse(
            400,
            format!("the body is not JSON ({e}): send {{\"value\": VALUE}}"),
        )
    })?;
    let text = match body.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(n @ (Value::Number(_) | Value::Bool(_))) => n.to_string(),
        _ => {
            return Err(refuse(
                400,
                "the body has no \"value\" (a number, a boolean or a string): send {\"value\": VALUE}",
            ));
        }
    };
    // As `msm write` says it: a map built in code has no file to name.
    v.var
        .parse_value(&text)
        .map_err(|e| refuse(400, e.to_string().replace("<string>: ", "")))
}
