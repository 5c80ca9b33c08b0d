//! The broker side: one MQTT connection for the whole gateway, reconnected whenever it
//! drops, with `PREFIX/gateway/available` = `offline` as its last will. Sessions are
//! clean: after every (re)connection the subscriptions are made again and every device
//! republishes its retained topics (the latest values, not a backlog).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{
    AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::config::MqttConfig;

/// A `PREFIX/DEVICE/VAR/set` message, for the device's worker.
#[derive(Debug)]
pub(crate) struct SetRequest {
    pub(crate) var: String,
    pub(crate) payload: String,
}

/// Where the gateway publishes, and whether the broker is there now.
#[derive(Clone)]
pub(crate) struct Broker {
    client: AsyncClient,
    session: watch::Receiver<Session>,
    pub(crate) prefix: String,
    /// Messages queued for the broker so far.
    published: Arc<AtomicU64>,
}

/// The broker connection's state: a new `generation` for every connection made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) connected: bool,
    pub(crate) generation: u64,
}

/// Requests queued for the connection; when the broker is away no more are queued (the
/// next connection republishes the latest state instead).
const REQUEST_CAPACITY: usize = 10_000;
/// QoS 1 messages in flight at once.
const INFLIGHT: u16 = 1_000;
/// Pause between connection attempts.
const RECONNECT_MIN: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// How long a stopping gateway waits for its goodbyes to go out.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

impl Broker {
    /// Publishes `payload` on `topic` at QoS 1, if connected; waits when the connection's
    /// queue is full (no message is dropped while connected).
    pub(crate) async fn publish(&self, topic: String, payload: String, retain: bool) {
        if !self.session.borrow().connected {
            return;
        }
        match self
            .client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
        {
            Ok(()) => {
                self.published.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "MQTT publish not queued"),
        }
    }

    /// Messages queued for the broker so far.
    pub(crate) fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Follows the connection's state.
    pub(crate) fn session(&self) -> watch::Receiver<Session> {
        self.session.clone()
    }

    /// `PREFIX/gateway/available`.
    pub(crate) fn gateway_topic(prefix: &str) -> String {
        format!("{prefix}/gateway/available")
    }

    /// Says `offline` (retained) for every device and then for the gateway, and asks
    /// for a clean disconnect. The connection task, once stopped, keeps the connection
    /// going until that disconnect is on the wire (or `limit` passes), so the goodbyes
    /// queued before it are sent, in order.
    pub(crate) async fn goodbye(&self, devices: &[String], limit: Duration) {
        let prefix = self.prefix.clone();
        let done = async {
            for device in devices {
                let topic = format!("{prefix}/{device}/available");
                self.publish(topic, "offline".into(), true).await;
            }
            self.publish(Broker::gateway_topic(&prefix), "offline".into(), true)
                .await;
            if self.session.borrow().connected {
                let _ = self.client.disconnect().await;
            }
        };
        let _ = tokio::time::timeout(limit, done).await;
    }
}

/// What the connection does with incoming messages.
pub(crate) struct Routing {
    /// Each device's `set` queue, by device name.
    pub(crate) devices: HashMap<String, mpsc::Sender<SetRequest>>,
    /// Told when Home Assistant says `online` (discovery is to be sent again).
    pub(crate) ha_online: Option<mpsc::Sender<()>>,
}

/// Connects (in the background: the broker may be down) and returns the publishing side.
pub(crate) fn connect(
    cfg: &MqttConfig,
    routing: Routing,
    stop: CancellationToken,
) -> (Broker, tokio::task::JoinHandle<()>) {
    let mut options = MqttOptions::new(cfg.client_id.clone(), cfg.host.clone(), cfg.port);
    options
        .set_keep_alive(Duration::from_secs(10))
        .set_clean_session(true)
        .set_inflight(INFLIGHT)
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_last_will(LastWill::new(
            Broker::gateway_topic(&cfg.prefix),
            "offline",
            QoS::AtLeastOnce,
            true,
        ));
    if let Some(tls) = &cfg.tls {
        // rustls with ring: the one crypto provider of this build (a second install
        // attempt, by a second gateway in the process, changes nothing).
        let _ = rustls::crypto::ring::default_provider().install_default();
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: tls.ca.clone(),
            alpn: None,
            client_auth: tls.client_auth.clone(),
        }));
    }
    if let Some(user) = &cfg.username {
        options.set_credentials(user.clone(), cfg.password.clone().unwrap_or_default());
    }
    let (client, eventloop) = AsyncClient::new(options, REQUEST_CAPACITY);
    let (session_tx, session) = watch::channel(Session::default());
    let broker = Broker {
        client: client.clone(),
        session,
        prefix: cfg.prefix.clone(),
        published: Arc::default(),
    };
    let name = format!("{}:{}", cfg.host, cfg.port);
    let worker = Connection {
        client,
        eventloop,
        session: session_tx,
        prefix: cfg.prefix.clone(),
        ha: cfg.ha_discovery,
        routing,
        name,
    };
    let task = tokio::spawn(worker.run(stop));
    (broker, task)
}

struct Connection {
    client: AsyncClient,
    eventloop: EventLoop,
    session: watch::Sender<Session>,
    prefix: String,
    ha: bool,
    routing: Routing,
    name: String,
}

impl Connection {
    async fn run(mut self, stop: CancellationToken) {
        let mut backoff = RECONNECT_MIN;
        loop {
            let polled = tokio::select! {
                () = stop.cancelled() => {
                    self.drain(DRAIN_LIMIT).await;
                    break;
                }
                polled = self.eventloop.poll() => polled,
            };
            match polled {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = RECONNECT_MIN;
                    tracing::info!(broker = %self.name, "connected to the MQTT broker");
                    self.on_connect();
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.on_message(&p.topic, &p.payload);
                }
                Ok(_) => {}
                Err(error) => {
                    let was = self.session.borrow().connected;
                    self.session.send_modify(|s| s.connected = false);
                    if was {
                        tracing::warn!(broker = %self.name, %error, "MQTT connection lost; reconnecting");
                    } else {
                        tracing::debug!(broker = %self.name, %error, "cannot reach the MQTT broker");
                    }
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                }
            }
        }
        self.session.send_modify(|s| s.connected = false);
    }

    /// Once stopped: sends what is queued (the goodbyes, then the disconnect) until the
    /// disconnect is flushed, the connection ends, or `limit` passes. Each request is
    /// flushed before the next is taken, so the disconnect going out means every
    /// message queued before it went out too.
    async fn drain(&mut self, limit: Duration) {
        if !self.session.borrow().connected {
            return;
        }
        let flushed = async {
            loop {
                match self.eventloop.poll().await {
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(limit, flushed).await.is_err() {
            tracing::warn!(broker = %self.name, "the broker took too long: goodbyes may be lost");
        }
    }

    /// Subscribes, says `online`, and tells every device to republish. The requests go
    /// through the queue this loop drains: `try_` forms, never waiting on ourselves.
    fn on_connect(&mut self) {
        let mut topics = vec![format!("{}/+/+/set", self.prefix)];
        if self.ha {
            topics.push(super::discovery::STATUS_TOPIC.to_string());
        }
        for topic in topics {
            if let Err(e) = self.client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                tracing::warn!(%topic, error = %e, "cannot subscribe");
            }
        }
        if let Err(e) = self.client.try_publish(
            Broker::gateway_topic(&self.prefix),
            QoS::AtLeastOnce,
            true,
            "online",
        ) {
            tracing::warn!(error = %e, "cannot publish the gateway's availability");
        }
        self.session.send_modify(|s| {
            s.connected = true;
            s.generation += 1;
        });
    }

    fn on_message(&self, topic: &str, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload).into_owned();
        if topic == super::discovery::STATUS_TOPIC {
            if text.trim() == "online"
                && let Some(tx) = &self.routing.ha_online
            {
                let _ = tx.try_send(());
            }
            return;
        }
        let Some((device, var)) = set_topic(&self.prefix, topic) else {
            return;
        };
        let Some(queue) = self.routing.devices.get(device) else {
            tracing::warn!(%topic, "set for an unknown device: ignored");
            return;
        };
        let request = SetRequest {
            var: var.to_string(),
            payload: text,
        };
        if queue.try_send(request).is_err() {
            tracing::warn!(%topic, "device {device}: too many sets waiting; this one is dropped");
        }
    }
}

/// `(DEVICE, VAR)` from `PREFIX/DEVICE/VAR/set`.
fn set_topic<'t>(prefix: &str, topic: &'t str) -> Option<(&'t str, &'t str)> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    let rest = rest.strip_suffix("/set")?;
    let (device, var) = rest.split_once('/')?;
    (!var.contains('/')).then_some((device, var))
}

#[cfg(test)]
mod tests {
    use super::set_topic;

    #[test]
    fn set_topics_name_a_device_and_a_variable() {
        assert_eq!(set_topic("msm", "msm/boiler/T/set"), Some(("boiler", "T")));
        assert_eq!(set_topic("a/b", "a/b/boiler/T/set"), Some(("boiler", "T")));
        assert_eq!(set_topic("msm", "msm/boiler/T"), None);
        assert_eq!(set_topic("msm", "msmx/boiler/T/set"), None);
        assert_eq!(set_topic("msm", "msm/boiler/x/T/set"), None);
    }
}
