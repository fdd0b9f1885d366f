//! Reading the event log, calls, voicemails and unrouted events.

use futures_util::{Stream, TryStreamExt};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row, ValueRef};
use uuid::Uuid;

use super::rows::{CALL_COLUMNS, CallReadRow, EVENT_COLUMNS, EventRow, UnroutedRow, VOICEMAIL_COLUMNS, VoicemailRow};
use crate::adapters::postgres::error::store_error;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord, EventSeq};
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::voicemail::Voicemail;
use crate::ports::{
    CallCursor, CallDetail, CallFilter, MAX_CALL_EVENTS, StoreError, StoredEvent, UnroutedEvent, VoicemailCursor,
    VoicemailFilter,
};

pub(super) async fn events_after(
    pool: &PgPool,
    app_id: AppId,
    after: EventSeq,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE app_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )))
    .bind(app_id.as_uuid())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    rows.into_iter().map(|row| StoredEvent::from(row).parsed().map_err(StoreError::unexpected)).collect()
}

pub(super) async fn last_seq(pool: &PgPool, app_id: AppId) -> Result<EventSeq, StoreError> {
    let last: Option<EventSeq> = sqlx::query_scalar("SELECT last_seq FROM app_sequences WHERE app_id = $1")
        .bind(app_id.as_uuid())
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    Ok(last.unwrap_or(EventSeq::ZERO))
}

pub(super) async fn calls(
    pool: &PgPool,
    app_id: AppId,
    f: &CallFilter,
    limit: PageLimit,
    after: Option<CallCursor>,
) -> Result<Page<CallRecord>, StoreError> {
    let query = sqlx::query_as::<_, CallReadRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE app_id = $1
           AND ($2::text IS NULL OR state = $2)
           AND ($3::text IS NULL OR direction = $3)
           AND ($4::bigint[] IS NULL OR target_user_id = ANY($4))
           AND ($5::timestamptz IS NULL OR started_at >= $5)
           AND ($6::timestamptz IS NULL OR started_at < $6)
           AND ($7::timestamptz IS NULL OR (started_at, call_id) < ($7, $8))
         ORDER BY started_at DESC, call_id DESC LIMIT $9"
    )))
    .bind(app_id.as_uuid())
    .bind(f.state.as_ref().map(|s| s.as_str()))
    .bind(f.direction.as_ref().map(|d| d.as_str()))
    .bind(f.target_users.as_ref())
    .bind(f.since)
    .bind(f.until)
    .bind(after.map(|a| a.started_at))
    .bind(after.map(|a| a.call_id))
    .bind(limit.probe());
    Ok(Page::from_probe(collect(query.fetch(pool), limit).await?, limit))
}

/// The call and its events in one round trip: the call's columns, then an event's, one row
/// per event (the call's columns repeated, read once), or one row with null event columns
/// when the call has none.
pub(super) async fn call(pool: &PgPool, app_id: AppId, call_id: CallId) -> Result<Option<CallDetail>, StoreError> {
    let rows: Vec<PgRow> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.*, e.* FROM (SELECT {CALL_COLUMNS} FROM calls WHERE app_id = $1 AND call_id = $2) c
         LEFT JOIN LATERAL (SELECT {EVENT_COLUMNS} FROM events WHERE app_id = $1 AND call_id = $2
                            ORDER BY seq LIMIT $3) e ON true
         ORDER BY e.seq"
    )))
    .bind(app_id.as_uuid())
    .bind(call_id)
    .bind(i64::from(MAX_CALL_EVENTS))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    let Some(first) = rows.first() else { return Ok(None) };
    let call = CallRecord::from(CallReadRow::read_at(first, 0).map_err(store_error)?);
    let events = rows
        .iter()
        .filter(|row| row.try_get_raw(CallReadRow::WIDTH).is_ok_and(|seq| !seq.is_null()))
        .map(|row| EventRow::read_at(row, CallReadRow::WIDTH).map(StoredEvent::from))
        .collect::<Result<_, _>>()
        .map_err(store_error)?;
    Ok(Some(CallDetail { call, events }))
}

pub(super) async fn voicemails(
    pool: &PgPool,
    app_id: AppId,
    f: &VoicemailFilter,
    limit: PageLimit,
    after: Option<VoicemailCursor>,
) -> Result<Page<Voicemail>, StoreError> {
    let query = sqlx::query_as::<_, VoicemailRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE app_id = $1
           AND ($2::bigint[] IS NULL OR target_id = ANY($2))
           AND ($3::timestamptz IS NULL OR sort_at >= $3)
           AND ($4::timestamptz IS NULL OR sort_at < $4)
           AND ($5::timestamptz IS NULL OR (sort_at, id) < ($5, $6))
         ORDER BY sort_at DESC, id DESC LIMIT $7"
    )))
    .bind(app_id.as_uuid())
    .bind(f.target_users.as_ref())
    .bind(f.since)
    .bind(f.until)
    .bind(after.map(|a| a.sort_at))
    .bind(after.map(|a| a.id))
    .bind(limit.probe());
    Ok(Page::from_probe(collect(query.fetch(pool), limit).await?, limit))
}

pub(super) async fn voicemail(pool: &PgPool, app_id: AppId, id: Uuid) -> Result<Option<Voicemail>, StoreError> {
    let row: Option<VoicemailRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE app_id = $1 AND id = $2"
    )))
    .bind(app_id.as_uuid())
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    Ok(row.map(Voicemail::from))
}

pub(super) async fn unrouted(
    pool: &PgPool,
    limit: PageLimit,
    before: Option<i64>,
) -> Result<Page<UnroutedEvent>, StoreError> {
    let rows: Vec<UnroutedRow> = sqlx::query_as(
        "SELECT id, kind, target_id, payload, payload_exact, received_at FROM unrouted_events
         WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit.probe())
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    Ok(Page::from_probe(rows.into_iter().map(UnroutedEvent::from).collect(), limit))
}

/// A page's rows in their domain form, converted as they arrive into a vector sized for
/// the page (`fetch_all` grows one by doubling, copying rows of ~600 bytes each time).
async fn collect<Row, Item: From<Row>>(
    mut rows: impl Stream<Item = Result<Row, sqlx::Error>> + Unpin,
    limit: PageLimit,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(usize::try_from(limit.probe()).unwrap_or_default());
    while let Some(row) = rows.try_next().await.map_err(store_error)? {
        items.push(Item::from(row));
    }
    Ok(items)
}
