//! Starting a slave: binding with errors that say how to fix them, and running the
//! accept loop on a thread of its own or on the caller's runtime.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::busy_poll::BusyPoll;
use super::config::Settings;
use super::handle::{AsyncSlaveHandle, Parts, SlaveHandle};
use super::rtu::SerialServer;
use super::tcp::{Acceptor, Server, Stats};
use super::udp::UdpServer;
use crate::memory::Memory;
use crate::protocol::rtu::Direction;
use crate::protocol::rtu_framer::Timing;
use crate::protocol::stream::Delimiter;
use crate::transport::SerialConfig;
use crate::types::{Error, Result};
use crate::worker::on_own_thread;

/// Serves from a new thread with its own runtime: current-thread for 1 worker,
/// multi-thread otherwise. The runtime is built, used and dropped on that thread, never
/// in the caller's (possibly async) context; the caller waits until it listens.
pub(crate) fn blocking(
    addr: &str,
    settings: Settings,
    mem: Memory,
    workers: usize,
    tls: Option<Acceptor>,
) -> Result<SlaveHandle> {
    let (listener, local_addr) = bind(addr)?;
    let parts = new_parts(local_addr, Some(settings.polling.clone()), &settings);
    let (thread_stop, thread_stats) = (parts.stop.clone(), parts.stats.clone());
    let addr_owned = addr.to_string();
    let thread = on_own_thread(
        format!("msm-slave {local_addr}"),
        workers,
        "slave",
        move || {
            let listener =
                TcpListener::from_std(listener).map_err(|e| listen_error(&addr_owned, e))?;
            let server = Server {
                listener,
                settings: Arc::new(settings),
                mem,
                stop: thread_stop,
                stats: thread_stats,
                tls,
            };
            Ok(server.run())
        },
    )?;
    Ok(SlaveHandle::new(parts, thread))
}

/// How frames are delimited on a serial line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineMode {
    Rtu,
    Ascii,
}

/// Serves a serial line from a new thread with its own runtime. The port is opened on
/// that thread; an error opening it is returned here.
pub(crate) fn blocking_serial(
    line: SerialConfig,
    mode: LineMode,
    settings: Settings,
    mem: Memory,
) -> Result<SlaveHandle> {
    let parts = new_parts(SERIAL_ADDR, None, &settings);
    let thread_stop = parts.stop.clone();
    let name = format!("msm-slave {}", line.path);
    let thread = on_own_thread(name, 1, "slave", move || {
        Ok(serial_server(&line, mode, settings, mem, thread_stop)?.run())
    })?;
    Ok(SlaveHandle::new(parts, thread))
}

/// Serves a serial line as a task on the current runtime.
pub(crate) fn in_runtime_serial(
    line: SerialConfig,
    mode: LineMode,
    settings: Settings,
    mem: Memory,
) -> Result<AsyncSlaveHandle> {
    let parts = new_parts(SERIAL_ADDR, None, &settings);
    let server = serial_server(&line, mode, settings, mem, parts.stop.clone())?;
    let task = tokio::spawn(server.run());
    Ok(AsyncSlaveHandle::new(parts, task))
}

/// Serves Modbus/UDP on `addr` from a new thread with its own runtime; the socket is
/// bound here, so an address in use is an error of the caller's.
pub(crate) fn blocking_udp(addr: &str, settings: Settings, mem: Memory) -> Result<SlaveHandle> {
    let (socket, local_addr) = bind_udp(addr)?;
    let parts = new_parts(local_addr, None, &settings);
    let thread_stop = parts.stop.clone();
    let addr_owned = addr.to_string();
    let thread = on_own_thread(
        format!("msm-slave {local_addr}/udp"),
        1,
        "slave",
        move || {
            let socket = tokio::net::UdpSocket::from_std(socket)
                .map_err(|e| listen_error(&addr_owned, e))?;
            Ok(UdpServer::new(socket, settings, mem, thread_stop).run())
        },
    )?;
    Ok(SlaveHandle::new(parts, thread))
}

/// Serves Modbus/UDP on `addr` as a task on the current runtime.
pub(crate) fn in_runtime_udp(
    addr: &str,
    settings: Settings,
    mem: Memory,
) -> Result<AsyncSlaveHandle> {
    let (socket, local_addr) = bind_udp(addr)?;
    let socket = tokio::net::UdpSocket::from_std(socket).map_err(|e| listen_error(addr, e))?;
    let parts = new_parts(local_addr, None, &settings);
    let server = UdpServer::new(socket, settings, mem, parts.stop.clone());
    let task = tokio::spawn(server.run());
    Ok(AsyncSlaveHandle::new(parts, task))
}

/// Binds a non-blocking UDP socket, with an error that says how to fix the usual causes.
fn bind_udp(addr: &str) -> Result<(std::net::UdpSocket, SocketAddr)> {
    let socket = std::net::UdpSocket::bind(addr).map_err(|e| listen_error(addr, e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| listen_error(addr, e))?;
    let local_addr = socket.local_addr().map_err(|e| listen_error(addr, e))?;
    Ok((socket, local_addr))
}

/// A handle's parts for a slave at `local_addr`: fresh statistics, not stopped, and the
/// switch of the faults `settings` hold.
fn new_parts(local_addr: SocketAddr, polling: Option<Arc<BusyPoll>>, settings: &Settings) -> Parts {
    Parts {
        local_addr,
        rules: settings.rules.clone(),
        stats: Arc::new(Stats {
            polling,
            ..Stats::default()
        }),
        stop: CancellationToken::new(),
        faults: settings.rules.faults.clone(),
    }
}

/// What `local_addr()` reports for a slave on a serial line: it has no socket.
const SERIAL_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

fn serial_server(
    line: &SerialConfig,
    mode: LineMode,
    settings: Settings,
    mem: Memory,
    stop: CancellationToken,
) -> Result<SerialServer> {
    match mode {
        LineMode::Rtu => line.check()?,
        LineMode::Ascii => line.check_ascii()?,
    }
    let port = line.open().map_err(|e| Error::Io {
        context: format!(
            "cannot open the serial line {}: check the path, that no other program holds it, \
             and the permissions (the dialout group)",
            line.path
        ),
        source: e,
    })?;
    Ok(SerialServer {
        port: Box::new(port),
        name: line.to_string(),
        delimiter: match mode {
            LineMode::Rtu => Delimiter::RtuBySilence {
                direction: Direction::Request,
                timing: Timing::for_baud(line.baud, line.bits_per_char()),
            },
            LineMode::Ascii => Delimiter::ascii(),
        },
        settings: Arc::new(settings),
        mem,
        stop,
    })
}

/// Serves as a task on the current runtime.
pub(crate) fn in_runtime(
    addr: &str,
    settings: Settings,
    mem: Memory,
    tls: Option<Acceptor>,
) -> Result<AsyncSlaveHandle> {
    let (listener, local_addr) = bind(addr)?;
    let listener = TcpListener::from_std(listener).map_err(|e| listen_error(addr, e))?;
    let parts = new_parts(local_addr, Some(settings.polling.clone()), &settings);
    let server = Server {
        listener,
        settings: Arc::new(settings),
        mem,
        stop: parts.stop.clone(),
        stats: parts.stats.clone(),
        tls,
    };
    let task = tokio::spawn(server.run());
    Ok(AsyncSlaveHandle::new(parts, task))
}

/// Binds a non-blocking listener, with an error that says how to fix the usual causes,
/// and the address it listens on (with the port the system chose for port 0).
fn bind(addr: &str) -> Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| listen_error(addr, e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| listen_error(addr, e))?;
    let local_addr = listener.local_addr().map_err(|e| listen_error(addr, e))?;
    Ok((listener, local_addr))
}

fn listen_error(addr: &str, source: io::Error) -> Error {
    let hint = match source.kind() {
        io::ErrorKind::AddrInUse => {
            "another program (or another slave) listens there: stop it, or choose another port"
        }
        io::ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges: use a port such as 5020, or grant \
             CAP_NET_BIND_SERVICE"
        }
        io::ErrorKind::AddrNotAvailable => {
            "this machine has no such address: use one of its addresses, or 0.0.0.0 for all"
        }
        _ if !crate::transport::has_port(addr) => {
            "write the address as host:port, for example 0.0.0.0:502 or [::]:502"
        }
        _ => "check the address (host:port) and that the network is up",
    };
    Error::Listen {
        addr: addr.to_string(),
        hint,
        source,
    }
}
