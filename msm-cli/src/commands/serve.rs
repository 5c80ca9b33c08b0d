//! `msm serve`: a slave serving a map, a PLC simulator.

use std::time::Duration;

use msm::{Change, Map, MapMemory, Origin};

use crate::CmdResult;
use crate::args::ServeArgs;
use crate::failure::Failure;
use crate::plant::{DEMO_MAP, Plant, TICK};
use crate::show::{Console, Style, shown};

pub(crate) async fn run(a: ServeArgs) -> CmdResult {
    let (map, demo) = match &a.map {
        Some(path) => (Map::from_path(path)?, false),
        None => (Map::from_toml_str(DEMO_MAP)?, true),
    };
    let mm = map.build()?;
    let (builder, line) = crate::link::slave(&a)?;
    let builder = crate::tls::with_roles(builder, &a.tls, &map);
    let rtu = line.is_some() || a.serial.rtu_over_tcp;
    let slave = builder
        .serve_async(mm.memory().clone())
        .await
        .map_err(|e| {
            let f = Failure::from(e);
            Failure {
                message: format!("cannot serve: {}", f.message),
                ..f
            }
        })?;
    let what = if demo {
        "the demo plant".to_string()
    } else {
        map.file().to_string()
    };
    let units = match a.unit {
        Some(u) => format!("unit {u}"),
        None if rtu => "unit 1".to_string(),
        None => "any unit".to_string(),
    };
    let place = match &line {
        Some(line) => format!("serial line {line} (RTU)"),
        None if rtu => format!("{} (RTU over TCP)", slave.local_addr()),
        None if a.tls.tls => format!("{} (TLS)", slave.local_addr()),
        None => slave.local_addr().to_string(),
    };
    eprintln!("msm serve: serving {what} on {place} ({units}); Ctrl-C to stop");
    let title = format!("msm serve {place} ({units})");
    let plant = demo.then(|| Plant::new(&mm)).transpose()?;
    watch(&mm, plant, a.quiet, a.seconds, &title).await;
    slave.stop().await;
    Ok(())
}

/// Runs the plant (if any) and shows the memory's changes until stopped.
pub(crate) async fn watch(
    mm: &MapMemory,
    mut plant: Option<Plant>,
    quiet: bool,
    seconds: Option<f64>,
    title: &str,
) {
    let mut changes = mm.memory().subscribe();
    let mut console = Console::new(Style::pick(false), mm.vars());
    console.header(format!("{title}; Ctrl-C to stop"));
    if !quiet {
        console.refresh_values(mm.vars());
        console.render(mm.vars());
    }
    let mut plant_tick = tokio::time::interval(TICK);
    let mut render = tokio::time::interval(Duration::from_millis(200));
    let stop = super::stop_signal(seconds);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = plant_tick.tick(), if plant.is_some() => {
                if let Some(Err(e)) = plant.as_mut().map(Plant::step) {
                    tracing::warn!("demo plant: {e}");
                }
            }
            change = changes.recv() => {
                if quiet {
                    continue;
                }
                match change {
                    Ok(c) => {
                        if let Origin::Remote(peer) = c.origin {
                            console.event(&format!("write from {peer}: {}", describe(mm, &c)));
                        }
                        console.on_change(mm.vars(), &c);
                    }
                    Err(lag) => {
                        console.event(&format!("{} change(s) not shown: output too slow", lag.0));
                        console.refresh_values(mm.vars());
                    }
                }
            }
            _ = render.tick() => {
                if !quiet {
                    console.render(mm.vars());
                }
            }
        }
    }
    if !quiet {
        console.render(mm.vars());
    }
}

/// The variables a remote write touched, with their new values; or the raw range.
fn describe(mm: &MapMemory, c: &Change) -> String {
    let touched: Vec<String> = mm
        .vars()
        .iter()
        .filter(|v| v.touched_by(c))
        .map(|v| format!("{} = {}", v.name(), shown(&v.get())))
        .collect();
    if touched.is_empty() {
        let last = u32::from(c.address) + u32::from(c.count).max(1) - 1;
        format!("{} {}..={}", c.area, c.address, last)
    } else {
        touched.join(", ")
    }
}
