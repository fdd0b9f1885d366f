//! Rows of `events`, `calls`, `voicemails` and `unrouted_events`, and their domain forms.

use serde_json::{Value, json};
use uuid::Uuid;

use super::exact::{restored, restored_text};
use crate::adapters::postgres::time::PgTime;
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord, EventSeq};
use crate::domain::user_mapping::DialpadUserId;
use crate::domain::voicemail::Voicemail;
use crate::domain::webhook::{CallState, Direction, EventKind, Party};
use crate::ports::{PayloadJson, StoredEvent, UnroutedEvent};

/// A column's SQL: its name, or the expression given for it named as the field (so the
/// row also reads back from `to_jsonb` of a select of these columns).
macro_rules! column {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $sql:literal) => {
        concat!($sql, " AS ", stringify!($field))
    };
}

/// A row read by position: the struct, its column list in the same order, and a `FromRow`
/// that reads column `i` into field `i`, so the list and the reads cannot drift and no
/// column is looked up by name (a hash lookup per column per row otherwise). Columns are
/// decoded without sqlx's per-value type check (a third of a page's decoding): the field
/// types are the schema's, and the event store contract tests read every one of these
/// rows from PostgreSQL.
macro_rules! positional_row {
    ($(#[$meta:meta])* $name:ident, $columns:ident {
        $first:ident: $first_ty:ty $(=> $first_sql:literal)? $(, $field:ident: $ty:ty $(=> $sql:literal)?)* $(,)?
    }) => {
        $(#[$meta])*
        pub(super) struct $name {
            pub(super) $first: $first_ty,
            $(pub(super) $field: $ty,)*
        }

        pub(super) const $columns: &str =
            concat!(column!($first $($first_sql)?) $(, ", ", column!($field $($sql)?))*);

        #[allow(dead_code)]
        impl $name {
            /// How many columns the row has.
            pub(super) const WIDTH: usize = [stringify!($first) $(, stringify!($field))*].len();

            /// Reads the row from columns `first..first + WIDTH` (a join returns several
            /// rows side by side).
            pub(super) fn read_at(row: &sqlx::postgres::PgRow, first: usize) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                let mut column = first;
                let mut next = || {
                    column += 1;
                    column - 1
                };
                Ok(Self { $first: row.try_get_unchecked(next())?, $($field: row.try_get_unchecked(next())?,)* })
            }
        }

        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $name {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                Self::read_at(row, 0)
            }
        }
    };
}

positional_row! {
    /// An event, its payload as jsonb's text: a call's detail writes it out as it is, the
    /// live feed's catch-up parses it (what sqlx's jsonb decoding does too).
    EventRow, EVENT_COLUMNS {
        app_id: Uuid,
        seq: EventSeq,
        kind: String,
        call_id: Option<CallId>,
        state: Option<String>,
        event_timestamp: Option<i64>,
        target_id: Option<i64>,
        payload: String => "payload::text",
        payload_exact: Option<Vec<u8>>,
        received_at: PgTime,
    }
}

impl From<EventRow> for StoredEvent<PayloadJson> {
    fn from(r: EventRow) -> Self {
        StoredEvent {
            app_id: AppId::from_uuid(r.app_id),
            seq: r.seq,
            kind: EventKind::parse(&r.kind),
            call_id: r.call_id,
            state: r.state.as_deref().map(CallState::parse),
            event_timestamp_ms: r.event_timestamp,
            target_id: r.target_id.and_then(|id| DialpadUserId::new(id).ok()),
            payload: PayloadJson(restored_text(r.payload, r.payload_exact).into_boxed_str()),
            received_at: r.received_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UnroutedRow {
    id: i64,
    kind: String,
    target_id: Option<i64>,
    payload: Value,
    payload_exact: Option<Vec<u8>>,
    received_at: PgTime,
}

impl From<UnroutedRow> for UnroutedEvent {
    fn from(r: UnroutedRow) -> Self {
        UnroutedEvent {
            id: r.id,
            kind: EventKind::parse(&r.kind),
            target_id: r.target_id,
            payload: restored(r.payload, r.payload_exact),
            received_at: r.received_at.0,
        }
    }
}

pub(super) fn party_json(p: &Option<Party>) -> Option<Value> {
    p.as_ref().map(|p| json!({ "id": p.id, "type": p.kind, "name": p.name, "phone": p.phone, "email": p.email }))
}

/// A party from its stored fields (all null: none).
fn party(
    id: Option<i64>,
    kind: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
) -> Option<Party> {
    let party = Party { id, kind, name, phone, email };
    (party != Party::default()).then_some(party)
}

positional_row! {
    /// A call as the queries fetch it: PostgreSQL takes the parties' fields out of their
    /// JSONB, so no JSON is parsed here. Read by position, or as JSON (`to_jsonb` of a
    /// select of these columns) when fetched together with other rows.
    #[derive(serde::Deserialize)]
    CallReadRow, CALL_COLUMNS {
        call_id: CallId,
        state: String,
        state_at: i64,
        ended: bool,
        direction: Option<String>,
        external_number: Option<String>,
        internal_number: Option<String>,
        target_id: Option<i64> => "(target->>'id')::bigint",
        target_type: Option<String> => "target->>'type'",
        target_name: Option<String> => "target->>'name'",
        target_phone: Option<String> => "target->>'phone'",
        target_email: Option<String> => "target->>'email'",
        contact_id: Option<i64> => "(contact->>'id')::bigint",
        contact_type: Option<String> => "contact->>'type'",
        contact_name: Option<String> => "contact->>'name'",
        contact_phone: Option<String> => "contact->>'phone'",
        contact_email: Option<String> => "contact->>'email'",
        master_call_id: Option<CallId>,
        entry_point_call_id: Option<CallId>,
        operator_call_id: Option<CallId>,
        started_at: PgTime,
        rang_at: Option<PgTime>,
        connected_at: Option<PgTime>,
        ended_at: Option<PgTime>,
        duration_ms: Option<i64>,
        was_recorded: Option<bool>,
        last_event_at: i64,
        event_count: i64,
        last_seq: EventSeq,
    }
}

impl From<CallReadRow> for CallRecord {
    fn from(r: CallReadRow) -> Self {
        CallRecord {
            call_id: r.call_id,
            state: CallState::parse(&r.state),
            state_at_ms: r.state_at,
            ended: r.ended,
            direction: r.direction.as_deref().map(Direction::parse),
            external_number: r.external_number,
            internal_number: r.internal_number,
            target: party(r.target_id, r.target_type, r.target_name, r.target_phone, r.target_email),
            contact: party(r.contact_id, r.contact_type, r.contact_name, r.contact_phone, r.contact_email),
            master_call_id: r.master_call_id,
            entry_point_call_id: r.entry_point_call_id,
            operator_call_id: r.operator_call_id,
            started_at: r.started_at.0,
            rang_at: r.rang_at.map(|t| t.0),
            connected_at: r.connected_at.map(|t| t.0),
            ended_at: r.ended_at.map(|t| t.0),
            duration_ms: r.duration_ms,
            was_recorded: r.was_recorded,
            last_event_at_ms: r.last_event_at,
            event_count: r.event_count,
            last_seq: r.last_seq,
        }
    }
}

positional_row! {
    VoicemailRow, VOICEMAIL_COLUMNS {
        app_id: Uuid,
        id: Uuid,
        call_id: Option<CallId>,
        recording_id: Option<String>,
        link: Option<String>,
        caller: Option<String>,
        callee: Option<String>,
        started_at: Option<PgTime>,
        duration_ms: Option<i64>,
        transcription: Option<String>,
        target_id: Option<i64>,
        uploaded: bool,
        created_at: PgTime,
        updated_at: PgTime,
        last_seq: EventSeq,
    }
}

impl From<VoicemailRow> for Voicemail {
    fn from(r: VoicemailRow) -> Self {
        Voicemail {
            id: r.id,
            call_id: r.call_id,
            recording_id: r.recording_id,
            link: r.link,
            caller: r.caller,
            callee: r.callee,
            started_at: r.started_at.map(|t| t.0),
            duration_ms: r.duration_ms,
            transcription: r.transcription,
            target_id: r.target_id,
            uploaded: r.uploaded,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
            last_seq: r.last_seq,
        }
    }
}
