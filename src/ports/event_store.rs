//! EventStore: every verified event once per app, under its dedup key, with the app's next
//! sequence number; the calls and voicemails folded from them; and events no app claimed.
//! Postgres in production, memory for the embedded default; one contract for both.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::StoreError;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord, EventSeq};
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::DialpadUserId;
use crate::domain::voicemail::Voicemail;
use crate::domain::webhook::{CallState, DialpadEvent, Direction, EventKind};

/// A verified, parsed event ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    pub dedup_key: String,
    pub event: DialpadEvent,
    pub received_at: DateTime<Utc>,
}

impl IncomingEvent {
    /// This event as stored for `app_id` under sequence number `seq`.
    pub fn stored(&self, app_id: AppId, seq: EventSeq) -> StoredEvent {
        let call = self.event.call.as_ref();
        StoredEvent {
            app_id,
            seq,
            kind: self.event.kind,
            call_id: call.and_then(|c| c.call_id),
            state: call.and_then(|c| c.state.clone()),
            event_timestamp_ms: call.and_then(|c| c.event_timestamp_ms),
            target_id: self.event.target_id.and_then(|id| DialpadUserId::new(id).ok()),
            payload: self.event.raw.clone(),
            received_at: self.received_at,
        }
    }
}

/// An event as stored for an app. Its payload is a `Value`, or for reads that only write it
/// out (a call's detail), its JSON text ([`PayloadJson`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent<P = Value> {
    pub app_id: AppId,
    pub seq: EventSeq,
    pub kind: EventKind,
    pub call_id: Option<CallId>,
    pub state: Option<CallState>,
    pub event_timestamp_ms: Option<i64>,
    /// The Dialpad side (`target.id`), for per-agent filtering.
    pub target_id: Option<DialpadUserId>,
    pub payload: P,
    pub received_at: DateTime<Utc>,
}

impl<P> StoredEvent<P> {
    /// The same event with its payload in another form.
    pub fn map_payload<Q>(self, f: impl FnOnce(P) -> Q) -> StoredEvent<Q> {
        StoredEvent {
            app_id: self.app_id,
            seq: self.seq,
            kind: self.kind,
            call_id: self.call_id,
            state: self.state,
            event_timestamp_ms: self.event_timestamp_ms,
            target_id: self.target_id,
            payload: f(self.payload),
            received_at: self.received_at,
        }
    }
}

impl StoredEvent<PayloadJson> {
    /// The event with its payload parsed.
    pub fn parsed(self) -> Result<StoredEvent, serde_json::Error> {
        let payload = serde_json::from_str(self.payload.as_str())?;
        Ok(self.map_payload(|_| payload))
    }
}

/// What appending one event did.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    Stored(StoredEvent),
    /// The app already has an event with this dedup key; nothing changed.
    Duplicate,
}

/// An event no app claimed (legacy route), kept so it is never lost.
#[derive(Debug, Clone, PartialEq)]
pub struct UnroutedEvent {
    pub id: i64,
    pub kind: EventKind,
    pub target_id: Option<i64>,
    pub payload: Value,
    pub received_at: DateTime<Utc>,
}

/// Which calls to list. `target_users: Some(empty)` matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub state: Option<CallState>,
    pub direction: Option<Direction>,
    pub target_users: Option<Vec<DialpadUserId>>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Where a call listing resumes (newest first by `started_at`, then call id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCursor {
    pub started_at: DateTime<Utc>,
    pub call_id: CallId,
}

/// Which voicemails to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoicemailFilter {
    pub target_users: Option<Vec<DialpadUserId>>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Where a voicemail listing resumes (newest first by [`Voicemail::sort_at`], then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoicemailCursor {
    pub sort_at: DateTime<Utc>,
    pub id: Uuid,
}

/// The most events one call's detail returns.
pub const MAX_CALL_EVENTS: u32 = 1000;

/// One call with its events in sequence order, read in one go (one round trip). The events'
/// payloads stay JSON text: the read route writes them out without building a `Value`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallDetail {
    pub call: CallRecord,
    pub events: Vec<StoredEvent<PayloadJson>>,
}

/// A stored payload as JSON text, in whatever key order and spacing the store keeps it
/// (PostgreSQL's jsonb orders keys by length). It stands for the same value as the payload
/// Dialpad sent; readers write it in serde_json's form (keys sorted), so the bytes do not
/// depend on the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadJson(pub Box<str>);

impl PayloadJson {
    /// The text of `value`, as serde_json writes it.
    pub fn of(value: &Value) -> Self {
        Self(serde_json::to_string(value).expect("a JSON value serializes").into_boxed_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends `batch` atomically, in order; each entry names the app it is for (one batch
    /// may mix apps). An event whose dedup key its app already has (stored before, or
    /// earlier in the batch) is `Duplicate`; each new one gets its app's next sequence
    /// number, gap-free and in commit order per app, and is folded into its call (state
    /// machine) and voicemail, in the same transaction. Concurrent appends for one app
    /// serialize; duplicates never make a second row, whatever the timing. Storage trouble
    /// is `Unavailable` and nothing is stored.
    async fn append(&self, batch: &[(AppId, IncomingEvent)]) -> Result<Vec<Appended>, StoreError>;

    /// Keeps an event no app claimed; `false` when it was kept before (same dedup key).
    async fn append_unrouted(&self, event: &IncomingEvent) -> Result<bool, StoreError>;

    /// Unrouted events, newest first, strictly older than `before` (an id) when given.
    async fn unrouted(&self, limit: PageLimit, before: Option<i64>) -> Result<Page<UnroutedEvent>, StoreError>;

    /// The app's events with `seq > after`, in sequence order, at most `limit`.
    async fn events_after(&self, app_id: AppId, after: EventSeq, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;

    /// The app's last sequence number (0 before its first event).
    async fn last_seq(&self, app_id: AppId) -> Result<EventSeq, StoreError>;

    /// The app's calls matching `filter`, newest first.
    async fn calls(
        &self,
        app_id: AppId,
        filter: &CallFilter,
        limit: PageLimit,
        after: Option<CallCursor>,
    ) -> Result<Page<CallRecord>, StoreError>;

    /// One of the app's calls with its events in sequence order (at most
    /// [`MAX_CALL_EVENTS`]), or `Ok(None)` (also when the call belongs to another app).
    async fn call(&self, app_id: AppId, call_id: CallId) -> Result<Option<CallDetail>, StoreError>;

    /// The app's voicemails matching `filter`, newest first.
    async fn voicemails(
        &self,
        app_id: AppId,
        filter: &VoicemailFilter,
        limit: PageLimit,
        after: Option<VoicemailCursor>,
    ) -> Result<Page<Voicemail>, StoreError>;

    /// One of the app's voicemails, or `Ok(None)`.
    async fn voicemail(&self, app_id: AppId, id: Uuid) -> Result<Option<Voicemail>, StoreError>;
}
