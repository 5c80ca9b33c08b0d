//! `msm gateway CONFIG`: many devices in one process, each polled by a master on one
//! shared runtime, every variable published to an MQTT broker (and written from it),
//! and optionally all devices served again as one Modbus/TCP slave. See
//! `docs/gateway.md`.

mod config;
mod device;
mod discovery;
mod mqtt;
mod quality;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use msm::{AsyncSlaveHandle, Memory, Slave};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::CmdResult;
use crate::failure::Failure;
use config::Config;
use device::{Device, Worker};

/// `msm gateway`'s arguments.
#[derive(Args, Debug)]
pub(crate) struct GatewayArgs {
    /// The gateway's configuration file (TOML: [mqtt], [serve], [[device]]).
    pub(crate) config: PathBuf,
    /// Check the file and every map it names, then exit (0 when all is well).
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
    if a.check {
        println!(
            "{}: ok: {} device(s), {vars} variable(s), broker {}:{}",
            a.config.display(),
            config.devices.len(),
            config.mqtt.host,
            config.mqtt.port
        );
        return Ok(());
    }
    let stop = CancellationToken::new();
    let devices = device::start(config.devices).await?;
    let slave = match &config.serve {
        Some(listen) => Some(serve(listen, &devices).await?),
        None => None,
    };
    let (senders, receivers) = device::set_queues(&devices);
    let (ha_tx, ha_rx) = mpsc::channel(4);
    let routing = mqtt::Routing {
        devices: senders,
        ha_online: config.mqtt.ha_discovery.then_some(ha_tx),
    };
    // The broker connection outlives the device workers: it says their goodbyes.
    let connection_stop = CancellationToken::new();
    let (broker, connection) = mqtt::connect(&config.mqtt, routing, connection_stop.clone());
    let mut tasks = Vec::new();
    if config.mqtt.ha_discovery {
        let nodes = devices
            .iter()
            .map(|d| discovery::Node {
                device: d.name.clone(),
                vars: d.mm.vars().to_vec(),
            })
            .collect();
        tasks.push(tokio::spawn(discovery::run(
            broker.clone(),
            nodes,
            ha_rx,
            stop.clone(),
        )));
    }
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
    let masters = devices.iter().map(|d| d.master.clone()).collect();
    tasks.push(tokio::spawn(stats::run(
        broker.clone(),
        masters,
        stop.clone(),
    )));
    let count = devices.len();
    let device_names: Vec<String> = devices.iter().map(|d| d.name.clone()).collect();
    for (device, sets) in devices.into_iter().zip(receivers) {
        tasks.push(tokio::spawn(Worker::run(
            device,
            broker.clone(),
            sets,
            stop.clone(),
        )));
    }
    let serving = match &slave {
        Some(s) => format!("; serving them on {}", s.local_addr()),
        None => String::new(),
    };
    eprintln!(
        "msm gateway: {count} device(s), {vars} variable(s), broker {}:{} prefix {}{serving}; Ctrl-C to stop",
        config.mqtt.host, config.mqtt.port, config.mqtt.prefix
    );
    let _web = crate::web::start_vars(&a.web, web_vars, Some(web_status)).await?;
    crate::commands::stop_signal(a.seconds).await;
    // Workers first, so that no `online` or value can follow the goodbyes.
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    broker.goodbye(&device_names, Duration::from_secs(2)).await;
    connection_stop.cancel();
    let _ = connection.await;
    if let Some(s) = slave {
        s.stop().await;
    }
    Ok(())
}

/// Serves every device that has a `unit_id` as one slave, each unit from its memory.
async fn serve(listen: &str, devices: &[Device]) -> Result<AsyncSlaveHandle, Failure> {
    let mut slave = Slave::tcp(listen.to_string()).unknown_unit_exception(true);
    for d in devices {
        if let Some(id) = d.unit_id {
            slave = slave.unit_memory(id, d.mm.memory().clone());
        }
    }
    let nothing = Memory::new(0);
    slave
        .serve_async(nothing)
        .await
        .map_err(|e| failure("[serve]: cannot serve", e))
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
