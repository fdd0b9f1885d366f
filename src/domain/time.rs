//! Times as the server accepts them: from 1970-01-01T00:00:00Z (Dialpad's times are
//! milliseconds since the epoch) to the end of year 9999 (what RFC 3339 can write, and well
//! inside what PostgreSQL stores). A time outside that range is not a time this server can
//! store or compare: an event carrying one keeps it in its JSON, and the derived field is
//! absent; a query or cursor carrying one is refused.

use chrono::{DateTime, Utc};

/// The last millisecond of year 9999.
const MAX_MS: i64 = 253_402_300_799_999;

/// The time `ms` milliseconds after the epoch, if it is in range.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    (0..=MAX_MS).contains(&ms).then(|| DateTime::from_timestamp_millis(ms)).flatten()
}

/// The time `us` microseconds after the epoch, if it is in range.
pub fn from_micros(us: i64) -> Option<DateTime<Utc>> {
    from_millis(us.div_euclid(1000)).and(DateTime::from_timestamp_micros(us))
}

/// Whether `t` is in range.
pub fn in_range(t: DateTime<Utc>) -> bool {
    from_millis(t.timestamp_millis()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_times_from_the_epoch_to_year_9999_are_times() {
        assert_eq!(from_millis(0), Some(DateTime::UNIX_EPOCH));
        assert!(from_millis(1_731_624_040_000).is_some());
        assert!(from_millis(MAX_MS).is_some());
        for bad in [-1, -400_000_000_000_000, MAX_MS + 1, i64::MAX, i64::MIN] {
            assert_eq!(from_millis(bad), None, "{bad}");
            assert_eq!(from_micros(bad.saturating_mul(1000)), None, "{bad}");
        }
        assert!(from_micros(1_731_624_040_000_123).is_some());
        assert!(in_range(from_millis(MAX_MS).unwrap()));
        assert!(!in_range(DateTime::from_timestamp_millis(MAX_MS + 1).unwrap()));
        assert!(!in_range(DateTime::from_timestamp_millis(-1).unwrap()));
    }
}
