//! Tolerant parsing of what Dialpad posts. Every field is optional, ids may be numbers or
//! strings, timestamps are milliseconds; a field of an unexpected type is treated as
//! absent rather than failing the event. The whole JSON is kept, unknown fields included.
//! Nothing here fails: a payload that is not a JSON object is an `Unknown` event.

use serde_json::{Map, Value};

use super::call_state::{CallState, Direction, Phase};
use crate::domain::call::CallId;

/// What kind of Dialpad event a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Call,
    Sms,
    AgentStatus,
    Contact,
    Unknown,
    /// Not from Dialpad's webhooks: a change of the app's Dialpad connection (connected,
    /// refresh failed, reauth required, disconnected), stored and streamed like an event.
    Connection,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Sms => "sms",
            Self::AgentStatus => "agent_status",
            Self::Contact => "contact",
            Self::Unknown => "unknown",
            Self::Connection => "connection",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "call" => Self::Call,
            "sms" => Self::Sms,
            "agent_status" => Self::AgentStatus,
            "contact" => Self::Contact,
            "connection" => Self::Connection,
            _ => Self::Unknown,
        }
    }
}

/// A party of a call: `target` (the Dialpad side) or `contact` (the other side).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub id: Option<i64>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// One entry of `recording_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingDetail {
    pub id: Option<String>,
    pub url: Option<String>,
    pub duration_ms: Option<i64>,
    pub start_time_ms: Option<i64>,
    pub recording_type: Option<String>,
}

/// The fields of a call event the server uses. The rest stays in the raw JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallEvent {
    pub call_id: Option<CallId>,
    pub master_call_id: Option<CallId>,
    pub entry_point_call_id: Option<CallId>,
    pub operator_call_id: Option<CallId>,
    pub state: Option<CallState>,
    pub direction: Option<Direction>,
    pub external_number: Option<String>,
    pub internal_number: Option<String>,
    pub date_started_ms: Option<i64>,
    pub date_rang_ms: Option<i64>,
    pub date_connected_ms: Option<i64>,
    pub date_ended_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub event_timestamp_ms: Option<i64>,
    pub target: Option<Party>,
    pub contact: Option<Party>,
    pub was_recorded: Option<bool>,
    pub voicemail_link: Option<String>,
    pub voicemail_recording_id: Option<String>,
    pub recording_details: Vec<RecordingDetail>,
    pub transcription_text: Option<String>,
}

/// A parsed event: its kind, the call fields when it is a call event, and the JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct DialpadEvent {
    pub kind: EventKind,
    pub call: Option<CallEvent>,
    /// The Dialpad side of the event (`target.id`), used to route legacy webhooks.
    pub target_id: Option<i64>,
    pub raw: Value,
}

/// Parses a verified payload. Never fails.
pub fn parse(payload: &[u8]) -> DialpadEvent {
    let raw: Value = serde_json::from_slice(payload).unwrap_or_else(|_| {
        // Not JSON: kept as text, so nothing verified is lost.
        serde_json::json!({ "_raw": String::from_utf8_lossy(payload) })
    });
    let Some(object) = raw.as_object() else {
        return DialpadEvent { kind: EventKind::Unknown, call: None, target_id: None, raw };
    };
    let kind = classify(object);
    let call = (kind == EventKind::Call).then(|| call_event(&raw));
    let target_id = object.get("target").and_then(|t| int(t, "id"));
    DialpadEvent { kind, call, target_id, raw }
}

fn classify(o: &Map<String, Value>) -> EventKind {
    let has = |k: &str| o.get(k).is_some_and(|v| !v.is_null());
    // A known call state makes a call event even with a null call_id (voicemails arrive so).
    let call_state =
        o.get("state").and_then(Value::as_str).is_some_and(|s| CallState::parse(s).phase() != Phase::Unknown);
    if has("call_id") || call_state {
        EventKind::Call
    } else if has("on_duty_status") || has("availability_status") {
        EventKind::AgentStatus
    } else if has("text") || has("from_number") || has("to_number") || has("message_status") || has("mms") {
        EventKind::Sms
    } else if has("event") && has("contact") {
        EventKind::Contact
    } else {
        EventKind::Unknown
    }
}

fn call_event(v: &Value) -> CallEvent {
    let recordings = v.get("recording_details").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    CallEvent {
        call_id: int(v, "call_id").map(CallId::new),
        master_call_id: int(v, "master_call_id").map(CallId::new),
        entry_point_call_id: int(v, "entry_point_call_id").map(CallId::new),
        operator_call_id: int(v, "operator_call_id").map(CallId::new),
        state: text(v, "state").map(|s| CallState::parse(&s)),
        direction: text(v, "direction").map(|s| Direction::parse(&s)),
        external_number: text(v, "external_number"),
        internal_number: text(v, "internal_number"),
        date_started_ms: int(v, "date_started"),
        date_rang_ms: int(v, "date_rang"),
        date_connected_ms: int(v, "date_connected"),
        date_ended_ms: int(v, "date_ended"),
        duration_ms: int(v, "duration"),
        event_timestamp_ms: int(v, "event_timestamp"),
        target: v.get("target").and_then(party),
        contact: v.get("contact").and_then(party),
        was_recorded: v.get("was_recorded").and_then(Value::as_bool),
        voicemail_link: text(v, "voicemail_link"),
        voicemail_recording_id: text(v, "voicemail_recording_id"),
        recording_details: recordings
            .iter()
            .map(|r| RecordingDetail {
                id: text(r, "id"),
                url: text(r, "url"),
                duration_ms: int(r, "duration"),
                start_time_ms: int(r, "start_time"),
                recording_type: text(r, "recording_type"),
            })
            .collect(),
        transcription_text: text(v, "transcription_text"),
    }
}

/// A party object (target, contact); `None` when it has none of the fields.
pub(crate) fn party(v: &Value) -> Option<Party> {
    let party = Party {
        id: int(v, "id"),
        kind: text(v, "type"),
        name: text(v, "name"),
        phone: text(v, "phone").or_else(|| text(v, "phone_number")),
        email: text(v, "email"),
    };
    (party != Party::default()).then_some(party)
}

/// An integer field: a JSON integer, a float without fraction, or a string of digits.
pub(crate) fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty string field (numbers are written as text). A NUL character, which no
/// phone number, state or name holds and PostgreSQL's text cannot store, becomes U+FFFD
/// here; the event's JSON keeps it as sent.
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if s.contains('\0') => Some(s.replace('\0', "\u{FFFD}")),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
