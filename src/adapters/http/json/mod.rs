//! JSON bodies for the read routes, where writing the response is most of the work: each
//! written by hand ([`WriteJson`], out.rs) into one pre-sized buffer (salvo's `Json` writes
//! through a chunking writer, one call per token), with timestamps formatted into a stack
//! buffer (chrono's `Serialize` goes through `collect_str`, a character at a time). The
//! bytes are the same as serde and chrono write: tests compare them.

mod canonical;
mod out;

pub(crate) use out::key;
pub use out::{Fields, JsonOut, Key, WriteJson};

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::oapi::{Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::{Serialize, Serializer};

/// 200 with `T` as a JSON body, written into a buffer of about `capacity` bytes. `Schema`
/// is the documented type whose `Serialize` writes the same bytes: a route writes its
/// domain values directly (no copy into the response type) and documents the response
/// type; the writers' tests hold the two to the same bytes.
pub struct JsonBody<T, Schema = T> {
    value: T,
    capacity: usize,
    schema: PhantomData<fn() -> Schema>,
}

impl<T, Schema> JsonBody<T, Schema> {
    pub fn new(value: T, capacity: usize) -> Self {
        Self { value, capacity, schema: PhantomData }
    }
}

impl<T: WriteJson + Send, Schema> Scribe for JsonBody<T, Schema> {
    fn render(self, res: &mut Response) {
        let mut out = JsonOut::with_capacity(self.capacity);
        self.value.write_json(&mut out);
        res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        res.body(out.into_bytes());
    }
}

impl<T, Schema: ToSchema> EndpointOutRegister for JsonBody<T, Schema> {
    fn register(components: &mut Components, operation: &mut Operation) {
        Json::<Schema>::register(components, operation);
    }
}

/// The longest timestamp written here: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const LONGEST: usize = 30;

/// "00" to "99": two digits written with one lookup.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `at` as chrono writes it in JSON (RFC 3339, fractions of 3, 6 or 9 digits when there
/// are any, `Z`), for years 0 to 9999; `None` for others. The fields come from chrono's
/// accessors (its date keeps the year and the day of the year, month and day are a table
/// lookup away; its time keeps the second of the day), written two digits at a time.
fn rfc3339(at: &DateTime<Utc>, out: &mut [u8; LONGEST]) -> Option<usize> {
    use chrono::{Datelike, Timelike};
    let (date, time) = (at.date_naive(), at.time());
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let mut pair = |at: usize, value: u32| {
        let i = value as usize * 2;
        out[at..at + 2].copy_from_slice(&PAIRS[i..i + 2]);
    };
    pair(0, year / 100);
    pair(2, year % 100);
    pair(5, date.month());
    pair(8, date.day());
    pair(11, time.hour());
    pair(14, time.minute());
    // A leap second (nanoseconds past 10^9) is written as second 60.
    let (second, nano) = match time.nanosecond() {
        n if n >= 1_000_000_000 => (time.second() + 1, n - 1_000_000_000),
        n => (time.second(), n),
    };
    pair(17, second);
    let len = match nano {
        0 => 19,
        n if n % 1_000_000 == 0 => {
            fraction(out, n / 1_000_000, 3);
            23
        }
        n if n % 1_000 == 0 => {
            fraction(out, n / 1_000, 6);
            26
        }
        n => {
            fraction(out, n, 9);
            29
        }
    };
    for (i, b) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.')] {
        out[i] = b;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// The `digits` digits of `value` after the decimal point, from `out[20]`.
fn fraction(out: &mut [u8; LONGEST], mut value: u32, digits: usize) {
    for i in (20..20 + digits).rev() {
        out[i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `at` as chrono writes it, and its length; `None` for years chrono writes with a sign.
fn rfc3339_text(at: &DateTime<Utc>) -> Option<([u8; LONGEST], usize)> {
    let mut out = [0u8; LONGEST];
    let len = rfc3339(at, &mut out)?;
    Some((out, len))
}

/// `#[serde(serialize_with = "json::timestamp")]`: a timestamp written in one go.
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    match rfc3339_text(at) {
        // Only ASCII digits and separators were written.
        Some((text, len)) => serializer.serialize_str(std::str::from_utf8(&text[..len]).unwrap_or_default()),
        None => at.serialize(serializer),
    }
}

/// `#[serde(serialize_with = "json::optional_timestamp")]`.
pub fn optional_timestamp<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => timestamp(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Serialize)]
    struct Fast(#[serde(serialize_with = "timestamp")] DateTime<Utc>);

    fn same_as_chrono(at: DateTime<Utc>) {
        assert_eq!(serde_json::to_string(&Fast(at)).unwrap(), serde_json::to_string(&at).unwrap(), "{at:?}");
    }

    #[test]
    fn every_fraction_is_written_as_chrono_writes_it() {
        for ms in [0, 1, 999, 1_000, 1_750_000_000_000, 253_402_300_799_999] {
            same_as_chrono(DateTime::from_timestamp_millis(ms).unwrap());
        }
        for nanos in [0, 1, 1_000, 120_000, 123_456_000, 123_456_789, 999_999_999] {
            same_as_chrono(DateTime::from_timestamp(1_750_000_000, nanos).unwrap());
        }
        same_as_chrono(DateTime::from_timestamp(-62_000_000_000, 0).unwrap());
        same_as_chrono(DateTime::from_timestamp(300_000_000_000, 5).unwrap());
        same_as_chrono(DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap());
        assert_eq!(serde_json::to_string(&None::<DateTime<Utc>>).unwrap(), "null");
    }

    proptest! {
        #[test]
        fn any_timestamp_is_written_as_chrono_writes_it(secs in -70_000_000_000i64..300_000_000_000, nanos in 0u32..1_000_000_000, round in 0u8..3) {
            let nanos = match round { 0 => nanos / 1_000_000 * 1_000_000, 1 => nanos / 1_000 * 1_000, _ => nanos };
            same_as_chrono(DateTime::from_timestamp(secs, nanos).unwrap());
        }
    }
}
