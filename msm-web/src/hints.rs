//! How refusals name the setting that fixes them: in the words of whoever started the
//! view (a Rust program, the `msm` command line, a Python program).

/// Whose words the view's refusals use to name the setting that fixes them: a page
/// refused a write says "start it with `--web-writable`" to a command-line user and
/// `View::writable(true)` to a Rust programmer.
///
/// ```
/// use msm_web::Hints;
/// assert_eq!(Hints::Cli.writable(), "start msm with --web-writable");
/// assert_eq!(Hints::default(), Hints::Rust);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hints {
    /// A Rust program: `View::writable(true)`.
    #[default]
    Rust,
    /// The `msm` command line: `--web-writable`.
    Cli,
    /// A Python program: `msm.web.serve(..., writable=True)`.
    Python,
}

impl Hints {
    /// How to let the page write.
    ///
    /// ```
    /// assert_eq!(msm_web::Hints::Python.writable(), "serve it with writable=True");
    /// ```
    pub fn writable(self) -> &'static str {
        match self {
            Hints::Rust => "serve it with View::writable(true)",
            Hints::Cli => "start msm with --web-writable",
            Hints::Python => "serve it with writable=True",
        }
    }

    /// How to serve more live pages at once.
    ///
    /// ```
    /// assert_eq!(msm_web::Hints::Cli.max_clients(), "--web-max-clients N");
    /// ```
    pub fn max_clients(self) -> &'static str {
        match self {
            Hints::Rust => "View::max_clients(n)",
            Hints::Cli => "--web-max-clients N",
            Hints::Python => "max_clients=N",
        }
    }

    /// How to reach a view bound to loopback from elsewhere.
    ///
    /// ```
    /// assert!(msm_web::Hints::Cli.other_address().contains("--web-token"));
    /// ```
    pub fn other_address(self) -> &'static str {
        match self {
            Hints::Rust => "or serve it on another address with View::token(..)",
            Hints::Cli => "or bind another address with --web-token",
            Hints::Python => "or serve it on another address with token=...",
        }
    }
}
