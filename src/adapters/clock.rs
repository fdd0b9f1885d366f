//! The system clock, for production. It reads in microseconds, the precision Postgres
//! stores, so a value read back from the database equals the value written.

use chrono::{DateTime, SubsecRound, Utc};

use crate::ports::Clock;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
