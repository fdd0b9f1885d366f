//! `timestamptz` read straight from its wire form. sqlx decodes one by building
//! PostgreSQL's epoch as a calendar date and adding a `Duration` to it (about 800
//! instructions; a page of 50 calls has 200 timestamps); the wire value is the microseconds
//! since 2000-01-01 UTC, so this shifts it to the Unix epoch and lets chrono build the time
//! once. Out-of-range values (`infinity`) are a decoding error, not a panic.

use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Type};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A `timestamptz` column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub(super) struct PgTime(pub DateTime<Utc>);

impl Type<Postgres> for PgTime {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Decode<'_, Postgres> for PgTime {
    fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
        if value.format() != PgValueFormat::Binary {
            return <DateTime<Utc> as Decode<'_, Postgres>>::decode(value).map(PgTime);
        }
        let micros = super::ids::bigint(value)?;
        micros
            .checked_add(PG_EPOCH_MICROS)
            .and_then(DateTime::from_timestamp_micros)
            .map(PgTime)
            .ok_or_else(|| format!("timestamp out of range: {micros} µs from 2000-01-01").into())
    }
}
