//! The one statement that writes an append: new events, changed calls, changed voicemails
//! and the apps' new last sequence numbers, as data-modifying CTEs over UNNEST-ed arrays.
//! The statement's text depends only on which parts are present (four variants), so each
//! variant is built once per process and prepared once per connection.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

use super::append::Fresh;
use super::exact::{self, Storable};
use super::rows::party_json;
use crate::adapters::postgres::error::store_error;
use crate::domain::call::{CallRecord, EventSeq};
use crate::domain::voicemail::Voicemail;
use crate::domain::webhook::CallState;
use crate::ports::StoreError;

/// Everything one append changes.
pub(super) struct Changes<'a> {
    pub fresh: &'a [Fresh<'a>],
    pub calls: Vec<(Uuid, &'a CallRecord)>,
    pub voicemails: Vec<&'a (Uuid, Voicemail)>,
    pub seqs: &'a BTreeMap<Uuid, EventSeq>,
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

/// Declares a table's written columns once, each with its array type and its value, in one
/// order: the column names, the placeholder types and the binds all come from this list, so
/// a column cannot be bound to another's place.
macro_rules! columns {
    (
        $(#[$doc:meta])*
        fn $bind:ident($row:ty) -> ($names:ident, $types:ident) {
            $($column:ident : $sql:literal = |$r:ident| $value:expr;)+
        }
    ) => {
        const $names: &[&str] = &[$(stringify!($column)),+];
        const $types: &[&str] = &[$($sql),+];
        $(#[$doc])*
        fn $bind<'q>(query: Q<'q>, rows: &'q [$row]) -> Q<'q> {
            query $(.bind(rows.iter().map(|$r| $value).collect::<Vec<_>>()))+
        }
    };
}

/// An event row: the event, and its payload as storable.
type EventRow<'q> = (&'q Fresh<'q>, &'q Storable<'q>);

columns! {
    /// Binds the new events.
    fn bind_events(EventRow<'q>) -> (EVENT_COLUMNS, EVENT_TYPES) {
        app_id: "uuid" = |r| r.0.1.app_id.as_uuid();
        seq: "bigint" = |r| r.0.1.seq;
        dedup_key: "text" = |r| r.0.0.dedup_key.as_str();
        kind: "text" = |r| r.0.1.kind.as_str();
        call_id: "bigint" = |r| r.0.1.call_id;
        state: "text" = |r| r.0.1.state.as_ref().map(CallState::as_str);
        event_timestamp: "bigint" = |r| r.0.1.event_timestamp_ms;
        target_id: "bigint" = |r| r.0.1.target_id;
        payload: "jsonb" = |r| r.1.json.as_ref();
        payload_exact: "bytea" = |r| r.1.exact.as_deref();
        received_at: "timestamptz" = |r| r.0.1.received_at;
    }
}

columns! {
    /// Binds the changed calls (app id, call).
    fn bind_calls((Uuid, &'q CallRecord)) -> (CALL_COLUMNS, CALL_TYPES) {
        app_id: "uuid" = |r| r.0;
        call_id: "bigint" = |r| r.1.call_id;
        state: "text" = |r| r.1.state.as_str();
        state_at: "bigint" = |r| r.1.state_at_ms;
        ended: "bool" = |r| r.1.ended;
        direction: "text" = |r| r.1.direction.as_ref().map(|d| d.as_str());
        external_number: "text" = |r| r.1.external_number.as_deref();
        internal_number: "text" = |r| r.1.internal_number.as_deref();
        target: "jsonb" = |r| party_json(&r.1.target);
        contact: "jsonb" = |r| party_json(&r.1.contact);
        target_user_id: "bigint" = |r| r.1.target_user_id();
        master_call_id: "bigint" = |r| r.1.master_call_id;
        entry_point_call_id: "bigint" = |r| r.1.entry_point_call_id;
        operator_call_id: "bigint" = |r| r.1.operator_call_id;
        started_at: "timestamptz" = |r| r.1.started_at;
        rang_at: "timestamptz" = |r| r.1.rang_at;
        connected_at: "timestamptz" = |r| r.1.connected_at;
        ended_at: "timestamptz" = |r| r.1.ended_at;
        duration_ms: "bigint" = |r| r.1.duration_ms;
        was_recorded: "bool" = |r| r.1.was_recorded;
        last_event_at: "bigint" = |r| r.1.last_event_at_ms;
        event_count: "bigint" = |r| r.1.event_count;
        last_seq: "bigint" = |r| r.1.last_seq;
    }
}

columns! {
    /// Binds the changed voicemails (app id, voicemail).
    fn bind_voicemails(&'q (Uuid, Voicemail)) -> (VOICEMAIL_COLUMNS, VOICEMAIL_TYPES) {
        app_id: "uuid" = |r| r.0;
        id: "uuid" = |r| r.1.id;
        call_id: "bigint" = |r| r.1.call_id;
        recording_id: "text" = |r| r.1.recording_id.as_deref();
        link: "text" = |r| r.1.link.as_deref();
        caller: "text" = |r| r.1.caller.as_deref();
        callee: "text" = |r| r.1.callee.as_deref();
        started_at: "timestamptz" = |r| r.1.started_at;
        duration_ms: "bigint" = |r| r.1.duration_ms;
        transcription: "text" = |r| r.1.transcription.as_deref();
        target_id: "bigint" = |r| r.1.target_id;
        uploaded: "bool" = |r| r.1.uploaded;
        created_at: "timestamptz" = |r| r.1.created_at;
        updated_at: "timestamptz" = |r| r.1.updated_at;
        last_seq: "bigint" = |r| r.1.last_seq;
        sort_at: "timestamptz" = |r| r.1.sort_at();
    }
}

/// What a conflicting row does: nothing can conflict, or the row is updated, every column
/// but the `kept` ones (the key, and what never changes after the insert).
enum OnConflict<'a> {
    Never,
    Update { key: &'a [&'a str], kept: &'a [&'a str] },
}

/// `INSERT INTO table (columns) SELECT * FROM UNNEST(placeholders)`, with its conflict rule.
fn upsert(table: &str, columns: &[&str], types: &[&str], conflict: OnConflict<'_>, p: &mut Placeholders) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) SELECT * FROM UNNEST({})", columns.join(", "), p.take(types));
    if let OnConflict::Update { key, kept } = conflict {
        let updates: Vec<String> =
            columns.iter().filter(|c| !kept.contains(c)).map(|c| format!("{c} = EXCLUDED.{c}")).collect();
        sql += &format!(" ON CONFLICT ({}) DO UPDATE SET {}", key.join(", "), updates.join(", "));
    }
    sql
}

fn sql(calls: bool, voicemails: bool) -> String {
    let mut p = Placeholders(0);
    let events = upsert("events", EVENT_COLUMNS, EVENT_TYPES, OnConflict::Never, &mut p);
    let mut sql = format!("WITH new_events AS ({events})");
    if calls {
        let key = &["app_id", "call_id"];
        let calls = upsert("calls", CALL_COLUMNS, CALL_TYPES, OnConflict::Update { key, kept: key }, &mut p);
        sql += &format!(", changed_calls AS ({calls})");
    }
    if voicemails {
        let conflict = OnConflict::Update { key: &["id"], kept: &["app_id", "id", "created_at"] };
        let voicemails = upsert("voicemails", VOICEMAIL_COLUMNS, VOICEMAIL_TYPES, conflict, &mut p);
        sql += &format!(", changed_voicemails AS ({voicemails})");
    }
    sql + &format!(
        " UPDATE app_sequences SET last_seq = s.last FROM UNNEST({}) AS s(app, last) WHERE app_sequences.app_id = s.app",
        p.take(&["uuid", "bigint"])
    )
}

/// The statement for the parts present, built on first use (a few hundred small
/// allocations that an append of one event would otherwise pay every time).
fn statement(calls: bool, voicemails: bool) -> &'static str {
    static VARIANTS: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    VARIANTS[usize::from(calls) | usize::from(voicemails) << 1].get_or_init(|| sql(calls, voicemails))
}

pub(super) async fn write(conn: &mut PgConnection, c: Changes<'_>) -> Result<(), StoreError> {
    let text = statement(!c.calls.is_empty(), !c.voicemails.is_empty());
    let payloads: Vec<Storable<'_>> = c.fresh.iter().map(|(_, s)| exact::storable(&s.payload)).collect();
    let events: Vec<EventRow<'_>> = c.fresh.iter().zip(&payloads).collect();
    let mut query = bind_events(sqlx::query(sqlx::AssertSqlSafe(text)), &events);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_one_type_and_conflicts_update_every_other_column() {
        assert_eq!(EVENT_COLUMNS.len(), EVENT_TYPES.len());
        assert_eq!(CALL_COLUMNS.len(), CALL_TYPES.len());
        assert_eq!(VOICEMAIL_COLUMNS.len(), VOICEMAIL_TYPES.len());
        let all = sql(true, true);
        assert!(all.contains("ON CONFLICT (app_id, call_id) DO UPDATE SET state = EXCLUDED.state"), "{all}");
        assert!(!all.contains("call_id = EXCLUDED.call_id, state"), "keys are not updated: {all}");
        assert!(all.contains("ON CONFLICT (id) DO UPDATE SET call_id = EXCLUDED.call_id"), "{all}");
        assert!(!all.contains("created_at = EXCLUDED"), "a voicemail keeps its creation time: {all}");
        assert!(all.contains("sort_at = EXCLUDED.sort_at) UPDATE"), "{all}");
    }

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

    #[test]
    fn each_variant_is_its_own_statement() {
        for (calls, voicemails) in [(false, false), (true, false), (false, true), (true, true)] {
            assert_eq!(statement(calls, voicemails), sql(calls, voicemails));
        }
    }
}
