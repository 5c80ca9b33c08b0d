//! The MQTT 5 session (rumqttc's v5 client): a persistent session (clean start off, a
//! session expiry of a day), acknowledgements sent by the bridge once a set is queued or
//! refused, retain flags as published, message expiry, and any packet size read.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode, DisconnectReasonCode, Filter as V5Filter, LastWill, Packet, Publish,
    PublishProperties, RetainForwardRule,
};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, StateError};

use super::link::{Ending, Link};
use super::{Command, Events, Filter, MAX_PACKET, Message, Retained, Sender, SessionEvent, Shared};
use crate::{Broker, Error};

/// How long the broker keeps the bridge's session (its subscriptions and the sets sent
/// meanwhile) after the connection goes: a day.
pub(crate) const SESSION_EXPIRY: Duration = Duration::from_secs(24 * 3600);
/// Unacknowledged sets the broker may have in flight to the bridge (its back-pressure).
pub(crate) const RECEIVE_MAXIMUM: u16 = 100;
/// The bridge's own QoS 1 messages in flight at once (at most what the broker allows).
pub(crate) const INFLIGHT: u16 = 1_000;
/// Requests waiting for the connection.
pub(crate) const REQUESTS: usize = 1_024;
/// The user property that marks the bridge's own `online` (the end of a backlog).
pub(crate) const MARKER_PROPERTY: &str = "msm-marker";

/// The receiving half: rumqttc's event loop.
pub(crate) struct V5Events {
    eventloop: EventLoop,
    link: Link,
    shared: Arc<Shared>,
    disconnecting: bool,
}

/// The sending half: rumqttc's client.
pub(crate) struct V5Sender {
    client: AsyncClient,
    shared: Arc<Shared>,
}

impl V5Events {
    /// A session with the broker, whose last will is `offline` (retained) on `will_topic`.
    /// Nothing happens until [`next`](Events::next) is called.
    pub(crate) fn open(broker: &Broker, will_topic: &str) -> Result<(V5Events, V5Sender), Error> {
        let mut o = MqttOptions::new(broker.client_id.clone(), broker.host.clone(), broker.port);
        o.set_keep_alive(broker.keep_alive)
            .set_clean_start(false)
            .set_session_expiry_interval(Some(SESSION_EXPIRY.as_secs() as u32))
            .set_manual_acks(true)
            .set_receive_maximum(Some(RECEIVE_MAXIMUM))
            .set_max_packet_size(Some(MAX_PACKET))
            .set_outgoing_inflight_upper_limit(INFLIGHT)
            .set_connection_timeout(5)
            .set_last_will(LastWill::new(
                will_topic,
                "offline",
                QoS::AtLeastOnce,
                true,
                None,
            ));
        if let Some(transport) = broker.tls_transport()? {
            o.set_transport(transport);
        }
        if let Some(user) = &broker.username {
            o.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
        }
        let (client, eventloop) = AsyncClient::new(o, REQUESTS);
        let shared = Arc::new(Shared::default());
        let events = V5Events {
            eventloop,
            link: Link::new(broker.name(), broker.client_id.clone()),
            shared: shared.clone(),
            disconnecting: false,
        };
        Ok((events, V5Sender { client, shared }))
    }
}

impl V5Events {
    fn message(&self, p: Publish) -> Message {
        let props = p.properties.unwrap_or_default();
        Message {
            topic: String::from_utf8_lossy(&p.topic).into_owned(),
            payload: p.payload,
            retain: p.retain,
            ack: (p.qos != QoS::AtMostOnce).then_some(super::AckId {
                pkid: p.pkid,
                connection: self.link.connection,
            }),
            expires_in: props
                .message_expiry_interval
                .map(|s| Duration::from_secs(u64::from(s))),
            marker: props
                .user_properties
                .into_iter()
                .find(|(k, _)| k == MARKER_PROPERTY)
                .map(|(_, v)| v),
        }
    }
}

/// Why a connection failed or ended, in words, and whether another client took it over.
fn describe(e: &ConnectionError) -> (String, Ending) {
    match e {
        ConnectionError::MqttState(StateError::ServerDisconnect {
            reason_code: DisconnectReasonCode::SessionTakenOver,
            ..
        }) => ("session taken over".into(), Ending::TakenOver),
        ConnectionError::MqttState(StateError::ServerDisconnect {
            reason_code,
            reason_string,
        }) => (
            format!(
                "the broker disconnected the bridge ({reason_code:?}{})",
                reason_string
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ),
            Ending::Other,
        ),
        // What mosquitto does to an MQTT 5 client whose id another takes (no DISCONNECT).
        ConnectionError::MqttState(StateError::ConnectionAborted) => {
            ("the connection was closed".into(), Ending::ClosedByBroker)
        }
        ConnectionError::MqttState(StateError::Io(io)) | ConnectionError::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            (io.to_string(), Ending::ClosedByBroker)
        }
        ConnectionError::ConnectionRefused(code) => (refused(*code), Ending::Other),
        ConnectionError::Timeout(_) => ("no answer within 5s".into(), Ending::Other),
        other => (other.to_string(), Ending::Other),
    }
}

/// A refusal code in words, with the fix.
fn refused(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::BadUserNamePassword => {
            "the broker refused the user name or password: check username and password".into()
        }
        ConnectReturnCode::NotAuthorized => {
            "the broker refused the connection: not authorized (check its ACL for this client id and user)".into()
        }
        ConnectReturnCode::UnsupportedProtocolVersion => {
            "the broker does not speak MQTT 5: use protocol 3.1.1 (protocol = \"3.1.1\" in [mqtt])".into()
        }
        ConnectReturnCode::ClientIdentifierNotValid => {
            "the broker refused the client id: choose another client_id".into()
        }
        other => format!("the broker refused the connection ({other:?})"),
    }
}

impl Events for V5Events {
    async fn next(&mut self) -> SessionEvent {
        loop {
            self.link.wait_for_retry().await;
            let polled = self.eventloop.poll().await;
            match polled {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    return self
                        .link
                        .on_connack(&self.shared, ack.session_present, "MQTT 5");
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.link.heard();
                    return SessionEvent::Message(self.message(p));
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    return self.link.on_puback(&self.shared);
                }
                Ok(Event::Incoming(_)) => self.link.heard(),
                Ok(Event::Outgoing(Outgoing::Disconnect)) => self.disconnecting = true,
                Ok(Event::Outgoing(_)) => {}
                Err(_) if self.disconnecting => return SessionEvent::Closed,
                Err(e) => {
                    let (reason, ending) = describe(&e);
                    if let Some(lost) = self.link.on_error(&self.shared, &reason, ending) {
                        return lost;
                    }
                }
            }
        }
    }
}

impl Sender for V5Sender {
    fn try_send(&mut self, command: Command) -> Result<(), Command> {
        let sent = match &command {
            Command::Publish(p) => {
                let props = PublishProperties {
                    user_properties: p
                        .marker
                        .iter()
                        .map(|m| (MARKER_PROPERTY.to_string(), m.clone()))
                        .collect(),
                    ..PublishProperties::default()
                };
                let sent = self.client.try_publish_with_properties(
                    p.topic.clone(),
                    QoS::AtLeastOnce,
                    p.retain,
                    p.payload.clone(),
                    props,
                );
                if sent.is_ok() {
                    self.shared.handed.fetch_add(1, Ordering::Relaxed);
                }
                sent
            }
            Command::Ack(id) => {
                if !self.shared.may_ack(*id) {
                    // The broker sends it again on the new connection.
                    return Ok(());
                }
                let mut p = Publish::new("", QoS::AtLeastOnce, Vec::new(), None);
                p.pkid = id.pkid;
                self.client.try_ack(&p)
            }
            Command::Subscribe(filters) => self
                .client
                .try_subscribe_many(filters.iter().map(v5_filter).collect::<Vec<_>>()),
            Command::Disconnect => self.client.try_disconnect(),
        };
        sent.map_err(|_| command)
    }

    fn unacked(&self) -> usize {
        self.shared.unacked()
    }
}

fn v5_filter(f: &Filter) -> V5Filter {
    let mut v = V5Filter::new(f.topic.clone(), QoS::AtLeastOnce);
    v.preserve_retain = f.retain_as_published;
    v.retain_forward_rule = match f.retained {
        Retained::IfNew => RetainForwardRule::OnNewSubscribe,
        Retained::Never => RetainForwardRule::Never,
    };
    v
}
