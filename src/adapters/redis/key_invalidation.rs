//! KeyInvalidation over Redis pub/sub: channel `<prefix>api-keys:invalidate`, payload the
//! app id. A (re)connection becomes `All`, so notices lost during an outage cannot leave a
//! revoked key cached.

use async_trait::async_trait;
use fred::prelude::*;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

use super::{Delivery, RedisClients};
use crate::adapters::broadcast::stream_of;
use crate::domain::app::AppId;
use crate::ports::{Invalidation, KeyInvalidation};

pub struct RedisKeyInvalidation {
    clients: RedisClients,
    channel: String,
    /// Subscribed once at start, so no notice published after startup is missed; each
    /// `subscribe` resubscribes from it.
    deliveries: broadcast::Receiver<Delivery>,
}

impl RedisKeyInvalidation {
    /// Listens on the invalidation channel, now or as soon as Redis is reachable (until
    /// then no notice can be published either, and the connection makes every cached key
    /// stale anyway).
    pub async fn start(clients: RedisClients) -> Self {
        let channel = clients.name("api-keys:invalidate");
        let deliveries = clients.pubsub.listen_when_connected(&channel).await;
        Self { clients, channel, deliveries }
    }
}

fn to_notice(delivery: Delivery) -> Option<Invalidation> {
    match delivery {
        Delivery::Resubscribed => Some(Invalidation::All),
        Delivery::Message(payload) => {
            let text = std::str::from_utf8(&payload).ok()?;
            text.parse::<AppId>().ok().map(Invalidation::App)
        }
    }
}

#[async_trait]
impl KeyInvalidation for RedisKeyInvalidation {
    async fn publish(&self, app: AppId) -> Result<(), anyhow::Error> {
        let _receivers: i64 = self.clients.pool.next().publish(&self.channel, app.to_string()).await?;
        Ok(())
    }

    fn subscribe(&self) -> BoxStream<'static, Invalidation> {
        stream_of(self.deliveries.resubscribe(), Invalidation::All, to_notice)
    }
}
