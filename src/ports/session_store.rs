//! SessionStore: short-lived values shared by every instance (WebSocket tickets, OAuth
//! state), each with its own time to live. Redis when configured, a map otherwise.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;

    /// The value under `key`, if it has not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// The value under `key`, removed in the same step: of concurrent takes on every
    /// instance, exactly one gets it.
    async fn take(&self, key: &str) -> Result<Option<String>, StoreError>;
}
