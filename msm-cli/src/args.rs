//! The command line, as clap sees it: the subcommands, each with the arguments its own
//! module declares. This module only composes them.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands::{certs, demo, info, poll, read, serve, write};

/// Modbus shared memory: serve a map as a PLC simulator, watch one live, read and write
/// variables by name.
#[derive(Parser, Debug)]
#[command(name = "msm", version, long_about = None, propagate_version = true)]
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
    Demo(demo::DemoArgs),
    /// Serve a map as a Modbus slave (a PLC simulator); the demo plant when no map is given.
    Serve(serve::ServeArgs),
    /// Watch a slave's variables live (a master): a table on a terminal, one line per
    /// change otherwise, or JSON.
    Poll(poll::PollArgs),
    /// Read variables once, by name from a map or raw by area and address.
    Read(read::ReadArgs),
    /// Write variables once, by name from a map (NAME=VALUE) or raw by area and address.
    Write(write::WriteArgs),
    /// What a device says about itself: identification (FC43), server id (FC17),
    /// exception status (FC07), comm event counter (FC11) and diagnostic counters (FC08).
    Info(info::InfoArgs),
    /// Poll many devices, publish their variables to MQTT, and serve them again as one slave.
    Gateway(crate::commands::gateway::GatewayArgs),
    /// Write a throw-away CA, a server certificate and client certificates with roles,
    /// to try Modbus/TCP Security (--tls).
    Certs(certs::CertsArgs),
}

/// The command line's description, with its subcommands named from the subcommands
/// themselves (a list written by hand drifts as commands are added).
pub(crate) fn command() -> clap::Command {
    let cmd = Cli::command();
    let names: Vec<&str> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(clap::Command::get_name)
        .collect();
    let about = format!(
        "Modbus shared memory from the command line: {}",
        names.join(", ")
    );
    cmd.about(about)
}

/// The parsed command line; exits with clap's message on a usage error or for `--help`.
pub(crate) fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(args).expect("valid").command
    }

    #[test]
    fn serve_listens_where_masters_connect_by_default_with_and_without_tls() {
        let tls = [
            "--tls", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem",
        ];
        for (flags, port) in [(&[][..], "5020"), (&tls[..], "8020")] {
            let Command::Serve(serve) = parse(&[&["msm", "serve"], flags].concat()) else {
                panic!("serve")
            };
            for master in ["poll", "read", "write"] {
                let words: &[&str] = match master {
                    "write" => &["m.toml", "A=1"],
                    _ => &["m.toml"],
                };
                let connect = match parse(&[&["msm", master], words, flags].concat()) {
                    Command::Poll(a) => a.connect,
                    Command::Read(a) => a.connect,
                    Command::Write(a) => a.connect,
                    _ => panic!("a master"),
                };
                assert_eq!(connect.addr(), serve.listen_addr(), "{master} {flags:?}");
            }
            assert_eq!(serve.listen_addr(), format!("127.0.0.1:{port}"));
        }
    }

    #[test]
    fn serve_polls_only_when_told_to() {
        let budget = |flags: &[&str]| match parse(&[&["msm", "serve"], flags].concat()) {
            Command::Serve(serve) => serve.busy_poll,
            _ => panic!("serve"),
        };
        assert_eq!(budget(&[]), std::time::Duration::ZERO);
        assert_eq!(
            budget(&["--busy-poll", "50us"]),
            std::time::Duration::from_micros(50)
        );
        assert_eq!(budget(&["--busy-poll", "0"]), std::time::Duration::ZERO);
    }

    #[test]
    fn the_top_level_help_names_every_subcommand() {
        let mut cmd = command();
        let help = cmd.render_help().to_string();
        let first = help.lines().next().expect("a first line");
        let listed: Vec<&str> = first
            .split_once(": ")
            .expect("a list after the colon")
            .1
            .split(", ")
            .collect();
        let subcommands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        assert_eq!(listed, subcommands, "{first}");
        for name in ["gateway", "certs", "read", "write"] {
            assert!(listed.contains(&name), "{name} missing from {first}");
        }
    }
}
