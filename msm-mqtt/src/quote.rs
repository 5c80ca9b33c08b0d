//! Text that came from a peer (topics, payloads), made safe to show: control characters
//! escaped before they reach a log line or an error message, and payloads cut to a
//! short excerpt so that an error never repeats a megabyte.

use std::fmt::Write;

/// At most this many bytes of a refused payload are quoted in an error message.
pub const EXCERPT_BYTES: usize = 64;

/// `text` with every control character escaped (`\n`, `\r`, `\t`, `\x1b`, `\u{85}`), and
/// backslashes doubled, so that a peer cannot forge log lines or terminal escapes
/// ([`msm::Escaped`], which formats without allocating, as a `String`).
///
/// ```
/// assert_eq!(msm_mqtt::escape("a\nb\x1b[31m"), "a\\nb\\x1b[31m");
/// ```
pub fn escape(text: &str) -> String {
    msm::Escaped(text).to_string()
}

/// A name that came from a peer (a topic level), as an error message shows it: escaped,
/// and quoted as an [`excerpt`] when longer than [`EXCERPT_BYTES`].
pub(crate) fn short(name: &str) -> String {
    if name.len() <= EXCERPT_BYTES {
        escape(name)
    } else {
        excerpt(name.as_bytes())
    }
}

/// A payload quoted for an error message: at most [`EXCERPT_BYTES`] bytes of it (cut at
/// a character boundary), escaped, in double quotes, followed by its full size when it
/// was cut. Bytes that are not UTF-8 show as `\xNN`.
///
/// ```
/// assert_eq!(msm_mqtt::excerpt(b"hot"), "\"hot\"");
/// let big = vec![b'x'; 1000];
/// assert_eq!(msm_mqtt::excerpt(&big), format!("\"{}\"... (1000 bytes)", "x".repeat(64)));
/// ```
pub fn excerpt(payload: &[u8]) -> String {
    let cut = payload.len() > EXCERPT_BYTES;
    let mut end = payload.len().min(EXCERPT_BYTES);
    // Not in the middle of a character: back up to its first byte (at most 3).
    let continues = |i: usize| payload.get(i).is_some_and(|b| b & 0xC0 == 0x80);
    while cut && end > EXCERPT_BYTES - 3 && continues(end) {
        end -= 1;
    }
    let mut shown = String::new();
    for chunk in payload[..end].utf8_chunks() {
        shown.push_str(&escape(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(shown, "\\x{b:02x}");
        }
    }
    if cut {
        format!("\"{shown}\"... ({} bytes)", payload.len())
    } else {
        format!("\"{shown}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_output_raw() {
        let hostile = "set\r\nINFO forged line\x1b[2J\u{85}\\";
        let shown = escape(hostile);
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(shown, "set\\r\\nINFO forged line\\x1b[2J\\u{85}\\\\");
    }

    #[test]
    fn excerpts_are_short_whatever_the_payload() {
        let big = vec![b'\n'; 1 << 20];
        let shown = excerpt(&big);
        assert!(shown.len() < 200, "{}", shown.len());
        assert!(shown.ends_with("... (1048576 bytes)"), "{shown}");
        assert_eq!(excerpt(&[0xff, b'a']), "\"\\xffa\"");
        // A 3-byte character cut by the limit is dropped, not shown as stray bytes.
        let mut text = "a".repeat(63).into_bytes();
        text.extend("€€".as_bytes());
        let shown = excerpt(&text);
        assert_eq!(shown, format!("\"{}\"... (69 bytes)", "a".repeat(63)));
        assert_eq!(excerpt(b""), "\"\"");
    }
}
