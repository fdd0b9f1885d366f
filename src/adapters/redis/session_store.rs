//! SessionStore over Redis: `SET key value PX ttl` (with NX for put-once), and GETDEL for
//! take-once, which Redis runs atomically, so of concurrent takes (or put-onces) on any
//! instances exactly one succeeds.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::{Expiration, SetOptions};

use super::RedisClients;
use crate::ports::{SessionStore, StoreError};

pub struct RedisSessionStore {
    clients: RedisClients,
}

impl RedisSessionStore {
    pub fn new(clients: RedisClients) -> Self {
        Self { clients }
    }

    fn key(&self, key: &str) -> String {
        self.clients.name(&format!("session:{key}"))
    }
}

/// Every Redis failure here is the backend being unreachable or slow: retry later.
fn unavailable(err: Error) -> StoreError {
    StoreError::unavailable(anyhow::anyhow!("redis: {}", err.details()))
}

impl RedisSessionStore {
    /// Refuses at once while Redis is not connected, rather than after a command timeout.
    fn connected(&self) -> Result<(), StoreError> {
        if self.clients.is_connected() {
            Ok(())
        } else {
            Err(StoreError::unavailable(anyhow::anyhow!("redis: not connected (reconnecting in the background)")))
        }
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.connected()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let () = self
            .clients
            .pool
            .set(self.key(key), value, Some(Expiration::PX(ttl_ms)), None, false)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.connected()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let stored: Option<String> = self
            .clients
            .pool
            .set(self.key(key), value, Some(Expiration::PX(ttl_ms)), Some(SetOptions::NX), false)
            .await
            .map_err(unavailable)?;
        Ok(stored.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connected()?;
        self.clients.pool.get(self.key(key)).await.map_err(unavailable)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connected()?;
        self.clients.pool.getdel(self.key(key)).await.map_err(unavailable)
    }
}
