//! `msm`: Modbus shared memory from the command line. A PLC simulator (`serve`), a live
//! watch table (`poll`), one-shot `read` and `write`, and a self-contained `demo`.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod failure;
mod link;
mod show;
mod target;
mod tls;
mod web;

use std::process::ExitCode;

use args::Command;
use failure::Failure;

fn main() -> ExitCode {
    let cli = args::parse();
    // Commands report a master's faults themselves, in their words: the library's log
    // of them would say it twice, so it stays behind -v. The rest (a slave's refusals,
    // requests for other units, the gateway's and web view's own) is shown.
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("msm: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(a) => commands::demo::run(a).await,
            Command::Serve(a) => commands::serve::run(a).await,
            Command::Poll(a) => commands::poll::run(a).await,
            Command::Read(a) => commands::read::run(a).await,
            Command::Write(a) => commands::write::run(a).await,
            Command::Info(a) => commands::info::run(a).await,
            Command::Gateway(a) => commands::gateway::run(a).await,
            Command::Certs(a) => commands::certs::run(a),
        }
    });
    // Workers still draining (a master reconnecting, say) must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("msm: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let default = match verbose {
        0 => "msm=warn,msm::master=error,msm::transport=error,msm_mqtt=info",
        1 => "msm=info",
        2 => "msm=debug",
        _ => "msm=trace",
    };
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // `target=level` directives, as RUST_LOG writes them (tracing-subscriber's Targets:
    // EnvFilter's span and field filters would build a regex engine into the binary).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| default.parse().unwrap_or_default());
    let _ = tracing_subscriber::fmt()
        // Every level reaches the filter, which decides.
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .finish()
        .with(filter)
        .try_init();
}

/// Exits with a failure: `Err(Failure::...)` from a command.
pub(crate) type CmdResult = Result<(), Failure>;
