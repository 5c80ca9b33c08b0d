//! Text that came from a peer (a certificate's role, a topic, a device's name), made safe
//! for a log line: a peer must not be able to forge log lines or send terminal escapes.

use std::fmt::{self, Write};

/// Shows `text` with every control character escaped (`\n`, `\r`, `\t`, `\x1b`,
/// `\u{85}`) and backslashes doubled; everything else, non-ASCII letters included, as it
/// is. Formatting writes straight into the log line: nothing is allocated.
///
/// ```
/// let role = "operator\n2026-12-06 WARN forged\x1b[2J";
/// assert_eq!(
///     msm::Escaped(role).to_string(),
///     "operator\\n2026-12-06 WARN forged\\x1b[2J"
/// );
/// assert_eq!(msm::Escaped("Größe").to_string(), "Größe");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ch in self.0.chars() {
            match ch {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_ascii_control() => write!(f, "\\x{:02x}", c as u32)?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Escaped;

    #[test]
    fn every_control_character_is_escaped_and_nothing_else() {
        let all: String = (0u32..0x100).filter_map(char::from_u32).collect();
        let shown = Escaped(&all).to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.contains("\\x00") && shown.contains("\\x7f") && shown.contains("\\u{85}"));
        assert!(shown.contains(" !\"#") && shown.contains("xyz{|}~") && shown.contains('é'));
        assert_eq!(
            Escaped("a\\n").to_string(),
            "a\\\\n",
            "a backslash cannot fake an escape"
        );
    }
}
