//! Invalidation generations: how a cached key check is known to be stale without scanning
//! the cache. A global counter moves on every invalidation; each app remembers the counter
//! value of its last one. A check whose load began before its app's last invalidation is
//! stale, even if that load finished (and was cached) after the invalidation: a cache fill
//! racing a revocation can never put the revoked key back.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::app::AppId;
use crate::ports::CachedCheck;

#[derive(Debug, Default)]
pub struct Generations {
    counter: AtomicU64,
    /// Counter value of each app's last invalidation.
    apps: RwLock<HashMap<AppId, u64>>,
    /// Counter value of the last "drop everything".
    all: AtomicU64,
}

impl Generations {
    pub fn new() -> Self {
        Self::default()
    }

    /// The generation a load beginning now records.
    pub fn current(&self) -> u64 {
        self.counter.load(Ordering::SeqCst)
    }

    /// Marks every check of `app` loaded before now as stale.
    pub fn bump_app(&self, app: AppId) {
        let mut apps = self.apps.write().expect("generations poisoned");
        let generation = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        apps.insert(app, generation);
    }

    /// Marks every check loaded before now as stale.
    pub fn bump_all(&self) {
        let generation = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        self.all.store(generation, Ordering::SeqCst);
    }

    /// Whether an invalidation that concerns this check happened after its load began.
    /// Rejections depend on no app: only a "drop everything" stales them.
    pub fn is_stale(&self, cached: &CachedCheck) -> bool {
        match cached.check.depends_on() {
            Some(app) => self.changed_since(app, cached.generation),
            None => {
                self.counter.load(Ordering::SeqCst) != cached.generation
                    && self.all.load(Ordering::SeqCst) > cached.generation
            }
        }
    }

    /// Whether `app` (or everything) was invalidated after `generation` was current.
    pub fn changed_since(&self, app: AppId, generation: u64) -> bool {
        // Fast path: nothing at all was invalidated since.
        if self.counter.load(Ordering::SeqCst) == generation {
            return false;
        }
        if self.all.load(Ordering::SeqCst) > generation {
            return true;
        }
        self.apps.read().expect("generations poisoned").get(&app).is_some_and(|&g| g > generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{KeyCheck, KeyId, Rejection};

    fn key_id() -> KeyId {
        KeyId::parse("0123456789abcdef").unwrap()
    }

    fn inactive(app: AppId, generation: u64) -> CachedCheck {
        CachedCheck { check: KeyCheck::Inactive(app), key_id: key_id(), generation, verified: None }
    }

    #[test]
    fn a_check_loaded_before_its_apps_invalidation_is_stale() {
        let g = Generations::new();
        let (a, b) = (AppId::generate(), AppId::generate());
        let loaded = inactive(a, g.current());
        let other = inactive(b, g.current());
        assert!(!g.is_stale(&loaded));
        g.bump_app(a);
        assert!(g.is_stale(&loaded), "the load began before the invalidation");
        assert!(!g.is_stale(&other), "another app is unaffected");
        assert!(!g.is_stale(&inactive(a, g.current())), "a load after it is fresh");
    }

    #[test]
    fn dropping_everything_stales_every_check_but_rejections_never_go_stale() {
        let g = Generations::new();
        let loaded = inactive(AppId::generate(), g.current());
        let rejected = CachedCheck {
            check: KeyCheck::Rejected(Rejection::Revoked),
            key_id: key_id(),
            generation: g.current(),
            verified: None,
        };
        g.bump_all();
        assert!(g.is_stale(&loaded));
        assert!(g.is_stale(&rejected), "after a possible loss everything reloads");
        let later = CachedCheck {
            check: KeyCheck::Rejected(Rejection::Revoked),
            key_id: key_id(),
            generation: g.current(),
            verified: None,
        };
        g.bump_app(AppId::generate());
        assert!(!g.is_stale(&later));
    }
}
