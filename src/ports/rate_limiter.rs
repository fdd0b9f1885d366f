//! RateLimiter: one request of a subject against a quota, decided atomically, so that a
//! limit holds across every instance (Redis) or within one process (in memory).

use async_trait::async_trait;

use crate::domain::rate_limit::{Decision, Quota};

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts `cost` requests of `subject` against `quota` and says whether they may proceed
    /// (all of them, or none: nothing is counted when refused). The state is the subject's alone (a subject names its policy, e.g. `app:<id>`), so a
    /// changed quota applies to the same history. An error means the limiter could not be
    /// asked (the caller decides to fail open).
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Result<Decision, anyhow::Error>;
}
