//! EventStore on Postgres: tables `events`, `app_sequences`, `calls`, `voicemails` and
//! `unrouted_events`. Appends in `append`, reads in `queries`, row mapping in `rows`, and
//! payloads jsonb cannot hold in `exact`.

mod append;
mod exact;
mod queries;
mod rows;
mod write;

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

use crate::adapters::postgres::TimeLimit;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord, EventSeq};
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::voicemail::Voicemail;
use crate::ports::{
    Appended, CallCursor, CallDetail, CallFilter, EventStore, IncomingEvent, StoreError, StoredEvent, UnroutedEvent,
    VoicemailCursor, VoicemailFilter,
};

pub struct PgEventStore {
    pool: PgPool,
    limit: TimeLimit,
}

impl PgEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, limit: TimeLimit::DEFAULT }
    }

    /// The same repository with another limit on each operation.
    pub fn with_time_limit(self, limit: TimeLimit) -> Self {
        Self { limit, ..self }
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(&self, batch: &[(AppId, IncomingEvent)]) -> Result<Vec<Appended>, StoreError> {
        self.limit.bound(async move { append::append(&self.pool, batch).await }).await
    }

    async fn append_unrouted(&self, event: &IncomingEvent) -> Result<bool, StoreError> {
        self.limit.bound(async move { append::append_unrouted(&self.pool, event).await }).await
    }

    async fn unrouted(&self, limit: PageLimit, before: Option<i64>) -> Result<Page<UnroutedEvent>, StoreError> {
        self.limit.bound(async move { queries::unrouted(&self.pool, limit, before).await }).await
    }

    async fn events_after(&self, app_id: AppId, after: EventSeq, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.limit.bound(async move { queries::events_after(&self.pool, app_id, after, limit).await }).await
    }

    async fn last_seq(&self, app_id: AppId) -> Result<EventSeq, StoreError> {
        self.limit.bound(async move { queries::last_seq(&self.pool, app_id).await }).await
    }

    async fn calls(
        &self,
        app_id: AppId,
        filter: &CallFilter,
        limit: PageLimit,
        after: Option<CallCursor>,
    ) -> Result<Page<CallRecord>, StoreError> {
        self.limit.bound(async move { queries::calls(&self.pool, app_id, filter, limit, after).await }).await
    }

    async fn call(&self, app_id: AppId, call_id: CallId) -> Result<Option<CallDetail>, StoreError> {
        self.limit.bound(async move { queries::call(&self.pool, app_id, call_id).await }).await
    }

    async fn voicemails(
        &self,
        app_id: AppId,
        filter: &VoicemailFilter,
        limit: PageLimit,
        after: Option<VoicemailCursor>,
    ) -> Result<Page<Voicemail>, StoreError> {
        self.limit.bound(async move { queries::voicemails(&self.pool, app_id, filter, limit, after).await }).await
    }

    async fn voicemail(&self, app_id: AppId, id: Uuid) -> Result<Option<Voicemail>, StoreError> {
        self.limit.bound(async move { queries::voicemail(&self.pool, app_id, id).await }).await
    }
}
