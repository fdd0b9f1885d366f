//! ApiKeyCache on moka: bounded, per-entry TTL (valid checks long, failures briefly), and
//! concurrent misses for one fingerprint coalesced into one load.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use moka::Expiry;
use moka::future::Cache;

use crate::ports::{ApiKeyCache, CachedCheck, StoreError};

pub struct MokaKeyCache {
    cache: Cache<[u8; 32], Arc<CachedCheck>, FingerprintHash>,
}

/// Fingerprints are SHA-256 digests, already uniform: their first 8 bytes are the hash.
/// Hashing them again (SipHash) would only cost time on every request.
#[derive(Clone, Default)]
struct FingerprintHash;

impl BuildHasher for FingerprintHash {
    type Hasher = FingerprintHasher;

    fn build_hasher(&self) -> FingerprintHasher {
        FingerprintHasher(0)
    }
}

struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn write(&mut self, bytes: &[u8]) {
        // [u8; 32] hashes as its bytes (arrays do not write a length prefix).
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Time to live by outcome: a valid check for `valid`, anything else for `failure`.
struct ByOutcome {
    valid: Duration,
    failure: Duration,
}

impl Expiry<[u8; 32], Arc<CachedCheck>> for ByOutcome {
    fn expire_after_create(&self, _key: &[u8; 32], value: &Arc<CachedCheck>, _at: Instant) -> Option<Duration> {
        Some(if value.check.is_valid() { self.valid } else { self.failure })
    }
}

impl MokaKeyCache {
    /// At most `capacity` entries; valid checks live `valid_ttl`, failures `failure_ttl`.
    pub fn new(capacity: u64, valid_ttl: Duration, failure_ttl: Duration) -> Self {
        let cache = Cache::builder()
            .max_capacity(capacity)
            .expire_after(ByOutcome { valid: valid_ttl, failure: failure_ttl })
            .build_with_hasher(FingerprintHash);
        Self { cache }
    }
}

#[async_trait]
impl ApiKeyCache for MokaKeyCache {
    async fn get(&self, fingerprint: &[u8; 32]) -> Option<Arc<CachedCheck>> {
        self.cache.get(fingerprint).await
    }

    async fn get_or_load(
        &self,
        fingerprint: [u8; 32],
        load: BoxFuture<'static, Result<CachedCheck, StoreError>>,
    ) -> Result<Arc<CachedCheck>, StoreError> {
        // Every waiter gets the same error, its cause chain intact.
        self.cache.try_get_with(fingerprint, async move { load.await.map(Arc::new) }).await.map_err(StoreError::shared)
    }

    async fn invalidate(&self, fingerprint: &[u8; 32]) {
        self.cache.invalidate(fingerprint).await;
    }
}
