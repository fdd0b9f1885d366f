//! JSON bodies for the read routes, where writing the response is most of the work: each
//! written by hand ([`WriteJson`], out.rs) into one pre-sized buffer (salvo's `Json` writes
//! through a chunking writer, one call per token), with timestamps formatted into a stack
//! buffer (chrono's `Serialize` goes through `collect_str`, a character at a time). The
//! bytes are the same as serde and chrono write: tests compare them.

mod canonical;
mod out;

pub use out::{Fields, JsonOut, WriteJson};

use chrono::{DateTime, Utc};
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::oapi::{Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::{Serialize, Serializer};

/// 200 with `T` as a JSON body, serialized into a buffer of about `capacity` bytes.
pub struct JsonBody<T> {
    value: T,
    capacity: usize,
}

impl<T> JsonBody<T> {
    pub fn new(value: T, capacity: usize) -> Self {
        Self { value, capacity }
    }
}

impl<T: WriteJson + Send> Scribe for JsonBody<T> {
    fn render(self, res: &mut Response) {
        let mut out = JsonOut::with_capacity(self.capacity);
        self.value.write_json(&mut out);
        res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        res.body(out.into_bytes());
    }
}

impl<T: ToSchema> EndpointOutRegister for JsonBody<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        Json::<T>::register(components, operation);
    }
}

/// The longest timestamp written here: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const LONGEST: usize = 30;

/// `at` as chrono writes it in JSON (RFC 3339, fractions of 3, 6 or 9 digits when there
/// are any, `Z`), for years 0 to 9999; `None` for others. The date comes from the day
/// number by Hinnant's civil-from-days, without chrono's calendar lookups.
fn rfc3339(at: &DateTime<Utc>, out: &mut [u8; LONGEST]) -> Option<usize> {
    let (days, second_of_day) = (at.timestamp().div_euclid(86_400), at.timestamp().rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
    let second_of_day = u32::try_from(second_of_day).ok()?;
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut value = value;
        for i in (at..at + digits).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, second_of_day / 3600, 2);
    put(14, second_of_day / 60 % 60, 2);
    // A leap second (nanoseconds past 10^9) is written as second 60.
    let (second, nano) = match at.timestamp_subsec_nanos() {
        n if n >= 1_000_000_000 => (second_of_day % 60 + 1, n - 1_000_000_000),
        n => (second_of_day % 60, n),
    };
    put(17, second, 2);
    let len = match nano {
        0 => 19,
        n if n % 1_000_000 == 0 => {
            put(20, n / 1_000_000, 3);
            23
        }
        n if n % 1_000 == 0 => {
            put(20, n / 1_000, 6);
            26
        }
        n => {
            put(20, n, 9);
            29
        }
    };
    for (i, b) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.')] {
        out[i] = b;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// Year, month and day of the day `days` after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
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
