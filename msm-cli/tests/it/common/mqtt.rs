//! The MQTT side of the gateway's fault tests, in-process: a QoS 1 publisher (rumqttc,
//! MQTT 3.1.1, a persistent session) that counts the broker's acknowledgements, keeps
//! what it publishes while the broker is away and sends it once it is back; and a raw
//! Modbus/TCP request to read an exception code.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use super::gateway::wait_for;

/// A publisher; its connection is driven by a thread of its own until it is dropped.
pub struct Publisher {
    client: Option<Client>,
    /// Publications the broker acknowledged (PUBACK).
    pub acked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Publisher {
    /// Connects to the broker on loopback `port` as `id`.
    pub fn connect(port: u16, id: &str) -> Publisher {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_clean_session(false)
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(4 << 20, 4 << 20)
            .set_inflight(100);
        let (client, mut connection) = Client::new(o, 20_000);
        let acked = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, stopping) = (acked.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for event in connection.iter() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                match event {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        a.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(rumqttc::ConnectionError::RequestsDone) => break,
                    // The broker is away: try again shortly (rumqttc reconnects when
                    // polled, and keeps what was published meanwhile).
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        });
        Publisher {
            client: Some(client),
            acked,
            stop,
            thread: Some(thread),
        }
    }

    /// Publishes at QoS 1 (queued while the broker is away).
    pub fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>, retain: bool) {
        self.client
            .as_ref()
            .expect("connected")
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .expect("queue a publication");
    }

    /// Waits until the broker acknowledged `n` publications in all.
    pub fn wait_acked(&self, n: usize) {
        wait_for(&format!("{n} PUBACKs"), || {
            self.acked.load(Ordering::Relaxed) >= n
        });
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        // The disconnect wakes the connection's loop, which then sees the flag (its
        // event loop holds a sender of its own: it never runs out of requests).
        self.stop.store(true, Ordering::Relaxed);
        if let Some(client) = self.client.take() {
            let _ = client.try_disconnect();
        }
        if let Some(t) = self.thread.take() {
            wait_for("the publisher's thread to end", || t.is_finished());
            let _ = t.join();
        }
    }
}

/// Sends one request to `unit` at `addr` (Modbus/TCP) and returns the registers read, or
/// the exception code answered.
pub fn modbus(
    addr: &str,
    unit: u8,
    request: &msm::protocol::Request<'_>,
) -> Result<Vec<u16>, msm::protocol::ExceptionCode> {
    use msm::protocol::{Response, tcp};
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).expect("connect to the gateway's slave");
    conn.set_read_timeout(Some(super::DEADLINE))
        .expect("timeout");
    let mut buf = [0u8; tcp::MAX_FRAME_LEN];
    let n = tcp::encode_request(&mut buf, 1, unit, request).expect("encode");
    conn.write_all(&buf[..n]).expect("send");
    conn.read_exact(&mut buf[..tcp::HEADER_LEN])
        .expect("answer");
    let len = usize::from(u16::from_be_bytes([buf[4], buf[5]])) - 1;
    let mut pdu = vec![0; len];
    conn.read_exact(&mut pdu).expect("answer's PDU");
    match Response::decode(&pdu).expect("a response") {
        Response::Exception { code, .. } => Err(code),
        Response::ReadHoldingRegisters(regs) => Ok(regs.iter().collect()),
        _ => Ok(Vec::new()),
    }
}
