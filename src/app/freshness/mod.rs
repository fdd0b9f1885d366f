//! Freshness: how this instance's copies of shared state (checked API keys, apps, webhook
//! secrets, open streams' credentials) stay true to storage across instances.
//!
//! - A use case that changes an app (its keys, name, state, webhook secrets) calls
//!   [`Freshness::app_changed`] after committing: this instance sees the change at once, and
//!   every other instance through the KeyInvalidation port ([`apply_invalidations`]).
//! - What is loaded for reuse lives in a [`FreshCache`]: bounded, with a time to live per
//!   entry, and never serving an entry whose load began before its app's last change.
//! - Whatever is checked once and then held (an open stream's key) takes a [`Mark`] before
//!   its check and asks [`Freshness::changed_since`] when it registers.
//!
//! If an announcement is lost (Redis down), the time to live bounds how long a copy can be
//! stale; after a reconnect every copy is treated as stale at once.

mod cache;
mod generations;

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_util::sync::CancellationToken;

pub use cache::{Fetched, FreshCache};
pub use generations::Mark;

use self::generations::Generations;
use crate::domain::app::AppId;
use crate::ports::{Invalidation, KeyInvalidation};

/// This instance's view of what changed, and the announcer of changes.
#[derive(Clone)]
pub struct Freshness {
    generations: Arc<Generations>,
    invalidation: Arc<dyn KeyInvalidation>,
}

impl Freshness {
    pub fn new(invalidation: Arc<dyn KeyInvalidation>) -> Self {
        Self { generations: Arc::default(), invalidation }
    }

    /// Take before a check whose result is held: see [`Freshness::changed_since`].
    pub fn mark(&self) -> Mark {
        self.generations.mark()
    }

    /// Whether `app` (or everything) changed after `mark` was taken.
    pub fn changed_since(&self, app: AppId, mark: Mark) -> bool {
        self.generations.changed_since(Some(app), mark)
    }

    /// Applies a notice from any instance: what it concerns is stale from now on.
    pub fn apply(&self, notice: Invalidation) {
        match notice {
            Invalidation::App(app) => self.generations.bump_app(app),
            Invalidation::All => self.generations.bump_all(),
        }
    }

    /// Call after a change to `app` is committed. A failed publish is logged, not returned:
    /// the change stands, and other instances see it when their copies' time to live ends.
    pub async fn app_changed(&self, app: AppId) {
        self.generations.bump_app(app);
        if let Err(err) = self.invalidation.publish(app).await {
            tracing::warn!(app_id = %app, error = format!("{err:#}"), "change not announced; other instances rely on their caches' time to live");
        }
    }
}

/// Runs until `stop`: applies the change notices of every instance (`All` after a reconnect,
/// when notices may have been lost), then hands each to `then`, on this task, so that work
/// it starts sees the notice (open streams re-check their keys). `notices` comes from
/// [`KeyInvalidation::subscribe`], called before the server accepts requests so that no
/// notice falls between the two.
pub async fn apply_invalidations(
    mut notices: BoxStream<'static, Invalidation>,
    freshness: Freshness,
    then: impl Fn(Invalidation) + Send + 'static,
    stop: CancellationToken,
) {
    loop {
        let notice = tokio::select! {
            notice = notices.next() => notice,
            () = stop.cancelled() => return,
        };
        let Some(notice) = notice else { return };
        freshness.apply(notice);
        then(notice);
    }
}
