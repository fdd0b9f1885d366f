//! The stream's protocol: JSON text messages, the same on every transport. Each event is
//! rendered once per instance (not once per client) into a [`Frame`].
//!
//! - `{"type":"hello","app_id":"…","last_seq":41}` first;
//! - `{"type":"reset","last_seq":41,"message":"…"}` when a resume cannot be replayed;
//! - `{"type":"call.ringing","seq":42,"call_id":7,"state":"ringing","target_id":5,
//!   "event_timestamp":…,"received_at":"…","data":{…}}` for each event, `data` being the
//!   event as Dialpad sent it (decoded, never the JWS). A call the app started with
//!   `POST /api/dialpad/calls` carries the `custom_data` it gave, where Dialpad echoes it,
//!   also at the top level, so a front end matches the call it started without digging.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::app::AppId;
use crate::domain::call::{CallId, EventSeq};
use crate::domain::stream::EventType;
use crate::domain::webhook::CallState;
use crate::ports::StoredEvent;

/// An event ready to send: its JSON text and what filters and metrics need.
#[derive(Debug)]
pub struct Frame {
    pub seq: EventSeq,
    pub event_type: EventType,
    pub target_id: Option<i64>,
    pub received_at: DateTime<Utc>,
    /// The message, UTF-8 JSON, shared by every connection that sends it.
    pub text: Bytes,
}

#[derive(Serialize)]
struct EventMessage<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    seq: EventSeq,
    call_id: Option<CallId>,
    state: Option<&'a str>,
    target_id: Option<i64>,
    event_timestamp: Option<i64>,
    received_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_data: Option<&'a Value>,
    data: &'a Value,
}

impl Frame {
    pub fn of(event: &StoredEvent) -> Arc<Self> {
        let state = event.state.as_ref().map(CallState::as_str);
        let target_id = event.target_id.map(|user| user.get());
        let event_type = EventType::of(event.kind, state);
        let message = EventMessage {
            event_type: event_type.as_str(),
            seq: event.seq,
            call_id: event.call_id,
            state,
            target_id,
            event_timestamp: event.event_timestamp_ms,
            received_at: event.received_at,
            custom_data: event.payload.get("custom_data").filter(|v| !v.is_null()),
            data: &event.payload,
        };
        let text = serde_json::to_string(&message).expect("an event always serializes");
        Arc::new(Self {
            seq: event.seq,
            event_type,
            target_id,
            received_at: event.received_at,
            text: Bytes::from(text),
        })
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Control<'a> {
    Hello { app_id: uuid::Uuid, last_seq: EventSeq },
    Reset { last_seq: EventSeq, message: &'a str },
}

/// The first message: which app this stream is, and the sequence number it starts after.
pub fn hello(app_id: AppId, last_seq: EventSeq) -> String {
    serde_json::to_string(&Control::Hello { app_id: app_id.as_uuid(), last_seq }).expect("serializes")
}

/// The client's `since` cannot be replayed: it should reload through the API.
pub fn reset(last_seq: EventSeq) -> String {
    serde_json::to_string(&Control::Reset {
        last_seq,
        message: "Missed events cannot be replayed; reload calls and voicemails through the API",
    })
    .expect("serializes")
}
