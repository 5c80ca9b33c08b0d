//! Turning connection flags into a master or a slave: TCP, a serial line (`--serial`),
//! or RTU frames over TCP (`--rtu-over-tcp`).

use msm::{Master, Parity, SerialConfig, Slave};

use crate::args::{ConnectArgs, SerialArgs, ServeArgs};
use crate::failure::Failure;

fn serial_line(s: &SerialArgs) -> Result<Option<SerialConfig>, Failure> {
    let Some(path) = &s.serial else {
        return Ok(None);
    };
    if s.rtu_over_tcp {
        return Err(Failure::usage(
            "--serial and --rtu-over-tcp exclude each other: pick one",
        ));
    }
    let parity: Parity = s
        .parity
        .parse()
        .map_err(|e: msm::Error| Failure::usage(e.to_string()))?;
    Ok(Some(
        SerialConfig::new(path.display().to_string(), s.baud)
            .parity(parity)
            .stop_bits(s.stop_bits),
    ))
}

/// A master for the slave the flags name.
pub(crate) fn master(c: &ConnectArgs) -> Result<Master, Failure> {
    c.tls
        .check_link(c.serial.serial.is_some(), c.serial.rtu_over_tcp)?;
    if let Some(tls) = c.tls.settings()? {
        return Ok(Master::tls(c.connect.clone(), tls)
            .unit(c.unit)
            .response_timeout(c.timeout)
            .connect_timeout(c.timeout));
    }
    let master = match serial_line(&c.serial)? {
        Some(line) => Master::serial(line),
        None if c.serial.rtu_over_tcp => Master::rtu_over_tcp(c.connect.clone()),
        None => Master::tcp(c.connect.clone()),
    };
    Ok(master
        .unit(c.unit)
        .response_timeout(c.timeout)
        .connect_timeout(c.timeout))
}

/// The slave's name for messages.
pub(crate) fn peer_name(c: &ConnectArgs) -> String {
    match &c.serial.serial {
        Some(path) => path.display().to_string(),
        None => c.connect.clone(),
    }
}

/// The slave `msm serve` runs, and a description of where it listens (once started).
pub(crate) fn slave(a: &ServeArgs) -> Result<(Slave, Option<String>), Failure> {
    a.tls
        .check_link(a.serial.serial.is_some(), a.serial.rtu_over_tcp)?;
    let listen = crate::tls::listen_addr(a.listen.as_deref(), &a.tls);
    let (slave, line) = match serial_line(&a.serial)? {
        Some(line) => {
            let name = line.to_string();
            (Slave::serial(line), Some(name))
        }
        None if a.serial.rtu_over_tcp => (Slave::rtu_over_tcp(listen), None),
        None => match a.tls.settings()? {
            Some(tls) => (Slave::tls(listen, tls), None),
            None => (Slave::tcp(listen), None),
        },
    };
    let mut slave = slave.unknown_unit_exception(a.unknown_unit_exception);
    if a.serial.serial.is_none() {
        slave = slave
            .max_connections(a.max_connections as usize)
            .busy_poll(a.busy_poll);
    }
    Ok(match a.unit {
        Some(unit) => (slave.unit(unit), line),
        None => (slave, line),
    })
}
