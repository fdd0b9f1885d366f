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
}

impl PgEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(&self, batch: &[(AppId, IncomingEvent)]) -> Result<Vec<Appended>, StoreError> {
        append::append(&self.pool, batch).await
    }

    async fn append_unrouted(&self, event: &IncomingEvent) -> Result<bool, StoreError> {
        append::append_unrouted(&self.pool, event).await
    }

    async fn unrouted(&self, limit: PageLimit, before: Option<i64>) -> Result<Page<UnroutedEvent>, StoreError> {
        queries::unrouted(&self.pool, limit, before).await
    }

    async fn events_after(&self, app_id: AppId, after: EventSeq, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        queries::events_after(&self.pool, app_id, after, limit).await
    }

    async fn last_seq(&self, app_id: AppId) -> Result<EventSeq, StoreError> {
        queries::last_seq(&self.pool, app_id).await
    }

    async fn calls(
        &self,
        app_id: AppId,
        filter: &CallFilter,
        limit: PageLimit,
        after: Option<CallCursor>,
    ) -> Result<Page<CallRecord>, StoreError> {
        queries::calls(&self.pool, app_id, filter, limit, after).await
    }

    async fn call(&self, app_id: AppId, call_id: CallId) -> Result<Option<CallDetail>, StoreError> {
        queries::call(&self.pool, app_id, call_id).await
    }

    async fn voicemails(
        &self,
        app_id: AppId,
        filter: &VoicemailFilter,
        limit: PageLimit,
        after: Option<VoicemailCursor>,
    ) -> Result<Page<Voicemail>, StoreError> {
        queries::voicemails(&self.pool, app_id, filter, limit, after).await
    }

    async fn voicemail(&self, app_id: AppId, id: Uuid) -> Result<Option<Voicemail>, StoreError> {
        queries::voicemail(&self.pool, app_id, id).await
    }
}
