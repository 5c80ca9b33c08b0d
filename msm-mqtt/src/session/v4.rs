//! The MQTT 3.1.1 session (rumqttc's v4 client), for brokers that do not speak 5: a
//! persistent session (clean session off), acknowledgements sent by the bridge, and any
//! packet size read. 3.1.1 has no retain-as-published, no user properties, no message
//! expiry and no reason for a disconnect: a retained set is seen only when the broker
//! sends it at subscription, and a takeover of the client id is guessed from the broker
//! closing the connection.

use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, LastWill, MqttOptions,
    Outgoing, Packet, Publish, QoS, StateError, SubscribeFilter,
};

use super::link::{Ending, Link};
use super::v5::{INFLIGHT, REQUESTS};
use super::{AckId, Command, Events, MAX_PACKET, Message, Sender, SessionEvent, Shared};
use crate::{Broker, Error};

/// The receiving half: rumqttc's event loop.
pub(crate) struct V4Events {
    eventloop: EventLoop,
    link: Link,
    shared: Arc<Shared>,
    disconnecting: bool,
}

/// The sending half: rumqttc's client.
pub(crate) struct V4Sender {
    client: AsyncClient,
    shared: Arc<Shared>,
}

impl V4Events {
    /// A session with the broker, whose last will is `offline` (retained) on `will_topic`.
    pub(crate) fn open(broker: &Broker, will_topic: &str) -> Result<(V4Events, V4Sender), Error> {
        let mut o = MqttOptions::new(broker.client_id.clone(), broker.host.clone(), broker.port);
        o.set_keep_alive(broker.keep_alive)
            .set_clean_session(false)
            .set_manual_acks(true)
            .set_max_packet_size(MAX_PACKET as usize, MAX_PACKET as usize)
            .set_inflight(INFLIGHT)
            .set_last_will(LastWill::new(will_topic, "offline", QoS::AtLeastOnce, true));
        if let Some(transport) = broker.tls_transport()? {
            o.set_transport(transport);
        }
        if let Some(user) = &broker.username {
            o.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
        }
        let (client, eventloop) = AsyncClient::new(o, REQUESTS);
        let shared = Arc::new(Shared::default());
        let events = V4Events {
            eventloop,
            link: Link::new(broker.name(), broker.client_id.clone()),
            shared: shared.clone(),
            disconnecting: false,
        };
        Ok((events, V4Sender { client, shared }))
    }
}

fn describe(e: &ConnectionError) -> (String, Ending) {
    match e {
        ConnectionError::MqttState(StateError::ConnectionAborted) => {
            ("the connection was closed".into(), Ending::ClosedByBroker)
        }
        ConnectionError::MqttState(StateError::Io(io)) | ConnectionError::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
            ) =>
        {
            (io.to_string(), Ending::ClosedByBroker)
        }
        ConnectionError::ConnectionRefused(code) => (
            match code {
                ConnectReturnCode::BadUserNamePassword => {
                    "the broker refused the user name or password: check username and password"
                        .into()
                }
                ConnectReturnCode::NotAuthorized => {
                    "the broker refused the connection: not authorized (check its ACL)".into()
                }
                ConnectReturnCode::BadClientId => {
                    "the broker refused the client id: choose another client_id".into()
                }
                other => format!("the broker refused the connection ({other:?})"),
            },
            Ending::Other,
        ),
        ConnectionError::NetworkTimeout => ("no answer within 5s".into(), Ending::Other),
        other => (other.to_string(), Ending::Other),
    }
}

impl Events for V4Events {
    async fn next(&mut self) -> SessionEvent {
        loop {
            self.link.wait_for_retry().await;
            let polled = self.eventloop.poll().await;
            match polled {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    return self
                        .link
                        .on_connack(&self.shared, ack.session_present, "MQTT 3.1.1");
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.link.heard();
                    return SessionEvent::Message(Message {
                        topic: p.topic,
                        payload: p.payload,
                        retain: p.retain,
                        ack: (p.qos != QoS::AtMostOnce).then_some(AckId {
                            pkid: p.pkid,
                            connection: self.link.connection,
                        }),
                        expires_in: None,
                        marker: None,
                    });
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

impl Sender for V4Sender {
    fn try_send(&mut self, command: Command) -> Result<(), Command> {
        let sent = match &command {
            Command::Publish(p) => {
                let sent = self.client.try_publish(
                    p.topic.clone(),
                    QoS::AtLeastOnce,
                    p.retain,
                    p.payload.clone(),
                );
                if sent.is_ok() {
                    self.shared.handed.fetch_add(1, Ordering::Relaxed);
                }
                sent
            }
            Command::Ack(id) => {
                if !self.shared.may_ack(*id) {
                    return Ok(());
                }
                let mut p = Publish::new("", QoS::AtLeastOnce, Vec::new());
                p.pkid = id.pkid;
                self.client.try_ack(&p)
            }
            Command::Subscribe(filters) => self.client.try_subscribe_many(
                filters
                    .iter()
                    .map(|f| SubscribeFilter::new(f.topic.clone(), QoS::AtLeastOnce))
                    .collect::<Vec<_>>(),
            ),
            Command::Disconnect => self.client.try_disconnect(),
        };
        sent.map_err(|_| command)
    }

    fn unacked(&self) -> usize {
        self.shared.unacked()
    }
}
