//! EventBus: the fast path of live events. Every instance publishes the events it stored and
//! hears those stored by any instance, per app. It is allowed to lose messages (Redis
//! restarts, slow listeners): it says so with [`BusMessage::Missed`], and listeners recover
//! from the EventStore, which is the source of truth. Redis pub/sub across instances, a
//! broadcast channel in one process.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::domain::app::AppId;
use crate::ports::StoredEvent;

/// What a subscriber hears.
#[derive(Debug, Clone, PartialEq)]
pub enum BusMessage {
    /// An event stored by some instance (at most once per subscriber, in no guaranteed
    /// order across instances).
    Event(Arc<StoredEvent>),
    /// Messages may have been lost since the last one (reconnect, lag): read the store.
    Missed,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Announces stored events to their apps' subscribers on every instance (this one
    /// included). An error means some subscribers may not hear of them; they recover on
    /// the next event or reconnect.
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), anyhow::Error>;

    /// Every message for `app` published from the moment this returns. The stream ends only
    /// when the adapter shuts down.
    async fn subscribe(&self, app: AppId) -> Result<BoxStream<'static, BusMessage>, anyhow::Error>;
}
