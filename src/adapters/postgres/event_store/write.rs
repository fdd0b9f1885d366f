//! The one statement that writes an append: new events, changed calls, changed voicemails
//! and the apps' new last sequence numbers, as data-modifying CTEs over UNNEST-ed arrays.
//! The statement's text depends only on which parts are present (four variants), so each
//! variant is prepared once per connection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

use super::append::Fresh;
use super::exact::{self, Storable};
use super::rows::party_json;
use crate::adapters::postgres::error::store_error;
use crate::domain::call::CallRecord;
use crate::domain::voicemail::Voicemail;
use crate::ports::StoreError;

/// Everything one append changes.
pub(super) struct Changes<'a> {
    pub fresh: &'a [Fresh<'a>],
    pub calls: Vec<(Uuid, &'a CallRecord)>,
    pub voicemails: Vec<&'a (Uuid, Voicemail)>,
    pub seqs: &'a BTreeMap<Uuid, i64>,
}

type Q<'q> = Query<'q, Postgres, PgArguments>;

/// Numbered, typed placeholders: `$n::type`.
struct Placeholders(usize);

impl Placeholders {
    fn take(&mut self, types: &[&str]) -> String {
        types
            .iter()
            .map(|t| {
                self.0 += 1;
                format!("${}::{t}[]", self.0)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const EVENT_TYPES: [&str; 11] =
    ["uuid", "bigint", "text", "text", "bigint", "text", "bigint", "bigint", "jsonb", "bytea", "timestamptz"];
const CALL_TYPES: [&str; 23] = [
    "uuid",
    "bigint",
    "text",
    "bigint",
    "bool",
    "text",
    "text",
    "text",
    "jsonb",
    "jsonb",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "bigint",
    "bool",
    "bigint",
    "bigint",
    "bigint",
];
const VOICEMAIL_TYPES: [&str; 16] = [
    "uuid",
    "uuid",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "bigint",
    "text",
    "bigint",
    "bool",
    "timestamptz",
    "timestamptz",
    "bigint",
    "timestamptz",
];

fn sql(calls: bool, voicemails: bool) -> String {
    let mut p = Placeholders(0);
    let mut sql = format!(
        "WITH new_events AS (
             INSERT INTO events (app_id, seq, dedup_key, kind, call_id, state, event_timestamp, target_id, payload,
                 payload_exact, received_at)
             SELECT * FROM UNNEST({}))",
        p.take(&EVENT_TYPES)
    );
    if calls {
        sql += &format!(
            ", changed_calls AS (
             INSERT INTO calls (app_id, call_id, state, state_at, ended, direction, external_number, internal_number,
                 target, contact, target_user_id, master_call_id, entry_point_call_id, operator_call_id, started_at,
                 rang_at, connected_at, ended_at, duration_ms, was_recorded, last_event_at, event_count, last_seq)
             SELECT * FROM UNNEST({})
             ON CONFLICT (app_id, call_id) DO UPDATE SET state = EXCLUDED.state, state_at = EXCLUDED.state_at,
                 ended = EXCLUDED.ended, direction = EXCLUDED.direction, external_number = EXCLUDED.external_number,
                 internal_number = EXCLUDED.internal_number, target = EXCLUDED.target, contact = EXCLUDED.contact,
                 target_user_id = EXCLUDED.target_user_id, master_call_id = EXCLUDED.master_call_id,
                 entry_point_call_id = EXCLUDED.entry_point_call_id, operator_call_id = EXCLUDED.operator_call_id,
                 started_at = EXCLUDED.started_at, rang_at = EXCLUDED.rang_at, connected_at = EXCLUDED.connected_at,
                 ended_at = EXCLUDED.ended_at, duration_ms = EXCLUDED.duration_ms, was_recorded = EXCLUDED.was_recorded,
                 last_event_at = EXCLUDED.last_event_at, event_count = EXCLUDED.event_count, last_seq = EXCLUDED.last_seq)",
            p.take(&CALL_TYPES)
        );
    }
    if voicemails {
        sql += &format!(
            ", changed_voicemails AS (
             INSERT INTO voicemails (app_id, id, call_id, recording_id, link, caller, callee, started_at, duration_ms,
                 transcription, target_id, uploaded, created_at, updated_at, last_seq, sort_at)
             SELECT * FROM UNNEST({})
             ON CONFLICT (id) DO UPDATE SET call_id = EXCLUDED.call_id, recording_id = EXCLUDED.recording_id,
                 link = EXCLUDED.link, caller = EXCLUDED.caller, callee = EXCLUDED.callee,
                 started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms,
                 transcription = EXCLUDED.transcription, target_id = EXCLUDED.target_id,
                 uploaded = EXCLUDED.uploaded, updated_at = EXCLUDED.updated_at, last_seq = EXCLUDED.last_seq,
                 sort_at = EXCLUDED.sort_at)",
            p.take(&VOICEMAIL_TYPES)
        );
    }
    sql + &format!(
        " UPDATE app_sequences SET last_seq = s.last FROM UNNEST({}) AS s(app, last) WHERE app_sequences.app_id = s.app",
        p.take(&["uuid", "bigint"])
    )
}

pub(super) async fn write(conn: &mut PgConnection, c: Changes<'_>) -> Result<(), StoreError> {
    let text = sql(!c.calls.is_empty(), !c.voicemails.is_empty());
    let payloads: Vec<Storable<'_>> = c.fresh.iter().map(|(_, s)| exact::storable(&s.payload)).collect();
    let mut query = bind_events(sqlx::query(sqlx::AssertSqlSafe(text)), c.fresh, &payloads);
    if !c.calls.is_empty() {
        query = bind_calls(query, &c.calls);
    }
    if !c.voicemails.is_empty() {
        query = bind_voicemails(query, &c.voicemails);
    }
    query
        .bind(c.seqs.keys().copied().collect::<Vec<_>>())
        .bind(c.seqs.values().copied().collect::<Vec<_>>())
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

fn bind_events<'q>(query: Q<'q>, fresh: &'q [Fresh<'q>], payloads: &'q [Storable<'q>]) -> Q<'q> {
    let ints = |f: fn(&Fresh<'_>) -> Option<i64>| fresh.iter().map(f).collect::<Vec<_>>();
    query
        .bind(fresh.iter().map(|(_, s)| s.app_id.as_uuid()).collect::<Vec<_>>())
        .bind(fresh.iter().map(|(_, s)| s.seq).collect::<Vec<_>>())
        .bind(fresh.iter().map(|(i, _)| i.dedup_key.as_str()).collect::<Vec<_>>())
        .bind(fresh.iter().map(|(_, s)| s.kind.as_str()).collect::<Vec<_>>())
        .bind(ints(|(_, s)| s.call_id))
        .bind(fresh.iter().map(|(_, s)| s.state.as_deref()).collect::<Vec<_>>())
        .bind(ints(|(_, s)| s.event_timestamp_ms))
        .bind(ints(|(_, s)| s.target_id))
        .bind(payloads.iter().map(|p| p.json.as_ref()).collect::<Vec<&Value>>())
        .bind(payloads.iter().map(|p| p.exact.as_deref()).collect::<Vec<Option<&[u8]>>>())
        .bind(fresh.iter().map(|(_, s)| s.received_at).collect::<Vec<DateTime<Utc>>>())
}

fn bind_calls<'q>(query: Q<'q>, rows: &[(Uuid, &'q CallRecord)]) -> Q<'q> {
    let calls: Vec<&CallRecord> = rows.iter().map(|(_, c)| *c).collect();
    let opt = |f: fn(&CallRecord) -> Option<i64>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let text = |f: fn(&'q CallRecord) -> Option<&'q str>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let time = |f: fn(&CallRecord) -> Option<DateTime<Utc>>| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    let int = |f: fn(&CallRecord) -> i64| calls.iter().map(|c| f(c)).collect::<Vec<_>>();
    query
        .bind(rows.iter().map(|(app, _)| *app).collect::<Vec<_>>())
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
}

fn bind_voicemails<'q>(query: Q<'q>, rows: &[&'q (Uuid, Voicemail)]) -> Q<'q> {
    let vms: Vec<&'q Voicemail> = rows.iter().map(|(_, v)| v).collect();
    let text = |f: fn(&'q Voicemail) -> Option<&'q str>| vms.iter().map(|v| f(v)).collect::<Vec<_>>();
    let opt = |f: fn(&Voicemail) -> Option<i64>| vms.iter().map(|v| f(v)).collect::<Vec<_>>();
    query
        .bind(rows.iter().map(|(app, _)| *app).collect::<Vec<_>>())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_the_parts_present() {
        let all = sql(true, true);
        assert!(all.contains("$1::uuid[]") && all.contains("$11::timestamptz[]"));
        assert!(all.contains("$12::uuid[], $13::bigint[]"), "calls follow the events");
        assert!(all.contains("$51::uuid[], $52::bigint[]) AS s(app, last)"), "sequences come last");
        let events_only = sql(false, false);
        assert!(events_only.contains("$12::uuid[], $13::bigint[]) AS s(app, last)"));
        assert!(!events_only.contains("changed_calls") && !events_only.contains("changed_voicemails"));
    }
}
