//! SessionStore: short-lived values shared by every instance (WebSocket tickets, OAuth
//! state, once-only markers such as "this call was popped"), each with its own time to
//! live. Redis when configured, a map otherwise.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;

    /// Stores `value` under `key` for `ttl` unless a value that has not expired is there;
    /// `true` when it was stored. Of concurrent puts on every instance, exactly one stores.
    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// The value under `key`, if it has not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// The value under `key`, removed in the same step: of concurrent takes on every
    /// instance, exactly one gets it.
    async fn take(&self, key: &str) -> Result<Option<String>, StoreError>;
}
