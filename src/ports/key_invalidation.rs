//! KeyInvalidation: tells every instance that an app's keys (or the app itself) changed, so
//! each drops what its key cache holds for that app. Redis pub/sub across instances, a
//! broadcast channel in one process.

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::domain::app::AppId;

/// A notice received by every instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// This app's keys or state changed.
    App(AppId),
    /// Notices may have been missed (a reconnect, a lagging receiver): drop everything.
    All,
}

#[async_trait]
pub trait KeyInvalidation: Send + Sync {
    /// Announces that `app` changed to every subscriber on every instance. An error means
    /// other instances may not hear of it; they then rely on their cache TTL.
    async fn publish(&self, app: AppId) -> Result<(), anyhow::Error>;

    /// Every notice from now on, from every instance (this one included). The stream ends
    /// only when the adapter shuts down.
    fn subscribe(&self) -> BoxStream<'static, Invalidation>;
}
