//! The page: one HTML file with its style and script put in, so that one request brings
//! all, and the Content-Security-Policy that lets exactly that script and style run.

use std::sync::LazyLock;

use base64::Engine as _;

const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// The page's HTML.
pub(crate) static HTML: LazyLock<String> = LazyLock::new(|| {
    include_str!("assets/index.html")
        .replace("/*STYLE*/", STYLE)
        .replace("/*SCRIPT*/", SCRIPT)
});

/// The page's policy: its own script and style (by hash), requests to this view only,
/// no frames, no forms, no plugins.
pub(crate) static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; \
         img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(SCRIPT),
        hash(STYLE)
    )
});

/// Every other answer's policy: nothing runs, nothing frames it.
pub(crate) const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'";

/// A CSP source for inline text: `sha256-BASE64`.
fn hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_page_s_own_script_and_style() {
        assert!(HTML.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(HTML.contains(&format!("<style>{STYLE}</style>")));
        // The SHA-256 of "" is well known: the encoding is the one CSP expects.
        assert_eq!(
            hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(CSP.contains(&format!("script-src '{}'", hash(SCRIPT))));
        assert!(CSP.contains("frame-ancestors 'none'"));
    }
}
