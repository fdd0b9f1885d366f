//! The domain's numeric ids as PostgreSQL `bigint`s, so queries bind and read them as they
//! are instead of converting at every bind. A stored Dialpad user id that is not a positive
//! integer is a decoding error (the schema only ever stores valid ones).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Encode, Type};

use crate::domain::call::{CallId, EventSeq};
use crate::domain::user_mapping::DialpadUserId;

/// A `bigint` column's value: its 8 big-endian bytes when binary (what every query here
/// reads), else through sqlx (which copies any width into a buffer first).
pub(super) fn bigint(value: PgValueRef<'_>) -> Result<i64, BoxDynError> {
    if value.format() == PgValueFormat::Binary
        && let Ok(bytes) = <[u8; 8]>::try_from(value.as_bytes()?)
    {
        return Ok(i64::from_be_bytes(bytes));
    }
    <i64 as Decode<'_, Postgres>>::decode(value)
}

macro_rules! bigint {
    ($($id:ty => $from:expr;)+) => {$(
        impl Type<Postgres> for $id {
            fn type_info() -> PgTypeInfo {
                <i64 as Type<Postgres>>::type_info()
            }
        }

        impl PgHasArrayType for $id {
            fn array_type_info() -> PgTypeInfo {
                <i64 as PgHasArrayType>::array_type_info()
            }
        }

        impl Encode<'_, Postgres> for $id {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'_, Postgres>>::encode_by_ref(&self.get(), buf)
            }
        }

        impl Decode<'_, Postgres> for $id {
            fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
                $from(bigint(value)?)
            }
        }
    )+};
}

bigint! {
    CallId => |raw| Ok(CallId::new(raw));
    EventSeq => |raw| Ok(EventSeq::new(raw));
    DialpadUserId => |raw| DialpadUserId::new(raw).map_err(Into::into);
}
