//! Appending a batch of events, possibly for several apps, in one transaction of four round
//! trips whatever its size: BEGIN; lock the apps' sequence rows (in app-id order, so
//! instances never deadlock) and, in the same statement, read the dedup keys already stored
//! and the calls concerned; fold in the domain; write events, calls, voicemails and
//! sequences in one statement; COMMIT. This is what lets events be written at the rate they
//! arrive.
//!
//! The read shares the lock's statement, so it sees the snapshot taken before the lock was
//! granted. If another transaction committed events for one of these apps meanwhile, the
//! locked sequence differs from the snapshot's, and the read is done again, after the lock.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::rows::{CALL_COLUMNS, CallReadRow, VOICEMAIL_COLUMNS, VoicemailRow};
use super::write::{Changes, write};
use crate::adapters::postgres::error::store_error;
use crate::domain::app::AppId;
use crate::domain::call::{self, CallId, CallRecord, EventSeq};
use crate::domain::voicemail::{self, Voicemail, VoicemailNotice};
use crate::ports::{Appended, IncomingEvent, StoreError, StoredEvent};

/// A new event of the batch: what arrived and how it is stored.
pub(super) type Fresh<'a> = (&'a IncomingEvent, StoredEvent);

pub(super) async fn append(pool: &PgPool, batch: &[(AppId, IncomingEvent)]) -> Result<Vec<Appended>, StoreError> {
    let apps: Vec<Uuid> = batch.iter().map(|(app, _)| app.as_uuid()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut tx = pool.begin().await.map_err(store_error)?;
    let Read { last, mut existing, mut calls, stale } = read(&mut tx, batch, Some(&apps)).await?;
    if stale {
        let again = read(&mut tx, batch, None).await?;
        (existing, calls) = (again.existing, again.calls);
    }

    let mut seqs: BTreeMap<Uuid, EventSeq> = last.into_iter().map(|(app, seq)| (app, EventSeq::new(seq))).collect();
    let mut seen: HashSet<(Uuid, &str)> = existing.iter().map(|(app, key)| (*app, key.as_str())).collect();
    let mut results = Vec::with_capacity(batch.len());
    let mut fresh: Vec<Fresh<'_>> = Vec::new();
    for (app_id, incoming) in batch {
        let app = app_id.as_uuid();
        if seen.insert((app, incoming.dedup_key.as_str())) {
            let seq = seqs.get_mut(&app).expect("every app of the batch was locked");
            *seq = seq.next();
            let stored = incoming.stored(*app_id, *seq);
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

    let changed_calls = fold_calls(&mut calls, &fresh);
    let voicemails = fold_voicemails(&mut tx, &fresh).await?;
    write(
        &mut tx,
        Changes { fresh: &fresh, calls: changed_calls, voicemails: voicemails.iter().collect(), seqs: &seqs },
    )
    .await?;
    tx.commit().await.map_err(store_error)?;
    Ok(results)
}

/// What is stored already, as far as the batch is concerned.
struct Read {
    /// Each app's last sequence number, locked (only when the read took the locks).
    last: Vec<(Uuid, i64)>,
    existing: Vec<(Uuid, String)>,
    calls: HashMap<(Uuid, CallId), CallRecord>,
    /// Events were committed for these apps between the snapshot and the lock.
    stale: bool,
}

/// A row of the read: a locked sequence (locked, seen), a stored dedup key, or a stored call.
type ReadRow = (Uuid, Option<i64>, Option<i64>, Option<String>, Option<Json<CallReadRow>>);

/// One round trip: with `lock`, takes the apps' sequence locks; reads the batch's dedup keys
/// already stored and the stored calls its events concern.
async fn read(
    conn: &mut PgConnection,
    batch: &[(AppId, IncomingEvent)],
    lock: Option<&[Uuid]>,
) -> Result<Read, StoreError> {
    let call_keys: Vec<(Uuid, CallId)> = batch
        .iter()
        .filter_map(|(app, e)| Some((app.as_uuid(), e.event.call.as_ref()?.call_id?)))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<ReadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH locked AS (
             INSERT INTO app_sequences (app_id, last_seq) SELECT app, 0 FROM UNNEST($5::uuid[]) AS app
             ON CONFLICT (app_id) DO UPDATE SET last_seq = app_sequences.last_seq RETURNING app_id, last_seq)
         SELECT l.app_id, l.last_seq, COALESCE(s.last_seq, 0), NULL, NULL::jsonb
             FROM locked l LEFT JOIN app_sequences s ON s.app_id = l.app_id
         UNION ALL
         SELECT e.app_id, NULL, NULL, e.dedup_key, NULL FROM events e
             JOIN UNNEST($1::uuid[], $2::text[]) AS k(app, key) ON e.app_id = k.app AND e.dedup_key = k.key
         UNION ALL
         SELECT c.app_id, NULL, NULL, NULL, to_jsonb(c) FROM (SELECT app_id, {CALL_COLUMNS} FROM calls
             WHERE (app_id, call_id) IN (SELECT * FROM UNNEST($3::uuid[], $4::bigint[]))) c"
    )))
    .bind(batch.iter().map(|(app, _)| app.as_uuid()).collect::<Vec<_>>())
    .bind(batch.iter().map(|(_, e)| e.dedup_key.as_str()).collect::<Vec<_>>())
    .bind(call_keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(call_keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(lock.unwrap_or(&[]))
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    let mut read = Read { last: Vec::new(), existing: Vec::new(), calls: HashMap::new(), stale: false };
    for (app, locked, seen, key, call) in rows {
        match (locked, key, call) {
            (Some(locked), ..) => {
                read.stale |= Some(locked) != seen;
                read.last.push((app, locked));
            }
            (None, Some(key), _) => read.existing.push((app, key)),
            (None, None, Some(Json(row))) => {
                let call = CallRecord::from(row);
                read.calls.insert((app, call.call_id), call);
            }
            (None, None, None) => {}
        }
    }
    Ok(read)
}

/// Folds the new call events into their calls (the domain's state machine); the calls changed.
fn fold_calls<'c>(
    calls: &'c mut HashMap<(Uuid, CallId), CallRecord>,
    fresh: &[Fresh<'_>],
) -> Vec<(Uuid, &'c CallRecord)> {
    let mut changed = HashSet::new();
    for (incoming, stored) in fresh {
        let Some(call) = incoming.event.call.as_ref() else { continue };
        let Some(call_id) = call.call_id else { continue };
        let key = (stored.app_id.as_uuid(), call_id);
        call::fold(calls, key, call, stored.seq, stored.received_at.timestamp_millis());
        changed.insert(key);
    }
    calls.iter().filter(|(key, _)| changed.contains(*key)).map(|((app, _), c)| (*app, c)).collect()
}

/// Folds the batch's voicemail notices into the apps' voicemails (rare: one more round trip
/// only when the batch has any); the voicemails changed, with their app.
async fn fold_voicemails(conn: &mut PgConnection, fresh: &[Fresh<'_>]) -> Result<Vec<(Uuid, Voicemail)>, StoreError> {
    let notices: Vec<(Uuid, VoicemailNotice, EventSeq, DateTime<Utc>)> = fresh
        .iter()
        .filter_map(|(incoming, stored)| {
            let notice = incoming.event.call.as_ref().and_then(VoicemailNotice::from_call_event)?;
            Some((stored.app_id.as_uuid(), notice, stored.seq, stored.received_at))
        })
        .collect();
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let apps: Vec<Uuid> = notices.iter().map(|n| n.0).collect::<BTreeSet<_>>().into_iter().collect();
    let call_ids: Vec<CallId> = notices.iter().filter_map(|(_, n, ..)| n.call_id).collect();
    let recordings: Vec<&str> = notices.iter().filter_map(|(_, n, ..)| n.recording_id.as_deref()).collect();
    let links: Vec<&str> = notices.iter().filter_map(|(_, n, ..)| n.link.as_deref()).collect();
    let callers: Vec<&str> = notices.iter().filter_map(|(_, n, ..)| n.caller.as_deref()).collect();
    let rows: Vec<VoicemailRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE app_id = ANY($1) AND (call_id = ANY($2)
             OR recording_id = ANY($3) OR link = ANY($4) OR (call_id IS NULL AND caller = ANY($5)))"
    )))
    .bind(&apps)
    .bind(&call_ids)
    .bind(&recordings)
    .bind(&links)
    .bind(&callers)
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    let mut known: BTreeMap<Uuid, Vec<Voicemail>> = BTreeMap::new();
    for row in rows {
        known.entry(row.app_id).or_default().push(Voicemail::from(row));
    }
    let mut changed: BTreeSet<(Uuid, usize)> = BTreeSet::new();
    for (app, notice, seq, at) in &notices {
        let theirs = known.entry(*app).or_default();
        changed.insert((*app, voicemail::fold(theirs, notice, *seq, *at, Uuid::new_v4())));
    }
    Ok(changed.into_iter().map(|(app, i)| (app, known[&app][i].clone())).collect())
}

pub(super) async fn append_unrouted(pool: &PgPool, incoming: &IncomingEvent) -> Result<bool, StoreError> {
    let payload = super::exact::storable(&incoming.event.raw);
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO unrouted_events (dedup_key, kind, target_id, payload, payload_exact, received_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(&incoming.dedup_key)
    .bind(incoming.event.kind.as_str())
    .bind(incoming.event.target_id)
    .bind(payload.json.as_ref())
    .bind(payload.exact.as_deref())
    .bind(incoming.received_at)
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    Ok(inserted.is_some())
}
