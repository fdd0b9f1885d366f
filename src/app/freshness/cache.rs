//! A cache that answers only with fresh values: bounded (moka), each entry living as long as
//! its value's time to live, and each stamped with the [`Mark`] taken before its load. An
//! entry whose app changed after that mark is never served: it is reloaded (the stale
//! value is handed to the load, which may reuse what did not change), and concurrent misses
//! for one key share one load. Load errors go to every waiter and are not kept.

use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::Op;
use tokio::time::Instant;

use super::generations::Generations;
use super::{Freshness, Mark};
use crate::domain::app::AppId;

/// How many times a key whose entry keeps going stale is reloaded through the cache before
/// one load is answered without it (only under a storm of invalidations).
const STALE_RETRIES: usize = 3;

/// A value, whether this call loaded it (a miss) or found it (a hit).
#[derive(Debug)]
pub struct Fetched<V> {
    pub value: V,
    pub loaded: bool,
}

/// Which app's changes make a value stale; `None`: only "everything changed" does.
pub type Scope<K, V> = fn(&K, &V) -> Option<AppId>;

pub struct FreshCache<K, V> {
    /// foldhash: keys are ids and digests, not attacker-chosen strings; SipHash cost more
    /// than the rest of a cached lookup.
    entries: Cache<K, Arc<Stamped<V>>, foldhash::fast::RandomState>,
    generations: Arc<Generations>,
    scope: Scope<K, V>,
}

struct Stamped<V> {
    value: V,
    mark: Mark,
    loaded: Instant,
}

/// Each entry's time to live, from its value.
struct ByValue<V>(Box<dyn Fn(&V) -> Duration + Send + Sync>);

impl<K, V> Expiry<K, Arc<Stamped<V>>> for ByValue<V> {
    fn expire_after_create(&self, _key: &K, entry: &Arc<Stamped<V>>, _at: std::time::Instant) -> Option<Duration> {
        Some((self.0)(&entry.value))
    }
}

impl<K, V> FreshCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// At most `capacity` entries, each kept for `ttl(value)` at most and stale once the app
    /// `scope` names for it changes.
    pub fn new(
        freshness: &Freshness,
        capacity: u64,
        ttl: impl Fn(&V) -> Duration + Send + Sync + 'static,
        scope: Scope<K, V>,
    ) -> Self {
        let entries = Cache::builder()
            .max_capacity(capacity)
            .expire_after(ByValue(Box::new(ttl)))
            .build_with_hasher(foldhash::fast::RandomState::default());
        Self { entries, generations: freshness.generations.clone(), scope }
    }

    /// The value of `key`: cached while fresh (and younger than `max_age`, if given), else
    /// `load(the stale value, if any)`.
    pub async fn get<E, F, Fut>(&self, key: &K, max_age: Option<Duration>, load: F) -> Result<Fetched<V>, Arc<E>>
    where
        F: Fn(Option<V>) -> Fut,
        Fut: Future<Output = Result<V, E>>,
        E: Send + Sync + 'static,
    {
        // The fast path builds no loader.
        let mut previous = None;
        if let Some(entry) = self.entries.get(key).await {
            if self.is_fresh(key, &entry, max_age) {
                return Ok(Fetched { value: entry.value.clone(), loaded: false });
            }
            previous = Some(entry.value.clone());
            self.drop_if_current(key, &entry).await;
        }
        for _ in 0..STALE_RETRIES {
            let entry = self.entries.entry_by_ref(key).or_try_insert_with(self.stamped(load(previous.clone()))).await?;
            let loaded = entry.is_fresh();
            let entry = entry.into_value();
            if self.is_fresh(key, &entry, max_age) {
                return Ok(Fetched { value: entry.value.clone(), loaded });
            }
            previous = Some(entry.value.clone());
            self.drop_if_current(key, &entry).await;
        }
        let entry = self.stamped(load(previous)).await.map_err(Arc::new)?;
        self.entries.insert(key.clone(), entry.clone()).await;
        Ok(Fetched { value: entry.value.clone(), loaded: true })
    }

    fn is_fresh(&self, key: &K, entry: &Stamped<V>, max_age: Option<Duration>) -> bool {
        !self.generations.changed_since((self.scope)(key, &entry.value), entry.mark)
            && max_age.is_none_or(|max| entry.loaded.elapsed() < max)
    }

    /// `load`, stamped with the mark taken before it began.
    async fn stamped<E>(&self, load: impl Future<Output = Result<V, E>>) -> Result<Arc<Stamped<V>>, E> {
        let mark = self.generations.mark();
        let value = load.await?;
        Ok(Arc::new(Stamped { value, mark, loaded: Instant::now() }))
    }

    /// Drops the stale entry `seen` unless another caller already replaced it: a caller
    /// that waited on a stale load must not throw away the fresh entry loaded since.
    async fn drop_if_current(&self, key: &K, seen: &Arc<Stamped<V>>) {
        self.entries
            .entry_by_ref(key)
            .and_compute_with(|current| {
                let op = match current {
                    Some(current) if Arc::ptr_eq(current.value(), seen) => Op::Remove,
                    _ => Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
    }
}
