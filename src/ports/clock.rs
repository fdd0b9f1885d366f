//! Clock: the only way the application reads the time, so tests can set it.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}
