//! Appending a batch of events for one app in one transaction: lock the app's sequence
//! row, skip dedup keys already stored, insert the rest with consecutive sequence numbers,
//! fold them into their calls and voicemails, commit. A few round trips per batch, whatever
//! its size: this is what lets one busy app's events be written at the rate they arrive.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::rows::{CALL_COLUMNS, CallRow, VOICEMAIL_COLUMNS, VoicemailRow, party_json};
use crate::adapters::postgres::error::store_error;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord, EventSeq};
use crate::domain::voicemail::{self, Voicemail, VoicemailNotice};
use crate::ports::{Appended, IncomingEvent, StoreError, StoredEvent};

pub(super) async fn append(pool: &PgPool, app_id: AppId, batch: &[IncomingEvent]) -> Result<Vec<Appended>, StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    // Taking the row lock serializes this app's appends until commit.
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO app_sequences (app_id, last_seq) VALUES ($1, 0)
         ON CONFLICT (app_id) DO UPDATE SET last_seq = app_sequences.last_seq RETURNING last_seq",
    )
    .bind(app_id.as_uuid())
    .fetch_one(&mut *tx)
    .await
    .map_err(store_error)?;
    let keys: Vec<&str> = batch.iter().map(|e| e.dedup_key.as_str()).collect();
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT dedup_key FROM events WHERE app_id = $1 AND dedup_key = ANY($2)")
            .bind(app_id.as_uuid())
            .bind(&keys)
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;

    let mut seen: HashSet<&str> = existing.iter().map(String::as_str).collect();
    let mut results = Vec::with_capacity(batch.len());
    let mut fresh: Vec<(&IncomingEvent, StoredEvent)> = Vec::new();
    let mut seq = last;
    for incoming in batch {
        if seen.insert(incoming.dedup_key.as_str()) {
            seq += 1;
            let stored = incoming.stored(app_id, seq);
            results.push(Appended::Stored(stored.clone()));
            fresh.push((incoming, stored));
        } else {
            results.push(Appended::Duplicate);
        }
    }
    if fresh.is_empty() {
        tx.rollback().await.map_err(store_error)?;
        return Ok(results);
    }

    insert_events(&mut tx, app_id, &fresh).await?;
    fold_calls(&mut tx, app_id, &fresh).await?;
    fold_voicemails(&mut tx, app_id, &fresh).await?;
    sqlx::query("UPDATE app_sequences SET last_seq = $2 WHERE app_id = $1")
        .bind(app_id.as_uuid())
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    Ok(results)
}

async fn insert_events(
    conn: &mut PgConnection,
    app_id: AppId,
    fresh: &[(&IncomingEvent, StoredEvent)],
) -> Result<(), StoreError> {
    let column = |f: fn(&(&IncomingEvent, StoredEvent)) -> Option<i64>| fresh.iter().map(f).collect::<Vec<_>>();
    let seqs: Vec<i64> = fresh.iter().map(|(_, s)| s.seq).collect();
    let keys: Vec<&str> = fresh.iter().map(|(i, _)| i.dedup_key.as_str()).collect();
    let kinds: Vec<&str> = fresh.iter().map(|(_, s)| s.kind.as_str()).collect();
    let states: Vec<Option<&str>> = fresh.iter().map(|(_, s)| s.state.as_deref()).collect();
    let payloads: Vec<&Value> = fresh.iter().map(|(_, s)| &s.payload).collect();
    let received: Vec<DateTime<Utc>> = fresh.iter().map(|(_, s)| s.received_at).collect();
    sqlx::query(
        "INSERT INTO events (app_id, seq, dedup_key, kind, call_id, state, event_timestamp, target_id, payload, received_at)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[],
                                  $8::bigint[], $9::jsonb[], $10::timestamptz[])",
    )
    .bind(app_id.as_uuid())
    .bind(&seqs)
    .bind(&keys)
    .bind(&kinds)
    .bind(column(|(_, s)| s.call_id))
    .bind(&states)
    .bind(column(|(_, s)| s.event_timestamp_ms))
    .bind(column(|(_, s)| s.target_id))
    .bind(&payloads)
    .bind(&received)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

async fn fold_calls(
    conn: &mut PgConnection,
    app_id: AppId,
    fresh: &[(&IncomingEvent, StoredEvent)],
) -> Result<(), StoreError> {
    let events: Vec<(CallId, &crate::domain::webhook::CallEvent, EventSeq, i64)> = fresh
        .iter()
        .filter_map(|(incoming, stored)| {
            let call = incoming.event.call.as_ref()?;
            Some((call.call_id?, call, stored.seq, stored.received_at.timestamp_millis()))
        })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<CallId> = events.iter().map(|e| e.0).collect::<HashSet<_>>().into_iter().collect();
    let rows: Vec<CallRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE app_id = $1 AND call_id = ANY($2)"
    )))
    .bind(app_id.as_uuid())
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let mut calls: HashMap<CallId, CallRecord> =
        rows.into_iter().map(CallRecord::from).map(|c| (c.call_id, c)).collect();
    for (id, call, seq, received_ms) in events {
        match calls.get_mut(&id) {
            Some(record) => record.apply(call, seq, received_ms),
            None => {
                if let Some(record) = CallRecord::start(call, seq, received_ms) {
                    calls.insert(id, record);
                }
            }
        }
    }
    upsert_calls(conn, app_id, calls.values().collect()).await
}

async fn upsert_calls(conn: &mut PgConnection, app_id: AppId, calls: Vec<&CallRecord>) -> Result<(), StoreError> {
    let opt = |f: fn(&CallRecord) -> Option<i64>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let text = |f: fn(&CallRecord) -> Option<&str>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let time = |f: fn(&CallRecord) -> Option<DateTime<Utc>>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let int = |f: fn(&CallRecord) -> i64| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO calls (app_id, call_id, state, state_at, ended, direction, external_number, internal_number,
             target, contact, target_user_id, master_call_id, entry_point_call_id, operator_call_id, started_at,
             rang_at, connected_at, ended_at, duration_ms, was_recorded, last_event_at, event_count, last_seq)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[],
             $8::text[], $9::jsonb[], $10::jsonb[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
             $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::bigint[],
             $20::bool[], $21::bigint[], $22::bigint[], $23::bigint[])
         ON CONFLICT (app_id, call_id) DO UPDATE SET state = EXCLUDED.state, state_at = EXCLUDED.state_at,
             ended = EXCLUDED.ended, direction = EXCLUDED.direction, external_number = EXCLUDED.external_number,
             internal_number = EXCLUDED.internal_number, target = EXCLUDED.target, contact = EXCLUDED.contact,
             target_user_id = EXCLUDED.target_user_id, master_call_id = EXCLUDED.master_call_id,
             entry_point_call_id = EXCLUDED.entry_point_call_id, operator_call_id = EXCLUDED.operator_call_id,
             started_at = EXCLUDED.started_at, rang_at = EXCLUDED.rang_at, connected_at = EXCLUDED.connected_at,
             ended_at = EXCLUDED.ended_at, duration_ms = EXCLUDED.duration_ms, was_recorded = EXCLUDED.was_recorded,
             last_event_at = EXCLUDED.last_event_at, event_count = EXCLUDED.event_count, last_seq = EXCLUDED.last_seq",
    )
    .bind(app_id.as_uuid())
    .bind(int(|c| c.call_id))
    .bind(calls.iter().map(|c| c.state.as_str()).collect::<Vec<_>>())
    .bind(int(|c| c.state_at_ms))
    .bind(calls.iter().map(|c| c.ended).collect::<Vec<_>>())
    .bind(text(|c| c.direction.as_ref().map(|d| d.as_str())))
    .bind(text(|c| c.external_number.as_deref()))
    .bind(text(|c| c.internal_number.as_deref()))
    .bind(calls.iter().map(|c| party_json(&c.target)).collect::<Vec<_>>())
    .bind(calls.iter().map(|c| party_json(&c.contact)).collect::<Vec<_>>())
    .bind(opt(CallRecord::target_user_id))
    .bind(opt(|c| c.master_call_id))
    .bind(opt(|c| c.entry_point_call_id))
    .bind(opt(|c| c.operator_call_id))
    .bind(calls.iter().map(|c| c.started_at).collect::<Vec<_>>())
    .bind(time(|c| c.rang_at))
    .bind(time(|c| c.connected_at))
    .bind(time(|c| c.ended_at))
    .bind(opt(|c| c.duration_ms))
    .bind(calls.iter().map(|c| c.was_recorded).collect::<Vec<_>>())
    .bind(int(|c| c.last_event_at_ms))
    .bind(int(|c| c.event_count))
    .bind(int(|c| c.last_seq))
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

async fn fold_voicemails(
    conn: &mut PgConnection,
    app_id: AppId,
    fresh: &[(&IncomingEvent, StoredEvent)],
) -> Result<(), StoreError> {
    let notices: Vec<(VoicemailNotice, EventSeq, DateTime<Utc>)> = fresh
        .iter()
        .filter_map(|(incoming, stored)| {
            let notice = VoicemailNotice::from_call_event(incoming.event.call.as_ref()?)?;
            Some((notice, stored.seq, stored.received_at))
        })
        .collect();
    if notices.is_empty() {
        return Ok(());
    }
    let call_ids: Vec<i64> = notices.iter().filter_map(|(n, ..)| n.call_id).collect();
    let recordings: Vec<&str> = notices.iter().filter_map(|(n, ..)| n.recording_id.as_deref()).collect();
    let links: Vec<&str> = notices.iter().filter_map(|(n, ..)| n.link.as_deref()).collect();
    let callers: Vec<&str> = notices.iter().filter_map(|(n, ..)| n.caller.as_deref()).collect();
    let rows: Vec<VoicemailRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE app_id = $1 AND (call_id = ANY($2)
             OR recording_id = ANY($3) OR link = ANY($4) OR (call_id IS NULL AND caller = ANY($5)))"
    )))
    .bind(app_id.as_uuid())
    .bind(&call_ids)
    .bind(&recordings)
    .bind(&links)
    .bind(&callers)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let mut known: Vec<Voicemail> = rows.into_iter().map(Voicemail::from).collect();
    let mut changed = HashSet::new();
    for (notice, seq, at) in &notices {
        changed.insert(voicemail::fold(&mut known, notice, *seq, *at, Uuid::new_v4()));
    }
    let changed: Vec<&Voicemail> = changed.into_iter().map(|i| &known[i]).collect();
    upsert_voicemails(conn, app_id, changed).await
}

async fn upsert_voicemails(conn: &mut PgConnection, app_id: AppId, vms: Vec<&Voicemail>) -> Result<(), StoreError> {
    let text = |f: fn(&Voicemail) -> Option<&str>| vms.iter().map(|v| f(v)).collect::<Vec<_>>();
    let opt = |f: fn(&Voicemail) -> Option<i64>| vms.iter().map(|v| f(v)).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO voicemails (app_id, id, call_id, recording_id, link, caller, callee, started_at, duration_ms,
             transcription, target_id, uploaded, created_at, updated_at, last_seq, sort_at)
         SELECT $1, * FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::timestamptz[], $9::bigint[], $10::text[], $11::bigint[], $12::bool[], $13::timestamptz[],
             $14::timestamptz[], $15::bigint[], $16::timestamptz[])
         ON CONFLICT (id) DO UPDATE SET call_id = EXCLUDED.call_id, recording_id = EXCLUDED.recording_id,
             link = EXCLUDED.link, caller = EXCLUDED.caller, callee = EXCLUDED.callee,
             started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms,
             transcription = EXCLUDED.transcription, target_id = EXCLUDED.target_id,
             uploaded = EXCLUDED.uploaded, updated_at = EXCLUDED.updated_at, last_seq = EXCLUDED.last_seq,
             sort_at = EXCLUDED.sort_at",
    )
    .bind(app_id.as_uuid())
    .bind(vms.iter().map(|v| v.id).collect::<Vec<_>>())
    .bind(opt(|v| v.call_id))
    .bind(text(|v| v.recording_id.as_deref()))
    .bind(text(|v| v.link.as_deref()))
    .bind(text(|v| v.caller.as_deref()))
    .bind(text(|v| v.callee.as_deref()))
    .bind(vms.iter().map(|v| v.started_at).collect::<Vec<_>>())
    .bind(opt(|v| v.duration_ms))
    .bind(text(|v| v.transcription.as_deref()))
    .bind(opt(|v| v.target_id))
    .bind(vms.iter().map(|v| v.uploaded).collect::<Vec<_>>())
    .bind(vms.iter().map(|v| v.created_at).collect::<Vec<_>>())
    .bind(vms.iter().map(|v| v.updated_at).collect::<Vec<_>>())
    .bind(vms.iter().map(|v| v.last_seq).collect::<Vec<_>>())
    .bind(vms.iter().map(|v| v.sort_at()).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(super) async fn append_unrouted(pool: &PgPool, incoming: &IncomingEvent) -> Result<bool, StoreError> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO unrouted_events (dedup_key, kind, target_id, payload, received_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(&incoming.dedup_key)
    .bind(incoming.event.kind.as_str())
    .bind(incoming.event.target_id)
    .bind(&incoming.event.raw)
    .bind(incoming.received_at)
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    Ok(inserted.is_some())
}
