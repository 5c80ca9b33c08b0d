//! `msm gateway CONFIG`: many devices in one process, each polled by a master on one
//! shared runtime, every variable published to an MQTT broker and written from it by the
//! `msm-mqtt` bridge, and optionally all devices served again as one Modbus/TCP slave.
//! See `docs/gateway.md`.

mod config;
mod devices;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::CmdResult;
use crate::failure::Failure;
use config::Config;

/// `msm gateway`'s arguments.
#[derive(Args, Debug)]
pub(crate) struct GatewayArgs {
    /// The gateway's configuration file (TOML: [mqtt], [serve], [[device]]).
    pub(crate) config: PathBuf,
    /// Check the file and every map it names, report every problem, then exit (0 when
    /// all is well).
    #[arg(long)]
    pub(crate) check: bool,
    /// Stop after this many seconds (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    #[command(flatten)]
    pub(crate) web: crate::web::WebArgs,
}

/// Runs the gateway until stopped.
pub(crate) async fn run(a: GatewayArgs) -> CmdResult {
    let config = Config::load(&a.config).map_err(|e| Failure::usage(e.to_string()))?;
    let vars: usize = config.devices.iter().map(|d| d.map.vars().len()).sum();
    let broker = format!(
        "{}:{}",
        config.mqtt.broker.host(),
        config.mqtt.broker.port()
    );
    if a.check {
        println!(
            "{}: ok: {} device(s), {vars} variable(s), broker {broker}",
            a.config.display(),
            config.devices.len(),
        );
        return Ok(());
    }
    let devices = devices::start(config.devices).await?;
    let slave = match &config.serve {
        Some(serve) => Some(serve::start(serve, &devices).await?),
        None => None,
    };
    let mut bridge = msm_mqtt::Bridge::new(config.mqtt.broker.clone())
        .prefix(config.mqtt.prefix.clone())
        .ha_discovery(config.mqtt.ha_discovery)
        .set_max_age(config.mqtt.set_max_age)
        .stats(true);
    for d in &devices {
        bridge =
            bridge.device(msm_mqtt::Device::new(d.name.clone(), &d.mm).master(d.master.clone()));
    }
    let bridge = bridge
        .start_async()
        .await
        .map_err(|e| Failure::usage(format!("[mqtt]: {e}")))?;
    // The web view shows every device's variables as DEVICE/VAR, with their state.
    let web_vars = devices
        .iter()
        .flat_map(|d| {
            crate::web::WebVar::from_map(&d.mm, &format!("{}/", d.name), |v| {
                matches!(v.area(), msm::Area::Coil | msm::Area::Holding)
            })
        })
        .collect();
    let named: Vec<(String, Arc<msm::AsyncMasterHandle>)> = devices
        .iter()
        .map(|d| (d.name.clone(), d.master.clone()))
        .collect();
    let web_status = crate::web::StatusSource::new(move || combined_status(&named));
    let serving = match &slave {
        Some(s) => format!("; serving them on {}", s.local_addr()),
        None => String::new(),
    };
    eprintln!(
        "msm gateway: {} device(s), {vars} variable(s), broker {broker} prefix {}{serving}; Ctrl-C to stop",
        devices.len(),
        config.mqtt.prefix
    );
    let _web = crate::web::start_vars(&a.web, web_vars, Some(web_status)).await?;
    crate::commands::stop_signal(a.seconds).await;
    // The sets still queued answered, every device's and the gateway's goodbye
    // acknowledged by the broker, then a clean disconnect.
    bridge.stop().await;
    if let Some(s) = slave {
        s.stop().await;
    }
    Ok(())
}

/// `e` as a failure, its message after `context`.
fn failure(context: &str, e: msm::Error) -> Failure {
    let f = Failure::from(e);
    Failure {
        message: format!("{context}: {}", f.message),
        ..f
    }
}

/// Every device's master as one state for the web view: connected when all are, the
/// first error named by its device, the cycles and block errors of all.
fn combined_status(masters: &[(String, Arc<msm::AsyncMasterHandle>)]) -> msm::Status {
    let mut all = msm::Status::default();
    all.connected = true;
    for (name, master) in masters {
        let s = master.status();
        all.connected &= s.connected;
        all.stale |= s.stale;
        all.cycles += s.cycles;
        all.reconnects += s.reconnects;
        if all.last_error.is_none() {
            all.last_error = s.last_error.map(|e| format!("{name}: {e}"));
        }
        all.block_errors.extend(s.block_errors);
    }
    all
}
