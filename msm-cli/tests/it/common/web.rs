//! Helpers for the tests of `--web`: starting `msm` with it and finding where it
//! listens; asking its API with msm-web's own test helpers.

#[path = "../../../../msm-web/tests/it/common.rs"]
#[allow(dead_code)] // the view's helpers; these tests use the HTTP ones
mod view;

pub use view::{DEADLINE, MAP, Writer, client, eventually, get, idle_stream, mirror_of, put};

use crate::common::Running;

/// A running `msm` with a web view: the process, its web root URL and its Modbus address.
pub struct Web {
    pub msm: Running,
    /// `http://ADDR`, without a trailing slash or a token.
    pub url: String,
    pub modbus: String,
    /// The map served, removed when the test is done with it.
    _map: crate::common::TempFile,
}

/// `msm serve MAP --listen 127.0.0.1:0 --web 127.0.0.1:0 EXTRA...`.
pub fn serve(map_text: &str, extra: &[&str]) -> Web {
    let map = crate::common::temp_file("plant.toml", map_text);
    let mut args = vec!["serve", &map];
    args.extend(["--quiet", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"]);
    args.extend(extra);
    let msm = Running::start(&args);
    let serving = msm.expect_err("the Modbus address", |l| l.contains("serving"));
    let modbus = serving
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {serving:?}"))
        .to_string();
    let url = web_url(&msm);
    Web {
        msm,
        url,
        modbus,
        _map: map,
    }
}

/// The web view's root URL, from `msm web: http://ADDR/ ...` on stderr.
pub fn web_url(msm: &Running) -> String {
    let line = msm.expect_err("the web address", |l| l.starts_with("msm web: "));
    let url = line
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    url.split('?')
        .next()
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_string()
}
