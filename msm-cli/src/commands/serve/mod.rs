//! `msm serve`: a slave serving a map, a PLC simulator.

mod watch;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use msm::sim::Simulator;
use msm::{Map, Slave};

use super::DEMO_MAP;
use crate::CmdResult;
use crate::failure::Failure;
use crate::link::SerialArgs;
use crate::tls::TlsArgs;
use watch::watch;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The map file to serve (default: the built-in demo plant, with moving values).
    pub(crate) map: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:5020; 127.0.0.1:8020 with --tls].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Answer only this unit id (default: any over TCP and UDP; 1 on a serial line and
    /// with --rtu-over-tcp). Requests for other units are logged (at most once a
    /// second).
    #[arg(long, value_name = "N")]
    pub(crate) unit: Option<u8>,
    /// Answer requests for other unit ids with exception 0B (gateway target device failed
    /// to respond) instead of staying silent (Modbus/TCP and UDP only).
    #[arg(long = "unknown-unit-exception")]
    pub(crate) unknown_unit_exception: bool,
    /// Serve at most this many TCP connections at once; a new one then closes the one
    /// idle longest [default: 256].
    #[arg(long = "max-connections", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_connections: Option<u32>,
    /// Opt in to busy polling: after answering, keep polling a connection this long for
    /// its next request before sleeping (50us is the usual budget, at most 1ms; off by
    /// default). Only for a master that asks again at once, and while the process's
    /// connections are at most half the CPUs: it spares a wake-up per request, and costs
    /// up to a CPU per such connection.
    #[arg(long = "busy-poll", default_value = "0", value_name = "DURATION",
          value_parser = busy_poll)]
    pub(crate) busy_poll: Duration,
    /// Print nothing but errors (for benchmarks); changes are not even watched.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    /// Seed the random numbers of the map's faults (probability) and random values, so
    /// that a run repeats (overrides the map's `seed`; default: a new seed each run).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    #[command(flatten)]
    pub(crate) serial: SerialArgs,
    #[command(flatten)]
    pub(crate) web: crate::web::WebArgs,
    #[command(flatten)]
    pub(crate) tls: TlsArgs,
}

pub(crate) async fn run(a: ServeArgs) -> CmdResult {
    let (map, demo) = match &a.map {
        Some(path) => (Map::from_path(path)?, false),
        None => (Map::from_toml_str(DEMO_MAP)?, true),
    };
    let mm = map.build()?;
    let (builder, line) = slave(&a)?;
    // The map's [identity] and [[fifo]]s; its [[file]]s are in the memory.
    let builder = crate::tls::with_roles(builder.map_settings(&map), &a.tls, &map);
    let seed = a.seed.or(map.seed()).unwrap_or_else(any_seed);
    let builder = builder.faults(map.faults().iter().cloned()).seed(seed);
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
    let place = match (&line, a.serial.kind()) {
        (Some(line), Some(kind)) => format!("serial line {line} ({kind})"),
        (_, Some(kind)) => format!("{} ({kind})", slave.local_addr()),
        _ if a.tls.tls => format!("{} (TLS)", slave.local_addr()),
        _ => slave.local_addr().to_string(),
    };
    // Quiet prints nothing, but for the address when any free port was asked for
    // (`--listen 127.0.0.1:0`): nothing else can tell it.
    let any_port = a.listen.as_deref().is_some_and(|l| l.ends_with(":0"));
    if !a.quiet || any_port {
        eprintln!("msm serve: serving {what} on {place} ({units}); Ctrl-C to stop");
    }
    if !a.quiet {
        describe_simulation(&map, seed, !rtu);
    }
    let sim = Simulator::new(&mm)?.seed(seed);
    let sim = (!sim.is_empty()).then(|| sim.start()).transpose()?;
    let title = format!("msm serve {place} ({units})");
    let _web = crate::web::start(&a.web, &mm, None).await?;
    watch(&mm, a.quiet, a.seconds, &title).await;
    drop(sim);
    slave.stop().await;
    Ok(())
}

/// Lists what the slave does on purpose: the faults in the order they are tried (those
/// that cannot apply on this link marked), the simulated variables, and the seed that
/// repeats the run.
fn describe_simulation(map: &Map, seed: u64, mbap: bool) {
    let faults = map.faults();
    let simulated = map.vars().iter().filter(|v| v.sim.is_some()).count();
    if faults.is_empty() && simulated == 0 {
        return;
    }
    for (i, fault) in faults.iter().enumerate() {
        let skipped = if fault.action().applies(mbap) {
            ""
        } else if mbap {
            "  (RTU and ASCII only: skipped on this link)"
        } else {
            "  (Modbus/TCP, TLS and UDP only: skipped on this link)"
        };
        eprintln!("msm serve: fault {}: {fault}{skipped}", i + 1);
    }
    if simulated > 0 {
        let names: Vec<String> = map
            .vars()
            .iter()
            .filter_map(|v| {
                v.sim
                    .as_ref()
                    .map(|b| format!("{} ({})", v.name, b.kind().name()))
            })
            .collect();
        eprintln!("msm serve: simulating {}", names.join(", "));
    }
    eprintln!("msm serve: seed {seed} (--seed {seed} repeats this run's random choices)");
}

/// A seed nobody chose, for a run without `--seed` or a map's `seed`: printed, so that
/// the run can be repeated.
fn any_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

impl ServeArgs {
    /// `--listen`, or where masters connect by default.
    pub(crate) fn listen_addr(&self) -> String {
        self.listen
            .clone()
            .unwrap_or_else(|| crate::tls::default_addr(&self.tls))
    }
}

/// The slave the flags describe, and the serial line's name when it is on one.
fn slave(a: &ServeArgs) -> Result<(Slave, Option<String>), Failure> {
    a.serial.check(&a.tls)?;
    let listen = a.listen_addr();
    let (slave, line) = match a.serial.line()? {
        Some(line) if a.serial.ascii => {
            let name = line.to_string();
            (Slave::ascii_serial(line), Some(name))
        }
        Some(line) => {
            let name = line.to_string();
            (Slave::serial(line), Some(name))
        }
        None if a.serial.rtu_over_tcp => (Slave::rtu_over_tcp(listen), None),
        None if a.serial.udp => (Slave::udp(listen), None),
        None => match a.tls.slave_settings()? {
            Some(tls) => (Slave::tls(listen, tls), None),
            None => (Slave::tcp(listen), None),
        },
    };
    let mut slave = slave.unknown_unit_exception(a.unknown_unit_exception);
    if (a.serial.serial.is_some() || a.serial.udp) && !a.busy_poll.is_zero() {
        return Err(Failure::usage(
            "--busy-poll applies to TCP connections (plain, RTU over TCP, TLS): a serial \
             line or a UDP socket is served as its bytes come; drop --busy-poll",
        ));
    }
    if (a.serial.serial.is_some() || a.serial.udp) && a.max_connections.is_some() {
        return Err(Failure::usage(
            "--max-connections applies to TCP connections (plain, RTU over TCP, TLS): a \
             serial line or a UDP socket has none; drop --max-connections",
        ));
    }
    if a.serial.serial.is_none() && !a.serial.udp {
        slave = slave
            .max_connections(
                a.max_connections
                    .map_or(msm::slave::DEFAULT_MAX_CONNECTIONS, |n| n as usize),
            )
            .busy_poll(a.busy_poll);
    }
    Ok(match a.unit {
        Some(unit) => (slave.unit(unit), line),
        None => (slave, line),
    })
}

/// A busy-poll budget: 0 (off) up to `msm::slave::MAX_BUSY_POLL`.
fn busy_poll(text: &str) -> Result<Duration, String> {
    let max = msm::slave::MAX_BUSY_POLL;
    let d = if text.trim() == "0" {
        Duration::ZERO
    } else {
        humantime::parse_duration(text)
            .map_err(|e| format!("{e}: give a duration such as 50us, or 0 for none"))?
    };
    if d > max {
        return Err(format!(
            "{text} is longer than the {} allowed: a thread polls that long after every answer",
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}
