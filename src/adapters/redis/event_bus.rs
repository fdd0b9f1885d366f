//! EventBus over Redis pub/sub: one channel per app, `<prefix>events:<app_id>`, carrying
//! each stored event as JSON. Instances subscribe to an app's channel when its first
//! WebSocket client arrives (and stay subscribed). A reconnect or a lagging subscriber
//! becomes `Missed`, and listeners read what they lost from the store.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{Delivery, RedisClients};
use crate::adapters::broadcast::stream_of;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, EventSeq};
use crate::domain::user_mapping::DialpadUserId;
use crate::domain::webhook::{CallState, EventKind};
use crate::ports::{BusMessage, EventBus, StoredEvent};

pub struct RedisEventBus {
    clients: RedisClients,
}

impl RedisEventBus {
    pub fn new(clients: RedisClients) -> Self {
        Self { clients }
    }

    fn channel(&self, app: AppId) -> String {
        self.clients.name(&format!("events:{app}"))
    }
}

/// A stored event on the wire.
#[derive(Serialize, Deserialize)]
struct WireEvent {
    app_id: Uuid,
    seq: i64,
    kind: String,
    call_id: Option<i64>,
    state: Option<String>,
    event_timestamp_ms: Option<i64>,
    target_id: Option<i64>,
    payload: Value,
    received_at: DateTime<Utc>,
}

impl From<&StoredEvent> for WireEvent {
    fn from(e: &StoredEvent) -> Self {
        Self {
            app_id: e.app_id.as_uuid(),
            seq: e.seq.get(),
            kind: e.kind.as_str().to_owned(),
            call_id: e.call_id.map(CallId::get),
            state: e.state.as_ref().map(|s| s.as_str().to_owned()),
            event_timestamp_ms: e.event_timestamp_ms,
            target_id: e.target_id.map(|id| id.get()),
            payload: e.payload.clone(),
            received_at: e.received_at,
        }
    }
}

impl From<WireEvent> for StoredEvent {
    fn from(e: WireEvent) -> Self {
        Self {
            app_id: AppId::from_uuid(e.app_id),
            seq: EventSeq::new(e.seq),
            kind: EventKind::parse(&e.kind),
            call_id: e.call_id.map(CallId::new),
            state: e.state.as_deref().map(CallState::parse),
            event_timestamp_ms: e.event_timestamp_ms,
            target_id: e.target_id.and_then(|id| DialpadUserId::new(id).ok()),
            payload: e.payload,
            received_at: e.received_at,
        }
    }
}

fn to_message(delivery: Delivery, app: AppId) -> Option<BusMessage> {
    match delivery {
        Delivery::Resubscribed => Some(BusMessage::Missed),
        Delivery::Message(payload) => match serde_json::from_slice::<WireEvent>(&payload) {
            Ok(wire) if wire.app_id == app.as_uuid() => Some(BusMessage::Event(Arc::new(wire.into()))),
            Ok(_) => None,
            Err(err) => {
                // Another version's format, or garbage: the store still has the event.
                tracing::warn!(error = %err, "undecodable event on the bus");
                Some(BusMessage::Missed)
            }
        },
    }
}

#[async_trait]
impl EventBus for RedisEventBus {
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), anyhow::Error> {
        if events.is_empty() {
            return Ok(());
        }
        let pipeline = self.clients.pool.next().pipeline();
        for event in events {
            let payload = serde_json::to_string(&WireEvent::from(event))?;
            let () = pipeline.publish(self.channel(event.app_id), payload).await?;
        }
        let _receivers: Vec<i64> = pipeline.all().await?;
        Ok(())
    }

    async fn subscribe(&self, app: AppId) -> Result<BoxStream<'static, BusMessage>, anyhow::Error> {
        let rx = self.clients.pubsub.listen(&self.channel(app)).await?;
        Ok(stream_of(rx, BusMessage::Missed, move |delivery| to_message(delivery, app)))
    }
}
