//! Invalidation generations: how anything loaded is known to be stale without scanning
//! what holds it. A global counter moves on every invalidation; each app remembers the
//! counter value of its last one. Something whose load began before its app's last
//! invalidation is stale, even if that load finished after the invalidation: a fill racing
//! a revocation can never put the revoked key back.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::app::AppId;

/// The generation current when a load or a check began. Take it before reading storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(u64);

#[derive(Debug, Default)]
pub(super) struct Generations {
    counter: AtomicU64,
    /// Counter value of each app's last invalidation.
    apps: RwLock<HashMap<AppId, u64>>,
    /// Counter value of the last "drop everything".
    all: AtomicU64,
}

impl Generations {
    pub(super) fn mark(&self) -> Mark {
        Mark(self.counter.load(Ordering::SeqCst))
    }

    /// Marks everything of `app` loaded before now as stale.
    pub(super) fn bump_app(&self, app: AppId) {
        let mut apps = self.apps.write().expect("generations poisoned");
        let generation = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        apps.insert(app, generation);
    }

    /// Marks everything loaded before now as stale.
    pub(super) fn bump_all(&self) {
        let generation = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        self.all.store(generation, Ordering::SeqCst);
    }

    /// Whether something depending on `app` (on no app: `None`) and loaded at `mark` may
    /// have changed since. What depends on no app goes stale only when everything does.
    pub(super) fn changed_since(&self, app: Option<AppId>, Mark(generation): Mark) -> bool {
        // Fast path: nothing at all was invalidated since.
        if self.counter.load(Ordering::SeqCst) == generation {
            return false;
        }
        if self.all.load(Ordering::SeqCst) > generation {
            return true;
        }
        let Some(app) = app else { return false };
        self.apps.read().expect("generations poisoned").get(&app).is_some_and(|&g| g > generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_loaded_before_its_apps_invalidation_is_stale() {
        let g = Generations::default();
        let (a, b) = (AppId::generate(), AppId::generate());
        let loaded = g.mark();
        assert!(!g.changed_since(Some(a), loaded));
        g.bump_app(a);
        assert!(g.changed_since(Some(a), loaded), "the load began before the invalidation");
        assert!(!g.changed_since(Some(b), loaded), "another app is unaffected");
        assert!(!g.changed_since(None, loaded), "what depends on no app is unaffected");
        assert!(!g.changed_since(Some(a), g.mark()), "a load after it is fresh");
    }

    #[test]
    fn dropping_everything_stales_everything_loaded_before() {
        let g = Generations::default();
        let loaded = g.mark();
        g.bump_all();
        assert!(g.changed_since(Some(AppId::generate()), loaded));
        assert!(g.changed_since(None, loaded), "after a possible loss everything reloads");
        let later = g.mark();
        g.bump_app(AppId::generate());
        assert!(!g.changed_since(None, later));
    }
}
