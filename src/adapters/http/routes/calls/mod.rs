//! /api/calls: the key's own app's calls, newest first, and one call with its events.

mod get;
mod list;
mod write;

use chrono::{DateTime, Utc};
pub use get::get_call;
pub use list::list_calls;
use salvo::oapi::ToSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::http::json;
use crate::domain::call::{CallId, CallRecord};
use crate::domain::webhook::Party;
use crate::ports::{PayloadJson, StoredEvent};

/// A party of a call.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartyResponse {
    pub id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl From<Party> for PartyResponse {
    fn from(p: Party) -> Self {
        Self { id: p.id, kind: p.kind, name: p.name, phone: p.phone, email: p.email }
    }
}

/// A call leg and its latest state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallResponse {
    pub call_id: i64,
    /// The call's state: it only moves forward (a late "ringing" never reopens a call).
    pub state: String,
    pub ended: bool,
    pub direction: Option<String>,
    pub external_number: Option<String>,
    pub internal_number: Option<String>,
    /// The Dialpad side (the agent, office, call center...).
    pub target: Option<PartyResponse>,
    /// The other party.
    pub contact: Option<PartyResponse>,
    pub master_call_id: Option<i64>,
    pub entry_point_call_id: Option<i64>,
    pub operator_call_id: Option<i64>,
    #[serde(serialize_with = "json::timestamp")]
    pub started_at: DateTime<Utc>,
    #[serde(serialize_with = "json::optional_timestamp")]
    pub rang_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "json::optional_timestamp")]
    pub connected_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "json::optional_timestamp")]
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub was_recorded: Option<bool>,
    #[serde(serialize_with = "json::optional_timestamp")]
    pub last_event_at: Option<DateTime<Utc>>,
    pub event_count: i64,
    /// Sequence number of the call's latest event (the WebSocket stream's `seq`).
    pub last_seq: i64,
}

/// The documented form of a call; the route writes the record directly (write.rs), and the
/// tests hold that to this conversion's `Serialize`.
impl From<CallRecord> for CallResponse {
    fn from(c: CallRecord) -> Self {
        Self {
            call_id: c.call_id.get(),
            state: c.state.as_str().to_owned(),
            ended: c.ended,
            direction: c.direction.map(|d| d.as_str().to_owned()),
            external_number: c.external_number,
            internal_number: c.internal_number,
            target: c.target.map(PartyResponse::from),
            contact: c.contact.map(PartyResponse::from),
            master_call_id: c.master_call_id.map(CallId::get),
            entry_point_call_id: c.entry_point_call_id.map(CallId::get),
            operator_call_id: c.operator_call_id.map(CallId::get),
            started_at: c.started_at,
            rang_at: c.rang_at,
            connected_at: c.connected_at,
            ended_at: c.ended_at,
            duration_ms: c.duration_ms,
            was_recorded: c.was_recorded,
            last_event_at: DateTime::from_timestamp_millis(c.last_event_at_ms),
            event_count: c.event_count,
            last_seq: c.last_seq.get(),
        }
    }
}

/// A stored event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventResponse {
    pub seq: i64,
    /// call, sms, agent_status, contact or unknown.
    pub kind: String,
    pub call_id: Option<i64>,
    pub state: Option<String>,
    /// Dialpad's event time, milliseconds since the epoch.
    pub event_timestamp: Option<i64>,
    #[serde(serialize_with = "json::timestamp")]
    pub received_at: DateTime<Utc>,
    /// The event as Dialpad sent it.
    #[salvo(schema(value_type = Value))]
    pub data: EventData,
}

/// An event's payload in a body: its stored text, written as serde_json writes the value
/// (`JsonOut::canonical`). `Serialize` goes through a `Value`, the reference the route's
/// writer is tested against.
#[derive(Debug)]
pub struct EventData(pub PayloadJson);

impl Serialize for EventData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: Value = serde_json::from_str(self.0.as_str()).map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self(PayloadJson::of(&value)))
    }
}

/// The documented form of an event (see `From<CallRecord> for CallResponse`).
impl From<StoredEvent<PayloadJson>> for EventResponse {
    fn from(e: StoredEvent<PayloadJson>) -> Self {
        Self {
            seq: e.seq.get(),
            kind: e.kind.as_str().to_owned(),
            call_id: e.call_id.map(CallId::get),
            state: e.state.map(|s| s.as_str().to_owned()),
            event_timestamp: e.event_timestamp_ms,
            received_at: e.received_at,
            data: EventData(e.payload),
        }
    }
}
