//! `msm poll`: a master showing a slave's variables live.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use msm::{Map, Plan, Status};

use crate::CmdResult;
use crate::failure::Credential;
use crate::link::ConnectArgs;
use crate::show::{Console, Style};

#[derive(Args, Debug)]
pub(crate) struct PollArgs {
    /// The map file describing the slave's variables.
    pub(crate) map: PathBuf,
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Time between read cycles.
    #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub(crate) period: Duration,
    /// One JSON object per change on stdout: {"name", "value", "time"}.
    #[arg(long)]
    pub(crate) json: bool,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    #[command(flatten)]
    pub(crate) web: crate::web::WebArgs,
}

pub(crate) async fn run(a: PollArgs) -> CmdResult {
    let map = Map::from_path(&a.map)?;
    let mm = map.build()?;
    // Read what the map declares; a map without variables is exchanged whole.
    let plan = if mm.vars().is_empty() {
        Plan::WholeMemory
    } else {
        Plan::DeclaredVars { max_gap: 8 }
    };
    let peer = a.connect.peer_name();
    let credential = a.connect.credential();
    let master = a
        .connect
        .master()?
        .period(a.period)
        .plan(plan)
        .start_async(mm.memory().clone())
        .await?;
    let (web_status, status_source) = crate::web::StatusSource::channel();
    let _web = crate::web::start(&a.web, &mm, Some(status_source)).await?;
    let mut changes = mm.memory().subscribe();
    let mut console = Console::new(Style::pick(a.json), mm.vars());
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut last = Status::default();
    let mut ever_synced = false;
    let stop = super::stop_signal(a.seconds);
    tokio::pin!(stop);
    loop {
        let change = tokio::select! {
            () = &mut stop => break,
            change = changes.recv_stamped() => Some(change),
            _ = tick.tick() => None,
        };
        // The connection's news first, then the values it brought.
        let status = master.status();
        web_status.send_replace(status.clone());
        report_status(&mut console, &a.connect, &credential, &last, &status);
        let reason = (!status.connected).then(|| "not connected".to_string());
        console.not_read_reason(mm.vars(), reason);
        match change {
            Some(Ok(c)) => console.on_change(mm.vars(), &c),
            Some(Err(_)) => console.refresh_values(mm.vars()),
            None => {}
        }
        if status.cycles > 0 && !ever_synced {
            // Values equal to the map's starting values made no change: show them now.
            ever_synced = true;
            console.refresh_values(mm.vars());
        }
        console.header(header(&peer, a.connect.unit, &status));
        console.render(mm.vars());
        last = status;
        if console.failed().is_some() || (change.is_none() && crate::show::reader_gone()) {
            break; // the reader went away (`| head`): stop quietly
        }
    }
    console.render(mm.vars());
    master.stop().await;
    Ok(())
}

/// Connection changes, as events: shown once, not fatal.
fn report_status(
    console: &mut Console,
    c: &ConnectArgs,
    who: &Credential,
    last: &Status,
    now: &Status,
) {
    if now.connected && !last.connected {
        console.event(&format!("connected to {}", c.peer_name()));
    }
    if !now.connected
        && (last.connected || last.last_error != now.last_error)
        && let Some(e) = &now.last_error
    {
        console.event(&format!("{e}{} (retrying)", c.hint(e)));
    }
    for e in &now.block_errors {
        if !last.block_errors.contains(e) {
            console.event(&crate::failure::explain_block_error(e, c.unit, who));
        }
    }
}

fn header(peer: &str, unit: u8, s: &Status) -> String {
    let state = if s.connected {
        "connected".to_string()
    } else {
        match &s.last_error {
            Some(e) => format!("NOT CONNECTED: {e} (retrying)"),
            None => "connecting".to_string(),
        }
    };
    let cycle = match (s.last_cycle, s.average_cycle) {
        (Some(l), Some(a)) => format!(
            ", cycle {:.1} ms (avg {:.1} ms)",
            l.as_secs_f64() * 1e3,
            a.as_secs_f64() * 1e3
        ),
        _ => String::new(),
    };
    format!(
        "msm poll {peer} unit {unit}: {state}, {}{cycle}; Ctrl-C to stop",
        crate::show::count(s.cycles, "cycle")
    )
}
