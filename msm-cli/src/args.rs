//! The command line, as clap sees it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Modbus shared memory: serve a map as a PLC simulator, watch one live, read and write
/// variables by name.
#[derive(Parser, Debug)]
#[command(name = "msm", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace), before or after the
    /// command; RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, display_order = 1000)]
    pub(crate) verbose: u8,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// A slave with a moving demo plant and a master in one process, showing the live
    /// exchange. No hardware needed, and no arguments (--seconds and --listen are optional).
    Demo(DemoArgs),
    /// Serve a map as a Modbus slave (a PLC simulator); the demo plant when no map is given.
    Serve(ServeArgs),
    /// Watch a slave's variables live (a master): a table on a terminal, one line per
    /// change otherwise, or JSON.
    Poll(PollArgs),
    /// Read variables once, by name from a map or raw by area and address.
    Read(ReadArgs),
    /// Write variables once, by name from a map (NAME=VALUE) or raw by area and address.
    Write(WriteArgs),
    /// Poll many devices, publish their variables to MQTT, and serve them again as one slave.
    Gateway(crate::gateway::GatewayArgs),
    /// Write a throw-away CA, a server certificate and client certificates with roles,
    /// to try Modbus/TCP Security (--tls).
    Certs(crate::commands::certs::CertsArgs),
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    /// Where the demo's slave listens, so other masters (mbpoll) can join in.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub(crate) listen: String,
}

/// Where a slave listens or a master connects: TCP by default, a serial line with
/// `--serial`.
#[derive(Args, Debug, Clone)]
pub(crate) struct SerialArgs {
    /// Use the serial line at PATH (Modbus RTU) instead of TCP.
    #[arg(long, value_name = "PATH")]
    pub(crate) serial: Option<PathBuf>,
    /// Serial baud rate.
    #[arg(long, default_value_t = 19_200, value_name = "N")]
    pub(crate) baud: u32,
    /// Serial parity (even is the Modbus default).
    #[arg(long, default_value = "even", value_parser = ["even", "odd", "none"])]
    pub(crate) parity: String,
    /// Serial stop bits.
    #[arg(long = "stop-bits", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub(crate) stop_bits: u8,
    /// Speak RTU frames over the TCP connection (serial-to-Ethernet converters); `serve`
    /// then answers unit 1 unless --unit says otherwise.
    #[arg(long = "rtu-over-tcp")]
    pub(crate) rtu_over_tcp: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The map file to serve (default: the built-in demo plant, with moving values).
    pub(crate) map: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:5020; 127.0.0.1:802 with --tls].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Answer only this unit id (default: any over TCP; 1 on a serial line and with
    /// --rtu-over-tcp). Requests for other units are logged (at most once a second).
    #[arg(long, value_name = "N")]
    pub(crate) unit: Option<u8>,
    /// Answer requests for other unit ids with exception 0B (gateway target device failed
    /// to respond) instead of staying silent (Modbus/TCP only).
    #[arg(long = "unknown-unit-exception")]
    pub(crate) unknown_unit_exception: bool,
    /// Serve at most this many TCP connections at once; a new one then closes the one
    /// idle longest.
    #[arg(long = "max-connections", value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_connections: u32,
    /// After answering, keep polling a connection this long for its next request before
    /// sleeping (0 turns it off, at most 1ms). Only for a master that asks again at once,
    /// and while connections are at most half the CPUs: it spares a wake-up per request.
    #[arg(long = "busy-poll", default_value = "50us", value_name = "DURATION",
          value_parser = busy_poll)]
    pub(crate) busy_poll: Duration,
    /// Print nothing but errors (for benchmarks); changes are not even watched.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub(crate) seconds: Option<f64>,
    #[command(flatten)]
    pub(crate) serial: SerialArgs,
    #[command(flatten)]
    pub(crate) web: crate::web::WebArgs,
    #[command(flatten)]
    pub(crate) tls: crate::tls::TlsArgs,
}

/// How a master reaches its slave.
#[derive(Args, Debug, Clone)]
pub(crate) struct ConnectArgs {
    /// The slave's address.
    #[arg(long, default_value = "127.0.0.1:5020", value_name = "HOST:PORT")]
    pub(crate) connect: String,
    /// The unit id (slave id) to address.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) unit: u8,
    /// How long to wait for each answer (and for the connection).
    #[arg(long, default_value = "1s", value_parser = positive_duration, value_name = "DURATION")]
    pub(crate) timeout: Duration,
    #[command(flatten)]
    pub(crate) serial: SerialArgs,
    #[command(flatten)]
    pub(crate) tls: crate::tls::TlsArgs,
}

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

/// Raw access: an area, an address, a type, without a map.
#[derive(Args, Debug, Clone)]
pub(crate) struct RawArgs {
    /// Area: coil, discrete, input or holding.
    #[arg(long, value_name = "AREA")]
    pub(crate) area: Option<String>,
    /// First address.
    #[arg(long, value_name = "N")]
    pub(crate) address: Option<u16>,
    /// Value type: bool (bit areas), u16, i16, u32, i32, u64, i64, f32, f64.
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) ty: Option<String>,
    /// Word order of multi-register values: ABCD, CDAB, BADC, DCBA.
    #[arg(long, default_value = "ABCD", value_name = "ORDER")]
    pub(crate) order: String,
}

#[derive(Args, Debug)]
#[command(override_usage = "msm read [OPTIONS] MAP [NAME]...\n       \
    msm read [OPTIONS] --area AREA --address N [--type TYPE] [--count N]")]
pub(crate) struct ReadArgs {
    /// A map file and the variables to read (all of them when none are named); or nothing
    /// with --area/--address for raw access.
    #[arg(value_name = "MAP")]
    pub(crate) words: Vec<String>,
    #[command(flatten)]
    pub(crate) raw: RawArgs,
    /// Raw access: how many values of --type to read.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) count: u16,
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// One JSON object per variable.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
#[command(override_usage = "msm write [OPTIONS] MAP NAME=VALUE...\n       \
    msm write [OPTIONS] --area AREA --address N [--type TYPE] VALUE...")]
pub(crate) struct WriteArgs {
    /// A map file and NAME=VALUE pairs; or, with --area/--address, the values to write
    /// from that address on.
    #[arg(
        value_name = "MAP NAME=VALUE... | VALUE...",
        required = true,
        allow_negative_numbers = true
    )]
    pub(crate) words: Vec<String>,
    #[command(flatten)]
    pub(crate) raw: RawArgs,
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
}

/// A duration above zero (`500ms`, `2s`): a zero timeout could never be met.
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

fn positive_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err(
            "a timeout of 0 can never be met: give a duration above zero, such as 500ms or 2s"
                .into(),
        );
    }
    Ok(d)
}
