//! HealthProbe: one per configured backend, asked by GET /health/ready.

use async_trait::async_trait;

#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// A short stable name for the backend ("postgres", "redis"), shown in readiness answers.
    fn name(&self) -> &'static str;

    /// Whether the instance cannot serve without it. An optional backend that fails makes
    /// the instance degraded, not unready (Redis: limits fail open, streams catch up from
    /// PostgreSQL); a required one (PostgreSQL) makes it unready.
    fn required(&self) -> bool {
        true
    }

    /// Ok when the backend answers a trivial request now. The error says what failed; it
    /// must not contain credentials (connection URLs are never part of it).
    async fn check(&self) -> Result<(), anyhow::Error>;
}
