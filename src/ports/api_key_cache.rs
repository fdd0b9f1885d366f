//! ApiKeyCache: checked keys by the SHA-256 of the presented key's secret, so a request with a known
//! key never pays for argon2. A bounded in-memory cache with TTLs in production; a pass-through for tests that need every
//! check to reach storage.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::BoxFuture;

use super::StoreError;
use crate::domain::api_key::{KeyCheck, KeyId};

/// A cached check, the key id it was made for, the invalidation generation current when its
/// load began, and which stored hash the secret was verified against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCheck {
    pub check: KeyCheck,
    /// An entry answers only for a presented key with this id.
    pub key_id: KeyId,
    pub generation: u64,
    /// SHA-256 of the stored PHC string the presented secret matched; `None` when nothing
    /// matched. A stale entry is reloaded from storage, but argon2 is not run again while
    /// the stored hash is still this one: an invalidation (a rename, a Redis reconnect)
    /// then costs each cached key one read, not one argon2.
    pub verified: Option<[u8; 32]>,
}

#[async_trait]
pub trait ApiKeyCache: Send + Sync {
    /// The entry for `fingerprint`, if cached: the fast path, which builds no loader.
    async fn get(&self, fingerprint: &[u8; 32]) -> Option<Arc<CachedCheck>>;

    /// The entry for `fingerprint`, or the result of `load`. Concurrent misses for the same
    /// fingerprint run one `load` and share its result. Ok results are kept (valid checks
    /// for the long TTL, others briefly); errors are returned to every waiter and not kept.
    async fn get_or_load(
        &self,
        fingerprint: [u8; 32],
        load: BoxFuture<'static, Result<CachedCheck, StoreError>>,
    ) -> Result<Arc<CachedCheck>, StoreError>;

    /// Drops the entry for `fingerprint`.
    async fn invalidate(&self, fingerprint: &[u8; 32]);
}
