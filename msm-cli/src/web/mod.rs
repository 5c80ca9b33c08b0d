//! `--web` on `msm serve`, `msm poll` and `msm gateway`: the live view of the `msm-web`
//! library, started from the command line's flags on the command's runtime.

mod args;

use std::io::IsTerminal;
use std::net::SocketAddr;

use msm::{Area, MapMemory};
use msm_web::{AsyncWebHandle, Hints, View};

pub(crate) use args::WebArgs;
pub(crate) use msm_web::{StatusSource, WebVar};

use crate::failure::Failure;

/// `--web` on a command: serves the map's variables and prints where; `None` without
/// `--web`. With a `status` (a master's: `msm poll`) inputs are not writable.
pub(crate) async fn start(
    a: &WebArgs,
    mm: &MapMemory,
    status: Option<StatusSource>,
) -> Result<Option<AsyncWebHandle>, Failure> {
    if a.web.is_none() {
        return Ok(None);
    }
    // A master writes coils and holding registers; a slave's program writes any area.
    let master = status.is_some();
    let vars = WebVar::from_map(mm, "", |v| {
        !master || matches!(v.area(), Area::Coil | Area::Holding)
    });
    start_vars(a, vars, status).await
}

/// `--web` with the variables given (a gateway's, named `DEVICE/VAR`): serves them and
/// prints where; `None` without `--web`.
pub(crate) async fn start_vars(
    a: &WebArgs,
    vars: Vec<WebVar>,
    status: Option<StatusSource>,
) -> Result<Option<AsyncWebHandle>, Failure> {
    let Some(text) = &a.web else {
        return Ok(None);
    };
    let addr = args::parse_addr(text).map_err(|e| Failure::usage(e.to_string()))?;
    let mut view = View::new(vars)
        .writable(a.web_writable)
        .max_clients(a.web_max_clients)
        .hints(Hints::Cli);
    if let Some(token) = &a.web_token {
        view = view.token(token.clone());
    }
    if let Some(status) = status {
        view = view.status(status);
    }
    let server = view
        .serve_async(addr)
        .await
        .map_err(|e| Failure::usage(format!("--web {text}: {e}")))?;
    if let Some(w) = args::exposure_warning(addr, a.web_token.is_some(), a.web_writable) {
        eprintln!("msm: {w}");
    }
    eprintln!(
        "{}",
        start_line(
            server.local_addr(),
            server.url(),
            a,
            std::io::stderr().is_terminal()
        )
    );
    Ok(Some(server))
}

/// The line saying where the view is. With a token, the address to open carries it: it
/// is printed to a terminal, with the warning that it is a secret, and never to a log.
fn start_line(local_addr: SocketAddr, url: &str, a: &WebArgs, terminal: bool) -> String {
    let mode = if a.web_writable {
        "writable"
    } else {
        "read-only"
    };
    match (&a.web_token, terminal) {
        (None, _) => format!("msm web: {url} ({mode}); Ctrl-C to stop"),
        (Some(_), true) => format!(
            "msm web: {url} ({mode}); this address holds the token: it is a secret, share it \
             only with whoever may use the view; Ctrl-C to stop"
        ),
        (Some(_), false) => format!(
            "msm web: http://{local_addr}/ ({mode}); open it with ?token=TOKEN added, the \
             --web-token given (not printed here: this output is not a terminal); Ctrl-C to stop"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_printed_to_a_terminal_only_and_called_a_secret() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let mut a = WebArgs {
            web: Some("8080".into()),
            ..WebArgs::default()
        };
        let plain = start_line(addr, "http://127.0.0.1:8080/", &a, true);
        assert_eq!(
            plain,
            "msm web: http://127.0.0.1:8080/ (read-only); Ctrl-C to stop"
        );
        a.web_token = Some("s3cret".into());
        let url = "http://127.0.0.1:8080/?token=s3cret";
        let shown = start_line(addr, url, &a, true);
        assert!(
            shown.starts_with("msm web: http://127.0.0.1:8080/?token=s3cret (read-only)"),
            "{shown}"
        );
        assert!(shown.contains("secret"), "{shown}");
        let logged = start_line(addr, url, &a, false);
        assert!(!logged.contains("s3cret"), "{logged}");
        assert!(
            logged.starts_with(
                "msm web: http://127.0.0.1:8080/ (read-only); open it with ?token=TOKEN"
            ),
            "{logged}"
        );
    }
}
