//! Announcing that an app's keys or state changed: locally at once (this instance's next
//! request already sees it), then to every instance through the KeyInvalidation port.

use std::sync::Arc;

use super::Generations;
use crate::domain::app::AppId;
use crate::ports::KeyInvalidation;

#[derive(Clone)]
pub struct KeyAnnouncer {
    invalidation: Arc<dyn KeyInvalidation>,
    generations: Arc<Generations>,
}

impl KeyAnnouncer {
    pub fn new(invalidation: Arc<dyn KeyInvalidation>, generations: Arc<Generations>) -> Self {
        Self { invalidation, generations }
    }

    /// The generations this announcer moves.
    pub fn generations(&self) -> &Arc<Generations> {
        &self.generations
    }

    /// Call after the change is committed. A failed publish is logged, not returned: the
    /// change stands, and other instances drop their entries when the cache TTL ends.
    pub async fn app_changed(&self, app: AppId) {
        self.generations.bump_app(app);
        if let Err(err) = self.invalidation.publish(app).await {
            tracing::warn!(app_id = %app, error = format!("{err:#}"), "key invalidation not published; other instances rely on the cache TTL");
        }
    }
}
